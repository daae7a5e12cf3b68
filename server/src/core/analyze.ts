// The entry point of the analysis core: finds the Next apps under a root, indexes the files
// that can matter (text pre-filter, lazy parsing), and runs the rules. Pure: no vscode, no LSP.
import { API_HINT } from './apis';
import { CallGraph, ImportIndex } from './callgraph';
import { Collector, type FileFacts } from './collect';
import { loadConfig, makeIgnore, severityOf, type TagscopeConfig } from './config';
import { ContextAnalyzer, fileRole, type FileRole } from './context';
import { Evaluator } from './evaluate';
import { readNextConfig } from './nextConfig';
import { scanRoutes } from './routes';
import { runRules } from './rules';
import { SourceHost } from './sourceHost';
import { Resolver } from './symbols';
import { ts } from './ts';
import type { AppInfo, Declaration, Diagnostic, Invalidation } from './types';
import { findRouterDirs, owningApp, scanWorkspace, type WorkspaceFiles } from './workspace';

export interface AnalyzeOptions {
  config?: TagscopeConfig;
  maxFiles?: number;
  maxFileBytes?: number;
}

export interface AppResult {
  app: AppInfo;
  declarations: Declaration[];
  invalidations: Invalidation[];
}

export interface WorkspaceAnalysis {
  root: string;
  apps: AppResult[];
  diagnostics: Diagnostic[];
  stats: { apps: number; files: number; filesParsed: number; usedTypeChecker: boolean; durationMs: number };
}

export function analyzeWorkspace(root: string, options: AnalyzeOptions = {}): WorkspaceAnalysis {
  const t0 = performance.now();
  const config = options.config ?? loadConfig(root);
  const scan = scanWorkspace(root, { ignore: makeIgnore(config.ignore), maxFiles: options.maxFiles });
  const host = new SourceHost(scan.root, options.maxFileBytes);
  const session = new AnalysisSession(host, scan);
  const apps = scan.appRoots.length ? scan.appRoots : [scan.root];
  const results: AppResult[] = [];
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const appRoot of apps) {
    const r = session.analyzeApp(appRoot);
    results.push(r.result);
    for (const d of r.diagnostics) {
      const sev = severityOf(d.code, config.rules);
      if (sev === 'off') continue;
      const key = `${d.location.file}:${d.location.start}:${d.code}:${d.message}`;
      if (seen.has(key)) continue; // shared code analysed once per app
      seen.add(key);
      diagnostics.push({ ...d, severity: sev, appRoot });
    }
  }
  diagnostics.sort((a, b) => (a.location.file < b.location.file ? -1 : a.location.file > b.location.file ? 1 : a.location.start - b.location.start));
  return {
    root: scan.root,
    apps: results,
    diagnostics,
    stats: { apps: apps.length, files: scan.sourceFiles.length, filesParsed: host.parsedCount, usedTypeChecker: session.evaluator.usedChecker, durationMs: Math.round(performance.now() - t0) },
  };
}

/** Shared machinery for one workspace: one parse per file however many apps reach it. */
export class AnalysisSession {
  readonly resolver: Resolver;
  readonly calls: CallGraph;
  readonly evaluator: Evaluator;
  readonly contexts: ContextAnalyzer;
  private readonly collector: Collector;
  private readonly facts = new Map<string, FileFacts>();
  private readonly roles = new Map<string, FileRole>();
  private readonly dirsByApp = new Map<string, { appDir?: string; pagesDir?: string }>();

  constructor(
    readonly host: SourceHost,
    readonly scan: WorkspaceFiles,
  ) {
    host.registerWorkspacePackages(scan.sourceFiles.length ? findPackageJsons(scan) : []);
    this.resolver = new Resolver(host);
    this.calls = new CallGraph(host, this.resolver, () => this.scan.sourceFiles);
    this.evaluator = new Evaluator(this.resolver, this.calls, () => host.typeChecker());
    this.contexts = new ContextAnalyzer(this.resolver, this.calls, (sf) => this.roleOf(sf));
    this.prefilter();
    this.collector = new Collector(this.resolver, this.evaluator, this.calls, (node) => {
      const { unit } = this.contexts.unitOf(node);
      return unit.getSourceFile().fileName + ':' + unit.pos;
    });
  }

