// Protocol robustness cases against `node dist/server.js --stdio`, shared by the CI test
// (test/fuzz/protocol.test.ts) and the report. Each case sends bad or out-of-order input; after
// each, the server must still be alive, answer a hover on a good file exactly as before, and keep
// the diagnostics of that file. Requests must be answered (result or JSON-RPC error), never dropped.
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tempCopy } from './campaign';
import { FIXTURES, int, rng } from './fuzzer';
import { RawClient, type RpcMessage } from './rawClient';

export interface ProtocolStats {
  cases: number;
  requests: number;
  failures: string[];
  /** Time to answer every request of the cancellation storm, and the hover after it. */
  stormMs: number;
  stormRequests: number;
  stormCancelledAnswers: number;
  maxHealthMs: number;
}

const GOOD = { rel: 'app/api/webhook/route.ts', needle: 'TAGS.comments, ' };
const ANSWER_MS = 20_000;

interface Ctx {
  client: RawClient;
  dir: string;
  u: (rel: string) => string;
  tagPos: { line: number; character: number };
  /** Expects an answer to request `id`: any result or a JSON-RPC error object. */
  answered: (id: number | string, what: string, check?: (m: RpcMessage) => string | undefined) => Promise<RpcMessage | undefined>;
  fail: (what: string) => void;
}

type Case = { name: string; run: (c: Ctx) => Promise<void> };

const methodsWithPosition = ['textDocument/hover', 'textDocument/definition', 'textDocument/references', 'textDocument/completion', 'textDocument/prepareRename', 'textDocument/rename'];
const otherMethods = ['textDocument/codeAction', 'textDocument/documentSymbol', 'workspace/symbol', 'tagscope/inventory', 'tagscope/tagAt', 'tagscope/invalidateTag', 'tagscope/invalidatePath', 'tagscope/storeStates', 'tagscope/disconnectStore'];

/** Params of every wrong shape and type, including positions out of range and negative. */
function badParams(good: string): unknown[] {
  const td = { uri: good };
  return [
    null,
    42,
    'text',
    [],
    [1, 2, 3],
    {},
    { textDocument: null },
    { textDocument: { uri: 42 }, position: { line: 'a', character: {} } },
    { textDocument: td },
    { textDocument: td, position: null },
    { textDocument: td, position: { line: -1, character: -1 } },
    { textDocument: td, position: { line: -2147483648, character: 2147483647 } },
    { textDocument: td, position: { line: 1e9, character: 1e9 } },
    { textDocument: td, position: { line: 1.5, character: 0.25 } },
    { textDocument: td, position: { line: 3, character: 10 }, context: null, newName: 42, range: 'x', query: {} },
    { textDocument: td, range: { start: { line: 9, character: 0 }, end: { line: 0, character: 0 } }, context: { diagnostics: [null, 1, { range: null }] } },
    { uri: good, line: -1, character: 'x', tags: [null, 1, ''], mode: 'nope', path: 42, type: 'x' },
    { tags: Array.from({ length: 5000 }, (_, i) => 't' + i), mode: 'nope' },
  ];
}

