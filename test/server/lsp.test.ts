// Protocol tests: the real server (dist/server.js --stdio) on a real fixture app, driven over
// JSON-RPC like an editor would, including edits, cross-file effects and the tag store.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TagStore } from '@tagscope/handler';
import { positionOf, TestClient, uri } from './lspClient';

let dir: string;
let client: TestClient;
const file = (rel: string) => join(dir, rel);
const text = (rel: string) => readFileSync(file(rel), 'utf8');
const diagsOf = (rel: string) => client.diagnostics.get(uri(file(rel))) ?? [];
const codes = (rel: string) => diagsOf(rel).map((d) => d.code);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tagscope-lsp-'));
  cpSync(join(__dirname, 'app'), dir, { recursive: true });
  client = new TestClient();
  const init = await client.initialize(dir);
  expect(init.capabilities).toMatchObject({ hoverProvider: true, definitionProvider: true, referencesProvider: true, renameProvider: { prepareProvider: true } });
  await client.until(() => codes('app/api/hook/route.ts').includes('update-tag-outside-server-action'), 30_000, 'initial diagnostics');
});

afterAll(async () => {
  await client?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('language server', () => {
  it('publishes diagnostics with source and rule id, and reports status', async () => {
    const d = diagsOf('app/api/hook/route.ts').find((x) => x.code === 'update-tag-outside-server-action')!;
    expect(d.source).toBe('tagscope');
    expect(d.severity).toBe(1);
    expect(d.range.start).toEqual(positionOf(text('app/api/hook/route.ts'), 'updateTag(\'products', 0));
    const status = await client.until(() => client.notifications.filter((n) => n.method === 'tagscope/status').map((n) => n.params as { state: string; tags: number; apps: number }).find((s) => s.state === 'ready'));
    expect(status.apps).toBe(1);
    expect(status.tags).toBeGreaterThanOrEqual(3);
    // a correct file gets no diagnostics at all
    expect(diagsOf('app/actions.ts')).toEqual([]);
  });

  it('hovers a tag with its declarations, invalidations and cacheLife profile', async () => {
    const route = text('app/api/hook/route.ts');
    const h = await client.request<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri: uri(file('app/api/hook/route.ts')) }, position: positionOf(route, "'catalog'") });
    expect(h.contents.value).toContain('**Cache tag** `catalog`');
    expect(h.contents.value).toMatch(/Declared \(1\): \[lib\/data\.ts:13\]/);
    const h2 = await client.request<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri: uri(file('app/actions.ts')) }, position: positionOf(text('app/actions.ts'), "'products'") });
    expect(h2.contents.value).toContain('cacheLife: `biweekly`');
    expect(h2.contents.value).toMatch(/Invalidated \(2\)/);
  });

  it('hovers a factory-made pattern tag', async () => {
    const h = await client.request<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri: uri(file('app/actions.ts')) }, position: positionOf(text('app/actions.ts'), 'TAGS.product(id)', 6) });
    expect(h.contents.value).toContain('`product-${id}` (pattern)');
  });

  it('goes from an invalidation to the declaration', async () => {
    const defs = await client.request<Array<{ uri: string; range: { start: { line: number } } }>>('textDocument/definition', { textDocument: { uri: uri(file('app/api/hook/route.ts')) }, position: positionOf(text('app/api/hook/route.ts'), "'catalog'") });
    expect(defs).toHaveLength(1);
    expect(defs[0].uri).toBe(uri(file('lib/data.ts')));
    expect(defs[0].range.start.line).toBe(12);
  });

  it('finds every reference of a tag written through a constant', async () => {
    const refs = await client.request<Array<{ uri: string }>>('textDocument/references', { textDocument: { uri: uri(file('app/actions.ts')) }, position: positionOf(text('app/actions.ts'), "'products'"), context: { includeDeclaration: true } });
    const files = refs.map((r) => r.uri.split('/').slice(-2).join('/')).sort();
    expect(files).toEqual(['app/actions.ts', 'hook/route.ts', 'lib/data.ts']);
  });

  it('renames a tag at the constant and at every literal, and refuses a computed one', async () => {
    const edit = await client.request<{ changes: Record<string, Array<{ newText: string; range: { start: { line: number } } }>> }>('textDocument/rename', { textDocument: { uri: uri(file('app/actions.ts')) }, position: positionOf(text('app/actions.ts'), "'products'"), newName: 'catalog-products' });
    const byFile = Object.fromEntries(Object.entries(edit.changes).map(([u, e]) => [u.split('/').slice(-2).join('/'), e.map((x) => x.newText)]));
    expect(byFile).toEqual({ 'lib/tags.ts': ['catalog-products'], 'app/actions.ts': ['catalog-products'], 'hook/route.ts': ['catalog-products'] });
    await expect(client.request('textDocument/prepareRename', { textDocument: { uri: uri(file('app/actions.ts')) }, position: positionOf(text('app/actions.ts'), 'TAGS.product(id)', 6) })).rejects.toThrow(/one string/);
  });

  it('completes declared tags and cacheLife profiles', async () => {
    const f = file('app/api/hook/route.ts');
    const src = text('app/api/hook/route.ts').replace("revalidateTag('catalog', 'max');", "revalidateTag('', 'b');");
    await client.open(f, src);
    const tags = await client.request<Array<{ label: string }>>('textDocument/completion', { textDocument: { uri: uri(f) }, position: positionOf(src, "revalidateTag('", 15) });
    expect(tags.map((t) => t.label)).toEqual(expect.arrayContaining(['products', 'catalog']));
    expect(tags.map((t) => t.label)).not.toContain('product-${id}');
    const profiles = await client.request<Array<{ label: string }>>('textDocument/completion', { textDocument: { uri: uri(f) }, position: positionOf(src, "'b'", 1) });
    expect(profiles.map((t) => t.label)).toEqual(expect.arrayContaining(['max', 'hours', 'biweekly']));
    await client.change(f, text('app/api/hook/route.ts'), 2);
  });

  it('offers the quick fix updateTag → revalidateTag(tag, "max")', async () => {
    const d = diagsOf('app/api/hook/route.ts').find((x) => x.code === 'update-tag-outside-server-action')!;
    const actions = await client.request<Array<{ title: string; edit: { changes: Record<string, Array<{ newText: string }>> } }>>('textDocument/codeAction', { textDocument: { uri: uri(file('app/api/hook/route.ts')) }, range: d.range, context: { diagnostics: [d] } });
    expect(actions[0].title).toMatch(/revalidateTag/);
    expect(Object.values(actions[0].edit.changes)[0].map((e) => e.newText)).toEqual(['revalidateTag', ", 'max'"]);
  });

  it('adds and removes a diagnostic as a buffer is edited', async () => {
    const f = file('app/api/hook/route.ts');
    const original = text('app/api/hook/route.ts');
    await client.change(f, original.replace("revalidateTag('catalog', 'max');", "revalidateTag('catalgo', 'max');"), 3);
    const d = await client.until(() => diagsOf('app/api/hook/route.ts').find((x) => x.code === 'undeclared-tag'), 10_000, 'undeclared-tag');
    expect(d.message).toContain("Did you mean 'catalog'?");
    await client.change(f, original, 4);
    await client.until(() => !codes('app/api/hook/route.ts').includes('undeclared-tag'), 10_000, 'undeclared-tag cleared');
  });

  it('clears a diagnostic in one file when another file declares the tag', async () => {
    const actions = file('app/actions.ts');
    await client.open(actions, text('app/actions.ts').replace("revalidateTag('products', 'max');", "revalidateTag('products', 'max');\n  revalidateTag('reviews', 'max');"));
    await client.until(() => codes('app/actions.ts').includes('undeclared-tag'), 10_000, 'undeclared reviews');
    const data = file('lib/data.ts');
    await client.open(data, text('lib/data.ts').replace("cacheTag(TAGS.product(id), 'catalog');", "cacheTag(TAGS.product(id), 'catalog', 'reviews');"));
    await client.until(() => !codes('app/actions.ts').includes('undeclared-tag'), 10_000, 'cleared by the declaration in another file');
  });

  it('follows files created, changed and deleted on disk (watched files)', async () => {
    const route = file('app/api/hook/route.ts');
    await client.change(route, text('app/api/hook/route.ts').replace("revalidateTag('catalog', 'max');", "revalidateTag('catalog', 'max');\n  revalidateTag('wishlist', 'max');"), 10);
    await client.until(() => diagsOf('app/api/hook/route.ts').some((d) => d.code === 'undeclared-tag' && String(d.message).includes('wishlist')), 10_000, 'undeclared wishlist');
    const created = file('lib/wishlist.ts');
    writeFileSync(created, "import { cacheTag } from 'next/cache';\nexport async function getWishlist() {\n  'use cache';\n  cacheTag('wishlist');\n  return [];\n}\n");
    await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uri(created), type: 1 }] });
    await client.until(() => !diagsOf('app/api/hook/route.ts').some((d) => String(d.message).includes('wishlist')), 10_000, 'cleared by a created file');
    writeFileSync(created, "import { cacheTag } from 'next/cache';\nexport async function getWishlist() {\n  'use cache';\n  cacheTag('wish-list');\n  return [];\n}\n");
    await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uri(created), type: 2 }] });
    await client.until(() => diagsOf('app/api/hook/route.ts').some((d) => String(d.message).includes('wishlist')), 10_000, 'back after a change on disk');
    writeFileSync(created, "import { cacheTag } from 'next/cache';\nexport async function getWishlist() {\n  'use cache';\n  cacheTag('wishlist');\n  return [];\n}\n");
    await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uri(created), type: 2 }] });
    await client.until(() => !diagsOf('app/api/hook/route.ts').some((d) => String(d.message).includes('wishlist')), 10_000, 'cleared again');
    rmSync(created);
    await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uri(created), type: 3 }] });
    await client.until(() => diagsOf('app/api/hook/route.ts').some((d) => String(d.message).includes('wishlist')), 10_000, 'back after a deletion');
    await client.change(route, text('app/api/hook/route.ts'), 11);
    await client.until(() => !diagsOf('app/api/hook/route.ts').some((d) => d.code === 'undeclared-tag'), 10_000, 'buffer restored');
  });

  it('lists tag symbols per document and across the workspace', async () => {
    const syms = await client.request<Array<{ name: string }>>('textDocument/documentSymbol', { textDocument: { uri: uri(file('lib/data.ts')) } });
    expect(syms.map((s) => s.name)).toEqual(expect.arrayContaining(['products', 'product-${id}', 'catalog']));
    const ws = await client.request<Array<{ name: string }>>('workspace/symbol', { query: 'prod' });
    expect(new Set(ws.map((s) => s.name))).toEqual(new Set(['products', 'product-${id}']));
  });

  it('survives malformed source and keeps serving', async () => {
    const f = file('app/broken.ts');
    await client.open(f, "import { revalidateTag } from 'next/cache';\nexport async function x( {\n  revalidateTag(`a${'\u0000'}, ;;; \uFFFF");
    const h = await client.request<{ contents: { value: string } } | null>('textDocument/hover', { textDocument: { uri: uri(file('app/api/hook/route.ts')) }, position: positionOf(text('app/api/hook/route.ts'), "'catalog'") });
    expect(h?.contents.value).toContain('catalog');
    const none = await client.request('textDocument/hover', { textDocument: { uri: 'file:///does/not/exist.ts' }, position: { line: 0, character: 0 } });
    expect(none).toBeNull();
  });

  it('serves the inventory and the tag under the cursor', async () => {
    const inv = await client.request<{ tags: Array<{ tag: string; declarations: unknown[]; invalidations: unknown[] }>; profiles: string[] }>('tagscope/inventory', undefined);
    const catalog = inv.tags.find((t) => t.tag === 'catalog')!;
    expect(catalog.declarations).toHaveLength(1);
    expect(catalog.invalidations).toHaveLength(1);
    expect(inv.profiles).toContain('biweekly');
    const at = await client.request<{ tags: string[] }>('tagscope/tagAt', { uri: uri(file('app/api/hook/route.ts')), ...positionOf(text('app/api/hook/route.ts'), "'catalog'") });
    expect(at.tags).toEqual(['catalog']);
  });
});

