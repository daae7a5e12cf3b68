// The fuzz and protocol campaigns, shared by the CI tests (small counts) and
// `node test/fuzz/report.mjs` (large counts, bundled on the fly into test/.artifacts).
// Each campaign returns figures and a list of failures; every failure names the seed, index
// and mutation so it can be reproduced with `makeCase(seed, index)`.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';
import { caseLabel, compareToBaseline, type Diag, FIXTURES, FUZZ_FIXTURES, int, KINDS, makeCase, pick, rng, ROOT, sourceFilesOf, tokens, type FuzzCase, type Kind } from './fuzzer';
import { RawClient, type RpcMessage } from './rawClient';

export const ARTIFACTS = join(ROOT, 'test/.artifacts');
export const WORKER_JS = join(ARTIFACTS, 'fuzz-core-worker.js');

/** Bundles the core worker (TypeScript) with esbuild, as scripts/bundles.mjs does for dist/. */
export async function buildWorker(): Promise<string> {
  const { build } = await import('esbuild');
  mkdirSync(ARTIFACTS, { recursive: true });
  await build({ entryPoints: [join(ROOT, 'test/fuzz/coreWorker.ts')], outfile: WORKER_JS, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning', absWorkingDir: ROOT });
  return WORKER_JS;
}

// ---- the analysis core ---------------------------------------------------------------------

interface CoreReply {
  id: number;
  ok: boolean;
  error?: string;
  perFile: Array<[string, number]>;
  rulesMs: number;
  totalMs: number;
  diagnostics: Diag[];
  newFacts: { declarations: number; invalidations: number };
  failedFiles: number;
  skipped: string[];
}

type CoreOutcome = { kind: 'ok'; reply: CoreReply; wallMs: number } | { kind: 'threw'; error: string } | { kind: 'crash'; detail: string } | { kind: 'hang'; afterMs: number };

/** The core in a child process: a hang is a timeout (the child is killed), a crash is an exit. */
export class CoreRunner {
  private proc?: ChildProcess;
  private pending?: { id: number; resolve: (o: CoreOutcome) => void };
  private nextId = 1;
  private stderr = '';

  constructor(private readonly workerJs: string = WORKER_JS) {}

  private start(): ChildProcess {
    const proc = spawn(process.execPath, [this.workerJs], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.stderr = '';
    proc.stderr!.on('data', (d) => (this.stderr = (this.stderr + d).slice(-4000)));
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      let reply: CoreReply;
      try {
        reply = JSON.parse(line);
      } catch {
        return;
      }
      const p = this.pending;
      if (p && p.id === reply.id) {
        this.pending = undefined;
        p.resolve(reply.ok ? { kind: 'ok', reply, wallMs: 0 } : { kind: 'threw', error: reply.error ?? '?' });
      }
    });
    proc.on('exit', (code, signal) => {
      if (this.proc === proc) this.proc = undefined;
      const p = this.pending;
      if (p) {
        this.pending = undefined;
        p.resolve({ kind: 'crash', detail: `worker exited (code ${code}, signal ${signal}); stderr: ${this.stderr.slice(-1500)}` });
      }
    });
    proc.stdin!.on('error', () => {});
    return proc;
  }

  analyze(root: string, newFiles: string[], timeoutMs: number): Promise<CoreOutcome> {
    const proc = (this.proc ??= this.start());
    const id = this.nextId++;
    const t0 = performance.now();
    return new Promise<CoreOutcome>((resolve) => {
      const timer = setTimeout(() => {
        if (this.pending?.id !== id) return;
        this.pending = undefined;
        proc.kill('SIGKILL');
        this.proc = undefined;
        resolve({ kind: 'hang', afterMs: timeoutMs });
      }, timeoutMs);
      this.pending = {
        id,
        resolve: (o) => {
          clearTimeout(timer);
          resolve(o.kind === 'ok' ? { ...o, wallMs: performance.now() - t0 } : o);
        },
      };
      proc.stdin!.write(JSON.stringify({ id, root, newFiles }) + '\n');
    });
  }

  close(): void {
    this.proc?.kill();
    this.proc = undefined;
  }
}

export interface AnalyzerStats {
  seed: number;
  cases: number;
  byKind: Record<string, number>;
  crashes: number;
  hangs: number;
  threw: number;
  oracleFailures: number;
  /** Diagnostics of unmutated files legitimately taken away by the new files (global matching). */
  excused: number;
  fileTimesMs: number[];
  caseTimesMs: number[];
  /** The slowest cases (whole app), for the report. */
  slowest: Array<{ ms: number; label: string }>;
  failures: string[];
}

export interface AnalyzerOptions {
  seed: number;
  count: number;
  /** A case (whole app: scan, every file, rules) slower than this is a hang. */
  caseTimeoutMs?: number;
  /** One file's facts slower than this is a failure. */
  fileBoundMs?: number;
  kinds?: readonly Kind[];
  fixtures?: readonly string[];
  /** Stop starting cases after this time (epoch ms); `cases` says how many ran. */
  deadline?: number;
  /** Exact cases to run instead of `count` generated ones (regressions: seed, index, fixture, kind). */
  pinned?: Array<{ seed: number; index: number; fixture: string; kind: Kind }>;
  /** Another build of the core worker (e.g. of an older commit), to check the suite finds its bugs. */
  workerJs?: string;
  log?: (line: string) => void;
}

/** Copies a fixture to a temp dir (deleted by the returned function). */
export function tempCopy(fixture: string): { dir: string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `tagscope-fuzz-${fixture}-`));
  cpSync(join(FIXTURES, fixture), dir, { recursive: true });
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function runAnalyzerCampaign(o: AnalyzerOptions): Promise<AnalyzerStats> {
  const caseTimeoutMs = o.caseTimeoutMs ?? 60_000;
  const fileBoundMs = o.fileBoundMs ?? 20_000;
  const kinds = o.kinds ?? KINDS;
  const fixtures = o.fixtures ?? FUZZ_FIXTURES;
  const stats: AnalyzerStats = { seed: o.seed, cases: 0, byKind: {}, crashes: 0, hangs: 0, threw: 0, oracleFailures: 0, excused: 0, fileTimesMs: [], caseTimesMs: [], slowest: [], failures: [] };
  const runner = new CoreRunner(o.workerJs);
  const apps = new Map<string, { dir: string; dispose: () => void; baseline: Diag[] }>();
  try {
    for (const f of new Set([...fixtures, ...(o.pinned ?? []).map((p) => p.fixture)])) {
      const { dir, dispose } = tempCopy(f);
      const out = await runner.analyze(dir, [], caseTimeoutMs);
      if (out.kind !== 'ok') throw new Error(`baseline of ${f} failed: ${JSON.stringify(out).slice(0, 2000)}`);
      apps.set(f, { dir, dispose, baseline: out.reply.diagnostics });
    }
    const total = o.pinned ? o.pinned.length : o.count;
    for (let i = 0; i < total; i++) {
      if (o.deadline && Date.now() > o.deadline) break;
      const p = o.pinned?.[i];
      const c = p ? makeCase(p.seed, p.index, p.fixture, p.kind) : makeCase(o.seed, i, fixtures[i % fixtures.length], kinds[i % kinds.length]);
      const app = apps.get(c.fixture)!;
      stats.cases++;
      stats.byKind[c.kind] = (stats.byKind[c.kind] ?? 0) + 1;
      const fail = (what: string) => {
        stats.failures.push(`${what}\n  case: ${caseLabel(c)}`);
        o.log?.(`FAIL ${what} — ${caseLabel(c)}`);
      };
      const written = writeCase(app.dir, c);
      try {
        const out = await runner.analyze(app.dir, c.files.map((f) => f.rel), caseTimeoutMs);
        if (out.kind === 'hang') {
          stats.hangs++;
          fail(`hang: no answer within ${caseTimeoutMs} ms`);
          continue;
        }
        if (out.kind === 'crash') {
          stats.crashes++;
          fail(`crash: ${out.detail}`);
          continue;
        }
        if (out.kind === 'threw') {
          stats.threw++;
          fail(`threw: ${out.error.slice(0, 1500)}`);
          continue;
        }
        const r = out.reply;
        stats.caseTimesMs.push(r.totalMs);
        stats.slowest.push({ ms: Math.round(r.totalMs), label: caseLabel(c) });
        stats.slowest = stats.slowest.sort((a, b) => b.ms - a.ms).slice(0, 5);
        for (const [file, ms] of r.perFile) {
          stats.fileTimesMs.push(ms);
          if (ms > fileBoundMs) fail(`slow: ${file} took ${Math.round(ms)} ms (bound ${fileBoundMs} ms)`);
        }
        // Unmutated files whose facts failed is a lost analysis; the new files may fail (counted, not fatal).
        const verdict = compareToBaseline(app.baseline, r.diagnostics, new Set(c.files.map((f) => f.rel)), r.newFacts, c.connected);
        stats.excused += verdict.excused;
        if (!verdict.ok) {
          stats.oracleFailures++;
          fail(`diagnostics of unmutated files changed:\n    ${verdict.problems.slice(0, 12).join('\n    ')}`);
        }
      } finally {
        for (const f of written) rmSync(f, { force: true });
      }
      if (o.log && (i + 1) % 25 === 0) o.log(`analyzer: ${i + 1}/${o.count} cases`);
    }
  } finally {
    runner.close();
    for (const a of apps.values()) a.dispose();
  }
  return stats;
}

