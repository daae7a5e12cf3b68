// The Tagscope language server: `node dist/server.js --stdio` (or `--node-ipc` from the
// extension). One FolderIndex per workspace folder; edits are applied incrementally and
// diagnostics republished only where they changed.
import { fileURLToPath } from 'node:url';
import {
  createConnection,
  DiagnosticSeverity,
  DiagnosticTag,
  DidChangeWatchedFilesNotification,
  ErrorCodes,
  FileChangeType,
  LSPErrorCodes,
  ProposedFeatures,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
  TextDocuments,
  TextDocumentSyncKind,
  type CancellationToken,
  type Diagnostic as LspDiagnostic,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { loadConfig, RULE_DEFAULTS, RULE_IDS, type TagscopeConfig } from './core/config';
import { BUILTIN_PROFILE_EXPIRE, BUILTIN_PROFILES } from './core/nextConfig';
import { displayTag } from './core/tagValue';
import { toPosix } from './core/workspace';
import type { Diagnostic, RuleId, RuleSeverity } from './core/types';
import { FolderIndex } from './lsp/folderIndex';
import { MALFORMED, repairFraming } from './lsp/framing';
import { codeActions, completion, definition, documentSymbols, hover, prepareRename, references, rename, uriOf, workspaceSymbols } from './lsp/features';
import { StoreConnection } from './lsp/storeConnection';
import {
  ConnectStoreRequest,
  DisconnectStoreRequest,
  InvalidatePathRequest,
  InvalidateTagRequest,
  InventoryRequest,
  StatusNotification,
  StoreChangedNotification,
  StoreStatesRequest,
  TagAtRequest,
  type ServerStatus,
} from './protocol';

let warn: (m: string) => void = (m) => void process.stderr.write(m + '\n');
// Over stdio the framing is repaired first (see lsp/framing.ts); --node-ipc carries whole messages.
const connection = process.argv.includes('--stdio')
  ? createConnection(ProposedFeatures.all, new StreamMessageReader(repairFraming(process.stdin, (m) => warn(m))), new StreamMessageWriter(process.stdout))
  : createConnection(ProposedFeatures.all);
warn = (m) => connection.console.warn(m);
const documents = new TextDocuments(TextDocument);
console.log = (...a: unknown[]) => connection.console.log(a.map(String).join(' '));
console.error = (...a: unknown[]) => connection.console.error(a.map(String).join(' '));
process.on('uncaughtException', (e: Error) => connection.console.error(`tagscope: uncaught ${e?.stack ?? e}`));
process.on('unhandledRejection', (e) => connection.console.error(`tagscope: unhandled rejection ${(e as Error)?.stack ?? e}`));

interface EditorSettings {
  rules?: Partial<Record<RuleId, RuleSeverity>>;
  refreshIntervalMs?: number;
  maxFiles?: number;
  maxFileSizeKb?: number;
}

let folders: FolderIndex[] = [];
let settings: EditorSettings = {};
let canWatch = false;
let canFolders = false;
let canProgress = false;
let state: ServerStatus['state'] = 'starting';
let lastIndexMs = 0;
const published = new Map<string, string>();
const store = new StoreConnection(
  () => sendStatus(),
  (changed) => connection.sendNotification(StoreChangedNotification.type, { changed }),
);

/** The file a URI names, or undefined: other schemes, `file://host/…` and malformed escapes are not files we can read. */
const fileOf = (uri: string): string | undefined => {
  if (typeof uri !== 'string' || !uri.startsWith('file:')) return undefined;
  try {
    return toPosix(fileURLToPath(uri));
  } catch {
    return undefined;
  }
};
const folderOf = (file: string) => folders.find((f) => f.contains(file));

/** Editor settings win over tagscope.config.json only where they differ from the rule default. */
function configFor(root: string): TagscopeConfig {
  let fileConfig: TagscopeConfig = { rules: {}, ignore: [] };
  try {
    fileConfig = loadConfig(root);
  } catch (e) {
    connection.console.warn(`tagscope: ${(e as Error).message}`);
  }
  const rules = { ...fileConfig.rules };
  for (const id of RULE_IDS) {
    const s = settings.rules?.[id];
    if (s && s !== RULE_DEFAULTS[id]) rules[id] = s;
  }
  return { rules, ignore: fileConfig.ignore };
}

function readSettings(raw: unknown): EditorSettings {
  const r = (raw ?? {}) as Record<string, unknown>;
  const rules: Partial<Record<RuleId, RuleSeverity>> = {};
  const rawRules = (r.rules ?? {}) as Record<string, unknown>;
  for (const id of RULE_IDS) if (typeof rawRules[id] === 'string') rules[id] = rawRules[id] as RuleSeverity;
  return {
    rules,
    // The manifest says minimum 1; a client may still send 0 or -1 (nothing would be indexed).
    maxFiles: typeof r.maxFiles === 'number' ? Math.max(1, r.maxFiles) : undefined,
    maxFileSizeKb: typeof r.maxFileSizeKb === 'number' ? Math.max(1, r.maxFileSizeKb) : undefined,
    refreshIntervalMs: typeof r.refreshIntervalMs === 'number' ? Math.max(250, r.refreshIntervalMs) : undefined,
  };
}

function limits() {
  return { maxFiles: settings.maxFiles ?? 20000, maxFileBytes: (settings.maxFileSizeKb ?? 1024) * 1024 };
}

function toLspDiagnostic(d: Diagnostic): LspDiagnostic {
  const severity = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, info: DiagnosticSeverity.Information, hint: DiagnosticSeverity.Hint }[d.severity];
  return { range: d.location.range, severity, code: d.code, source: 'tagscope', message: d.message, tags: d.code === 'unused-tag' ? [DiagnosticTag.Unnecessary] : undefined, data: d.fixes.length ? { fixable: true } : undefined };
}

