// Where code runs: inside a 'use cache' scope, a Server Action, a route handler, a Server
// Component render, an `after()` callback, middleware, pages/api, or a client module.
// Helpers take the contexts of their callers, so a wrapper is judged by who reaches it.
import { basename } from 'node:path';
import { ts, walk } from './ts';
import type { CallGraph, FunctionNode } from './callgraph';
import type { Resolver } from './symbols';
import { hasDefaultModifier, hasExportModifier } from './symbols';
import { apiOfCallee } from './apis';

export type ExecContext = 'use-cache' | 'server-action' | 'route-handler' | 'render' | 'after' | 'middleware' | 'pages-api' | 'client' | 'unknown';

export interface FileRole {
  kind: 'route' | 'render' | 'middleware' | 'pages-api' | 'other';
  directive?: 'use cache' | 'use server' | 'use client';
  cacheKind?: string;
}

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);
const RENDER_EXPORTS = new Set(['default', 'generateMetadata', 'generateViewport', 'generateStaticParams']);
const RENDER_FILES = /^(page|layout|template|default|not-found|forbidden|unauthorized|error|global-error|loading|opengraph-image|twitter-image|icon|apple-icon|sitemap)\.(tsx?|jsx?|mdx?)$/;

/** The directive prologue of a body or file: 'use cache', 'use cache: x', 'use server', 'use client'. */
export function directives(statements: readonly ts.Statement[]): string[] {
  const out: string[] = [];
  for (const s of statements) {
    if (ts.isExpressionStatement(s) && ts.isStringLiteral(s.expression)) out.push(s.expression.text);
    else break;
  }
  return out;
}

export function cacheDirective(list: string[]): string | undefined {
  return list.find((d) => d === 'use cache' || /^use cache:\s*/.test(d));
}

export function fileRole(sf: ts.SourceFile, dirs: { appDir?: string; pagesDir?: string; appRoot: string }): FileRole {
  const file = sf.fileName;
  const name = basename(file);
  const d = directives(sf.statements);
  const cache = cacheDirective(d);
  const role: FileRole = { kind: 'other' };
  if (cache) {
    role.directive = 'use cache';
    role.cacheKind = cache.includes(':') ? cache.split(':')[1].trim() : 'default';
  } else if (d.includes('use server')) role.directive = 'use server';
  else if (d.includes('use client')) role.directive = 'use client';
  if (dirs.appDir && file.startsWith(dirs.appDir + '/')) {
    if (/^route\.(tsx?|jsx?)$/.test(name)) role.kind = 'route';
    else if (RENDER_FILES.test(name)) role.kind = 'render';
  }
  if (dirs.pagesDir && file.startsWith(dirs.pagesDir + '/api/')) role.kind = 'pages-api';
  const rootish = [dirs.appRoot, dirs.appRoot + '/src'];
  if (/^(middleware|proxy)\.(tsx?|jsx?)$/.test(name) && rootish.includes(file.slice(0, file.lastIndexOf('/')))) role.kind = 'middleware';
  return role;
}

function bodyStatements(fn: ts.SignatureDeclaration): readonly ts.Statement[] {
  const body = (fn as ts.FunctionLikeDeclaration).body;
  return body && ts.isBlock(body) ? body.statements : [];
}

/** The function-level 'use cache' / 'use server' directive of a function, if any. */
export function functionDirective(fn: ts.SignatureDeclaration): 'use cache' | 'use server' | undefined {
  const d = directives(bodyStatements(fn));
  if (cacheDirective(d)) return 'use cache';
  if (d.includes('use server')) return 'use server';
  return undefined;
}

/** Every name a top-level function is exported under: modifiers, `export default`, and `export { f as GET }`. */
function exportedNames(fn: ts.Node): string[] {
  const out: string[] = [];
  let local: string | undefined;
  if (ts.isFunctionDeclaration(fn)) {
    if (hasDefaultModifier(fn)) out.push('default');
    else if (hasExportModifier(fn) && fn.name) out.push(fn.name.text);
    local = fn.name?.text;
  } else {
    let p = fn.parent;
    while (p && (ts.isParenthesizedExpression(p) || ts.isAsExpression(p) || ts.isSatisfiesExpression(p) || ts.isCallExpression(p))) p = p.parent;
    if (p && ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) {
      local = p.name.text;
      if (ts.isVariableStatement(p.parent.parent) && hasExportModifier(p.parent.parent)) out.push(local);
    }
    if (p && ts.isExportAssignment(p)) out.push('default');
  }
  if (local) {
    for (const st of fn.getSourceFile().statements) {
      if (ts.isExportDeclaration(st) && !st.moduleSpecifier && st.exportClause && ts.isNamedExports(st.exportClause)) {
        for (const el of st.exportClause.elements) if ((el.propertyName ?? el.name).text === local) out.push(el.name.text);
      } else if (ts.isExportAssignment(st) && ts.isIdentifier(st.expression) && st.expression.text === local) out.push('default');
    }
  }
  return out;
}

