// The entry point of the analysis core: finds the Next apps under a root, indexes the files
// that can matter (text pre-filter, lazy parsing), and runs the rules. Pure: no vscode, no LSP.
// `AnalysisSession` is also the incremental engine of the language server: `update()` drops
// exactly the cached facts an edit can change.
import { API_HINT } from './apis';
import { CallGraph, ImportIndex } from './callgraph';
import { Collector, type FileFacts } from './collect';
import { loadConfig, makeIgnore, severityOf, type TagscopeConfig } from './config';
import { ContextAnalyzer, fileRole, type FileRole } from './context';
import { Evaluator } from './evaluate';
import { readNextConfig, type NextConfigInfo } from './nextConfig';
import { scanRoutes, type Route } from './routes';
import { runRules } from './rules';
import { SourceHost } from './sourceHost';
import { Resolver } from './symbols';
import { ts } from './ts';
import type { AppInfo, Declaration, Diagnostic, Invalidation } from './types';
import { findRouterDirs, NEXT_CONFIG, owningApp, scanWorkspace, SOURCE_EXT, type WorkspaceFiles } from './workspace';

export interface AnalyzeOptions {
  config?: TagscopeConfig;
  maxFiles?: number;
  maxFileBytes?: number;
}

export interface AppResult {
  app: AppInfo;
  declarations: Declaration[];
  invalidations: Invalidation[];
  diagnostics: Diagnostic[];
}

export interface WorkspaceAnalysis {
  root: string;
  apps: AppResult[];
  diagnostics: Diagnostic[];
  stats: { apps: number; files: number; filesParsed: number; skippedFiles: number; usedTypeChecker: boolean; failedFiles: number; durationMs: number };
}

export function analyzeWorkspace(root: string, options: AnalyzeOptions = {}): WorkspaceAnalysis {
  const t0 = performance.now();
  const config = options.config ?? loadConfig(root);
  const session = new AnalysisSession(root, config, options);
  const apps = session.analyzeAll();
  return {
    root: session.scan.root,
    apps,
    diagnostics: mergeDiagnostics(apps),
    stats: { ...session.stats(), durationMs: Math.round(performance.now() - t0) },
  };
}

/** Rules whose verdict depends on the app's own next.config or routes. */
const APP_DEPENDENT = new Set(['unknown-cache-life-profile', 'unknown-cache-handler', 'revalidate-path-no-route']);

/**
 * Diagnostics of all apps, deduplicated (shared code is analysed once per app) and sorted.
 * In shared code (outside every app), an app-dependent verdict stands only when every app that
 * sees the code reaches it: a profile one app configures is not an error because another lacks it.
 */
export function mergeDiagnostics(apps: AppResult[]): Diagnostic[] {
  const byKey = new Map<string, { d: Diagnostic; apps: number }>();
  for (const a of apps)
    for (const d of a.diagnostics) {
      const key = `${d.location.file}:${d.location.start}:${d.code}:${d.message}`;
      const hit = byKey.get(key);
      if (hit) hit.apps++;
      else byKey.set(key, { d, apps: 1 });
    }
  const out: Diagnostic[] = [];
  for (const { d, apps: n } of byKey.values()) {
    const shared = !apps.some((a) => d.location.file.startsWith(a.app.root + '/'));
    if (shared && APP_DEPENDENT.has(d.code) && n < apps.length) continue;
    out.push(d);
  }
  out.sort((a, b) => (a.location.file < b.location.file ? -1 : a.location.file > b.location.file ? 1 : a.location.start - b.location.start));
  return out;
}

const EMPTY_FACTS: FileFacts = { calls: [], declarations: [], invalidations: [], profiles: [], directives: [], tagCounts: [] };

/** Shared machinery for one workspace: one parse per file however many apps reach it. */
export class AnalysisSession {
  readonly host: SourceHost;
  readonly scan: WorkspaceFiles;
  readonly resolver: Resolver;
  readonly calls: CallGraph;
  readonly evaluator: Evaluator;
  readonly contexts: ContextAnalyzer;
  private readonly collector: Collector;
  private readonly index = new ImportIndex();
  private readonly facts = new Map<string, FileFacts>();
  /** file → files whose facts were computed by reading it. */
  private readonly dependents = new Map<string, Set<string>>();
  /** file → names whose callers its facts looked up. */
  private readonly lookups = new Map<string, Set<string>>();
  private readonly roles = new Map<string, FileRole>();
  private readonly dirsByApp = new Map<string, { appDir?: string; pagesDir?: string }>();
  private readonly configByApp = new Map<string, NextConfigInfo>();
  private readonly routesByApp = new Map<string, Route[]>();
  /** Files whose text can matter (API hints). */
  private readonly hinted = new Set<string>();
  failedFiles = 0;