function allDiagnostics(): Diagnostic[] {
  return folders.flatMap((f) => f.diagnostics());
}

/** Publishes per file, sending only files whose diagnostics changed (and clearing emptied ones). */
function publish(): void {
  const byUri = new Map<string, LspDiagnostic[]>();
  for (const d of allDiagnostics()) {
    const uri = uriOf(d.location.file);
    const list = byUri.get(uri);
    if (list) list.push(toLspDiagnostic(d));
    else byUri.set(uri, [toLspDiagnostic(d)]);
  }
  for (const [uri, diags] of byUri) {
    const key = JSON.stringify(diags);
    if (published.get(uri) === key) continue;
    published.set(uri, key);
    void connection.sendDiagnostics({ uri, diagnostics: diags });
  }
  for (const uri of [...published.keys()]) {
    if (byUri.has(uri)) continue;
    published.delete(uri);
    void connection.sendDiagnostics({ uri, diagnostics: [] });
  }
}

function sendStatus(message?: string): void {
  const tags = new Set<string>();
  let files = 0;
  let apps = 0;
  for (const f of folders) {
    for (const t of f.inventory()) tags.add(t.tag);
    files += f.session.scan.sourceFiles.length;
    apps += f.apps.length;
  }
  void connection.sendNotification(StatusNotification.type, { state, apps, files, tags: tags.size, durationMs: lastIndexMs, message, store: store.current });
}

async function indexAll(roots: string[]): Promise<void> {
  state = 'indexing';
  sendStatus();
  const progress = canProgress ? await connection.window.createWorkDoneProgress() : undefined;
  progress?.begin('Tagscope', 0, 'Indexing cache tags…', false);
  const t0 = performance.now();
  try {
    const built: FolderIndex[] = [];
    for (const [i, root] of roots.entries()) {
      progress?.report(Math.round((i / roots.length) * 100), root);
      const f = new FolderIndex(root, configFor(root), limits());
      f.analyzeAll();
      // Open buffers win over the disk.
      for (const doc of documents.all()) {
        const file = fileOf(doc.uri);
        if (file && f.contains(file)) f.update(file, { kind: 'changed', text: doc.getText() });
      }
      built.push(f);
      const st = f.session.stats();
      for (const [file, why] of f.session.host.skipped) connection.console.info(`tagscope: skipped ${file} (${why}; limit tagscope.maxFileSizeKb)`);
      connection.console.info(`tagscope: ${root}: ${st.apps} app(s), ${st.files} files, ${st.filesParsed} parsed, ${st.skippedFiles} skipped${st.files >= limits().maxFiles ? ` (limit tagscope.maxFiles=${limits().maxFiles} reached; the rest is not indexed)` : ''}`);
    }
    folders = built; // swap at once: requests during indexing keep answering from the old index
    lastIndexMs = Math.round(performance.now() - t0);
    state = 'ready';
    publish();
    sendStatus();
  } catch (e) {
    state = 'error';
    connection.console.error(`tagscope: indexing failed: ${(e as Error)?.stack ?? e}`);
    sendStatus(`Indexing failed: ${(e as Error)?.message ?? e}`);
  } finally {
    progress?.done();
  }
}