function cases(): Case[] {
  const list: Case[] = [];
  const add = (name: string, run: Case['run']) => list.push({ name, run });

  // ---- malformed JSON-RPC
  add('bad JSON with an id gets a parse error', async (c) => {
    c.client.writeBody('{"jsonrpc":"2.0","id":"bad-1","method":"textDocument/hover",');
    await c.answered('bad-1', 'parse error', (m) => (m.error?.code === -32700 ? undefined : `expected -32700, got ${JSON.stringify(m)}`));
  });
  add('bad JSON without an id, empty and whitespace bodies', async (c) => {
    for (const b of ['{{{', '', '   ', '\u0000\u0001', 'null', '42', '"x"', '[]', 'true', '{"jsonrpc":"2.0"}']) c.client.writeBody(b);
  });
  add('batch arrays and non-string methods', async (c) => {
    c.client.writeBody(JSON.stringify([{ jsonrpc: '2.0', id: 'batch-1', method: 'textDocument/hover', params: {} }]));
    c.client.writeBody(JSON.stringify({ jsonrpc: '2.0', id: 'm-1', method: 5 }));
    await c.answered('m-1', 'non-string method', (m) => (m.error?.code === -32600 ? undefined : `expected -32600, got ${JSON.stringify(m)}`));
  });
  add('invalid UTF-8 and NUL bytes inside a body', async (c) => {
    c.client.writeBody(Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":"u8-1","method":"workspace/symbol","params":{"query":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0]), Buffer.from('"}}')]));
    await c.answered('u8-1', 'invalid UTF-8 query');
  });
  // ---- bad headers
  add('Content-Length not a number', async (c) => c.client.writeRaw('Content-Length: abc\r\n\r\n{}'));
  add('no Content-Length', async (c) => c.client.writeRaw('Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{"jsonrpc":"2.0","method":"x"}'));
  add('negative and huge Content-Length', async (c) => {
    c.client.writeRaw('Content-Length: -5\r\n\r\n{}');
    c.client.writeRaw('Content-Length: 99999999999999999999\r\n\r\n{}');
  });
  add('header garbage lines, lowercase key, odd spacing', async (c) => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 'hdr-1', method: 'workspace/symbol', params: { query: '' } });
    c.client.writeRaw(`X-Junk\r\ncontent-length:${Buffer.byteLength(body)}   \r\n\r\n${body}`);
    await c.answered('hdr-1', 'lowercase header');
  });
  add('LF-only header separator', async (c) => c.client.writeRaw('Content-Length: 2\n\n{}'));
  add('Content-Length shorter than the body', async (c) => c.client.writeRaw('Content-Length: 10\r\n\r\n{"jsonrpc":"2.0","id":"short-1","method":"workspace/symbol","params":{"query":""}}'));
  add('Content-Length longer than the body (filled by later bytes)', async (c) => {
    c.client.writeRaw('Content-Length: 300\r\n\r\n{"jsonrpc":"2.0","id":"long-1","method":"workspace/symbol","params":{"query":""}}');
    c.client.writeRaw(' '.repeat(300));
  });
  add('Content-Length longer than the body, then the next message: both answered, nothing swallowed', async (c) => {
    const sym = (id: string) => JSON.stringify({ jsonrpc: '2.0', id, method: 'workspace/symbol', params: { query: '' } });
    // Still waiting for 300 bytes when the next header arrives: the body ends there.
    c.client.writeRaw(`Content-Length: 300\r\n\r\n${sym('over-1')}`);
    await new Promise((r) => setTimeout(r, 20));
    c.client.writeBody(sym('after-1'));
    // The declared length runs into the next message: the body still ends at its header.
    const second = sym('after-2');
    c.client.writeRaw(`Content-Length: ${Buffer.byteLength(sym('over-2')) + 20}\r\n\r\n${sym('over-2')}Content-Length: ${Buffer.byteLength(second)}\r\n\r\n${second}`);
    const ok = (m: RpcMessage) => (m.error?.code === -32700 || m.error?.code === -32600 ? `read as malformed: ${JSON.stringify(m)}` : undefined);
    for (const id of ['over-1', 'after-1', 'over-2', 'after-2']) await c.answered(id, 'over-long Content-Length', ok);
  });
  add('random binary between messages', async (c) => {
    const r = rng(7);
    c.client.writeRaw(Buffer.from(Array.from({ length: 20_000 }, () => int(r, 256))));
    c.client.writeRaw('\r\n\r\n');
  });
  add('a message split into single bytes', async (c) => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 'split-1', method: 'textDocument/hover', params: { textDocument: { uri: c.u(GOOD.rel) }, position: c.tagPos } });
    const frame = Buffer.from(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    for (let i = 0; i < frame.length; i += 1 + (i % 7)) {
      c.client.writeRaw(frame.subarray(i, i + 1 + (i % 7)));
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await c.answered('split-1', 'split message', (m) => (JSON.stringify(m.result ?? '').includes('Cache tag') ? undefined : `no hover: ${JSON.stringify(m)}`));
  });
  // ---- unknown methods and wrong shapes
  add('unknown request and notification methods', async (c) => {
    c.client.notify('foo/bar', { x: 1 });
    c.client.notify('$/unknownNotification');
    const a = c.client.request('foo/bar', { x: 1 });
    const b = c.client.request('$/unknownRequest');
    const d = c.client.request('textDocument/semanticTokens/full', { textDocument: { uri: c.u(GOOD.rel) } });
    for (const id of [a, b, d]) await c.answered(id, 'unknown method', (m) => (m.error ? undefined : `expected an error, got ${JSON.stringify(m)}`));
  });
  for (const method of [...methodsWithPosition, ...otherMethods]) {
    add(`wrong param shapes: ${method}`, async (c) => {
      const ids: Array<number | string> = [];
      for (const p of badParams(c.u(GOOD.rel))) ids.push(c.client.request(method, p));
      ids.push(c.client.request(method)); // no params at all
      for (const id of ids) await c.answered(id, `${method} with bad params`);
    });
  }
  add('notifications with wrong shapes', async (c) => {
    const good = c.u(GOOD.rel);
    for (const m of ['textDocument/didOpen', 'textDocument/didChange', 'textDocument/didClose', 'textDocument/didSave', 'workspace/didChangeWatchedFiles', 'workspace/didChangeWorkspaceFolders', 'workspace/didChangeConfiguration', '$/setTrace', '$/cancelRequest', 'initialized', 'exit-not']) {
      for (const p of [null, 42, 'x', [], {}, { textDocument: null, changes: null, event: null, settings: null, value: 42, id: null }, { textDocument: { uri: 42, text: 7, version: 'v' }, contentChanges: null, changes: [null, 1, { uri: 5, type: 'x' }], event: { added: 42, removed: [null] } }]) c.client.notify(m, p);
    }
    // didChange with ranges out of range, negative and reversed, on an opened copy of a good file
    const scratch = c.u('lib/scratch-proto.ts');
    c.client.notify('textDocument/didOpen', { textDocument: { uri: scratch, languageId: 'typescript', version: 1, text: "import { cacheTag } from 'next/cache';\n" } });
    for (const range of [{ start: { line: -1, character: -5 }, end: { line: 0, character: 0 } }, { start: { line: 99, character: 0 }, end: { line: 1, character: 0 } }, { start: { line: 0, character: 1e9 }, end: { line: 1e9, character: 0 } }, null]) {
      c.client.notify('textDocument/didChange', { textDocument: { uri: scratch, version: 2 }, contentChanges: [{ range, text: "cacheTag('x')" }] });
    }
    c.client.notify('textDocument/didClose', { textDocument: { uri: scratch } });
    c.client.notify('textDocument/didClose', { textDocument: { uri: scratch } }); // twice
    c.client.notify('textDocument/didChange', { textDocument: { uri: c.u('lib/never-opened.ts'), version: 3 }, contentChanges: [{ text: 'x' }] });
  });
  add('settings of the wrong type are ignored', async (c) => {
    c.client.notify('workspace/didChangeConfiguration', { settings: { tagscope: { rules: 42, maxFiles: 'x', maxFileSizeKb: null, refreshIntervalMs: {} } } });
    c.client.notify('workspace/didChangeConfiguration', { settings: { tagscope: { rules: { 'undeclared-tag': 42, nope: 'error' } } } });
  });
  add('out-of-range settings are clamped, then restored', async (c) => {
    c.client.notify('workspace/didChangeConfiguration', { settings: { tagscope: { maxFiles: -1, maxFileSizeKb: 0 } } });
    await c.answered(c.client.request('workspace/symbol', { query: '' }), 'after out-of-range settings');
    c.client.notify('workspace/didChangeConfiguration', { settings: { tagscope: {} } });
  });
  add('workspace folders added and removed with junk and missing paths', async (c) => {
    c.client.notify('workspace/didChangeWorkspaceFolders', { event: { added: [{ uri: 'file://remote-host/share', name: 'x' }, { uri: pathToFileURL(join(c.dir, 'no-such-folder')).toString(), name: 'y' }, { uri: 'untitled:x', name: 'z' }], removed: [] } });
    await c.answered(c.client.request('workspace/symbol', { query: '' }), 'after adding junk folders');
    c.client.notify('workspace/didChangeWorkspaceFolders', { event: { added: [], removed: [{ uri: 'file://remote-host/share', name: 'x' }, { uri: pathToFileURL(join(c.dir, 'no-such-folder')).toString(), name: 'y' }, { uri: 'untitled:x', name: 'z' }] } });
  });
  // ---- unknown files, other schemes, outside the workspace
  add('requests on unknown files, other schemes and outside the workspace', async (c) => {
    const uris = [c.u('lib/does-not-exist.ts'), 'untitled:Untitled-1', 'http://example.com/a.ts', 'file://remote-host/share/a.ts', 'file:///%E0%A4%A.ts', 'file:///etc/hostname', pathToFileURL(c.dir).toString(), 'file:///', 'file:', '', 'not a uri', 'vscode-notebook-cell:/x.ipynb#a'];
    const ids: Array<number | string> = [];
    for (const uri of uris) {
      c.client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version: 1, text: "import { revalidateTag } from 'next/cache';\nrevalidateTag('posts', 'max');\n" } });
      for (const m of methodsWithPosition) ids.push(c.client.request(m, { textDocument: { uri }, position: { line: 1, character: 16 }, newName: 'x', context: { includeDeclaration: true } }));
      ids.push(c.client.request('textDocument/documentSymbol', { textDocument: { uri } }));
      ids.push(c.client.request('textDocument/codeAction', { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } }, context: { diagnostics: [] } }));
      c.client.notify('textDocument/didClose', { textDocument: { uri } });
      c.client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri, type: 1 }, { uri, type: 2 }, { uri, type: 3 }] });
    }
    for (const id of ids) await c.answered(id, 'request on an unknown file');
  });
  return list;
}