  constructor(
    root: string,
    public config: TagscopeConfig = { rules: {}, ignore: [] },
    private readonly options: AnalyzeOptions = {},
  ) {
    this.scan = scanWorkspace(root, { ignore: makeIgnore(config.ignore), maxFiles: options.maxFiles });
    this.host = new SourceHost(this.scan.root, options.maxFileBytes);
    this.host.registerWorkspacePackages(findPackageJsons(this.scan));
    this.resolver = new Resolver(this.host);
    this.calls = new CallGraph(this.host, this.resolver, () => this.scan.sourceFiles);
    this.evaluator = new Evaluator(this.resolver, this.calls, (node) => this.host.typeAt(node));
    this.contexts = new ContextAnalyzer(this.resolver, this.calls, (sf) => this.roleOf(sf));
    this.collector = new Collector(this.resolver, this.evaluator, this.calls, (node) => {
      const { unit } = this.contexts.unitOf(node);
      return unit.getSourceFile().fileName + ':' + unit.pos;
    });
    // One pass over every file: the text pre-filter and the import index together, so each
    // file is read once; texts of files that cannot matter are dropped right away.
    for (const f of this.scan.sourceFiles) this.prefilter(f);
    this.calls.useImportIndex(this.index);
  }

  private prefilter(f: string): void {
    this.index.remove(f);
    this.hinted.delete(f);
    const text = this.host.text(f);
    if (text === undefined) return;
    const before = this.index.opaque.length;
    this.index.add(f, text);
    if (API_HINT.test(text)) this.hinted.add(f);
    else if (this.index.opaque.length === before) this.host.forgetText(f);
  }

  get appRoots(): string[] {
    return this.scan.appRoots.length ? this.scan.appRoots : [this.scan.root];
  }

  stats() {
    return { apps: this.appRoots.length, files: this.scan.sourceFiles.length, filesParsed: this.host.parsedCount, skippedFiles: this.host.skipped.size, usedTypeChecker: this.evaluator.usedChecker, failedFiles: this.failedFiles };
  }

  analyzeAll(): AppResult[] {
    return this.appRoots.map((a) => this.analyzeApp(a));
  }

  /** The apps a file belongs to: its own, or every app for shared code. */
  appsOf(file: string): string[] {
    if (!this.scan.appRoots.length) return [this.scan.root];
    const own = owningApp(file, this.scan.appRoots);
    return own ? [own] : this.scan.appRoots;
  }

  private dirsOf(appRoot: string) {
    let d = this.dirsByApp.get(appRoot);
    if (!d) {
      d = findRouterDirs(appRoot);
      this.dirsByApp.set(appRoot, d);
    }
    return d;
  }

  roleOf(sf: ts.SourceFile): FileRole {
    let r = this.roles.get(sf.fileName);
    if (!r) {
      const app = owningApp(sf.fileName, this.scan.appRoots) ?? (this.scan.appRoots.length ? undefined : this.scan.root);
      r = fileRole(sf, app ? { ...this.dirsOf(app), appRoot: app } : { appRoot: '\0' });
      this.roles.set(sf.fileName, r);
    }
    return r;
  }

  private readonly filesByApp = new Map<string, string[]>();

  /** Files an app sees: its own plus shared code outside every app (cached until files come or go). */
  filesOf(appRoot: string): string[] {
    let files = this.filesByApp.get(appRoot);
    if (!files) {
      const multi = this.scan.appRoots.length > 0;
      files = this.scan.sourceFiles.filter((f) => {
        const owner = multi ? owningApp(f, this.scan.appRoots) : this.scan.root;
        return owner === appRoot || owner === undefined;
      });
      this.filesByApp.set(appRoot, files);
    }
    return files;
  }

  factsOf(file: string): FileFacts | undefined {
    const hit = this.facts.get(file);
    if (hit) return hit;
    if (!this.hinted.has(file)) return undefined;
    const names = new Set<string>();
    this.calls.onLookup = (n) => names.add(n);
    const { result, deps } = this.host.track(() => {
      const sf = this.host.sourceFile(file);
      if (!sf) return undefined;
      try {
        return this.collector.collect(sf);
      } catch {
        // Malformed or unexpected code must never take the analysis down; count it.
        this.failedFiles++;
        return EMPTY_FACTS;
      }
    });
    if (!result) return undefined;
    for (const d of deps) {
      if (d === file) continue;
      let set = this.dependents.get(d);
      if (!set) this.dependents.set(d, (set = new Set()));
      set.add(file);
    }
    this.calls.onLookup = undefined;
    if (names.size) this.lookups.set(file, names);
    this.facts.set(file, result);
    return result;
  }

  /** Cached facts of a file (only files already analysed). */
  cachedFacts(file: string): FileFacts | undefined {
    return this.facts.get(file);
  }