function looksLikeComponent(fn: ts.SignatureDeclaration): boolean {
  const name = ts.isFunctionDeclaration(fn) && fn.name ? fn.name.text : ts.isVariableDeclaration(fn.parent) && ts.isIdentifier(fn.parent.name) ? fn.parent.name.text : undefined;
  if (!name || !/^[A-Z]/.test(name)) return false;
  let jsx = false;
  const body = (fn as ts.FunctionLikeDeclaration).body;
  if (body)
    walk(body, (n) => {
      if (jsx) return false;
      if (ts.isJsxElement(n) || ts.isJsxSelfClosingElement(n) || ts.isJsxFragment(n)) jsx = true;
    });
  return jsx;
}

/** The questions the context rules ask: which contexts count as bad for each. */
export type Reach = 'outside-use-cache' | 'outside-server-action' | 'during-render';
const BAD: Record<Reach, (c: ExecContext) => boolean> = {
  'outside-use-cache': (c) => c !== 'use-cache' && c !== 'unknown',
  'outside-server-action': (c) => c === 'route-handler' || c === 'middleware' || c === 'pages-api' || c === 'client',
  'during-render': (c) => c === 'render' || c === 'use-cache',
};

export class ContextAnalyzer {
  private readonly reachMemo = new Map<ts.Node, Map<Reach, { result: Array<{ at: ts.Node; context: ExecContext }>; deps: ts.Node[] }>>();

  constructor(
    private readonly resolver: Resolver,
    private readonly calls: CallGraph,
    private readonly roleOf: (sf: ts.SourceFile) => FileRole,
  ) {}

  /** Drops memoised reach results that depended on dropped callers, or on nodes of an edited file. */
  invalidate(file: string, droppedCallers: Set<ts.Node>): void {
    for (const [node, byReach] of this.reachMemo) {
      if (node.getSourceFile().fileName === file) {
        this.reachMemo.delete(node);
        continue;
      }
      for (const [reach, entry] of byReach) if (entry.deps.some((d) => droppedCallers.has(d) || d.getSourceFile().fileName === file)) byReach.delete(reach);
    }
  }