describe('tag store through the server', () => {
  const prefix = `tagscope-lsp-test-${process.pid}-${Date.now()}`;

  it('rejects a bad URL without echoing credentials', async () => {
    const r = await client.request<{ ok: boolean; error?: string }>('tagscope/connectStore', { url: 'redis://user:s3cretpw@127.0.0.1:1', keyPrefix: prefix });
    expect(r.ok).toBe(false);
    expect(r.error).toBeTruthy();
    expect(r.error).not.toContain('s3cretpw');
    const status = client.notifications.filter((n) => n.method === 'tagscope/status').map((n) => JSON.stringify(n.params));
    expect(status.join('\n')).not.toContain('s3cretpw');
  });

  it('connects, invalidates with a configured profile and with expire-now, and reports states', async () => {
    const r = await client.request<{ ok: boolean; error?: string }>('tagscope/connectStore', { url: 'redis://127.0.0.1:6379', keyPrefix: prefix });
    expect(r).toEqual({ ok: true });
    const before = Date.now();
    expect(await client.request('tagscope/invalidateTag', { tags: ['catalog'], mode: 'stale', profile: 'biweekly' })).toEqual({ ok: true });
    expect(await client.request('tagscope/invalidateTag', { tags: ['products'], mode: 'expire' })).toEqual({ ok: true });
    const bad = await client.request<{ ok: boolean; error: string }>('tagscope/invalidateTag', { tags: ['x'], mode: 'stale', profile: 'fortnightly' });
    expect(bad.ok).toBe(false);
    expect(bad.error).toMatch(/Unknown cacheLife profile 'fortnightly'/);
    const store = await TagStore.connect({ url: 'redis://127.0.0.1:6379', keyPrefix: prefix });
    try {
      const catalog = (await store.get('catalog'))!;
      expect(catalog.stale).toBeGreaterThanOrEqual(before - 1000);
      expect(catalog.expired! - catalog.stale!).toBe(1209600 * 1000);
      const products = (await store.get('products'))!;
      expect(products.expired).toBeGreaterThanOrEqual(before - 1000);
      expect(products.expired).toBeLessThanOrEqual(Date.now() + 1000);
    } finally {
      await store.close();
    }
    const states = await client.request<{ connected: boolean; states: Array<{ tag: string }> }>('tagscope/storeStates', undefined);
    expect(states.connected).toBe(true);
    expect(states.states.map((s) => s.tag)).toEqual(expect.arrayContaining(['catalog', 'products']));
    const h = await client.request<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri: uri(file('app/api/hook/route.ts')) }, position: positionOf(text('app/api/hook/route.ts'), "'catalog'") });
    expect(h.contents.value).toMatch(/Store: `catalog` — stale since \d\d:\d\d:\d\d UTC, \d+ seconds? ago · expires in 14 days/);
    expect(await client.request('tagscope/disconnectStore', undefined)).toEqual({ ok: true });
  });
});

