// The app's route tree, for checking revalidatePath targets. Handles route groups, dynamic,
// catch-all and optional catch-all segments, parallel (@slot) and intercepting routes.
import { readdirSync } from 'node:fs';
import { tagsIntersect, nearest } from './tagValue';
import type { TagValue } from './types';

export interface Route {
  /** Filesystem path from the app dir, groups and slots included: `/(shop)/products/[id]`. */
  fsPath: string;
  /** URL pattern segments (groups and slots removed). */
  segments: Segment[];
  hasPage: boolean;
  hasRoute: boolean;
  hasLayout: boolean;
  /** The URL as tag-like values with holes for dynamic segments (computed once). */
  urls?: TagValue[];
}

type Segment = { kind: 'static'; text: string } | { kind: 'dynamic' } | { kind: 'catchall'; optional: boolean };

const PAGE = /^page\.(tsx?|jsx?|mdx?)$/;
const ROUTE = /^route\.(tsx?|jsx?)$/;
const LAYOUT = /^layout\.(tsx?|jsx?)$/;

export function scanRoutes(appDir: string | undefined, pagesDir: string | undefined): Route[] {
  const routes: Route[] = [];
  if (appDir) walkApp(appDir, '', routes);
  if (pagesDir) walkPages(pagesDir, '', routes);
  return routes;
}

function walkApp(dir: string, fsPath: string, out: Route[]): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  const files = entries.filter((e) => e.isFile()).map((e) => e.name);
  const hasPage = files.some((f) => PAGE.test(f));
  const hasRoute = files.some((f) => ROUTE.test(f));
  const hasLayout = files.some((f) => LAYOUT.test(f));
  const intercepting = /(^|\/)\(\.{1,3}\)|\(\.\.\)\(\.\.\)/.test(fsPath);
  if ((hasPage || hasRoute || hasLayout) && !intercepting) out.push({ fsPath: fsPath || '/', segments: urlSegments(fsPath), hasPage, hasRoute, hasLayout });
  for (const e of entries) {
    if (!e.isDirectory() || e.name.startsWith('_') || e.name === 'node_modules') continue;
    walkApp(dir + '/' + e.name, fsPath + '/' + e.name, out);
  }
}

function walkPages(dir: string, urlPath: string, out: Route[]): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.isDirectory()) walkPages(dir + '/' + e.name, urlPath + '/' + e.name, out);
    else if (/\.(tsx?|jsx?|mdx?)$/.test(e.name) && !/^_(app|document|error)\./.test(e.name)) {
      const stem = e.name.replace(/\.[^.]+$/, '');
      const p = stem === 'index' ? urlPath : urlPath + '/' + stem;
      out.push({ fsPath: p || '/', segments: urlSegments(p), hasPage: true, hasRoute: false, hasLayout: false });
    }
  }
}

function urlSegments(fsPath: string): Segment[] {
  const out: Segment[] = [];
  for (const s of fsPath.split('/')) {
    if (!s || (s.startsWith('(') && s.endsWith(')')) || s.startsWith('@')) continue;
    if (/^\[\[\.\.\..+\]\]$/.test(s)) out.push({ kind: 'catchall', optional: true });
    else if (/^\[\.\.\..+\]$/.test(s)) out.push({ kind: 'catchall', optional: false });
    else if (/^\[.+\]$/.test(s)) out.push({ kind: 'dynamic' });
    else out.push({ kind: 'static', text: s });
  }
  return out;
}

/** A route's URL as a tag-like value whose dynamic parts are holes, for pattern matching. */
function routeUrlValue(r: Route): TagValue[] {
  const parts: Array<Array<{ text: string } | { hole: { expr: string } }>> = [[]];
  for (const seg of r.segments) {
    const next: Array<Array<{ text: string } | { hole: { expr: string } }>> = [];
    for (const p of parts) {
      if (seg.kind === 'static') next.push([...p, { text: '/' + seg.text }]);
      else if (seg.kind === 'dynamic') next.push([...p, { text: '/' }, { hole: { expr: 'segment' } }]);
      else {
        next.push([...p, { text: '/' }, { hole: { expr: 'segments' } }]);
        if (seg.optional) next.push([...p]);
      }
    }
    parts.splice(0, parts.length, ...next);
  }
  return parts.map((p) => (p.length === 0 ? { kind: 'static', value: '/' } : p.every((x) => 'text' in x) ? { kind: 'static', value: p.map((x) => (x as { text: string }).text).join('') } : { kind: 'pattern', parts: p }));
}

function stripTrailingSlash(v: TagValue): TagValue {
  if (v.kind === 'static' && v.value.length > 1 && v.value.endsWith('/')) return { kind: 'static', value: v.value.slice(0, -1) };
  return v;
}

export type PathCheck =
  | { ok: true }
  | { ok: false; reason: 'no-route' | 'dynamic-without-type' | 'type-needs-fs-path' | 'type-missing-file'; suggestion?: string };

/** Checks a revalidatePath target the way Next builds its soft tags. */
export function checkRevalidatePath(path: TagValue, type: string | undefined, routes: Route[]): PathCheck {
  if (path.kind !== 'static' && path.kind !== 'pattern') return { ok: true };
  path = stripTrailingSlash(path);
  if (type === 'page' || type === 'layout') {
    // With a type, Next matches the filesystem route path (groups and [brackets] included).
    if (path.kind !== 'static') return { ok: true }; // a computed fs path: can't tell
    const p = path.value === '' ? '/' : path.value;
    if (type === 'page') {
      const exact = routes.find((r) => r.fsPath === p);
      if (exact && exact.hasPage) return { ok: true };
      if (exact) return { ok: false, reason: 'type-missing-file' };
    } else {
      if (p === '/' || routes.some((r) => r.fsPath === p || r.fsPath.startsWith(p + '/'))) return { ok: true };
    }
    const served = routes.filter((r) => urlMatches(path, r));
    if (served.length) return { ok: false, reason: 'type-needs-fs-path', suggestion: served[0].fsPath };
    return { ok: false, reason: 'no-route', suggestion: nearest(p, routes.filter((r) => (type === 'page' ? r.hasPage : true)).map((r) => r.fsPath)) };
  }
  if (path.kind === 'static' && /\[[^\]]+\]/.test(path.value)) {
    return routes.some((r) => r.fsPath === path.value || urlMatches(path, r)) ? { ok: false, reason: 'dynamic-without-type' } : { ok: false, reason: 'no-route' };
  }
  if (routes.some((r) => urlMatches(path, r))) return { ok: true };
  return { ok: false, reason: 'no-route', suggestion: path.kind === 'static' ? nearest(path.value, routes.filter((r) => r.segments.every((s) => s.kind === 'static')).map((r) => '/' + r.segments.map((s) => (s as { text: string }).text).join('/'))) : undefined };
}

/** A URL (no type) reaches only folders that render a page or answer as a route handler:
 * Next's `_N_T_<pathname>` soft tag is carried by those, never by a layout-only folder. */
function urlMatches(path: TagValue, r: Route): boolean {
  if (!r.hasPage && !r.hasRoute) return false;
  r.urls ??= routeUrlValue(r);
  return r.urls.some((u) => tagsIntersect(path, u));
}
