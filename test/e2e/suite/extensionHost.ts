// Runs INSIDE the VS Code extension host (code-server's `extensionTestsPath` payload), against the
// packaged extension unpacked as the development extension. Bundled by the e2e test with esbuild
// (vscode external). Every check is recorded; the results go to $TMPDIR/tagscope-ext-tests.json
// (the e2e test reads them) and the exit code is 1 when one failed.
import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';

interface TagscopeApi {
  status(): { state: string; apps: number; tags: number; store: { state: string; label?: string } } | undefined;
}

const results: { name: string; ok: boolean; ms: number; error?: string }[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function check(name: string, fn: () => Promise<void>) {
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true, ms: Date.now() - t0 });
  } catch (e) {
    results.push({ name, ok: false, ms: Date.now() - t0, error: (e as Error)?.stack ?? String(e) });
  }
}

async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

function positionOf(doc: vscode.TextDocument, needle: string, offsetInNeedle: number): vscode.Position {
  const i = doc.getText().indexOf(needle);
  assert.ok(i >= 0, `${needle} not found in ${doc.uri.fsPath}`);
  return doc.positionAt(i + offsetInNeedle);
}

const hoverText = (hovers: vscode.Hover[]) =>
  hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');

export async function run(): Promise<void> {
  const folder = vscode.workspace.workspaceFolders![0].uri;
  const route = vscode.Uri.joinPath(folder, 'app/api/revalidate/route.ts');
  const products = vscode.Uri.joinPath(folder, 'lib/products.ts');
  const codes = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'tagscope').map((d) => String(typeof d.code === 'object' ? d.code.value : d.code));
  let api: TagscopeApi | undefined;

  await check('the packaged extension activates and registers its commands', async () => {
    const ext = vscode.extensions.getExtension<TagscopeApi>('tagscope.tagscope');
    assert.ok(ext, 'extension tagscope.tagscope not found');
    api = await ext.activate();
    assert.equal(typeof api?.status, 'function');
    const all = await vscode.commands.getCommands(true);
    for (const id of ['tagscope.connectRedis', 'tagscope.disconnectRedis', 'tagscope.invalidateTag', 'tagscope.invalidatePath', 'tagscope.restartServer', 'tagscope.showOutput']) assert.ok(all.includes(id), `${id} is not registered`);
    await until('the index to be ready with 1 app', () => api!.status()?.state === 'ready' && api!.status()!.apps === 1);
  });

  await check('diagnostics of a file that is not open reach VS Code', async () => {
    await until('tagscope diagnostics on route.ts', () => codes(route).includes('update-tag-outside-server-action') && codes(route).includes('undeclared-tag'));
  });

  await check('tagscope.rules.* settings reach the server (off, then error, then default)', async () => {
    const cfg = () => vscode.workspace.getConfiguration('tagscope');
    try {
      await cfg().update('rules.undeclared-tag', 'off', vscode.ConfigurationTarget.Global);
      await until('undeclared-tag to disappear', () => !codes(route).includes('undeclared-tag') && codes(route).includes('update-tag-outside-server-action'));
      await cfg().update('rules.undeclared-tag', 'error', vscode.ConfigurationTarget.Global);
      await until('undeclared-tag as an error', () =>
        vscode.languages.getDiagnostics(route).some((d) => d.source === 'tagscope' && String(typeof d.code === 'object' ? d.code.value : d.code) === 'undeclared-tag' && d.severity === vscode.DiagnosticSeverity.Error),
      );
    } finally {
      await cfg().update('rules.undeclared-tag', undefined, vscode.ConfigurationTarget.Global);
    }
    await until('undeclared-tag back as a warning', () =>
      vscode.languages.getDiagnostics(route).some((d) => d.source === 'tagscope' && String(typeof d.code === 'object' ? d.code.value : d.code) === 'undeclared-tag' && d.severity === vscode.DiagnosticSeverity.Warning),
    );
  });

  await check('hover, definition and references on a tag argument', async () => {
    const doc = await vscode.workspace.openTextDocument(products);
    const hovers = await until('a tagscope hover', async () => {
      const h = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', products, positionOf(doc, "cacheTag('products')", 12));
      return h && hoverText(h).includes('**Cache tag** `products`') ? h : undefined;
    }, 30_000);
    assert.match(hoverText(hovers), /Declared \(1\)/);
    const routeDoc = await vscode.workspace.openTextDocument(route);
    const defs = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>('vscode.executeDefinitionProvider', route, positionOf(routeDoc, "updateTag('products')", 12));
    const targets = defs.map((d) => ('targetUri' in d ? d.targetUri : d.uri).toString());
    assert.ok(targets.includes(products.toString()), `definition went to ${JSON.stringify(targets)}`);
    const refs = await vscode.commands.executeCommand<vscode.Location[]>('vscode.executeReferenceProvider', products, positionOf(doc, "cacheTag('products')", 12));
    assert.ok(refs.length >= 3, `expected >= 3 references (declaration, action, route), got ${refs.length}`);
  });

  await check('a new window reconnects to the store from SecretStorage', async () => {
    await until('the store to be connected', () => api!.status()?.store.state === 'connected', 30_000);
    const label = api!.status()!.store.label ?? '';
    assert.ok(!/:[^/@]*@/.test(label), `the store label must not carry credentials: ${label}`);
  });

  await check('tagscope.invalidateTag with arguments asks nothing (stale, profile hours)', async () => {
    const r = await vscode.commands.executeCommand<{ ok: boolean; error?: string }>('tagscope.invalidateTag', 'catalog', { mode: 'stale', profile: 'hours' });
    assert.deepEqual(r, { ok: true });
    const bad = await vscode.commands.executeCommand<{ ok: boolean; error?: string }>('tagscope.invalidateTag', ['catalog'], { mode: 'stale', profile: 'no-such-profile' });
    assert.equal(bad.ok, false);
    assert.match(bad.error ?? '', /no-such-profile/);
  });

  await check('tagscope.invalidatePath with arguments', async () => {
    const r = await vscode.commands.executeCommand<{ ok: boolean; error?: string }>('tagscope.invalidatePath', '/', 'layout');
    assert.deepEqual(r, { ok: true });
    const bad = await vscode.commands.executeCommand<{ ok: boolean; error?: string }>('tagscope.invalidatePath', 'no-slash');
    assert.equal(bad.ok, false);
  });

  writeFileSync(join(tmpdir(), 'tagscope-ext-tests.json'), JSON.stringify(results, null, 2));
  const failed = results.filter((r) => !r.ok);
  for (const r of results) console.log(`${r.ok ? 'PASS' : 'FAIL'} ${r.name} (${r.ms} ms)${r.error ? '\n' + r.error : ''}`);
  if (failed.length) throw new Error(`${failed.length} of ${results.length} extension-host checks failed: ${failed.map((f) => f.name).join('; ')}`);
}