// ---- incremental updates: coalesce bursts, newest text wins, stale generations never publish

const pending = new Map<string, { kind: 'changed' | 'created' | 'deleted'; text?: string }>();
let flushScheduled = false;
let generation = 0;

function schedule(file: string, change: { kind: 'changed' | 'created' | 'deleted'; text?: string }): void {
  pending.set(file, change);
  generation++;
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(flush);
}

function flush(): void {
  flushScheduled = false;
  const gen = generation;
  const batch = [...pending];
  pending.clear();
  for (const [file, change] of batch) {
    const folder = folderOf(file);
    if (!folder) continue;
    try {
      folder.update(file, change);
    } catch (e) {
      connection.console.error(`tagscope: update of ${file} failed: ${(e as Error)?.stack ?? e}`);
    }
  }
  if (gen !== generation) return; // newer edits queued: their flush publishes
  publish();
  sendStatus();
}

// ---- LSP lifecycle

/** LSP lifecycle: requests before `initialize` or after `shutdown` get the errors the spec names. */
let lifecycle: 'new' | 'running' | 'shutdown' = 'new';

connection.onInitialize((params: InitializeParams): InitializeResult => {
  if (lifecycle !== 'new') throw new ResponseError(ErrorCodes.InvalidRequest, 'initialize may only be sent once');
  lifecycle = 'running';
  canWatch = !!params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration;
  canProgress = !!params.capabilities.window?.workDoneProgress;
  canFolders = !!params.capabilities.workspace?.workspaceFolders;
  settings = readSettings((params.initializationOptions as { settings?: unknown } | undefined)?.settings);
  store.followTrust(params.initializationOptions, connection); // Restricted Mode: connectStore refused
  const roots = (params.workspaceFolders ?? []).map((f) => fileOf(f.uri)).filter((x): x is string => !!x);
  if (!roots.length && params.rootUri) {
    const r = fileOf(params.rootUri);
    if (r) roots.push(r);
  }
  workspaceRoots = roots;
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      hoverProvider: true,
      definitionProvider: true,
      referencesProvider: true,
      renameProvider: { prepareProvider: true },
      completionProvider: { triggerCharacters: ["'", '"', '`', ':'] },
      codeActionProvider: { codeActionKinds: ['quickfix'] },
      documentSymbolProvider: true,
      workspaceSymbolProvider: true,
      workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
    },
    serverInfo: { name: 'tagscope', version: '0.1.0' },
  };
});

let workspaceRoots: string[] = [];

connection.onInitialized(async () => {
  if (canWatch) {
    await connection.client
      .register(DidChangeWatchedFilesNotification.type, {
        watchers: [{ globPattern: '**/*.{ts,tsx,js,jsx,mjs,cjs,mts,cts}' }, { globPattern: '**/{tsconfig,jsconfig,package,tagscope.config}.json' }],
      })
      .catch((e) => connection.console.warn(`tagscope: file watching unavailable: ${e}`));
  }
  if (canFolders) connection.workspace.onDidChangeWorkspaceFolders(async (e) => {
    const list = (x: unknown) => (Array.isArray(x) ? (x as Array<{ uri?: unknown } | null>) : []);
    const removed = new Set(list(e?.removed).map((f) => fileOf(f?.uri as string)));
    workspaceRoots = workspaceRoots.filter((r) => !removed.has(r));
    for (const a of list(e?.added)) {
      const r = fileOf(a?.uri as string);
      if (r && !workspaceRoots.includes(r)) workspaceRoots.push(r);
    }
    await reindex();
  });
  await reindex();
});

connection.onDidChangeConfiguration(async (change) => {
  const raw = (change.settings as { tagscope?: unknown } | undefined)?.tagscope ?? (await connection.workspace.getConfiguration('tagscope').catch(() => undefined));
  if (!raw) return;
  const next = readSettings(raw);
  if (JSON.stringify(next) === JSON.stringify(settings)) return; // nothing changed: no re-index
  settings = next;
  await reindex();
});

/**
 * One index at a time, always of the current folder list: a settings or folder change during
 * the first index queues exactly one more run instead of racing it (or indexing an empty list).
 */
let indexing: Promise<void> = Promise.resolve();
let queued: Promise<void> | undefined;
function reindex(): Promise<void> {
  if (queued) return queued;
  queued = indexing.then(() => {
    queued = undefined;
    return indexAll(workspaceRoots);
  });
  indexing = queued;
  return queued;
}

