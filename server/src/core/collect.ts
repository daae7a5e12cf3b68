// Walks a parsed file and records every tag declaration, invalidation, cacheLife call and
// cache directive, with tags evaluated. Wrapper calls are expanded so a tag passed through
// `safeUpdateTag(tag)` is recorded at the caller's argument, where it is written.
import { ts, walk } from './ts';
import { apiOfCallee, type ApiName } from './apis';
import type { CallGraph, FunctionNode } from './callgraph';
import { cacheDirective, directives } from './context';
import { locationOf, type Evaluator, type PropertyRef } from './evaluate';
import type { Resolver } from './symbols';
import type { Declaration, Invalidation, Location, TagSite, TagValue } from './types';

export interface ApiCall {
  api: ApiName;
  call: ts.CallExpression;
}

export interface ProfileUse {
  /** cacheLife(x) or the second argument of revalidateTag. */
  kind: 'cacheLife' | 'revalidateTag';
  /** For cacheLife: the cache entry (unit) it configures. */
  entryId?: string;
  value: TagValue[];
  node: ts.Expression;
  literal?: ts.StringLiteralLike;
}

export interface DirectiveUse {
  kind: string; // handler name after 'use cache: '
  node: ts.StringLiteral;
}

export interface FileFacts {
  calls: ApiCall[];
  declarations: Array<Declaration & { call: ts.CallExpression; count?: number }>;
  invalidations: Array<Invalidation & { call: ts.CallExpression }>;
  profiles: ProfileUse[];
  directives: DirectiveUse[];
  /** cacheTag calls with their resolved number of tags (undefined when a spread is unknown). */
  tagCounts: Array<{ call: ts.CallExpression; count: number | undefined }>;
}

function strip(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isNonNullExpression(e) || ts.isAwaitExpression(e)) e = e.expression;
  return e;
}

export class Collector {
  constructor(
    private readonly resolver: Resolver,
    private readonly evaluator: Evaluator,
    private readonly calls: CallGraph,
    private readonly entryIdOf: (node: ts.Node) => string,
  ) {}

