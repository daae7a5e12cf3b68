/**
 * test/apps/two-instance built once per content (app source + handler/dist), shared by every suite
 * and script that runs it under `next start` (next-app.test.ts, test/chaos): each build costs
 * ~60 s, so a second suite in a parallel vitest worker waits for the first one's build instead of
 * starting its own. The build lives under the git-ignored test/.artifacts/next-app/<hash>, so
 * concurrent runs never share a half-built .next and the build never rewrites tracked files.
 *
 * The handler is loaded from a snapshot of handler/dist inside the build directory (a rebuild of
 * the working tree cannot pull files from under running servers, and a changed handler is a new hash).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { killGroup, sleep } from './helpers';

/** The repository root (found by walking up, so this module also works bundled elsewhere, as report.mjs does). */
export const ROOT = (() => {
  let d = __dirname;
  while (!existsSync(join(d, 'test', 'apps', 'two-instance')) && dirname(d) !== d) d = dirname(d);
  return d;
})();
const APP_SRC = join(ROOT, 'test', 'apps', 'two-instance');
const HANDLER_DIST = join(ROOT, 'handler', 'dist');
export const NEXT_BIN = join(ROOT, 'node_modules', 'next', 'dist', 'bin', 'next');
const BUILDS = join(ROOT, 'test', '.artifacts', 'next-app');


export interface BuiltApp {
  /** The app directory to run `next start` in. */
  dir: string;
  /** The handler snapshot (TAGSCOPE_TEST_HANDLER_DIR). */
  handlerDir: string;
  /** Server Action id by exported name (from the server reference manifest). */
  actionId(name: string): string;
}

function files(dir: string, skip: (p: string) => boolean): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (skip(p)) continue;
    if (e.isDirectory()) out.push(...files(p, skip));
    else if (e.isFile()) out.push(p);
  }
  return out.sort();
}

function contentHash(): string {
  const h = createHash('sha256');
  const skip = (p: string) => /[/\\](\.next|node_modules)$/.test(p) || p.endsWith('next-env.d.ts');
  for (const [base, list] of [
    [APP_SRC, files(APP_SRC, skip)],
    [HANDLER_DIST, files(HANDLER_DIST, () => false)],
  ] as const) {
    for (const f of list) h.update(relative(base, f)).update('\0').update(readFileSync(f)).update('\0');
  }
  h.update(readFileSync(join(ROOT, 'node_modules', 'next', 'package.json')));
  return h.digest('hex').slice(0, 16);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function runBuild(dir: string, handlerDir: string): Promise<void> {
  // The prerender reads this "database" (the handlers stay off Redis during the build).
  const db = join(dir, '.build-db.json');
  writeFileSync(db, JSON.stringify({ products: 'v1', items: { '1': 'i1' } }));
  return new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      [NEXT_BIN, 'build'],
      { cwd: dir, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', TAGSCOPE_TEST_DB: db, NODE_ENV: 'production', TAGSCOPE_TEST_HANDLER_DIR: handlerDir }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => (err ? reject(new Error(`next build failed:\n${stdout}\n${stderr}`)) : resolve()),
    );
  });
}

/**
 * Returns the build of the current app + handler, building it if no other process has (or is).
 * A lock directory holds the builder's pid; a waiter takes over when that process died.
 */
export async function buildApp(timeoutMs = 240_000): Promise<BuiltApp> {
  mkdirSync(BUILDS, { recursive: true });
  const hash = contentHash();
  const dir = join(BUILDS, hash);
  const handlerDir = join(dir, '.handler');
  const ok = join(dir, '.build-ok');
  const lock = join(BUILDS, `${hash}.lock`);
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(ok)) {
    let mine = false;
    try {
      mkdirSync(lock);
      mine = true;
    } catch {}
    if (mine) {
      try {
        writeFileSync(join(lock, 'pid'), String(process.pid));
        if (!existsSync(ok)) {
          rmSync(dir, { recursive: true, force: true });
          cpSync(APP_SRC, dir, { recursive: true, filter: (src) => !/[/\\](\.next|node_modules)([/\\]|$)/.test(src.slice(APP_SRC.length)) });
          cpSync(HANDLER_DIST, join(handlerDir, 'dist'), { recursive: true });
          cpSync(join(ROOT, 'handler', 'package.json'), join(handlerDir, 'package.json'));
          await runBuild(dir, handlerDir);
          writeFileSync(ok, new Date().toISOString());
        }
      } catch (e) {
        rmSync(dir, { recursive: true, force: true });
        throw e;
      } finally {
        rmSync(lock, { recursive: true, force: true });
      }
      break;
    }
    // Someone else builds: wait, or take over from a dead builder.
    let pid = NaN;
    try {
      pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    } catch {}
    if (Number.isInteger(pid) && pid > 0 && !alive(pid)) rmSync(lock, { recursive: true, force: true });
    else if (!Number.isInteger(pid) && existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 10_000) rmSync(lock, { recursive: true, force: true });
    if (Date.now() > deadline) throw new Error(`timed out waiting for the next build in ${dir}`);
    await sleep(500);
  }
  pruneOldBuilds(hash);
  const manifest = JSON.parse(readFileSync(join(dir, '.next/server/server-reference-manifest.json'), 'utf8'));
  return {
    dir,
    handlerDir,
    actionId(name: string) {
      const hit = Object.entries<any>(manifest.node).find(([, v]) => v.exportedName === name);
      if (!hit) throw new Error(`no server action ${name}`);
      return hit[0];
    },
  };
}