function writeCase(dir: string, c: FuzzCase): string[] {
  const out: string[] = [];
  for (const f of c.files) {
    const full = join(dir, f.rel);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, f.data);
    out.push(full);
  }
  return out;
}

// ---- the language server over mutated buffers ---------------------------------------------------

export interface LspStats {
  seed: number;
  batches: number;
  requests: number;
  notifications: number;
  responseTimesMs: number[];
  /** The slowest answers, for the report. */
  slowest: Array<{ ms: number; label: string }>;
  failures: string[];
}

export interface LspOptions {
  seed: number;
  batches: number;
  requestsPerBatch?: number;
  /** A request not answered within this is a hang. */
  responseBoundMs?: number;
  fixture?: string;
  /** Stop starting batches after this time (epoch ms). */
  deadline?: number;
  log?: (line: string) => void;
}

const REQUESTS = ['textDocument/hover', 'textDocument/definition', 'textDocument/references', 'textDocument/completion', 'textDocument/prepareRename', 'textDocument/rename', 'textDocument/codeAction', 'textDocument/documentSymbol', 'workspace/symbol', 'tagscope/tagAt'] as const;

/** A position in a text: mostly inside it, sometimes past the end of a line or of the file. */
function randomPosition(r: () => number, text: string): { line: number; character: number } {
  const lines = text.split(/\r\n|\r|\n/);
  const line = r() < 0.9 ? int(r, lines.length) : lines.length + int(r, 5);
  const len = lines[line]?.length ?? 0;
  const character = r() < 0.9 ? int(r, len + 1) : len + int(r, 1000);
  return { line, character };
}

