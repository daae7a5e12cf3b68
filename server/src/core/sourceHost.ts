// Lazily parsed source files and module resolution (tsconfig `paths`, project references,
// workspace packages) for a whole workspace. Files are parsed once with TypeScript's parser
// (half the cost of going through ts-morph, and this runs on every keystroke); the ts-morph
// Project is only filled when the type checker is really needed (see `typeAt`).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Project } from 'ts-morph';
import { ts } from './ts';
import { findUp, readSource, toPosix } from './workspace';

const RESOLVE_EXT = ['.ts', '.tsx', '.js', '.jsx', '.mts', '.cts', '.mjs', '.cjs'];

export class SourceHost {
  readonly project: Project;
  private readonly files = new Map<string, ts.SourceFile | null>();
  private readonly texts = new Map<string, string | null>();
  private readonly configs = new Map<string, ts.CompilerOptions>();
  private readonly resolutions = new Map<string, string | null>();
  private workspacePackages?: Map<string, string>;
  /** Overlays (open editor buffers) win over the disk. */
  private readonly overlays = new Map<string, string>();
  parsedCount = 0;
  /** Files left out on purpose (over the size limit, binary), with the reason: reported, not silent. */
  readonly skipped = new Map<string, string>();
  /** Files read while tracking is on: what a file's facts depend on. */
  private tracking?: Set<string>;

  constructor(readonly root: string, private readonly maxFileBytes = 1024 * 1024) {
    this.project = new Project({
      useInMemoryFileSystem: false,
      skipAddingFilesFromTsConfig: true,
      skipFileDependencyResolution: true,
      skipLoadingLibFiles: false,
      compilerOptions: { allowJs: true, jsx: ts.JsxEmit.Preserve, target: ts.ScriptTarget.ES2022, noEmit: true, strict: true },
    });
  }

  setOverlay(file: string, text: string | undefined): void {
    if (text === undefined) this.overlays.delete(file);
    else this.overlays.set(file, text);
    this.invalidate(file);
  }

  invalidate(file: string): void {
    this.texts.delete(file);
    this.configs.clear(); // a tsconfig may have changed; cheap to rebuild
    const old = this.files.get(file);
    if (old) {
      const sf = this.project.getSourceFile(file);
      if (sf) this.project.removeSourceFile(sf);
    }
    this.files.delete(file);
    this.resolutions.clear();
  }

  /** Drops a cached text we won't need again (keeps memory flat on large workspaces). */
  forgetText(file: string): void {
    if (!this.files.get(file)) this.texts.delete(file);
  }

  text(file: string): string | undefined {
    const o = this.overlays.get(file);
    if (o !== undefined) return o;
    let t = this.texts.get(file);
    if (t === undefined) {
      const r = readSource(file, this.maxFileBytes);
      if ('skipped' in r) {
        if (r.skipped !== 'unreadable') this.skipped.set(file, r.skipped);
        t = null;
      } else t = r.text;
      this.texts.set(file, t);
    }
    return t ?? undefined;
  }

  /** Runs fn and returns the set of files it read (for incremental invalidation). */
  track<T>(fn: () => T): { result: T; deps: Set<string> } {
    const outer = this.tracking;
    const deps = new Set<string>();
    this.tracking = deps;
    try {
      return { result: fn(), deps };
    } finally {
      this.tracking = outer;
      if (outer) for (const d of deps) outer.add(d);
    }
  }