  /**
   * The innermost unit a node runs in and that unit's own context, when it has one by itself
   * (a directive, an entry point, an after() callback). `undefined` context = a helper.
   */
  unitOf(node: ts.Node): { unit: ts.Node; context?: ExecContext } {
    const sf = node.getSourceFile();
    const role = this.roleOf(sf);
    for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
      if (!ts.isFunctionLike(n) || ts.isConstructorDeclaration(n)) continue;
      const fn = n as ts.SignatureDeclaration;
      const dir = functionDirective(fn);
      if (dir === 'use cache') return { unit: fn, context: 'use-cache' };
      if (dir === 'use server') return { unit: fn, context: 'server-action' };
      // after(() => …) runs after the response, outside render.
      const parent = fn.parent;
      if (ts.isCallExpression(parent) && parent.arguments.includes(fn as unknown as ts.Expression) && apiOfCallee(parent.expression, this.resolver) === 'after') return { unit: fn, context: 'after' };
      // const record = () => …; after(record)
      if (!isTopLevelFunction(fn) && this.passedToAfter(fn)) return { unit: fn, context: 'after' };
      if (!isTopLevelFunction(fn)) continue; // callbacks and closures run within their parent
      const names = exportedNames(fn);
      const exported = names.length > 0;
      if (role.directive === 'use client') return { unit: fn, context: 'client' };
      if (role.directive === 'use cache' && exported) return { unit: fn, context: 'use-cache' };
      if (role.directive === 'use server' && exported) return { unit: fn, context: 'server-action' };
      if (role.kind === 'route' && names.some((x) => HTTP_METHODS.has(x))) return { unit: fn, context: 'route-handler' };
      if (role.kind === 'render' && names.some((x) => RENDER_EXPORTS.has(x))) return { unit: fn, context: 'render' };
      if (role.kind === 'middleware' && exported) return { unit: fn, context: 'middleware' };
      if (role.kind === 'pages-api' && names.includes('default')) return { unit: fn, context: 'pages-api' };
      if (role.directive !== 'use server' && role.kind !== 'route' && looksLikeComponent(fn)) return { unit: fn, context: 'render' };
      return { unit: fn };
    }
    // Module top level: runs when the module loads.
    if (role.directive === 'use client') return { unit: sf, context: 'client' };
    return { unit: sf, context: 'unknown' };
  }

  /** A local function whose only uses are as the callback of `after(name)`. */
  private passedToAfter(fn: ts.SignatureDeclaration): boolean {
    const decl = fn.parent;
    if (!ts.isVariableDeclaration(decl) || !ts.isIdentifier(decl.name) || decl.initializer !== (fn as unknown as ts.Expression)) return false;
    const name = decl.name.text;
    let scope: ts.Node | undefined = decl.parent;
    while (scope && !ts.isBlock(scope) && !ts.isSourceFile(scope)) scope = scope.parent;
    if (!scope) return false;
    let inAfter = false;
    let otherUse = false;
    const visit = (n: ts.Node) => {
      if (ts.isIdentifier(n) && n.text === name && n !== decl.name) {
        const call = n.parent;
        if (ts.isCallExpression(call) && call.arguments.includes(n) && apiOfCallee(call.expression, this.resolver) === 'after') inAfter = true;
        else otherUse = true;
      }
    };
    walk(scope, visit);
    return inAfter && !otherUse;
  }

  /**
   * Where a bad context reaches a node: the node itself when its own unit is bad, else the
   * call sites (in bad units) of the helper that contains it. This puts the diagnostic where
   * the fix belongs: the route handler's call of a server-only wrapper. Memoised per node and
   * question, and kept across edits that don't touch the callers it followed.
   */
  badReach(node: ts.Node, reach: Reach): Array<{ at: ts.Node; context: ExecContext }> {
    const hit = this.reachMemo.get(node)?.get(reach);
    if (hit) return hit.result;
    const deps: ts.Node[] = [];
    const result = this.follow(node, BAD[reach], 0, new Set(), deps);
    let byReach = this.reachMemo.get(node);
    if (!byReach) this.reachMemo.set(node, (byReach = new Map()));
    byReach.set(reach, { result, deps });
    return result;
  }

  private follow(node: ts.Node, isBad: (c: ExecContext) => boolean, depth: number, seen: Set<ts.Node>, deps: ts.Node[]): Array<{ at: ts.Node; context: ExecContext }> {
    const { unit, context } = this.unitOf(node);
    if (context === 'server-action') {
      // A Server Action runs as one when the client invokes it; called directly from server
      // code (a page render, a route handler) it is a plain function in the caller's context.
      const out: Array<{ at: ts.Node; context: ExecContext }> = isBad(context) ? [{ at: node, context }] : [];
      if (seen.has(unit) || depth > 8) return out;
      seen.add(unit);
      const key = this.calls.keyOf(unit);
      if (key) deps.push(key);
      for (const c of this.calls.callers(unit as FunctionNode).calls) {
        if (this.roleOf(c.getSourceFile()).directive === 'use client') continue; // a real action invocation
        out.push(...this.follow(c, isBad, depth + 1, seen, deps));
      }
      return out;
    }
    if (context) return isBad(context) ? [{ at: node, context }] : [];
    if (seen.has(unit) || depth > 8) return [];
    seen.add(unit);
    const key = this.calls.keyOf(unit);
    if (key) deps.push(key);
    const out: Array<{ at: ts.Node; context: ExecContext }> = [];
    for (const c of this.calls.callers(unit as FunctionNode).calls) out.push(...this.follow(c, isBad, depth + 1, seen, deps));
    return out;
  }
}

function isTopLevelFunction(fn: ts.SignatureDeclaration): boolean {
  if (ts.isMethodDeclaration(fn) || ts.isGetAccessorDeclaration(fn)) return true; // object/class methods are units
  for (let p: ts.Node | undefined = fn.parent; p; p = p.parent) {
    if (ts.isSourceFile(p)) return true;
    if (ts.isFunctionLike(p)) return false;
    if (ts.isCallExpression(p) && !ts.isVariableDeclaration(fn.parent) && !ts.isFunctionDeclaration(fn)) {
      // an argument to a call (callback) — a unit only when the call sits at module level as a wrapper: export const x = cache(async () => …)
      let q: ts.Node = p;
      while (ts.isCallExpression(q) || ts.isParenthesizedExpression(q)) q = q.parent;
      return ts.isVariableDeclaration(q) && ts.isVariableStatement(q.parent.parent) && ts.isSourceFile(q.parent.parent.parent);
    }
  }
  return false;
}