/** Builds of older content that nobody touched for a day (a running suite keeps its build fresh by using it). */
function pruneOldBuilds(current: string): void {
  try {
    for (const name of readdirSync(BUILDS)) {
      if (name === current || name.endsWith('.lock') || existsSync(join(BUILDS, `${name}.lock`))) continue;
      const p = join(BUILDS, name);
      if (Date.now() - statSync(p).mtimeMs > 24 * 3600_000) rmSync(p, { recursive: true, force: true });
    }
  } catch {}
}

/** One `next start` process (its own process group, killed as a group). */
export class NextInstance {
  proc: ChildProcess | undefined;
  log = '';
  constructor(
    readonly app: BuiltApp,
    readonly name: string,
    readonly port: number,
    readonly env: Record<string, string>,
  ) {}
  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    this.proc = spawn(process.execPath, [NEXT_BIN, 'start', '-H', '127.0.0.1', '-p', String(this.port)], {
      cwd: this.app.dir,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        NODE_ENV: 'production',
        NEXT_TELEMETRY_DISABLED: '1',
        TAGSCOPE_INSTANCE: this.name,
        TAGSCOPE_TEST_HANDLER_DIR: this.app.handlerDir,
        ...this.env,
      },
    });
    this.proc.stdout!.on('data', (d) => (this.log += d));
    this.proc.stderr!.on('data', (d) => (this.log += d));
    const deadline = Date.now() + 60_000;
    for (;;) {
      // Raced against a timer: a probe that never settles must not hang the caller.
      const probe = fetch(this.base + '/api/nope', { signal: AbortSignal.timeout(2000) }).then((r) => r.arrayBuffer()).then(
        () => true,
        () => false,
      );
      if (await Promise.race([probe, sleep(2500).then(() => false)])) return;
      if (this.proc?.exitCode != null || this.proc?.signalCode != null) throw new Error(`${this.name} exited:\n${this.log}`);
      if (Date.now() > deadline) throw new Error(`${this.name} did not start:\n${this.log}`);
      await sleep(200);
    }
  }
  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    await killGroup(p);
  }
  /** The page's `id="v"` text. */
  async page(path: string, timeoutMs = 15_000): Promise<{ status: number; text: string; cache: string | null }> {
    const r = await fetch(this.base + path, { signal: AbortSignal.timeout(timeoutMs) });
    const html = await r.text();
    const m = html.replace(/<!-- -->/g, '').match(/id="v">([^<]*)/);
    return { status: r.status, text: m ? m[1] : `<no value: ${html.slice(0, 200)}>`, cache: r.headers.get('x-nextjs-cache') };
  }
  async post(path: string, init: RequestInit = {}, timeoutMs = 15_000): Promise<number> {
    const r = await fetch(this.base + path, { method: 'POST', ...init, signal: AbortSignal.timeout(timeoutMs) });
    await r.arrayBuffer();
    return r.status;
  }
  /** Calls a Server Action the way the browser does (args as the JSON encodeReply gives for plain values). */
  async action(id: string, args: unknown[] = [], timeoutMs = 15_000): Promise<{ status: number; body: string }> {
    const r = await fetch(this.base + '/action', {
      method: 'POST',
      headers: { 'Next-Action': id, 'Content-Type': 'text/plain;charset=UTF-8', Accept: 'text/x-component' },
      body: JSON.stringify(args),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: r.status, body: await r.text() };
  }
}