  /** Files whose text can matter: API hints, or imports we can only check by text later. */
  private readonly hinted = new Set<string>();

  /**
   * One pass over every file: the text pre-filter and the import index together, so each file
   * is read once; texts of files that cannot matter are dropped right away.
   */
  private prefilter(): void {
    const index = new ImportIndex();
    for (const f of this.scan.sourceFiles) {
      const text = this.host.text(f);
      if (text === undefined) continue;
      const before = index.opaque.length;
      index.add(f, text);
      const hinted = API_HINT.test(text);
      if (hinted) this.hinted.add(f);
      else if (index.opaque.length === before) this.host.forgetText(f);
    }
    this.calls.useImportIndex(index);
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
      const app = owningApp(sf.fileName, this.scan.appRoots);
      r = fileRole(sf, app ? { ...this.dirsOf(app), appRoot: app } : { appRoot: '\0' });
      this.roles.set(sf.fileName, r);
    }
    return r;
  }

  /** Files an app sees: its own plus shared code outside every app. */
  filesOf(appRoot: string): string[] {
    const multi = this.scan.appRoots.length > 0;
    return this.scan.sourceFiles.filter((f) => {
      const owner = multi ? owningApp(f, this.scan.appRoots) : this.scan.root;
      return owner === appRoot || owner === undefined;
    });
  }

  factsOf(file: string): FileFacts | undefined {
    const hit = this.facts.get(file);
    if (hit) return hit;
    if (!this.hinted.has(file)) return undefined;
    const sf = this.host.sourceFile(file);
    if (!sf) return undefined;
    let facts: FileFacts;
    try {
      facts = this.collector.collect(sf);
    } catch (e) {
      // Malformed or unexpected code must never take the analysis down.
      facts = { calls: [], declarations: [], invalidations: [], profiles: [], directives: [], tagCounts: [] };
      void e;
    }
    this.facts.set(file, facts);
    return facts;
  }

  analyzeApp(appRoot: string): { result: AppResult; diagnostics: Omit<Diagnostic, 'severity' | 'appRoot'>[] } {
    const files = this.filesOf(appRoot);
    const allFacts: FileFacts[] = [];
    for (const f of files) {
      const facts = this.factsOf(f);
      if (facts) allFacts.push(facts);
    }
    const dirs = this.dirsOf(appRoot);
    const configFile = this.scan.nextConfigs.get(appRoot);
    const cfg = readNextConfig(configFile ? this.host.text(configFile) : undefined, configFile);
    const app: AppInfo = {
      root: appRoot,
      appDir: dirs.appDir,
      pagesDir: dirs.pagesDir,
      cacheLifeProfiles: cfg.profiles,
      cacheHandlers: cfg.handlers,
      configKnown: cfg.profilesKnown && cfg.handlersKnown,
    };
    const raw = runRules(
      {
        files: allFacts,
        profiles: cfg.profiles,
        profilesKnown: cfg.profilesKnown,
        handlers: cfg.handlers,
        handlersKnown: cfg.handlersKnown,
        routes: scanRoutes(dirs.appDir, dirs.pagesDir),
        hasAppDir: !!dirs.appDir,
      },
      this.contexts,
      (file) => this.host.sourceFile(file),
    );
    const declarations = allFacts.flatMap((f) => f.declarations.map(({ call: _c, count: _n, ...d }) => d));
    const invalidations = allFacts.flatMap((f) => f.invalidations.map(({ call: _c, ...i }) => i));
    return { result: { app, declarations, invalidations }, diagnostics: raw };
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
