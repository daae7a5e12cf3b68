// A real VS Code (code-server 4.100.3, the newest release that runs on Node 20) for the e2e test
// and `npm start`. Provisioned on demand into a cache folder outside the clone and reused; every
// run gets its own HOME/XDG/user-data/extensions folders so nothing touches the user's profile.
// See ../../shared/research/vscode-e2e.md for why each step is here.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3';
const RIPGREP_CACHE = 'vscode-ripgrep-cache-1.15.11';
const RIPGREP_TARBALL = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const cacheRoot = join(process.env.XDG_CACHE_HOME || join(process.env.HOME || tmpdir(), '.cache'), 'tagscope-e2e');
export const codeServerDir = join(cacheRoot, `code-server-${CODE_SERVER_VERSION}`);
const entry = join(codeServerDir, 'node_modules/code-server/out/node/entry.js');
const marker = join(codeServerDir, '.complete');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Returns the path of code-server's entry script, installing it first when the cache lacks it. */
export async function ensureCodeServer(log = (m) => process.stderr.write(m + '\n')) {
  if (existsSync(marker) && existsSync(entry)) return entry;
  mkdirSync(cacheRoot, { recursive: true });
  const lock = join(cacheRoot, `.lock-${CODE_SERVER_VERSION}`);
  // One installer at a time (the e2e test and `npm start` share the cache).
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(marker) && existsSync(entry)) return entry;
      if (i > 600) throw new Error(`code-server install lock ${lock} held for 10 minutes; remove it if no install is running`);
      await sleep(1000);
    }
  }
  try {
    if (existsSync(marker) && existsSync(entry)) return entry;
    const rg = ['/usr/bin/rg', '/usr/local/bin/rg'].find((p) => existsSync(p));
    if (!rg) throw new Error('ripgrep is missing: code-server\'s @vscode/ripgrep would download it from GitHub. Run: apt-get install -y ripgrep libkrb5-dev');
    if (!existsSync('/usr/include/gssapi/gssapi.h') && !existsSync('/usr/include/gssapi.h')) {
      throw new Error('libkrb5-dev is missing (code-server\'s kerberos module needs gssapi.h). Run: apt-get install -y libkrb5-dev ripgrep');
    }
    log(`tagscope: installing code-server ${CODE_SERVER_VERSION} into ${codeServerDir} (about a minute, once)…`);
    rmSync(codeServerDir, { recursive: true, force: true });
    mkdirSync(codeServerDir, { recursive: true });
    // @vscode/ripgrep's postinstall downloads from api.github.com unless its cache holds the tarball.
    const tmp = mkdtempSync(join(cacheRoot, 'tmp-install-'));
    const seed = join(tmp, RIPGREP_CACHE);
    const stage = join(tmp, 'stage');
    mkdirSync(seed, { recursive: true });
    mkdirSync(stage);
    copyFileSync(rg, join(stage, 'rg'));
    execFileSync('tar', ['czf', join(seed, RIPGREP_TARBALL), '-C', stage, 'rg']);
    writeFileSync(join(codeServerDir, 'package.json'), JSON.stringify({ name: 'tagscope-code-server', private: true }, null, 2));
    const env = { ...process.env, TMPDIR: tmp, npm_config_yes: 'true', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' };
    for (const k of Object.keys(env)) if (k.startsWith('npm_package_') || k === 'npm_lifecycle_event' || k === 'npm_lifecycle_script') delete env[k];
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    await new Promise((resolve, reject) => {
      const child = spawn(npm, ['install', '--no-save', '--unsafe-perm', '--loglevel=error', `code-server@${CODE_SERVER_VERSION}`], { cwd: codeServerDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`npm install code-server@${CODE_SERVER_VERSION} failed (${code}):\n${out.slice(-4000)}`))));
    });
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(entry)) throw new Error(`code-server installed but ${entry} is missing`);
    writeFileSync(marker, new Date().toISOString() + '\n');
    log('tagscope: code-server installed.');
    return entry;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Isolated folders for one code-server instance (its HOME, XDG dirs, user data, extensions). */
