// One workspace folder's analysis as the language server sees it: the incremental session,
// the latest results per app, and position → tag-site lookups for the editor features.
import { AnalysisSession, mergeDiagnostics, type AppResult } from '../core/analyze';
import type { TagscopeConfig } from '../core/config';
import { locationKey } from '../core/collect';
import { displayTag, isString, TagMatcher, tagKey } from '../core/tagValue';
import type { Diagnostic, Location, TagValue } from '../core/types';

export interface Site {
  role: 'declaration' | 'invalidation';
  api: string;
  location: Location;
  values: TagValue[];
  renameTarget?: Location;
  profiles: string[];
  appRoot: string;
}

export interface FolderLimits {
  maxFiles?: number;
  maxFileBytes?: number;
}

export class FolderIndex {
  session: AnalysisSession;
  private results = new Map<string, AppResult>();
  private sitesByFile = new Map<string, Site[]>();
  private allSites: Site[] = [];
  private matcher?: TagMatcher<Site>;

  constructor(
    readonly root: string,
    private config: TagscopeConfig,
    private readonly limits: FolderLimits,
  ) {
    this.session = new AnalysisSession(root, config, limits);
  }

  /** Full (re)index. */
  analyzeAll(): void {
    this.results.clear();
    for (const r of this.session.analyzeAll()) this.results.set(r.app.root, r);
    this.rebuildSites();
  }

  /** Re-analyses only the apps an edit can affect. */
  update(file: string, change: { kind: 'changed' | 'created' | 'deleted'; text?: string }): void {
    const apps = this.session.update(file, change);
    for (const a of apps) this.results.set(a, this.session.analyzeApp(a));
    this.rebuildSites();
  }

  setConfig(config: TagscopeConfig): void {
    this.config = config;
    this.session.config = config;
  }

  /** Starts over from disk (tsconfig or package.json changed, app added or removed). */
  rebuild(): void {
    this.session = new AnalysisSession(this.root, this.config, this.limits);
    this.analyzeAll();
  }

  contains(file: string): boolean {
    return file === this.root || file.startsWith(this.root + '/');
  }

  get apps(): AppResult[] {
    return [...this.results.values()];
  }

  diagnostics(): Diagnostic[] {
    return mergeDiagnostics(this.apps);
  }

  private rebuildSites(): void {
    const byKey = new Map<string, Site>();
    for (const r of this.results.values()) {
      for (const d of r.declarations) {
        const k = 'd' + locationKey(d.site.location) + JSON.stringify(d.site.values);
        if (!byKey.has(k)) byKey.set(k, { role: 'declaration', api: d.api, location: d.site.location, values: d.site.values, renameTarget: d.site.renameTarget, profiles: d.profiles, appRoot: r.app.root });
      }
      for (const i of r.invalidations) {
        const k = 'i' + locationKey(i.site.location) + JSON.stringify(i.site.values);
        if (!byKey.has(k)) byKey.set(k, { role: 'invalidation', api: i.api, location: i.site.location, values: i.site.values, renameTarget: i.site.renameTarget, profiles: [], appRoot: r.app.root });
      }
    }
    this.allSites = [...byKey.values()];
    this.matcher = undefined;
    this.inventoryCache = undefined;
    this.sitesByFile.clear();
    for (const s of this.allSites) {
      const list = this.sitesByFile.get(s.location.file);
      if (list) list.push(s);
      else this.sitesByFile.set(s.location.file, [s]);
    }
  }

  sites(): Site[] {
    return this.allSites;
  }

  sitesIn(file: string): Site[] {
    return this.sitesByFile.get(file) ?? [];
  }

  /** The site at an offset: the tag argument itself, or the literal (e.g. a constant) it came from. */
  siteAt(file: string, offset: number): Site | undefined {
    const inside = (l: Location | undefined) => !!l && l.file === file && offset >= l.start && offset <= l.end;
    let best: Site | undefined;
    for (const s of this.sitesIn(file)) if (inside(s.location) && (!best || s.location.end - s.location.start < best.location.end - best.location.start)) best = s;
    if (best) return best;
    return this.allSites.find((s) => inside(s.renameTarget));
  }

  /** Sites whose tags can equal one of `values` (the other side of the match, or both). */
  related(values: TagValue[], role?: Site['role'], appRoot?: string): Site[] {
    this.matcher ??= new TagMatcher(this.allSites.flatMap((s) => s.values.filter(isString).map((value) => ({ value, item: s }))));
    const found = new Set<Site>();
    for (const v of values) for (const s of this.matcher.match(v)) found.add(s);
    return this.allSites.filter((s) => found.has(s) && (!role || s.role === role) && (!appRoot || s.appRoot === appRoot));
  }

  /** Sites that produce exactly this static tag (for rename). */
  exact(tag: string): Site[] {
    return this.allSites.filter((s) => s.values.some((v) => v.kind === 'static' && v.value === tag));
  }

  private inventoryCache?: Array<{ tag: string; kind: 'static' | 'pattern'; sites: Site[]; profiles: string[] }>;

  /** Every tag or pattern with its sites; computed once per index state. */
  inventory(): Array<{ tag: string; kind: 'static' | 'pattern'; sites: Site[]; profiles: string[] }> {
    return (this.inventoryCache ??= this.buildInventory());
  }

  private buildInventory(): Array<{ tag: string; kind: 'static' | 'pattern'; sites: Site[]; profiles: string[] }> {
    const byKey = new Map<string, { tag: string; kind: 'static' | 'pattern'; sites: Site[]; profiles: string[] }>();
    for (const s of this.allSites)
      for (const v of s.values) {
        if (!isString(v)) continue;
        const k = tagKey(v);
        let e = byKey.get(k);
        if (!e) byKey.set(k, (e = { tag: displayTag(v), kind: v.kind, sites: [], profiles: [] }));
        if (!e.sites.includes(s)) e.sites.push(s);
        for (const p of s.profiles) if (!e.profiles.includes(p)) e.profiles.push(p);
      }
    return [...byKey.values()].sort((a, b) => (a.tag < b.tag ? -1 : 1));
  }
}
