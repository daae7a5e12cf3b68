// Language-server benchmark: initial index time and edit → updated diagnostics latency
// (p50/p95) on a synthetic 5,000-file workspace, through the real server over stdio.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-languageserver-protocol/node';
import { generateWorkspace } from './synthetic.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const SERVER = resolve(here, '../../dist/server.js');
const FILES = Number(process.env.LSP_BENCH_FILES ?? 5000);
const EDITS = 2 * Math.ceil(Number(process.env.LSP_BENCH_EDITS ?? 60) / 2); // even: each run ends where it began

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

export async function benchLsp() {
  const dir = join(here, 'work', `lsp-${FILES}`);
  const tagFiles = generateWorkspace(dir, FILES, 7);
  const proc = spawn(process.execPath, [...(process.env.LSP_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const conn = createProtocolConnection(new StreamMessageReader(proc.stdout), new StreamMessageWriter(proc.stdin));
  const waiters = new Map();
  conn.onNotification('textDocument/publishDiagnostics', (p) => {
    const w = waiters.get(p.uri);
    if (w && w.test(p.diagnostics)) {
      waiters.delete(p.uri);
      w.resolve(performance.now());
    }
  });
  let ready;
  const readyP = new Promise((r) => (ready = r));
  conn.onNotification('tagscope/status', (s) => s.state === 'ready' && ready(performance.now()));
  conn.onRequest('client/registerCapability', () => null);
  conn.listen();
  const waitFor = (uri, test) => new Promise((resolve) => waiters.set(uri, { test, resolve }));

  const t0 = performance.now();
  await conn.sendRequest('initialize', { processId: process.pid, rootUri: pathToFileURL(dir).toString(), workspaceFolders: [{ uri: pathToFileURL(dir).toString(), name: 'bench' }], capabilities: {} });
  await conn.sendNotification('initialized', {});
  const tReady = await readyP;
  const indexMs = tReady - t0;

  // Same-file edits: toggle an undeclared tag in a Server Action file.
  const action = tagFiles.find((f) => f.includes('actions-'));
  const file = join(dir, action);
  const uri = pathToFileURL(file).toString();
  const base = readFileSync(file, 'utf8');
  const bad = base.replace("revalidateTag(TAGS.", "revalidateTag('no-such-tag', 'max');\n  revalidateTag(TAGS.");
  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version: 1, text: base } });
  const same = [];
  for (let v = 2; v < EDITS + 2; v++) {
    const withBad = v % 2 === 0;
    const p = waitFor(uri, (d) => d.some((x) => x.code === 'undeclared-tag') === withBad);
    const start = performance.now();
    await conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: v }, contentChanges: [{ text: withBad ? bad : base }] });
    same.push((await p) - start);
  }
  // Baseline in the same run: a request the server answers without analysis (hover outside
  // any tag) — JSON-RPC, scheduling and machine noise, which the edit latency also pays.
  const baseline = [];
  for (let i = 0; i < EDITS; i++) {
    const start = performance.now();
    await conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 0 } });
    baseline.push(performance.now() - start);
  }
  // Cross-file edits: declaring the tag in a data module clears the diagnostic in the action file.
  const data = join(dir, tagFiles.find((f) => f.startsWith('lib/data/')));
  const dataUri = pathToFileURL(data).toString();
  const dataBase = readFileSync(data, 'utf8');
  const dataWith = dataBase.replace('cacheLife(', "cacheTag('no-such-tag');\n  cacheLife(");
  await conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: 1000 }, contentChanges: [{ text: bad }] });
  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri: dataUri, languageId: 'typescript', version: 1, text: dataBase } });
  const cross = [];
  for (let v = 2; v < EDITS / 2 + 2; v++) {
    const declared = v % 2 === 0;
    const p = waitFor(uri, (d) => d.some((x) => x.code === 'undeclared-tag') !== declared);
    const start = performance.now();
    await conn.sendNotification('textDocument/didChange', { textDocument: { uri: dataUri, version: v }, contentChanges: [{ text: declared ? dataWith : dataBase }] });
    cross.push((await p) - start);
  }
  await conn.sendRequest('shutdown');
  await conn.sendNotification('exit');
  await new Promise((r) => {
    proc.once('exit', r);
    setTimeout(r, 3000);
  });
  conn.dispose();
  proc.kill();
  return { files: FILES, indexMs, same, cross, baseline };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchLsp();
  const f = (x) => x.toFixed(1).padStart(7);
  console.log(`\nLanguage server, ${r.files} files (synthetic, ~5% touching tags)`);
  console.log(`  initial index to 'ready'          ${f(r.indexMs)} ms`);
  console.log(`  edit → diagnostics, same file     p50 ${f(pct(r.same, 50))} ms   p95 ${f(pct(r.same, 95))} ms   (n=${r.same.length}, target p95 ≤ 50)`);
  console.log(`  edit → diagnostics, other file    p50 ${f(pct(r.cross, 50))} ms   p95 ${f(pct(r.cross, 95))} ms   (n=${r.cross.length})`);
  console.log(`  baseline: no-op request round trip p50 ${f(pct(r.baseline, 50))} ms   p95 ${f(pct(r.baseline, 95))} ms   (same run)`);
  console.log(`  load average at the end: ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')} on ${(await import('node:os')).cpus().length} CPUs`);
}