documents.onDidChangeContent((e) => {
  const file = fileOf(e.document.uri);
  if (file) schedule(file, { kind: 'changed', text: e.document.getText() });
});
documents.onDidClose((e) => {
  const file = fileOf(e.document.uri);
  if (file) schedule(file, { kind: 'changed' });
});

connection.onDidChangeWatchedFiles(async (e) => {
  const rebuild = new Set<FolderIndex>();
  for (const c of Array.isArray(e?.changes) ? e.changes : []) {
    const file = fileOf(c?.uri);
    if (!file) continue;
    const folder = folderOf(file);
    if (!folder) continue;
    const base = file.slice(file.lastIndexOf('/') + 1);
    if (/^(tsconfig|jsconfig|package|tagscope\.config)\.json$/.test(base) || (/^next\.config\./.test(base) && c.type !== FileChangeType.Changed)) {
      rebuild.add(folder);
      continue;
    }
    if (documents.get(c.uri) && c.type === FileChangeType.Changed) continue; // the open buffer wins
    schedule(file, { kind: c.type === FileChangeType.Created ? 'created' : c.type === FileChangeType.Deleted ? 'deleted' : 'changed' });
  }
  for (const f of rebuild) {
    f.setConfig(configFor(f.root));
    f.rebuild();
  }
  if (rebuild.size) {
    publish();
    sendStatus();
  }
});

// ---- features: every handler is guarded; a bad request answers null, never kills the server

function guard<P, R>(fallback: R, fn: (p: P) => R | Promise<R>): (p: P, token?: CancellationToken) => Promise<R> {
  return async (p: P, token?: CancellationToken) => {
    // A request cancelled while queued is not worked on: a storm of cancelled references on a
    // large workspace otherwise delayed the next answer by seconds (handlers are synchronous).
    if (token?.isCancellationRequested) throw new ResponseError(LSPErrorCodes.RequestCancelled, 'Request cancelled.');
    if (lifecycle === 'new') throw new ResponseError(ErrorCodes.ServerNotInitialized, 'The server is not initialized yet.');
    if (lifecycle === 'shutdown') throw new ResponseError(ErrorCodes.InvalidRequest, 'The server is shutting down.');
    try {
      return await fn(p);
    } catch (e) {
      if (e instanceof ResponseError) throw e; // a deliberate answer, e.g. a refused rename
      connection.console.error(`tagscope: request failed: ${(e as Error)?.stack ?? e}`);
      return fallback;
    }
  };
}

function at(p: { textDocument: { uri: string }; position: { line: number; character: number } }) {
  const file = fileOf(p.textDocument.uri);
  const folder = file && folderOf(file);
  const doc = documents.get(p.textDocument.uri);
  if (!file || !folder) return undefined;
  const text = doc ? undefined : folder.session.host.text(file);
  const offset = doc ? doc.offsetAt(p.position) : text !== undefined ? TextDocument.create(p.textDocument.uri, 'typescript', 0, text).offsetAt(p.position) : undefined;
  if (offset === undefined) return undefined;
  return { file, folder, offset };
}

connection.onHover(guard(null, (p) => {
  const a = at(p);
  return a ? hover(a.folder, a.file, a.offset, store) : null;
}));
connection.onDefinition(guard([], (p) => {
  const a = at(p);
  return a ? definition(a.folder, a.file, a.offset) : [];
}));
connection.onReferences(guard([], (p) => {
  const a = at(p);
  return a ? references(a.folder, a.file, a.offset, p.context.includeDeclaration) : [];
}));
connection.onPrepareRename(guard(null, (p) => {
  const a = at(p);
  return a ? prepareRename(a.folder, a.file, a.offset) : null;
}));
connection.onRenameRequest(guard(null, (p) => {
  const a = at(p);
  return a ? rename(a.folder, a.file, a.offset, p.newName) : null;
}));
connection.onCompletion(guard([], (p) => {
  const a = at(p);
  return a ? completion(a.folder, a.file, a.offset) : [];
}));
connection.onCodeAction(guard([], (p) => {
  const file = fileOf(p.textDocument.uri);
  if (!file) return [];
  return codeActions(allDiagnostics().filter((d) => d.location.file === file), p.context.diagnostics);
}));
connection.onDocumentSymbol(guard([], (p) => {
  const file = fileOf(p.textDocument.uri);
  const folder = file && folderOf(file);
  return folder ? documentSymbols(folder, file) : [];
}));
connection.onWorkspaceSymbol(guard([], (p) => workspaceSymbols(folders, p.query)));

