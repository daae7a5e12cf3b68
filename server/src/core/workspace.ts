// Finds the Next apps under a root and the source files each one owns. Works without
// node_modules installed: only the file system and tsconfig files are read.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

export const SOURCE_EXT = /\.(tsx?|jsx?|mjs|cjs|mts|cts)$/;
const DECL_EXT = /\.d\.(m|c)?ts$/;
export const NEXT_CONFIG = /^next\.config\.(js|cjs|mjs|ts|mts)$/;

/** Folders that never hold app source. */
export const DEFAULT_IGNORED_DIRS = new Set([
  'node_modules', '.next', '.git', 'dist', 'out', 'build', 'coverage', '.turbo', '.vercel', '.output', '.cache', '.yarn', '.pnpm-store',
]);

export interface WorkspaceFiles {
  root: string;
  /** Folders holding a next.config file. */
  appRoots: string[];
  /** Every source file under root (absolute, `/` separators), ignoring DEFAULT_IGNORED_DIRS. */
  sourceFiles: string[];
  /** Absolute next.config file per app root. */
  nextConfigs: Map<string, string>;
}

export function toPosix(p: string): string {
  return sep === '/' ? p : p.split(sep).join('/');
}

export interface ScanOptions {
  ignore?: (relPath: string) => boolean;
  maxFiles?: number;
  maxFileBytes?: number;
}

export function scanWorkspace(rootIn: string, options: ScanOptions = {}): WorkspaceFiles {
  const root = toPosix(resolve(rootIn));
  const appRoots: string[] = [];
  const nextConfigs = new Map<string, string>();
  const sourceFiles: string[] = [];
  const maxFiles = options.maxFiles ?? Infinity;
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // unreadable or deleted under us: skip, never crash
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const full = dir + '/' + e.name;
      if (e.isDirectory()) {
        if (DEFAULT_IGNORED_DIRS.has(e.name) || e.name.startsWith('.')) continue;
        if (options.ignore?.(relative(root, full) + '/')) continue;
        walk(full);
      } else if (e.isFile()) {
        if (NEXT_CONFIG.test(e.name)) {
          if (!nextConfigs.has(dir)) {
            appRoots.push(dir);
            nextConfigs.set(dir, full);
          }
        }
        if (SOURCE_EXT.test(e.name) && !DECL_EXT.test(e.name) && sourceFiles.length < maxFiles) {
          if (options.ignore?.(toPosix(relative(root, full)))) continue;
          sourceFiles.push(full);
        }
      }
    }
  };
  walk(root);
  return { root, appRoots, sourceFiles, nextConfigs };
}

/** The app root that owns a file: the deepest app root above it, or undefined for shared code. */
export function owningApp(file: string, appRoots: string[]): string | undefined {
  let best: string | undefined;
  for (const r of appRoots) if (file.startsWith(r + '/') && (!best || r.length > best.length)) best = r;
  return best;
}

/** `app/` or `src/app/` (and the same for `pages/`) under an app root. */
export function findRouterDirs(appRoot: string): { appDir?: string; pagesDir?: string } {
  const pick = (name: string) => {
    for (const c of [join(appRoot, name), join(appRoot, 'src', name)]) {
      try {
        if (statSync(c).isDirectory()) return toPosix(c);
      } catch {
        /* absent */
      }
    }
    return undefined;
  };
  return { appDir: pick('app'), pagesDir: pick('pages') };
}

export type ReadResult = { text: string } | { skipped: 'too large' | 'binary' | 'unreadable' };

export function readSource(file: string, maxBytes = 2 * 1024 * 1024): ReadResult {
  try {
    const st = statSync(file);
    if (st.size > maxBytes) return { skipped: 'too large' };
    const buf = readFileSync(file);
    if (buf.includes(0)) return { skipped: 'binary' };
    return { text: buf.toString('utf8') };
  } catch {
    return { skipped: 'unreadable' };
  }
}

export function findUp(start: string, names: string[], stopAt: string): string | undefined {
  let dir = start;
  for (;;) {
    for (const n of names) {
      const c = dir + '/' + n;
      if (existsSync(c)) return c;
    }
    if (dir === stopAt || dir.length <= stopAt.length) return undefined;
    const up = toPosix(dirname(dir));
    if (up === dir) return undefined;
    dir = up;
  }
}