async function health(c: Ctx, goodHover: string, goodDiags: string, stats: ProtocolStats, after: string): Promise<void> {
  for (const f of c.client.failures().slice(reported.get(c.client) ?? 0)) c.fail(`server log: ${f}`);
  reported.set(c.client, c.client.failures().length);
  const t0 = performance.now();
  const h = await c.client.call('textDocument/hover', { textDocument: { uri: c.u(GOOD.rel) }, position: c.tagPos }, ANSWER_MS);
  stats.maxHealthMs = Math.max(stats.maxHealthMs, performance.now() - t0);
  if (!h) return c.fail(`${c.client.exited ? `server exited (${JSON.stringify(c.client.exited)})` : 'no answer'} to a hover on a good file after "${after}"; stderr: ${c.client.stderr.slice(-1500)}`);
  if (JSON.stringify(h.result) !== goodHover) c.fail(`hover on a good file changed after "${after}": ${JSON.stringify(h).slice(0, 400)}`);
  const ok = await c.client.until(() => JSON.stringify(c.client.diagnostics.get(c.u(GOOD.rel)) ?? []) === goodDiags, ANSWER_MS);
  if (!ok) c.fail(`diagnostics of ${GOOD.rel} changed after "${after}": ${JSON.stringify(c.client.diagnostics.get(c.u(GOOD.rel))).slice(0, 400)}`);
}