// ---- custom requests (server/src/protocol.ts)

connection.onRequest(ConnectStoreRequest.type, guard({ ok: false, error: 'internal error' }, (p) => {
  // Live changes arrive by pub/sub; this is the fallback poll when subscriptions are unavailable.
  store.pollMs = Math.min(settings.refreshIntervalMs ?? 1000, 1000);
  return store.connect(p.url, p.keyPrefix);
}));
connection.onRequest(DisconnectStoreRequest.type, guard<unknown, { ok: boolean; error?: string }>({ ok: false }, async () => {
  await store.disconnect();
  return { ok: true };
}));
connection.onRequest(InvalidateTagRequest.type, guard({ ok: false, error: 'internal error' }, async (p) => {
  if (!Array.isArray(p?.tags) || p.tags.length === 0 || p.tags.some((t) => typeof t !== 'string' || t.length === 0)) return { ok: false, error: 'No tag given.' };
  let expire: number | undefined;
  if (p.mode === 'stale') {
    const profile = p.profile ?? 'max';
    expire = BUILTIN_PROFILE_EXPIRE[profile];
    for (const f of folders) for (const a of f.apps) if (a.app.profileExpire[profile] !== undefined) expire = a.app.profileExpire[profile];
    if (expire === undefined) return { ok: false, error: `Unknown cacheLife profile '${profile}' (or its expire is computed). Known: ${profileNames().join(', ')}.` };
  } else if (p.mode !== 'expire') return { ok: false, error: `mode must be 'stale' or 'expire'` };
  try {
    await store.invalidate(p.tags, expire);
    sendStatus();
    return { ok: true };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}));
connection.onRequest(InvalidatePathRequest.type, guard({ ok: false, error: 'internal error' }, async (p) => {
  if (typeof p?.path !== 'string' || !p.path.startsWith('/')) return { ok: false, error: 'A path must start with "/".' };
  if (p.type !== undefined && p.type !== 'page' && p.type !== 'layout') return { ok: false, error: `type must be 'page' or 'layout'` };
  try {
    await store.invalidatePath(p.path, p.type);
    return { ok: true };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}));
connection.onRequest(InventoryRequest.type, guard({ tags: [], profiles: [] }, () => {
  const tags = folders.flatMap((f) =>
    f.inventory().map((t) => ({
      tag: t.tag,
      kind: t.kind,
      profiles: t.profiles,
      declarations: t.sites.filter((s) => s.role === 'declaration').map((s) => ({ uri: uriOf(s.location.file), line: s.location.range.start.line, character: s.location.range.start.character, api: s.api })),
      invalidations: t.sites.filter((s) => s.role === 'invalidation').map((s) => ({ uri: uriOf(s.location.file), line: s.location.range.start.line, character: s.location.range.start.character, api: s.api })),
    })),
  );
  return { tags, profiles: profileNames() };
}));
connection.onRequest(TagAtRequest.type, guard({ tags: [], patterns: [] }, (p) => {
  const a = at({ textDocument: { uri: p.uri }, position: { line: p.line, character: p.character } });
  const site = a && a.folder.siteAt(a.file, a.offset);
  if (!site) return { tags: [], patterns: [] };
  const tags = site.values.filter((v) => v.kind === 'static').map((v) => (v as { value: string }).value);
  const patterns = site.values.filter((v) => v.kind === 'pattern').map(displayTag);
  return { tags, patterns };
}));
connection.onRequest(StoreStatesRequest.type, guard({ connected: false, states: [] }, async () => ({ connected: store.connected, states: await store.fresh() })));

function profileNames(): string[] {
  const names = new Set(BUILTIN_PROFILES);
  for (const f of folders) for (const a of f.apps) for (const p of a.app.cacheLifeProfiles) names.add(p);
  return [...names];
}

connection.onShutdown(async () => {
  lifecycle = 'shutdown';
  await store.disconnect();
});

// Bodies the framing layer could not accept: answer the request with its error, log the rest.
connection.onRequest(MALFORMED, (p: { code?: number; message?: string }) => {
  throw new ResponseError(p?.code ?? ErrorCodes.InvalidRequest, p?.message ?? 'Invalid request');
});
connection.onNotification(MALFORMED, (p: { message?: string }) => connection.console.warn(`tagscope: ignored a malformed message: ${p?.message}`));

documents.listen(connection);
connection.listen();