function requestParams(method: (typeof REQUESTS)[number], uri: string, text: string, r: () => number, published: unknown[]): unknown {
  const position = randomPosition(r, text);
  const textDocument = { uri };
  switch (method) {
    case 'textDocument/references':
      return { textDocument, position, context: { includeDeclaration: r() < 0.5 } };
    case 'textDocument/rename':
      return { textDocument, position, newName: pick(r, ['renamed', '', 'x'.repeat(300), "it's", '${x}', '\u0000']) };
    case 'textDocument/codeAction': {
      const end = randomPosition(r, text);
      return { textDocument, range: { start: position, end }, context: { diagnostics: published.length && r() < 0.7 ? published : [{ range: { start: position, end }, message: 'x', code: 'undeclared-tag' }] } };
    }
    case 'textDocument/documentSymbol':
      return { textDocument };
    case 'workspace/symbol':
      return { query: pick(r, ['', 'fz', 'post', '${', '.*']) };
    case 'tagscope/tagAt':
      return { uri, line: position.line, character: position.character };
    default:
      return { textDocument, position };
  }
}

/** The file whose diagnostics must never change, and a position on a tag in it (contexts fixture). */
const WATCHED = { rel: 'app/api/webhook/route.ts', needle: 'TAGS.comments, ' };

