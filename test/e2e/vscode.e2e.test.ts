/**
 * The packaged extension in a real VS Code: code-server 4.100.3 (VS Code 1.100.3, provisioned on
 * demand into ~/.cache/tagscope-e2e and reused), the .vsix built by scripts/package.mjs installed
 * with --install-extension, driven by playwright-core and Debian's Chromium. In order:
 *  - the VSIX holds the bundles, the webview assets and the marketplace files, no node_modules;
 *  - the status item (apps, tags), the server's diagnostics in the Problems panel, the tag hover;
 *  - Connect to Redis from the palette (masked input) to a password-protected redis-server of this
 *    test: the password then appears in no file of the editor profile (settings, logs — with a
 *    verbose LSP trace) and in no process's argv;
 *  - Invalidate Cache Tag on the tag under the cursor (mode pick, modal), asserted in Redis through
 *    @tagscope/handler's TagStore; the Cache Tags panel (states, invalidating from a row);
 *  - a server restart reconnects from SecretStorage; a second window runs test/e2e/suite in its
 *    extension host (settings reach the server, hover/definition/references, reconnect on
 *    activation, commands with arguments → asserted in Redis); disconnect;
 *  - Restricted Mode (a second code-server with workspace trust on): analysis on, store off.
 *
 * Needs /usr/bin/chromium, redis-server, ripgrep, libkrb5-dev, unzip (.ci/run installs them). A
 * missing prerequisite fails the suite; it never skips. Screenshots, logs and timings:
 * test/.artifacts/e2e/.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { assertChromium, launchBrowser, runCommand } from './browser';
import { TagStore } from '@tagscope/handler';
import { build } from 'esbuild';
// @ts-expect-error -- plain .mjs helper shared with `npm start`
import { ensureCodeServer, freePort, installExtension, makeProfile, root, startCodeServer } from '../../scripts/code-server.mjs';

const WORKSPACE = join(root, 'test/e2e/workspace');
const ARTIFACTS = join(root, 'test/.artifacts/e2e');
const PASSWORD = `e2e-secret-${process.pid}-${Date.now().toString(36)}`;
const KEY_PREFIX = `tagscope-e2e-${process.pid}-${Date.now().toString(36)}`;
const STEP = 120_000;
const LIGHT_TS = { 'typescript.tsserver.useSyntaxServer': 'always' };

let base = '';
let redis: ChildProcess | undefined;
let redisUrl = '';
let server: { url: string; pid: number; stop: () => Promise<void> } | undefined;
let browser: BrowserContext | undefined;
let page: Page;
let dirs: { base: string; userData: string };
let store: TagStore | undefined;
let codeServerEntry = '';
const timings: Record<string, number> = {};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) }).catch(() => undefined);

async function timed<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
  const t0 = Date.now();
  try {
    return await fn();
  } finally {
    timings[name] = Date.now() - t0;
  }
}

async function startRedis(): Promise<string> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', PASSWORD], { stdio: 'ignore' });
  redis = child;
  let failed: Error | undefined;
  child.on('error', (e) => (failed = e));
  const url = `redis://:${PASSWORD}@127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (failed) throw new Error(`redis-server could not start (${failed.message}); install it: apt-get install redis-server`);
    try {
      const s = await TagStore.connect({ url, keyPrefix: KEY_PREFIX, timeoutMs: 500 });
      store = s;
      return url;
    } catch {
      await sleep(100);
    }
  }
  throw new Error('redis-server did not answer within 10 s');
}

async function openFile(name: string, expectText: string) {
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
  await sleep(200);
  await page.keyboard.press('Enter');
  await page.locator('.editor-instance .view-lines', { hasText: expectText }).first().waitFor();
}

const statusItem = () => page.locator('.statusbar-item', { hasText: 'Tagscope' }).first();

async function waitForStatus(re: RegExp, timeout = 60_000) {
  const deadline = Date.now() + timeout;
  let text = '';
  while (Date.now() < deadline) {
    text = (await statusItem().innerText().catch(() => '')).replace(/\s+/g, ' ');
    if (re.test(text)) return text;
    await sleep(250);
  }
  throw new Error(`status item never matched ${re}; last text: ${JSON.stringify(text)}`);
}

/**
 * Opens a second window whose extension host runs test/e2e/suite/extensionHost.ts against the
 * packaged extension (unpacked as the development extension), VS Code's own web test mechanism.
 */
