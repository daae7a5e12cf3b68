import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export const SHARED_REDIS = 'redis://127.0.0.1:6379';

export function randomPrefix(name = 't'): string {
  return `tstest-${name}-${randomBytes(5).toString('hex')}`;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export function bodyStream(s: string | Uint8Array): ReadableStream<Uint8Array> {
  const bytes = typeof s === 'string' ? new TextEncoder().encode(s) : s;
  return new ReadableStream({
    start(c) {
      c.enqueue(bytes);
      c.close();
    },
  });
}

export async function streamText(s: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(s).text();
}

export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** A redis-server this test owns (own port, no persistence), stoppable and restartable. */
export class OwnRedis {
  proc: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'tagscope-redis-'));
  constructor(
    readonly port: number,
    readonly extra: string[] = [],
  ) {}
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  static async start(extra: string[] = []): Promise<OwnRedis> {
    const r = new OwnRedis(await freePort(), extra);
    await r.start();
    return r;
  }
  async start(): Promise<void> {
    this.proc = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, '--enable-debug-command', 'local', ...this.extra],
      { stdio: 'ignore', detached: true },
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (await canConnect(this.port)) return;
      if (Date.now() > deadline) throw new Error('redis-server did not start');
      await sleep(50);
    }
  }
  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    await killProcess(p);
  }
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** SIGKILLs a child (group: its whole detached process group) and waits for it to exit; no-op if gone. */
export async function killProcess(p: ChildProcess | undefined, group = false): Promise<void> {
  if (!p?.pid || p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  try {
    process.kill(group ? -p.pid : p.pid, 'SIGKILL');
  } catch {
    return; // already gone
  }
  await exited;
}

export const killGroup = (p: ChildProcess | undefined) => killProcess(p, true);

export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.setTimeout(300);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
    s.connect(port, '127.0.0.1');
  });
}

/** Runs a redis command through redis-cli (for test setup and assertions). */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    execFile('redis-cli', ['-p', String(port), ...args], (err, stdout) => (err ? reject(err) : resolve(stdout.trim())));
  });
}

/** Deletes every key of a prefix on the shared Redis (never FLUSHALL). */
export async function cleanupPrefix(port: number, prefix: string): Promise<void> {
  for (const pattern of [`${prefix}:*`, `{${prefix}}:*`]) {
    const keys = (await redisCli(port, '--scan', '--pattern', pattern)).split('\n').filter(Boolean);
    for (let i = 0; i < keys.length; i += 200) await redisCli(port, 'DEL', ...keys.slice(i, i + 200));
  }
}