  collect(sf: ts.SourceFile): FileFacts {
    const facts: FileFacts = { calls: [], declarations: [], invalidations: [], profiles: [], directives: [], tagCounts: [] };
    const imported = importedNames(sf);
    const visitDirectives = (stmts: readonly ts.Statement[]) => {
      const d = cacheDirective(directives(stmts));
      if (d && d.includes(':')) {
        const node = stmts.find((s) => ts.isExpressionStatement(s) && ts.isStringLiteral(s.expression) && s.expression.text === d) as ts.ExpressionStatement;
        facts.directives.push({ kind: d.slice(d.indexOf(':') + 1).trim(), node: node.expression as ts.StringLiteral });
      }
    };
    visitDirectives(sf.statements);
    const visit = (n: ts.Node): void => {
      if (ts.isFunctionLike(n)) {
        const body = (n as ts.FunctionLikeDeclaration).body;
        if (body && ts.isBlock(body)) visitDirectives(body.statements);
      }
      if (ts.isCallExpression(n)) {
        const callee = strip(n.expression);
        const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) ? callee.expression.text : undefined;
        if (name && (imported.has(name) || name === 'fetch' || name === 'globalThis')) {
          const api = apiOfCallee(callee, this.resolver);
          if (api) this.record(api, n, facts);
        }
      }
    };
    walk(sf, visit);
    return facts;
  }

  private record(api: ApiName, call: ts.CallExpression, facts: FileFacts): void {
    facts.calls.push({ api, call });
    const args = call.arguments;
    switch (api) {
      case 'cacheTag': {
        const entryId = this.entryIdOf(call);
        let count: number | undefined = 0;
        for (const a of args) {
          const sites = ts.isSpreadElement(a) ? this.listSites(a.expression) : this.tagSites(a);
          if (ts.isSpreadElement(a) && sites.some((s) => s.values.some((v) => v.kind === 'unknown'))) count = undefined;
          if (count !== undefined) count += sites.length;
          for (const site of sites) facts.declarations.push({ api: 'cacheTag', site, entryId, profiles: [], call });
        }
        facts.tagCounts.push({ call, count });
        break;
      }
      case 'cacheLife': {
        const a = args[0];
        if (a && !ts.isObjectLiteralExpression(strip(a))) {
          const r = this.evaluator.tag(a);
          facts.profiles.push({ kind: 'cacheLife', entryId: this.entryIdOf(call), value: r.values, node: a, literal: r.literal });
        }
        break;
      }
      case 'unstable_cache': {
        const opts = args[2];
        if (!opts) break;
        const entryId = 'call:' + locationKey(locationOf(call));
        for (const site of this.optionTagSites(opts, ['tags'])) facts.declarations.push({ api: 'unstable_cache', site, entryId, profiles: [], call });
        break;
      }
      case 'fetch': {
        const init = args[1];
        if (!init) break;
        const entryId = 'call:' + locationKey(locationOf(call));
        for (const site of this.optionTagSites(init, ['next', 'tags'])) facts.declarations.push({ api: 'fetch', site, entryId, profiles: [], call });
        break;
      }
      case 'revalidateTag':
      case 'updateTag':
      case 'expireTag': {
        const tagArgs = api === 'expireTag' ? args : args.slice(0, 1);
        const profileArg = api === 'revalidateTag' ? args[1] : undefined;
        for (const a of tagArgs) {
          const sites = ts.isSpreadElement(a) ? this.listSites(a.expression) : this.tagSites(a, true);
          for (const site of sites) facts.invalidations.push({ api: api === 'expireTag' ? 'revalidateTag' : api, site, call, profile: profileArg?.getText() });
        }
        if (profileArg && !ts.isObjectLiteralExpression(strip(profileArg))) {
          const r = this.evaluator.tag(profileArg);
          facts.profiles.push({ kind: 'revalidateTag', value: r.values, node: profileArg, literal: r.literal });
        }
        break;
      }
      case 'revalidatePath': {
        const a = args[0];
        if (!a) break;
        const typeArg = args[1] && this.evaluator.tag(args[1]).values;
        const pathType = typeArg && typeArg.length === 1 && typeArg[0].kind === 'static' ? typeArg[0].value : args[1] ? '?' : undefined;
        for (const site of this.tagSites(a, true)) facts.invalidations.push({ api: 'revalidatePath', site, call, pathType });
        break;
      }
      case 'after':
        break;
    }
  }

  /** Sites for one tag argument; a parameter of a wrapper becomes one site per caller argument. */
  private tagSites(arg: ts.Expression, expand = true): TagSite[] {
    const out: TagSite[] = [];
    for (const e of expand ? this.expandThroughWrappers(arg, 0, false) : [{ expr: arg, list: false }]) {
      if (e.list) {
        out.push(...this.elementSites(e.expr, e.expr));
        continue;
      }
      const r = this.evaluator.tag(e.expr);
      out.push({ location: locationOf(e.expr), values: r.values, renameTarget: r.literal ? locationOf(r.literal) : undefined });
    }
    return out;
  }

  private listSites(expr: ts.Expression): TagSite[] {
    return this.expandThroughWrappers(expr, 0, true).flatMap((e) => this.elementSites(e.expr, e.expr));
  }

  /** Tags in an options object (`{ tags }`, `{ next: { tags } }`), the object possibly passed through a wrapper. */
  private optionTagSites(options: ts.Expression, path: string[]): TagSite[] {
    return this.expandThroughWrappers(options, 0, false).flatMap((o) => this.evaluator.property(o.expr, path).flatMap((ref) => this.elementSites(ref, o.expr)));
  }

  /**
   * One site per element of a tag list. An element written at the use (inside `anchor`, or in
   * the same function) is its own site; one that comes from elsewhere (a constant array, a
   * helper's options) is placed at the expression that uses it, so two uses stay two sites.
   */
  private elementSites(list: ts.Expression | PropertyRef, anchor: ts.Expression): TagSite[] {
    const home = enclosingFunctionOf(anchor);
    const local = (n: ts.Node) =>
      n.getSourceFile() === anchor.getSourceFile() && ((n.getStart() >= anchor.getStart() && n.getEnd() <= anchor.getEnd()) || (home !== undefined && enclosingFunctionOf(n) === home));
    return this.evaluator.tagList(list).map((el) => ({ location: locationOf(local(el.node) ? el.node : anchor), values: el.values, renameTarget: el.literal ? locationOf(el.literal) : undefined }));
  }

  /**
   * `function safeUpdateTag(tag) { updateTag(tag) }` → the arguments its callers pass. Also
   * `for (const t of Array.isArray(tags) ? tags : [tags]) updateTag(t)`: then each caller's
   * argument is a tag or a list of tags (`list: true`).
   */
  private expandThroughWrappers(arg: ts.Expression, depth: number, list: boolean): Array<{ expr: ts.Expression; list: boolean }> {
    const self = [{ expr: arg, list }];
    const e = strip(arg);
    if (depth > 3 || !ts.isIdentifier(e)) return self;
    const b = this.resolver.resolveIdentifier(e);
    if (b?.kind !== 'local') return self;
    let param: ts.ParameterDeclaration | undefined;
    const path: string[] = [];
    let asList = list;
    if (ts.isParameter(b.node)) param = b.node;
    else if (ts.isBindingElement(b.node)) {
      let n: ts.Node = b.node;
      while (ts.isBindingElement(n) && ts.isObjectBindingPattern(n.parent)) {
        const pn = n.propertyName ?? n.name;
        if (!ts.isIdentifier(pn)) return self;
        path.unshift(pn.text);
        n = n.parent.parent;
      }
      if (ts.isParameter(n)) param = n;
    } else if (ts.isVariableDeclaration(b.node) && ts.isForOfStatement(b.node.parent.parent)) {
      param = iteratedParameter(b.node.parent.parent.expression, this.resolver);
      asList = true;
    }
    if (!param || param.dotDotDotToken) return self;
    const fn = param.parent;
    if (!(ts.isFunctionDeclaration(fn) || ts.isArrowFunction(fn) || ts.isFunctionExpression(fn) || ts.isMethodDeclaration(fn))) return self;
    // A callback (`tags.map((t) => …)`) is not a wrapper.
    if (ts.isCallExpression(fn.parent) && (fn.parent as ts.CallExpression).arguments.includes(fn as unknown as ts.Expression)) return self;
    const callers = this.calls.callers(fn as FunctionNode);
    if (callers.escapes || callers.calls.length === 0 || callers.calls.length > 24) return self;
    const idx = fn.parameters.indexOf(param);
    const out: Array<{ expr: ts.Expression; list: boolean }> = [];
    for (const c of callers.calls) {
      const a = c.arguments[idx];
      if (!a) continue;
      if (path.length === 0) out.push(...this.expandThroughWrappers(a, depth + 1, asList));
      else {
        const props = this.evaluator.property(a, path);
        if (props.length === 0) return self;
        for (const p of props) out.push(...this.expandThroughWrappers(p.expr, depth + 1, asList));
      }
    }
    return out.length ? out : self;
  }
}