  /**
   * Applies a change to one file: an editor buffer (`text`), a change on disk, a creation or a
   * deletion. Drops the facts of the file and of every file whose facts read it or looked up
   * callers by a name it imports, and returns the apps that need re-analysis.
   */
  update(file: string, change: { kind: 'changed' | 'created' | 'deleted'; text?: string }): string[] {
    const oldNames = this.index.namesOf.get(file) ?? new Set<string>();
    if (change.kind === 'deleted') {
      this.host.setOverlay(file, undefined);
      this.scan.sourceFiles = this.scan.sourceFiles.filter((f) => f !== file);
    } else this.host.setOverlay(file, change.text); // no text: back to the disk (closed buffer or a change on disk)
    const isSource = SOURCE_EXT.test(file) && !/\.d\.(m|c)?ts$/.test(file);
    if (change.kind === 'created' && isSource && !this.scan.sourceFiles.includes(file)) this.scan.sourceFiles.push(file);
    if (isSource && change.kind !== 'deleted') this.prefilter(file);
    else {
      this.index.remove(file);
      this.hinted.delete(file);
    }
    const newNames = this.index.namesOf.get(file) ?? new Set<string>();
    const stale = new Set<string>([file, ...(this.dependents.get(file) ?? [])]);
    const touched = new Set([...oldNames, ...newNames]);
    for (const [f, names] of this.lookups) for (const n of names) if (touched.has(n)) stale.add(f);
    for (const f of stale) {
      this.facts.delete(f);
      this.lookups.delete(f);
    }
    this.dependents.delete(file);
    this.roles.delete(file);
    this.contexts.invalidate(file, this.calls.invalidate(file, touched));
    const base = file.slice(file.lastIndexOf('/') + 1);
    const apps = this.appsOf(file);
    for (const a of apps) {
      if (NEXT_CONFIG.test(base) && file.startsWith(a + '/')) this.configByApp.delete(a);
      if (change.kind !== 'changed') {
        this.routesByApp.delete(a);
        this.filesByApp.delete(a);
      }
    }
    return apps;
  }

  private nextConfigOf(appRoot: string): NextConfigInfo {
    let c = this.configByApp.get(appRoot);
    if (!c) {
      const file = this.scan.nextConfigs.get(appRoot);
      c = readNextConfig(file ? this.host.text(file) : undefined, file);
      this.configByApp.set(appRoot, c);
    }
    return c;
  }

  private routesOf(appRoot: string): Route[] {
    let r = this.routesByApp.get(appRoot);
    if (!r) {
      const d = this.dirsOf(appRoot);
      r = scanRoutes(d.appDir, d.pagesDir);
      this.routesByApp.set(appRoot, r);
    }
    return r;
  }

  analyzeApp(appRoot: string): AppResult {
    const allFacts: FileFacts[] = [];
    for (const f of this.filesOf(appRoot)) {
      const facts = this.factsOf(f);
      if (facts) allFacts.push(facts);
    }
    const dirs = this.dirsOf(appRoot);
    const cfg = this.nextConfigOf(appRoot);
    const app: AppInfo = { root: appRoot, appDir: dirs.appDir, pagesDir: dirs.pagesDir, cacheLifeProfiles: cfg.profiles, profileExpire: cfg.profileExpire, cacheHandlers: cfg.handlers, configKnown: cfg.profilesKnown && cfg.handlersKnown };
    // Matching rules see every app: with a shared store, one app invalidates what another caches.
    let everywhere: FileFacts[] | undefined;
    if (this.scan.appRoots.length > 1) {
      everywhere = [];
      for (const f of this.scan.sourceFiles) {
        const facts = this.factsOf(f);
        if (facts) everywhere.push(facts);
      }
    }
    const raw = runRules(
      { files: allFacts, everywhere, profiles: cfg.profiles, profilesKnown: cfg.profilesKnown, handlers: cfg.handlers, handlersKnown: cfg.handlersKnown, routes: this.routesOf(appRoot), hasAppDir: !!dirs.appDir },
      this.contexts,
      (file) => this.host.sourceFile(file),
    );
    const diagnostics: Diagnostic[] = [];
    for (const d of raw) {
      const severity = severityOf(d.code, this.config.rules);
      if (severity !== 'off') diagnostics.push({ ...d, severity, appRoot });
    }
    const profilesByEntry = new Map<string, string[]>();
    for (const f of allFacts)
      for (const p of f.profiles)
        if (p.kind === 'cacheLife' && p.entryId)
          for (const v of p.value) if (v.kind === 'static') profilesByEntry.set(p.entryId, [...(profilesByEntry.get(p.entryId) ?? []), v.value]);
    const declarations = allFacts.flatMap((f) => f.declarations.map(({ call: _c, count: _n, ...d }) => ({ ...d, profiles: profilesByEntry.get(d.entryId) ?? [] })));
    const invalidations = allFacts.flatMap((f) => f.invalidations.map(({ call: _c, ...i }) => i));
    return { app, declarations, invalidations, diagnostics };
  }
}

function findPackageJsons(scan: WorkspaceFiles): string[] {
  // package.json files sit beside source folders; derive candidates from the folders we saw.
  const dirs = new Set<string>();
  for (const f of scan.sourceFiles) {
    let d = f.slice(0, f.lastIndexOf('/'));
    while (d.length >= scan.root.length && !dirs.has(d)) {
      dirs.add(d);
      d = d.slice(0, d.lastIndexOf('/'));
    }
  }
  const out: string[] = [];
  for (const d of dirs) if (ts.sys.fileExists(d + '/package.json')) out.push(d + '/package.json');
  return out;
}