  /** Parses on first use; undefined for missing, binary or oversized files. */
  sourceFile(file: string): ts.SourceFile | undefined {
    this.tracking?.add(file);
    const cached = this.files.get(file);
    if (cached !== undefined) return cached ?? undefined;
    const text = this.text(file);
    if (text === undefined) {
      this.files.set(file, null);
      return undefined;
    }
    let sf: ts.SourceFile | undefined;
    try {
      sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, scriptKind(file));
      this.parsedCount++;
    } catch {
      sf = undefined;
    }
    this.files.set(file, sf ?? null);
    return sf;
  }

  isParsed(file: string): boolean {
    return !!this.files.get(file);
  }

  /** Compiler options of the nearest tsconfig/jsconfig (extends applied), cached per folder. */
  compilerOptionsFor(file: string): ts.CompilerOptions {
    const dir = toPosix(dirname(file));
    const hit = this.configs.get(dir);
    if (hit) return hit;
    const configPath = findUp(dir, ['tsconfig.json', 'jsconfig.json'], this.root);
    let options: ts.CompilerOptions = { allowJs: true, moduleResolution: ts.ModuleResolutionKind.Bundler, module: ts.ModuleKind.ESNext };
    if (configPath) {
      const cachedByPath = this.configs.get('cfg:' + configPath);
      if (cachedByPath) options = cachedByPath;
      else {
        try {
          const read = ts.readConfigFile(configPath, (p) => readFileSync(p, 'utf8'));
          if (!read.error) {
            const parsed = ts.parseJsonConfigFileContent(read.config, parseHost, dirname(configPath), undefined, configPath);
            options = { ...parsed.options, allowJs: true, noEmit: true };
            if (!options.moduleResolution || options.moduleResolution === ts.ModuleResolutionKind.Classic) options.moduleResolution = ts.ModuleResolutionKind.Bundler;
          }
        } catch {
          /* a broken tsconfig falls back to defaults */
        }
        this.configs.set('cfg:' + configPath, options);
      }
    }
    this.configs.set(dir, options);
    return options;
  }

  /** Resolves a module specifier to a source file inside the workspace, or undefined (external). */
  resolveModule(spec: string, fromFile: string): string | undefined {
    const key = fromFile + '\0' + spec;
    const hit = this.resolutions.get(key);
    if (hit !== undefined) return hit ?? undefined;
    let out: string | undefined;
    if (spec.startsWith('.')) out = resolveFileLike(join(dirname(fromFile), spec));
    if (!out && !spec.startsWith('.')) {
      try {
        const r = ts.resolveModuleName(spec, fromFile, this.compilerOptionsFor(fromFile), ts.sys);
        const f = r.resolvedModule?.resolvedFileName;
        if (f && !f.includes('/node_modules/') && !/\.d\.(m|c)?ts$/.test(f)) out = toPosix(f);
        else if (f && /\.d\.(m|c)?ts$/.test(f) && !f.includes('/node_modules/')) out = resolveFileLike(f.replace(/\.d\.(m|c)?ts$/, ''));
      } catch {
        /* fall through */
      }
      if (!out) out = this.resolveWorkspacePackage(spec);
    }
    this.resolutions.set(key, out ?? null);
    return out;
  }

  /** `@acme/lib/sub` → a file in the monorepo package named `@acme/lib` (works without node_modules). */
  private resolveWorkspacePackage(spec: string): string | undefined {
    if (!this.workspacePackages) this.workspacePackages = new Map();
    const parts = spec.split('/');
    const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
    const sub = parts.slice(spec.startsWith('@') ? 2 : 1).join('/');
    const dir = this.workspacePackages.get(name);
    if (!dir) return undefined;
    if (sub) return resolveFileLike(join(dir, sub)) ?? resolveFileLike(join(dir, 'src', sub));
    let pkg: { types?: string; main?: string; module?: string; exports?: unknown } = {};
    try {
      pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    } catch {
      /* no manifest */
    }
    const exp = pkg.exports as Record<string, unknown> | string | undefined;
    const dot = typeof exp === 'string' ? exp : exp && typeof exp === 'object' ? (exp['.'] as unknown) : undefined;
    const fromExports = typeof dot === 'string' ? dot : dot && typeof dot === 'object' ? ((dot as Record<string, string>).types ?? (dot as Record<string, string>).import ?? (dot as Record<string, string>).default) : undefined;
    for (const c of [fromExports, pkg.types, pkg.module, pkg.main, 'src/index', 'index']) {
      if (!c) continue;
      const r = resolveFileLike(join(dir, c.replace(/\.d\.ts$/, '').replace(/^\.\/dist\//, './src/')));
      if (r) return r;
    }
    return undefined;
  }

  registerWorkspacePackages(packageJsonFiles: string[]): void {
    this.workspacePackages ??= new Map();
    for (const f of packageJsonFiles) {
      try {
        const name = JSON.parse(readFileSync(f, 'utf8')).name;
        if (typeof name === 'string' && !this.workspacePackages.has(name)) this.workspacePackages.set(name, toPosix(dirname(f)));
      } catch {
        /* ignore unreadable manifests */
      }
    }
  }

  /**
   * The checker's type of a node: the node's file and every parsed file go into the ts-morph
   * Project (its own parse), and the node is found there by position. Costly; used rarely.
   */
  typeAt(node: ts.Node): ts.Type | undefined {
    if (hasLongLine(node.getSourceFile())) return undefined;
    for (const [file, sf] of this.files) {
      if (!sf || this.project.getSourceFile(file) || hasLongLine(sf)) continue;
      this.project.createSourceFile(file, sf.text, { overwrite: true, scriptKind: scriptKind(file) });
    }
    const twin = this.project.getSourceFile(node.getSourceFile().fileName)?.compilerNode;
    const same = twin && sameNode(twin, node);
    return same ? this.project.getTypeChecker().compilerObject.getTypeAtLocation(same) : undefined;
  }
}

const longLineMemo = new WeakMap<ts.SourceFile, boolean>();
const LONG_LINE = 20_000;

/**
 * Minified or generated code (a line of tens of KB) stays out of the type checker's project:
 * ts-morph's wrapper scans to the end of the line for each node's comments, and one 370 KB line
 * took 25 s (fuzz: long-line). Tag literal types never come from such files.
 */
function hasLongLine(sf: ts.SourceFile): boolean {
  let hit = longLineMemo.get(sf);
  if (hit === undefined) {
    hit = false;
    const text = sf.text;
    for (let start = 0; text.length - start > LONG_LINE; ) {
      const nl = text.indexOf('\n', start);
      if ((nl < 0 ? text.length : nl) - start > LONG_LINE) hit = true;
      if (hit || nl < 0) break;
      start = nl + 1;
    }
    longLineMemo.set(sf, hit);
  }
  return hit;
}

const parseHost: ts.ParseConfigHost = {
  useCaseSensitiveFileNames: true,
  readDirectory: () => [], // we never need the file list of a tsconfig, only its options
  fileExists: (p) => existsSync(p),
  readFile: (p) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  },
};

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

export function resolveFileLike(base: string): string | undefined {
  base = toPosix(base);
  if (isFile(base) && RESOLVE_EXT.some((e) => base.endsWith(e))) return base;
  // `./x.js` written for a `./x.ts` source (node16 style imports)
  const m = /\.(m|c)?jsx?$/.exec(base);
  if (m) {
    const stem = base.slice(0, -m[0].length);
    for (const e of ['.ts', '.tsx', '.mts', '.cts']) if (isFile(stem + e)) return stem + e;
  }
  for (const e of RESOLVE_EXT) if (isFile(base + e)) return base + e;
  for (const e of RESOLVE_EXT) if (isFile(base + '/index' + e)) return base + '/index' + e;
  return undefined;
}

/** The node at the same position and of the same kind in another parse of the same text. */
function sameNode(root: ts.Node, node: ts.Node): ts.Node | undefined {
  let cur: ts.Node | undefined = root;
  while (cur) {
    if (cur.pos === node.pos && cur.end === node.end && cur.kind === node.kind) return cur;
    let next: ts.Node | undefined;
    ts.forEachChild(cur, (c) => {
      if (!next && c.pos <= node.pos && c.end >= node.end) next = c;
    });
    cur = next;
  }
  return undefined;
}

function scriptKind(file: string): ts.ScriptKind {
  if (file.endsWith('.tsx')) return ts.ScriptKind.TSX;
  if (file.endsWith('.jsx')) return ts.ScriptKind.JSX;
  if (/\.(m|c)?js$/.test(file)) return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}