export function makeProfile(base) {
  mkdirSync(base, { recursive: true });
  const dirs = { base, home: join(base, 'home'), xdg: join(base, 'xdg'), tmp: join(base, 'tmp'), userData: join(base, 'user-data'), extensions: join(base, 'extensions'), config: join(base, 'config.yaml') };
  for (const d of [dirs.home, dirs.xdg, dirs.tmp, join(dirs.userData, 'User'), dirs.extensions]) mkdirSync(d, { recursive: true });
  if (!existsSync(dirs.config)) writeFileSync(dirs.config, 'auth: none\ncert: false\n');
  const userSettings = join(dirs.userData, 'User/settings.json');
  if (existsSync(userSettings)) return dirs; // a reused profile (the playground) keeps its settings
  // Keep the workbench quiet and deterministic: no welcome page, no telemetry prompts, no trust dialog.
  writeFileSync(
    userSettings,
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.reduceMotion': 'on',
        'telemetry.telemetryLevel': 'off',
        'security.workspace.trust.enabled': false,
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'update.mode': 'none',
        'chat.disableAIFeatures': true,
        'typescript.tsserver.experimental.enableProjectDiagnostics': false,
        'git.enabled': false,
      },
      null,
      2,
    ),
  );
  return dirs;
}

function envFor(dirs) {
  const env = { ...process.env, HOME: dirs.home, XDG_CONFIG_HOME: dirs.xdg, XDG_DATA_HOME: dirs.xdg, XDG_CACHE_HOME: join(dirs.xdg, 'cache'), TMPDIR: dirs.tmp, XDG_RUNTIME_DIR: dirs.tmp };
  // Never leak secrets or the repo's npm context into the editor (and thus the extension host).
  for (const k of Object.keys(env)) if (k.startsWith('npm_') || k === 'REDIS_URL' || k === 'TAGSCOPE_REDIS_URL' || k === 'VSCODE_IPC_HOOK_CLI') delete env[k];
  return env;
}

function flags(dirs, trust) {
  return [
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    ...(trust ? [] : ['--disable-workspace-trust']),
    '--ignore-last-opened',
    '--user-data-dir', dirs.userData,
    '--extensions-dir', dirs.extensions,
    '--config', dirs.config,
  ];
}

export function installExtension(codeServer, dirs, vsix) {
  const out = execFileSync(process.execPath, [codeServer, ...flags(dirs, false), '--force', '--install-extension', vsix], { env: envFor(dirs), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  return out;
}

/**
 * Starts code-server on a free loopback port in its own process group. Resolves once /healthz
 * answers. `stop()` kills the whole group (the server's extension host and language server too).
 */
export async function startCodeServer(codeServer, dirs, { port, logFile, workspaceTrust = false, extraArgs = [] } = {}) {
  port ??= await freePort();
  const { openSync } = await import('node:fs');
  const fd = logFile ? openSync(logFile, 'a') : 'ignore';
  const child = spawn(process.execPath, [codeServer, ...flags(dirs, workspaceTrust), ...extraArgs, '--bind-addr', `127.0.0.1:${port}`], {
    env: envFor(dirs),
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  let exited = null;
  // If our process ends without stop() (a crash, process.exit), take the editor down with it.
  const onExit = () => stopGroup(child.pid, 'SIGKILL');
  process.on('exit', onExit);
  child.on('exit', (code, signal) => {
    exited = { code, signal };
    process.off('exit', onExit);
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`code-server exited early (${JSON.stringify(exited)})${logFile ? `; log: ${logFile}` : ''}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      stopGroup(child.pid);
      throw new Error(`code-server did not answer ${url}/healthz within 60 s`);
    }
    await sleep(200);
  }
  return {
    url,
    port,
    pid: child.pid,
    child,
    stop: async () => {
      process.off('exit', onExit);
      stopGroup(child.pid);
      for (let i = 0; i < 50 && !exited; i++) await sleep(100);
      if (!exited) stopGroup(child.pid, 'SIGKILL');
      // The extension host and the language server leave shortly after; give the group a moment.
      for (let i = 0; i < 30 && groupAlive(child.pid); i++) await sleep(100);
      if (groupAlive(child.pid)) stopGroup(child.pid, 'SIGKILL');
    },
  };
}

function stopGroup(pid, signal = 'SIGTERM') {
  try {
    process.kill(-pid, signal);
  } catch {
    /* gone */
  }
}

function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Builds (minified) and packages the extension; returns the .vsix path. */
export function packageVsix() {
  execFileSync('npm', ['run', '--silent', 'package'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const vsix = join(root, 'tagscope.vsix');
  if (!existsSync(vsix)) throw new Error('npm run package did not write tagscope.vsix');
  return vsix;
}

export function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}
