/**
 * The language server's store connection under hostile conditions, through the real server
 * process (dist/server.js over stdio, as another editor would drive it) and a password-protected
 * redis-server of this test behind a counting proxy (test/e2e/redisProxy.ts):
 *  - Restricted Mode: with initializationOptions.workspaceTrusted=false, tagscope/connectStore is
 *    refused and no TCP connection reaches Redis (proxy accepts and Redis' own
 *    total_connections_received); after tagscope/workspaceTrusted the same request connects
 *    (the positive control);
 *  - the password (raw, percent-encoded, user:password@) never appears in any message the server
 *    sends (responses, statuses, log messages) nor on its stderr, through a wrong password, an
 *    unreachable port, malformed URLs, a cluster list, a hostile Redis that echoes the password
 *    and HTML in its errors, and Redis killed while connected and started again (recovery).
 * The end-to-end version in a real VS Code is test/e2e/vscode.e2e.test.ts.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-languageserver-protocol/node';
import { ConnectStoreRequest, DisconnectStoreRequest, InvalidateTagRequest, StatusNotification, WorkspaceTrustedNotification } from '../../server/src/protocol';
import { startRedisProxy, type RedisProxy } from '../e2e/redisProxy';
// @ts-expect-error -- plain .mjs helper
import { freePort, root } from '../../scripts/code-server.mjs';

const PASSWORD = `s3c ret+${process.pid}-${Date.now().toString(36)}&ü`;
const WRONG = `wr0ng pw+${Date.now().toString(36)}`;
const enc = encodeURIComponent;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every form in which a password can leak. */
const forms = (pw: string) => [pw, enc(pw), pw.replace(/ /g, '%20'), `:${enc(pw)}@`, Buffer.from(pw).toString('base64')];
const leaksIn = (text: string) => [PASSWORD, WRONG].flatMap(forms).filter((f) => text.includes(f));

let redisPort = 0;
let redis: ChildProcess | undefined;
let proxy: RedisProxy;
const servers: { proc: ChildProcess; conn: MessageConnection; transcript: string[] }[] = [];
let ws = '';

function startRedis(): Promise<void> {
  redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', PASSWORD], { stdio: 'ignore' });
  return waitRedis();
}
async function waitRedis(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      execFileSync('redis-cli', ['-p', String(redisPort), '--no-auth-warning', '-a', PASSWORD, 'PING'], { stdio: 'pipe' });
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error('redis-server did not start');
}
const connectionsReceived = () => Number(/total_connections_received:(\d+)/.exec(execFileSync('redis-cli', ['-p', String(redisPort), '--no-auth-warning', '-a', PASSWORD, 'INFO', 'stats'], { encoding: 'utf8' }))![1]);