const reported = new WeakMap<RawClient, number>();

function positionOf(text: string, needle: string): { line: number; character: number } {
  const before = text.slice(0, text.indexOf(needle) + 2).split('\n');
  return { line: before.length - 1, character: before[before.length - 1].length };
}

/** Cases on one running server, the lifecycle cases on their own servers, the storm and the deleted workspace. */
export async function runProtocolCases(o: { log?: (l: string) => void; stormSize?: number } = {}): Promise<ProtocolStats> {
  const stats: ProtocolStats = { cases: 0, requests: 0, failures: [], stormMs: 0, stormRequests: 0, stormCancelledAnswers: 0, maxHealthMs: 0 };
  const fail = (what: string) => {
    stats.failures.push(what);
    o.log?.(`FAIL ${what}`);
  };
  const { dir, dispose } = tempCopy('contexts');
  const u = (rel: string) => pathToFileURL(join(dir, rel)).toString();
  const tagPos = positionOf(readFileSync(join(dir, GOOD.rel), 'utf8'), GOOD.needle);
  const makeCtx = (client: RawClient, label: () => string): Ctx => ({
    client,
    dir,
    u,
    tagPos,
    fail: (w) => fail(`[${label()}] ${w}`),
    answered: async (id, what, check) => {
      stats.requests++;
      const m = await client.until(() => client.responseTo(id), ANSWER_MS);
      if (!m) {
        fail(`[${label()}] ${what}: request ${JSON.stringify(id)} not answered (${client.exited ? 'server exited' : 'timeout'})`);
        return undefined;
      }
      const problem = check?.(m);
      if (problem) fail(`[${label()}] ${what}: ${problem}`);
      return m;
    },
  });
  try {
    // ---- lifecycle on fresh servers
    {
      stats.cases++;
      const client = new RawClient();
      const ctx = makeCtx(client, () => 'requests before initialize');
      try {
        for (const m of ['textDocument/hover', 'textDocument/references', 'workspace/symbol', 'tagscope/inventory']) {
          await ctx.answered(client.request(m, { textDocument: { uri: u(GOOD.rel) }, position: tagPos, context: { includeDeclaration: true }, query: '' }), `${m} before initialize`, (r) => (r.error?.code === -32002 ? undefined : `expected -32002 ServerNotInitialized, got ${JSON.stringify(r).slice(0, 200)}`));
        }
        client.notify('textDocument/didOpen', { textDocument: { uri: u(GOOD.rel), languageId: 'typescript', version: 1, text: readFileSync(join(dir, GOOD.rel), 'utf8') } });
        if (!(await client.initialize(dir))) ctx.fail('initialize failed after early requests');
        else {
          const h = await ctx.answered(client.request('textDocument/hover', { textDocument: { uri: u(GOOD.rel) }, position: tagPos }), 'hover after initialize');
          if (h && !JSON.stringify(h.result ?? '').includes('Cache tag')) ctx.fail(`no hover after a late initialize: ${JSON.stringify(h).slice(0, 200)}`);
          await ctx.answered(client.request('initialize', { processId: null, rootUri: null, capabilities: {} }), 'second initialize', (r) => (r.error ? undefined : 'a second initialize was accepted'));
          const h2 = await ctx.answered(client.request('textDocument/hover', { textDocument: { uri: u(GOOD.rel) }, position: tagPos }), 'hover after a second initialize');
          if (h2 && !JSON.stringify(h2.result ?? '').includes('Cache tag')) ctx.fail('a second initialize broke the index');
        }
        for (const f of client.failures()) ctx.fail(`server log: ${f}`);
      } finally {
        client.kill();
      }
    }
    {
      stats.cases++;
      const client = new RawClient();
      const ctx = makeCtx(client, () => 'requests after shutdown');
      try {
        if (!(await client.initialize(dir))) ctx.fail('initialize failed');
        await ctx.answered(client.request('shutdown'), 'shutdown', (r) => (r.error ? `shutdown failed: ${JSON.stringify(r.error)}` : undefined));
        await ctx.answered(client.request('textDocument/hover', { textDocument: { uri: u(GOOD.rel) }, position: tagPos }), 'hover after shutdown', (r) => (r.error?.code === -32600 ? undefined : `expected -32600, got ${JSON.stringify(r).slice(0, 200)}`));
        await ctx.answered(client.request('shutdown'), 'second shutdown');
        client.notify('textDocument/didOpen', { textDocument: { uri: u('lib/x.ts'), languageId: 'typescript', version: 1, text: 'x' } });
        client.notify('exit');
        const exited = await client.until(() => client.exited, ANSWER_MS);
        if (!exited || exited.code !== 0) ctx.fail(`exit after shutdown: ${JSON.stringify(exited)}`);
        for (const f of client.failures()) ctx.fail(`server log: ${f}`);
      } finally {
        client.kill();
      }
    }

    // ---- everything else on one server
    const client = new RawClient();
    let current = 'initialize';
    const ctx = makeCtx(client, () => current);
    try {
      if (!(await client.initialize(dir))) throw new Error(`server did not initialize: ${client.stderr}`);
      const first = await client.call('textDocument/hover', { textDocument: { uri: u(GOOD.rel) }, position: tagPos }, ANSWER_MS);
      const goodHover = JSON.stringify(first?.result);
      const goodDiags = JSON.stringify(client.diagnostics.get(u(GOOD.rel)) ?? []);
      if (!goodHover.includes('Cache tag') || goodDiags === '[]') throw new Error(`no baseline: ${goodHover} ${goodDiags}`);
      const baseline = new Map([...client.diagnostics].map(([k, v]) => [k, JSON.stringify(v)]));
      for (const c of cases()) {
        current = c.name;
        stats.cases++;
        try {
          await c.run(ctx);
        } catch (e) {
          ctx.fail(`case threw: ${(e as Error).stack}`);
        }
        await health(ctx, goodHover, goodDiags, stats, c.name);
        if (client.exited) break;
      }

      // ---- cancellation storm: every request cancelled right away, plus cancels for ids never used
      current = 'cancellation storm';
      stats.cases++;
      const n = o.stormSize ?? 300;
      // A heavy workspace: 10,000 declared and invalidated tags make every references/symbol answer costly.
      const heavy = join(dir, 'lib/storm-tags.ts');
      writeFileSync(heavy, `import { cacheTag, revalidateTag } from 'next/cache';\nexport const STORM = [${Array.from({ length: 10_000 }, (_, i) => `'storm-${i}'`).join(', ')}];\nexport async function load() { 'use cache'; cacheTag(...STORM); }\nexport async function act() { 'use server'; for (const t of STORM) revalidateTag(t, 'max'); }\n`);
      client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: u('lib/storm-tags.ts'), type: 1 }] });
      await ctx.answered(client.request('workspace/symbol', { query: 'storm-9999' }), 'heavy workspace ready');
      const stormPos = { textDocument: { uri: u('lib/storm-tags.ts') }, position: { line: 1, character: 18 } };
      const t0 = performance.now();
      const ids: number[] = [];
      const methods = ['textDocument/references', 'workspace/symbol', 'textDocument/hover', 'tagscope/inventory', 'textDocument/definition', 'textDocument/documentSymbol'];
      for (let i = 0; i < n; i++) {
        const m = methods[i % methods.length];
        const id = client.request(m, { ...stormPos, context: { includeDeclaration: true }, query: '' }) as number;
        ids.push(id);
        if (i % 3 !== 2) client.notify('$/cancelRequest', { id });
      }
      for (const id of ids) client.notify('$/cancelRequest', { id }); // again, after the fact
      for (let i = 0; i < n; i++) client.notify('$/cancelRequest', { id: pick3<number | string | null>(i, 10_000_000 + i, `nope-${i}`, null) });
      for (const id of ids) {
        const m = await ctx.answered(id, 'storm request');
        if (m?.error?.code === -32800) stats.stormCancelledAnswers++;
        else if (m?.error) ctx.fail(`storm request ${id} answered ${JSON.stringify(m.error)}`);
      }
      stats.stormMs = performance.now() - t0;
      stats.stormRequests = n;
      rmSync(heavy, { force: true });
      client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: u('lib/storm-tags.ts'), type: 3 }] });
      const dup = new Set<unknown>();
      for (const m of client.messages) if (m.method === undefined && ids.includes(m.id as number)) {
        if (dup.has(m.id)) ctx.fail(`request ${m.id} answered twice`);
        dup.add(m.id);
      }
      await health(ctx, goodHover, goodDiags, stats, current);

      // ---- the workspace folder deleted under the running server, then recreated
      current = 'workspace deleted';
      stats.cases++;
      const files = readAll(dir);
      rmSync(dir, { recursive: true, force: true });
      client.notify('workspace/didChangeWatchedFiles', { changes: [...files.map((f) => ({ uri: u(f), type: 3 })), { uri: pathToFileURL(dir).toString(), type: 3 }] });
      const gone: Array<number | string> = [];
      for (const m of methodsWithPosition) gone.push(client.request(m, { textDocument: { uri: u(GOOD.rel) }, position: tagPos, newName: 'x', context: { includeDeclaration: true } }));
      gone.push(client.request('workspace/symbol', { query: '' }), client.request('tagscope/inventory', {}), client.request('textDocument/documentSymbol', { textDocument: { uri: u('lib/tags.ts') } }));
      client.notify('textDocument/didOpen', { textDocument: { uri: u('lib/ghost.ts'), languageId: 'typescript', version: 1, text: "import { cacheTag } from 'next/cache';\n" } });
      for (const id of gone) await ctx.answered(id, 'request in a deleted workspace');
      const cleared = await client.until(() => [...client.diagnostics.values()].every((d) => d.length === 0), ANSWER_MS);
      if (!cleared) ctx.fail(`diagnostics of deleted files not cleared: ${[...client.diagnostics].filter(([, d]) => d.length).map(([k]) => k).join(', ')}`);
      client.notify('textDocument/didClose', { textDocument: { uri: u('lib/ghost.ts') } });
      current = 'workspace recreated';
      stats.cases++;
      mkdirSync(dir, { recursive: true });
      cpSync(join(FIXTURES, 'contexts'), dir, { recursive: true });
      client.notify('workspace/didChangeWatchedFiles', { changes: files.map((f) => ({ uri: u(f), type: 1 })) });
      const back = await client.until(() => [...baseline].every(([k, v]) => JSON.stringify(client.diagnostics.get(k) ?? []) === v), ANSWER_MS);
      if (!back) ctx.fail(`diagnostics not back after the workspace was recreated: ${[...baseline].filter(([k, v]) => JSON.stringify(client.diagnostics.get(k) ?? []) !== v).map(([k]) => k).join(', ')}`);
      await health(ctx, goodHover, goodDiags, stats, current);
    } finally {
      client.kill();
    }
  } finally {
    dispose();
  }
  return stats;
}

function pick3<T>(i: number, ...xs: T[]): T {
  return xs[i % xs.length];
}

function readAll(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), rel + e.name + '/');
      else out.push(rel + e.name);
    }
  };
  walk(dir, '');
  return out;
}