export async function runLspCampaign(o: LspOptions): Promise<LspStats> {
  const fixture = o.fixture ?? 'contexts';
  const bound = o.responseBoundMs ?? 30_000;
  const perBatch = o.requestsPerBatch ?? 12;
  const stats: LspStats = { seed: o.seed, batches: 0, requests: 0, notifications: 0, responseTimesMs: [], slowest: [], failures: [] };
  const { dir, dispose } = tempCopy(fixture);
  const client = new RawClient();
  const fail = (what: string) => {
    stats.failures.push(what);
    o.log?.(`FAIL ${what}`);
  };
  const u = (rel: string) => pathToFileURL(join(dir, rel)).toString();
  const timed = async (method: string, params: unknown, label: string): Promise<RpcMessage | undefined> => {
    const t0 = performance.now();
    const res = await client.call(method, params, bound);
    stats.requests++;
    if (!res) {
      fail(`${client.exited ? 'server exited' : `no answer within ${bound} ms`} to ${method} (${label}); stderr: ${client.stderr.slice(-1000)}`);
      return undefined;
    }
    const ms = performance.now() - t0;
    stats.responseTimesMs.push(ms);
    stats.slowest.push({ ms: Math.round(ms), label: `${method}: ${label}` });
    stats.slowest = stats.slowest.sort((a, b) => b.ms - a.ms).slice(0, 5);
    // A refused rename is a deliberate answer (code 0); an internal error is a bug.
    if (res.error && res.error.code !== 0) fail(`${method} answered error ${res.error.code} ${res.error.message} (${label})`);
    return res;
  };
  try {
    if (!(await client.initialize(dir))) throw new Error(`server did not initialize; stderr: ${client.stderr}`);
    const unmutated = sourceFilesOf(dir);
    const baseline = new Map(unmutated.map((rel) => [rel, JSON.stringify(client.diagnostics.get(u(rel)) ?? [])]));
    const watchedUri = u(WATCHED.rel);
    const watchedText = readFileSync(join(dir, WATCHED.rel), 'utf8');
    if (!(client.diagnostics.get(watchedUri) ?? []).length) throw new Error(`no baseline diagnostics on ${WATCHED.rel}`);
    const i0 = watchedText.indexOf(WATCHED.needle);
    const lines = watchedText.slice(0, i0 + 2).split('\n');
    const tagPos = { line: lines.length - 1, character: lines[lines.length - 1].length };
    const good = await timed('textDocument/hover', { textDocument: { uri: watchedUri }, position: tagPos }, 'baseline hover');
    const goodHover = JSON.stringify(good?.result);
    if (!goodHover.includes('Cache tag')) throw new Error(`baseline hover has no tag: ${goodHover}`);
    let version = 1;
    for (let b = 0; b < o.batches; b++) {
      if (o.deadline && Date.now() > o.deadline) break;
      const c = makeCase(o.seed, b, fixture);
      const label = caseLabel(c);
      const r = rng(c.seed ^ 0x5bd1e995);
      stats.batches++;
      const open: Array<{ uri: string; text: string; onDisk: boolean; opened: boolean; rel: string }> = [];
      for (const f of c.files) {
        // Mostly on disk (the server analyses the files it indexed; an editor opens files that
        // exist), sometimes only as a buffer; open buffers may then differ from the disk.
        const onDisk = r() < 0.85;
        // An editor decodes bytes as UTF-8 (invalid sequences become U+FFFD) or, for some files, as Latin-1.
        const text = r() < 0.8 ? f.data.toString('utf8') : f.data.toString('latin1');
        const uri = u(f.rel);
        if (onDisk) {
          const full = join(dir, f.rel);
          mkdirSync(dirname(full), { recursive: true });
          writeFileSync(full, f.data);
          client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri, type: 1 }] });
          stats.notifications++;
        }
        const opened = !onDisk || r() < 0.6;
        if (opened) {
          client.notify('textDocument/didOpen', { textDocument: { uri, languageId: f.rel.endsWith('x') ? 'typescriptreact' : 'typescript', version: version++, text } });
          stats.notifications++;
        }
        open.push({ uri, text, onDisk, opened, rel: f.rel });
      }
      for (let k = 0; k < perBatch; k++) {
        const doc = pick(r, open);
        const roll = r();
        if (roll < 0.25) {
          // Edit the buffer: a full replacement by a further mutation, or a ranged edit (possibly out of range).
          let next: string;
          if (r() < 0.5) {
            const toks = tokens(doc.text.length > 2_000_000 ? doc.text.slice(0, 2_000_000) : doc.text);
            const n = 1 + int(r, 5);
            for (let j = 0; j < n; j++) toks.splice(int(r, toks.length + 1), r() < 0.5 ? 1 : 0, pick(r, ['{', '}', '`', "'", '(', 'cacheTag(', '\n', '/*', '']));
            next = toks.join('');
            if (doc.opened) client.notify('textDocument/didChange', { textDocument: { uri: doc.uri, version: version++ }, contentChanges: [{ text: next }] });
            else {
              writeFileSync(join(dir, doc.rel), next);
              client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: doc.uri, type: 2 }] });
            }
          } else {
            const start = randomPosition(r, doc.text);
            const end = r() < 0.8 ? start : randomPosition(r, doc.text);
            const insert = pick(r, ['x', "'fz:e'", '\n', '(', '', '\r\n', '${', '<div>']);
            client.notify('textDocument/didChange', { textDocument: { uri: doc.uri, version: version++ }, contentChanges: [{ range: { start, end }, text: insert }] });
            next = doc.text; // positions stay roughly valid; the server's copy is the truth
          }
          doc.text = next;
          stats.notifications++;
          continue;
        }
        const method = pick(r, REQUESTS);
        await timed(method, requestParams(method, doc.uri, doc.text, r, client.diagnostics.get(doc.uri) ?? []), `${label}; ${method} in ${doc.rel}`);
      }
      // Still serving: a hover on a good file answers the same, and its diagnostics are intact.
      const h = await timed('textDocument/hover', { textDocument: { uri: watchedUri }, position: tagPos }, `check after batch ${b}`);
      if (h && JSON.stringify(h.result) !== goodHover) fail(`hover on ${WATCHED.rel} changed after ${label}: ${JSON.stringify(h.result).slice(0, 300)}`);
      const want = baseline.get(WATCHED.rel)!;
      const ok = await client.until(() => JSON.stringify(client.diagnostics.get(watchedUri) ?? []) === want, bound);
      if (!ok) fail(`diagnostics of ${WATCHED.rel} changed after ${label}: ${JSON.stringify(client.diagnostics.get(watchedUri)).slice(0, 500)}`);
      // Clean up: close buffers, delete files from disk.
      for (const d of open) {
        if (r() < 0.8) client.notify('textDocument/didClose', { textDocument: { uri: d.uri } });
        if (d.onDisk) {
          rmSync(join(dir, d.rel), { force: true });
          client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: d.uri, type: 3 }] });
        }
        stats.notifications += 2;
      }
      for (const f of client.failures()) if (!stats.failures.some((x) => x.includes(f.slice(0, 200)))) fail(`server log: ${f} (during ${label})`);
      if (o.log && (b + 1) % 10 === 0) o.log(`lsp: ${b + 1}/${o.batches} batches`);
    }
    // Back to the start: with every new file closed and deleted, every diagnostic is the baseline.
    // (Buffers left open by design keep their last text; close them all first.)
    for (let b = 0; b < stats.batches; b++) for (const f of makeCase(o.seed, b, fixture).files) client.notify('textDocument/didClose', { textDocument: { uri: u(f.rel) } });
    await timed('textDocument/hover', { textDocument: { uri: watchedUri }, position: tagPos }, 'final');
    const settled = await client.until(() => unmutated.every((rel) => JSON.stringify(client.diagnostics.get(u(rel)) ?? []) === baseline.get(rel)), bound);
    if (!settled) {
      const diff = unmutated.filter((rel) => JSON.stringify(client.diagnostics.get(u(rel)) ?? []) !== baseline.get(rel));
      fail(`after cleanup, diagnostics differ from the baseline on ${diff.join(', ')}`);
    }
    const leftovers = [...client.diagnostics].filter(([k, v]) => v.length && !unmutated.some((rel) => u(rel) === k));
    if (leftovers.length) fail(`diagnostics left on deleted files: ${leftovers.map(([k]) => k).join(', ')}`);
    for (const f of client.failures()) if (!stats.failures.some((x) => x.includes(f.slice(0, 200)))) fail(`server log: ${f}`);
  } finally {
    client.kill();
    dispose();
  }
  return stats;
}