/** The parameter a for…of iterates: `p`, `[p].flat()`, `Array.isArray(p) ? p : [p]`, `[].concat(p)`. */
function iteratedParameter(e: ts.Expression, resolver: Resolver): ts.ParameterDeclaration | undefined {
  e = strip(e);
  const asParam = (x: ts.Expression | undefined) => {
    if (!x) return undefined;
    x = strip(x);
    if (ts.isArrayLiteralExpression(x) && x.elements.length === 1 && !ts.isSpreadElement(x.elements[0])) x = strip(x.elements[0]);
    if (!ts.isIdentifier(x)) return undefined;
    const b = resolver.resolveIdentifier(x);
    return b?.kind === 'local' && ts.isParameter(b.node) ? b.node : undefined;
  };
  if (ts.isConditionalExpression(e)) {
    const a = asParam(e.whenTrue);
    return a && a === asParam(e.whenFalse) ? a : undefined;
  }
  if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && ['flat', 'concat'].includes(e.expression.name.text)) {
    return asParam(e.expression.name.text === 'flat' ? e.expression.expression : e.arguments[0]);
  }
  return asParam(e);
}

function enclosingFunctionOf(n: ts.Node): ts.Node | undefined {
  for (let p = n.parent; p; p = p.parent) if (ts.isFunctionLike(p)) return p;
  return undefined;
}

function importedNames(sf: ts.SourceFile): Set<string> {
  const out = new Set<string>();
  for (const s of sf.statements) {
    if (!ts.isImportDeclaration(s) || !s.importClause) continue;
    const c = s.importClause;
    if (c.name) out.add(c.name.text);
    const nb = c.namedBindings;
    if (nb && ts.isNamespaceImport(nb)) out.add(nb.name.text);
    else if (nb) for (const el of nb.elements) out.add(el.name.text);
  }
  return out;
}

export function locationKey(l: Location): string {
  return l.file + ':' + l.start + ':' + l.end;
}