async function startServer(initializationOptions: Record<string, unknown>) {
  const serverJs = join(root, 'dist/server.js');
  if (!existsSync(serverJs)) throw new Error('dist/server.js is missing: npm run build');
  const proc = spawn(process.execPath, [serverJs, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const transcript: string[] = [];
  proc.stderr!.on('data', (d) => transcript.push(`stderr: ${d}`));
  const conn = createMessageConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
  conn.onNotification((method: string, params: unknown) => {
    transcript.push(`${method} ${JSON.stringify(params)}`);
  });
  conn.onRequest((method: string, params: unknown) => {
    transcript.push(`request ${method} ${JSON.stringify(params)}`);
    return null;
  });
  conn.listen();
  await conn.sendRequest('initialize', { processId: process.pid, rootUri: pathToFileURL(ws).href, workspaceFolders: [{ uri: pathToFileURL(ws).href, name: 'ws' }], capabilities: {}, initializationOptions });
  await conn.sendNotification('initialized', {});
  const s = { proc, conn, transcript };
  servers.push(s);
  return s;
}

async function call<R>(s: (typeof servers)[number], type: { method: string }, params?: unknown): Promise<R> {
  const r = (params === undefined ? await s.conn.sendRequest(type.method) : await s.conn.sendRequest(type.method, params)) as R;
  s.transcript.push(`response ${type.method} ${JSON.stringify(r)}`);
  return r;
}

const url = (pw = PASSWORD, port = () => proxy.port) => `redis://:${enc(pw)}@127.0.0.1:${port()}`;

describe('the language server never connects untrusted and never echoes the Redis password', () => {
  beforeAll(async () => {
    ws = mkdtempSync(join(tmpdir(), 'tagscope-store-sec-'));
    redisPort = await freePort();
    await startRedis();
    proxy = await startRedisProxy(redisPort);
  });

  afterAll(async () => {
    for (const s of servers) {
      s.conn.dispose();
      s.proc.kill('SIGKILL');
    }
    await proxy?.close();
    redis?.kill('SIGKILL');
    if (ws) rmSync(ws, { recursive: true, force: true });
  });

  it('the leak search finds every form of the password (positive control)', () => {
    for (const f of forms(PASSWORD)) expect(leaksIn(`x ${f} y`)).not.toEqual([]);
    expect(leaksIn(`x ${url()} y`)).not.toEqual([]);
    expect(leaksIn('redis://***@127.0.0.1:1')).toEqual([]);
  });

  it('refuses connectStore while the client says the workspace is untrusted: no TCP connection reaches Redis; connects once trust is granted', async () => {
    const s = await startServer({ settings: {}, workspaceTrusted: false });
    const before = connectionsReceived();
    const refused = await call<{ ok: boolean; error?: string }>(s, ConnectStoreRequest.type, { url: url(), keyPrefix: 'sec' });
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatch(/not trusted/);
    const invalidate = await call<{ ok: boolean; error?: string }>(s, InvalidateTagRequest.type, { tags: ['t'], mode: 'expire' });
    expect(invalidate.ok).toBe(false);
    await sleep(500);
    expect(proxy.accepts).toBe(0);
    expect(connectionsReceived()).toBe(before + 1); // + the INFO call itself (redis-cli)
    // Trust granted (tagscope/workspaceTrusted): the same request now connects.
    await s.conn.sendNotification(WorkspaceTrustedNotification.type.method);
    const ok = await call<{ ok: boolean; error?: string }>(s, ConnectStoreRequest.type, { url: url(), keyPrefix: 'sec' });
    expect(ok).toEqual({ ok: true });
    expect(proxy.accepts).toBeGreaterThan(0);
    expect(await call(s, InvalidateTagRequest.type, { tags: ['t'], mode: 'expire' })).toEqual({ ok: true });
    await call(s, DisconnectStoreRequest.type);
    expect(leaksIn(s.transcript.join('\n'))).toEqual([]);
  });

  it('a client that says nothing about trust (another editor over --stdio) is not gated', async () => {
    const s = await startServer({ settings: {} });
    expect(await call(s, ConnectStoreRequest.type, { url: url(), keyPrefix: 'sec' })).toEqual({ ok: true });
    await call(s, DisconnectStoreRequest.type);
  });

  it('error paths never echo the password: wrong password, unreachable port, malformed URLs, a cluster list, a hostile Redis, Redis killed and back', async () => {
    const s = servers[1];
    const errors: string[] = [];
    const connect = async (u: string, on = s) => {
      const r = await call<{ ok: boolean; error?: string }>(on, ConnectStoreRequest.type, { url: u, keyPrefix: 'sec' });
      if (!r.ok) errors.push(r.error ?? '');
      return r;
    };
    const closed = await freePort();
    // The slow failures (the handler retries for its timeout) run in parallel, one server each:
    // AUTH failure; an unreachable port with user:password; a raw space; a two-node cluster list.
    const slow = [
      url(WRONG),
      `redis://user:${enc(PASSWORD)}@127.0.0.1:${closed}`,
      `redis://:${PASSWORD}@127.0.0.1:${closed}`,
      `redis+cluster://:${enc(WRONG)}@127.0.0.1:${closed},:${enc(PASSWORD)}@127.0.0.1:${closed}`,
    ];
    const extra = await Promise.all(slow.map(() => startServer({ settings: {}, workspaceTrusted: true })));
    const results = await Promise.all(slow.map((u, i) => connect(u, extra[i])));
    expect(results.map((r) => r.ok)).toEqual([false, false, false, false]);
    // Malformed: an unparsable database, a lone %.
    expect((await connect(`${url()}/notanumber`)).ok).toBe(false);
    expect((await connect(`redis://:%zz${enc(PASSWORD)}@127.0.0.1:${proxy.port}`)).ok).toBe(false);
    expect(errors.length).toBe(6);
    for (const e of errors) expect(e).toMatch(/cannot connect to Redis at redis(\+cluster)?:\/\/\*\*\*@127\.0\.0\.1:\d+/);
    // A '/' left unencoded in the password: a URL parser takes part of it for the host and port
    // (redis://:4242/x@h reads as host '', port 4242). Refused before any socket, nothing echoed.
    const acceptsBefore = proxy.accepts;
    for (const u of [`redis://:${PASSWORD}/x@127.0.0.1:${proxy.port}`, `redis://default:4242/${enc(PASSWORD)}@127.0.0.1:${proxy.port}`]) {
      const r = await call<{ ok: boolean; error?: string }>(s, ConnectStoreRequest.type, { url: u, keyPrefix: 'sec' });
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(/Percent-encode/);
      expect(r.error).not.toMatch(/4242|127\.0\.0\.1/);
    }
    expect(proxy.accepts).toBe(acceptsBefore);

    // Connected; then a hostile Redis answers with HTML and the password in its error text.
    expect(await connect(url())).toEqual({ ok: true });
    proxy.arm(`<img src=x onerror=alert(1)>[x](command:workbench.action.terminal.new) bad auth ${PASSWORD} ${enc(PASSWORD)}`);
    const hostile = await call<{ ok: boolean; error?: string }>(s, InvalidateTagRequest.type, { tags: ['t'], mode: 'expire' });
    proxy.disarm();
    expect(hostile.ok).toBe(false);
    // The Redis error reaches the user (as text, the client's job) with the password redacted.
    expect(hostile.error).toContain('<img src=x onerror=alert(1)>');
    expect(hostile.error).toContain('bad auth ***');

    // Redis killed while connected: invalidations fail cleanly; started again: they work again.
    redis!.kill('SIGKILL');
    await new Promise((r) => redis!.once('exit', r));
    const down = await call<{ ok: boolean; error?: string }>(s, InvalidateTagRequest.type, { tags: ['t'], mode: 'expire' });
    expect(down.ok).toBe(false);
    await startRedis();
    let back: { ok: boolean; error?: string } = { ok: false };
    for (let i = 0; i < 40 && !back.ok; i++) {
      back = await call(s, InvalidateTagRequest.type, { tags: ['t'], mode: 'expire' });
      if (!back.ok) await sleep(250);
    }
    expect(back).toEqual({ ok: true });
    await call(s, DisconnectStoreRequest.type);
    await sleep(300);

    const everything = servers.map((x) => x.transcript.join('\n')).join('\n');
    expect(everything).toMatch(/tagscope\/status/); // the transcript does hold the server's messages
    expect(leaksIn(everything)).toEqual([]);
  });
});