async function runExtensionHostSuite(): Promise<{ name: string; ok: boolean; ms: number; error?: string }[]> {
  const dev = join(base, 'dev-extension');
  rmSync(dev, { recursive: true, force: true });
  execFileSync('unzip', ['-q', join(ARTIFACTS, 'tagscope-e2e.vsix'), 'extension/*', '-d', dev]);
  const suite = join(base, 'suite/extensionHost.js');
  await build({ entryPoints: [join(root, 'test/e2e/suite/extensionHost.ts')], outfile: suite, bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], logLevel: 'warning' });
  const resultsFile = join(base, 'profile/tmp/tagscope-ext-tests.json');
  rmSync(resultsFile, { force: true });
  const authority = new URL(server!.url).host;
  const payload = JSON.stringify([
    ['extensionDevelopmentPath', `vscode-remote://${authority}${join(dev, 'extension')}`],
    ['extensionTestsPath', `vscode-remote://${authority}${suite}`],
  ]);
  const second = await browser!.newPage();
  const logs: string[] = [];
  const t0 = Date.now();
  let exit: (code: number) => void = () => undefined;
  const exited = new Promise<number>((r) => (exit = r));
  try {
    await second.exposeFunction('codeAutomationExit', (code: number) => {
      logs.push(`+${Date.now() - t0}ms exit ${code}`);
      exit(code);
    });
    await second.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => logs.push(`+${Date.now() - t0}ms ${type}: ${(args ?? []).map(String).join(" ")}`));
    await second.goto(`${server!.url}/?folder=${encodeURIComponent(WORKSPACE)}&payload=${encodeURIComponent(payload)}`);
    const code = await Promise.race([exited, sleep(180_000).then(() => -1)]);
    await second.screenshot({ path: join(ARTIFACTS, '9-extension-host.png') }).catch(() => undefined);
    writeFileSync(join(ARTIFACTS, 'extension-host.log'), logs.join('\n') + '\n');
    if (!existsSync(resultsFile)) throw new Error(`the extension-host suite wrote no results (exit code ${code}); log:\n${logs.join('\n').slice(-3000)}`);
    const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
    if (code !== 0 && results.every((r: { ok: boolean }) => r.ok)) throw new Error(`the extension-host suite exited with ${code}; log:\n${logs.join('\n').slice(-3000)}`);
    return results;
  } finally {
    await second.close().catch(() => undefined);
  }
}

/** The extension's LogOutputChannel as written to the profile's log folder. */
function tagscopeLog(): string {
  const files = existsSync(join(dirs.userData, 'logs')) ? textFiles(join(dirs.userData, 'logs')).filter((f) => f.endsWith('tagscope.tagscope/Tagscope.log')) : [];
  return files.map((f) => readFileSync(f, 'utf8')).join('\n');
}

/** Every file under dir (for leak checks), skipping big binaries. */
function textFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) textFiles(p, out);
    else if (e.isFile() && statSync(p).size < 5_000_000) out.push(p);
  }
  return out;
}