describe('store state in hovers', () => {
  it('describes never, stale and expired states in words', async () => {
    const { describeState } = await import('../../server/src/lsp/features');
    const now = Date.UTC(2026, 10, 26, 14, 5, 11);
    expect(describeState(undefined, now)).toBe('never invalidated');
    expect(describeState({ tag: 't', stale: now - 180_000, expired: now + 365 * 86_400_000 }, now)).toBe('stale since 14:02:11 UTC, 3 min ago · expires in 1 year');
    expect(describeState({ tag: 't', expired: now - 7_200_000 }, now)).toBe('expired at 12:05:11 UTC, 2 hours ago');
  });
});

describe('startup', () => {
  it('a settings change right after initialized queues one re-index of the real folders (no race to an empty index)', async () => {
    const c = new TestClient();
    try {
      const root = join(__dirname, 'app');
      await c.conn.sendRequest('initialize', { processId: process.pid, rootUri: uri(root), workspaceFolders: [{ uri: uri(root), name: 'app' }], capabilities: { window: { workDoneProgress: true }, workspace: { configuration: true, workspaceFolders: true } }, initializationOptions: { settings: {} } });
      await c.conn.sendNotification('initialized', {});
      await c.conn.sendNotification('workspace/didChangeConfiguration', { settings: { tagscope: { rules: { 'unused-tag': 'off' } } } });
      const statuses = () => c.notifications.filter((n) => n.method === 'tagscope/status').map((n) => n.params as { state: string; apps: number });
      await c.until(() => statuses().filter((s) => s.state === 'ready').length >= 2, 20_000, 'two index runs');
      await new Promise((r) => setTimeout(r, 300));
      const ready = statuses().filter((s) => s.state === 'ready');
      expect(ready.every((s) => s.apps === 1)).toBe(true);
      expect(statuses().at(-1)).toMatchObject({ state: 'ready', apps: 1 });
    } finally {
      await c.close();
    }
  });
});