describe('Tagscope in a real VS Code (code-server 4.100.3)', () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const f of readdirSync(ARTIFACTS)) if (f.endsWith('.png')) rmSync(join(ARTIFACTS, f));
    assertChromium();
    redisUrl = await timed('redis', startRedis);
    const codeServer: string = await timed('provision code-server', () => ensureCodeServer());
    codeServerEntry = codeServer;
    const vsix = join(ARTIFACTS, 'tagscope-e2e.vsix');
    await timed('package vsix', () => execFileSync(process.execPath, [join(root, 'scripts/package.mjs'), '--out', vsix], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }));
    base = mkdtempSync(join(tmpdir(), 'tagscope-e2e-'));
    dirs = makeProfile(join(base, 'profile'));
    // The key prefix is a user setting of this throwaway profile, unique per run.
    const settingsFile = join(dirs.userData, 'User/settings.json');
    const settings = JSON.parse(readFileSync(settingsFile, 'utf8'));
    // TypeScript's syntax server only: the full tsserver would load the project for nothing here
    // and compete for the two cores with the other suites. A verbose LSP trace: the URL must not
    // reach the log even then.
    writeFileSync(settingsFile, JSON.stringify({ ...settings, ...LIGHT_TS, 'tagscope.redis.keyPrefix': KEY_PREFIX, 'tagscope.trace.server': 'verbose' }, null, 2));
    await timed('install vsix', () => installExtension(codeServer, dirs, vsix));
    server = await timed('start code-server', () => startCodeServer(codeServer, dirs, { logFile: join(ARTIFACTS, 'code-server.log'), extraArgs: ['--log', 'trace'] }));
    ({ browser, page } = await launchBrowser(join(base, 'chromium')));
    await timed('open workbench', async () => {
      await page.goto(`${server!.url}/?folder=${encodeURIComponent(WORKSPACE)}`);
      await page.locator('.monaco-workbench .explorer-folders-view').waitFor({ timeout: 60_000 });
    });
  }, 420_000);

  afterAll(async () => {
    if (page) await shot('zz-last');
    if (dirs) writeFileSync(join(ARTIFACTS, 'Tagscope.log'), tagscopeLog());
    await browser?.close().catch(() => undefined);
    await server?.stop();
    await store?.close().catch(() => undefined);
    if (redis?.pid) {
      try {
        process.kill(redis.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
    // TAGSCOPE_E2E_KEEP=1 keeps the editor profiles (logs of every window) for debugging.
    if (base && !process.env.TAGSCOPE_E2E_KEEP) rmSync(base, { recursive: true, force: true });
    else if (base) console.log(`tagscope e2e: profiles kept in ${base}`);
    writeFileSync(join(ARTIFACTS, 'timings.json'), JSON.stringify(timings, null, 2) + '\n');
  }, 60_000);

  it('packages a VSIX with the bundles only (no node_modules)', () => {
    const listing = execFileSync('unzip', ['-Z1', join(ARTIFACTS, 'tagscope-e2e.vsix')], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    expect(listing).toEqual(
      [
        '[Content_Types].xml',
        'extension.vsixmanifest',
        'extension/LICENSE.txt',
        'extension/changelog.md',
        'extension/dist/extension.js',
        'extension/dist/server.js',
        'extension/dist/webview/codicon.css',
        'extension/dist/webview/codicon.ttf',
        'extension/dist/webview/panel.css',
        'extension/dist/webview/panel.js',
        'extension/media/icon.png',
        'extension/package.json',
        'extension/readme.md',
      ].sort(),
    );
    expect(statSync(join(ARTIFACTS, 'tagscope-e2e.vsix')).size).toBeLessThan(10 * 1024 * 1024);
  });

  it('activates on the next.config file and shows the status item', async () => {
    await timed('status ready', async () => {
      await statusItem().waitFor({ timeout: 60_000 });
      const text = await waitForStatus(/Tagscope: 1 app · \d+ tags?/);
      expect(text).toContain('Tagscope');
    });
    await shot('1-status');
  }, STEP);

  it('shows the server diagnostics in the Problems panel', async () => {
    await timed('diagnostics', async () => {
      await page.locator('.monaco-workbench').click({ position: { x: 700, y: 400 } });
      await page.keyboard.press('Control+Shift+M');
      const rows = page.locator('.markers-panel .monaco-list-row');
      await rows.filter({ hasText: 'update-tag-outside-server-action' }).first().waitFor({ timeout: 60_000 });
      await rows.filter({ hasText: 'undeclared-tag' }).first().waitFor({ timeout: 30_000 });
      const all = (await page.locator('.markers-panel').innerText()).replace(/\s+/g, ' ');
      expect(all).toContain('Route Handler');
      expect(all).toMatch(/prodcuts/);
      expect(all).toContain('tagscope');
    });
    await shot('2-problems');
  }, STEP);

  it('hovers a tag argument with its declarations and invalidations', async () => {
    await timed('hover', async () => {
      await openFile('products.ts', "cacheTag('products')");
      const word = page.locator('.editor-instance .view-lines span', { hasText: /^'products'$/ }).first();
      await word.waitFor();
      const hover = page.locator('.monaco-hover:not(.hidden)', { hasText: 'Cache tag' });
      for (let i = 0; i < 20 && !(await hover.isVisible()); i++) {
        // Moving within one word does not recompute a hover: move away, then back.
        await page.mouse.move(700, 700);
        await page.keyboard.press('Escape');
        await sleep(300);
        const b = (await word.boundingBox())!;
        await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 3 });
        await hover.waitFor({ timeout: 3000 }).catch(() => undefined);
      }
      const text = (await hover.innerText()).replace(/\s+/g, ' ');
      expect(text).toMatch(/Cache tag products/);
      expect(text).toMatch(/Declared \(1\)/);
      expect(text).toMatch(/Invalidated \(\d+\)/);
      expect(text).toContain('actions.ts');
    });
    await shot('3-hover');
  }, STEP);

  it('connects to Redis from the palette; the URL goes to secret storage only', async () => {
    await timed('connect', async () => {
      await page.mouse.move(700, 700);
      await runCommand(page, 'Tagscope: Connect to Redis…');
      const box = page.locator('.quick-input-widget', { hasText: 'Connect to Redis' });
      await box.waitFor();
      const input = box.locator('input.input');
      expect(await input.getAttribute('type')).toBe('password');
      await input.fill(redisUrl);
      await sleep(200);
      await page.keyboard.press('Enter');
      await page.locator('.notification-toast', { hasText: 'connected to the tag store' }).first().waitFor({ timeout: 30_000 });
      await waitForStatus(/Redis/, 30_000);
    });
    await shot('4-connected');
    // Never in settings, logs or any file of the profile (SecretStorage is encrypted at rest in
    // code-server's state database), nor in any process's argv.
    await sleep(1000);
    // The LSP trace is verbose (params logged: the check below is not vacuous), yet not the URL.
    expect(tagscopeLog()).toMatch(/Sending request 'textDocument\/hover[\s\S]*Params:/);
    const leaks = textFiles(dirs.base).filter((f) => readFileSync(f).includes(PASSWORD));
    expect(leaks).toEqual([]);
    const argv = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes(PASSWORD) && !l.includes('redis-server'));
    expect(argv).toEqual([]);
  }, STEP);

  it('invalidates the tag under the cursor (expire now) and Redis has it expired', async () => {
    expect((await store!.get('products'))?.expired).toBeUndefined();
    const before = Date.now();
    await timed('invalidate tag', async () => {
      await page.keyboard.press('Escape');
      const word = page.locator('.editor-instance .view-lines span', { hasText: /^'products'$/ }).first();
      const b = (await word.boundingBox())!;
      await page.mouse.click(b.x + b.width / 2, b.y + b.height / 2);
      await runCommand(page, 'Tagscope: Invalidate Cache Tag…');
      const modes = page.locator('.quick-input-widget', { hasText: "Invalidate 'products'" });
      await modes.waitFor();
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Expire now' }).first().click();
      const dialog = page.locator('.monaco-dialog-box', { hasText: "Invalidate 'products'?" });
      await dialog.waitFor();
      await shot('5-confirm');
      await dialog.locator('.monaco-button', { hasText: 'Invalidate' }).first().click();
      await page.locator('.notification-toast', { hasText: "'products' expired now" }).first().waitFor({ timeout: 30_000 });
    });
    await shot('6-invalidated');
    const state = await store!.get('products');
    expect(state?.expired).toBeGreaterThanOrEqual(before - 5000);
    expect(state!.expired!).toBeLessThanOrEqual(Date.now() + 1000);
  }, STEP);

  it('opens the live tag panel: code and store state per tag, and invalidates from it', async () => {
    await timed('panel', async () => {
      await runCommand(page, 'Tagscope: Open Cache Tags Panel');
      const wv = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
      const row = (tag: string) => wv.locator('.row', { has: wv.locator('.tagtext', { hasText: new RegExp(`^${tag}$`) }) });
      await row('products').locator('.badge').filter({ hasText: 'expired' }).waitFor({ timeout: 30_000 });
      await row('catalog').waitFor();
      await wv.locator('.banner', { hasText: 'Connected' }).waitFor();
      await shot('6b-panel');
      expect((await store!.get('prodcuts'))?.expired).toBeUndefined();
      await wv.locator('button[aria-label="Expire prodcuts now"]').click();
      const dialog = page.locator('.monaco-dialog-box', { hasText: "Expire 'prodcuts' now" });
      await dialog.waitFor();
      await dialog.locator('.monaco-button', { hasText: 'Invalidate' }).first().click();
      await row('prodcuts').locator('.badge').filter({ hasText: 'expired' }).waitFor({ timeout: 30_000 });
      await shot('6c-panel-invalidated');
    });
    expect((await store!.get('prodcuts'))?.expired).toBeLessThanOrEqual(Date.now());
    await runCommand(page, 'View: Close All Editors');
  }, STEP);

  it('reconnects from secret storage after a language server restart', async () => {
    const indexed = () => (tagscopeLog().match(/app\(s\),/g) ?? []).length;
    const before = indexed();
    expect(before).toBeGreaterThan(0);
    await timed('restart + reconnect', async () => {
      await runCommand(page, 'Tagscope: Restart Language Server');
      // A new server indexes again and has no store until the client sends the stored URL.
      for (let i = 0; i < 240 && indexed() <= before; i++) await sleep(250);
      expect(indexed()).toBeGreaterThan(before);
      await waitForStatus(/Tagscope: 1 app .*Redis/, 60_000);
    });
    expect(tagscopeLog()).not.toContain(PASSWORD);
    await shot('7-restarted');
  }, STEP);

  it('passes the extension-host suite in a second window (settings, hover/definition/references, reconnect, commands with arguments)', async () => {
    const results = await timed('extension-host suite', () => runExtensionHostSuite());
    const failed = results.filter((r) => !r.ok);
    expect(failed.map((f) => `${f.name}\n${f.error}`).join('\n\n')).toBe('');
    expect(results.length).toBeGreaterThanOrEqual(7);
    // Through the store, as a running Next instance sees it: stale now, expired after 'hours' (86400 s).
    const catalog = await store!.get('catalog');
    expect(catalog?.stale).toBeLessThanOrEqual(Date.now());
    expect(catalog!.stale!).toBeGreaterThan(Date.now() - 120_000);
    expect(catalog!.expired! - catalog!.stale!).toBeGreaterThan(86_000_000);
    expect(catalog!.expired! - catalog!.stale!).toBeLessThan(86_800_000);
    expect((await store!.get('_N_T_/layout'))?.expired).toBeGreaterThan(Date.now() - 120_000);
  }, 240_000);

  it('disconnects and forgets the URL', async () => {
    await page.bringToFront();
    await timed('disconnect', async () => {
      await runCommand(page, 'Tagscope: Disconnect from Redis and Forget the URL');
      await page.locator('.notification-toast', { hasText: 'disconnected from the tag store' }).first().waitFor({ timeout: 30_000 });
      await waitForStatus(/^(?!.*Redis).*Tagscope: 1 app/, 30_000);
    });
    await shot('8-disconnected');
  }, STEP);
  it('in an untrusted workspace (Restricted Mode): analysis on, store commands off', async () => {
    // A second code-server with workspace trust on and a fresh profile: the folder opens untrusted.
    const trustDirs = makeProfile(join(base, 'profile-untrusted'));
    const settingsFile = join(trustDirs.userData, 'User/settings.json');
    const settings = JSON.parse(readFileSync(settingsFile, 'utf8'));
    writeFileSync(settingsFile, JSON.stringify({ ...settings, ...LIGHT_TS, 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.banner': 'never' }, null, 2));
    installExtension(codeServerEntry, trustDirs, join(ARTIFACTS, 'tagscope-e2e.vsix'));
    const untrusted = await startCodeServer(codeServerEntry, trustDirs, { workspaceTrust: true, logFile: join(ARTIFACTS, 'code-server-untrusted.log') });
    const third = await browser!.newPage();
    try {
      await timed('restricted mode', async () => {
        await third.goto(`${untrusted.url}/?folder=${encodeURIComponent(WORKSPACE)}`);
        await third.locator('.monaco-workbench .explorer-folders-view').waitFor({ timeout: 60_000 });
        await third.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 30_000 });
        await third.locator('.statusbar-item', { hasText: /Tagscope: 1 app · \d+ tags?/ }).first().waitFor({ timeout: 60_000 });
        await third.keyboard.press('Control+Shift+M');
        await third.locator('.markers-panel .monaco-list-row', { hasText: 'update-tag-outside-server-action' }).first().waitFor({ timeout: 60_000 });
        // The palette offers the analysis commands but not the store ones.
        await third.keyboard.press('Control+Shift+P');
        const input = third.locator('.quick-input-widget input');
        await input.waitFor();
        await input.fill('>Tagscope:');
        await third.locator('.quick-input-list .monaco-list-row', { hasText: 'Tagscope: Show Output' }).first().waitFor();
        await sleep(300);
        const labels = (await third.locator('.quick-input-list .monaco-list-row').allInnerTexts()).join(' | ');
        expect(labels).toContain('Restart Language Server');
        expect(labels).not.toContain('Connect to Redis');
        expect(labels).not.toContain('Invalidate Cache Tag');
        await third.screenshot({ path: join(ARTIFACTS, '10-restricted.png') });
      });
    } finally {
      await third.close().catch(() => undefined);
      await untrusted.stop();
    }
  }, STEP);
});
