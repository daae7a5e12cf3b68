// Turns a tag argument into the tags it can produce. Follows constants and `as const` objects
// across modules, factory objects and methods (incl. `this.`), helpers with several returns,
// templates, concatenation, `join`, parameters into their callers (option objects,
// destructuring, spreads), `.map`/`for…of` over constant arrays, and literal union types.
// Whatever cannot be resolved becomes a hole or "unknown", never a guess.
import { ts, walk } from './ts';
import type { CallGraph, FunctionNode } from './callgraph';
import type { Resolver } from './symbols';
import { makeValue } from './tagValue';
import type { HoleOrigin, Location, TagPart, TagValue } from './types';

/** Arguments bound for one function invocation being evaluated. */
interface Env {
  fn: ts.SignatureDeclaration;
  args: readonly ts.Expression[];
  argEnv: Env | undefined;
  depth: number;
}

/** One evaluated alternative; `literal` remembers the string literal it came from (rename). */
interface Val {
  value: TagValue;
  literal?: ts.StringLiteralLike;
  nonString?: boolean;
}

/** An expression found inside an object, with the bindings it must be evaluated under (opaque). */
export interface PropertyRef {
  expr: ts.Expression;
  env: unknown;
}

export interface EvaluatedElement {
  node: ts.Node;
  values: TagValue[];
  /** The single string literal every alternative comes from, when there is one. */
  literal?: ts.StringLiteralLike;
}

/** Where an expression's value comes from: another expression, or a run-time hole (made lazily,
 * since reading its declared type may need the type checker). */
type Source = { expr: ts.Expression; env: Env | undefined; viaCaller?: boolean } | { hole: ts.Node; decl?: ts.Node } | { values: Val[] };

const MAX_ALTERNATIVES = 32;
const MAX_DEPTH = 6;

function unknown(reason: string): Val {
  return { value: { kind: 'unknown', reason } };
}

function uniq(vals: Val[]): Val[] {
  const seen = new Set<string>();
  const out: Val[] = [];
  for (const v of vals) {
    const k = JSON.stringify(v.value);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(v);
    }
    if (out.length >= MAX_ALTERNATIVES) break;
  }
  return out;
}

function strip(e: ts.Expression): ts.Expression {
  for (;;) {
    if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isNonNullExpression(e) || ts.isTypeAssertionExpression(e) || ts.isAwaitExpression(e)) e = e.expression;
    else return e;
  }
}

export class Evaluator {
  private checkerUsed = false;
  constructor(
    private readonly resolver: Resolver,
    private readonly calls: CallGraph,
    private readonly typeAt: (node: ts.Node) => ts.Type | undefined,
  ) {}

  get usedChecker(): boolean {
    return this.checkerUsed;
  }

  /** Evaluates one tag argument (a single tag). */
  tag(expr: ts.Expression): { values: TagValue[]; literal?: ts.StringLiteralLike } {
    const vals = this.str(expr, undefined, 0);
    const values = vals.map(finalValue);
    const lit = vals.length > 0 && vals.every((v) => v.literal && v.literal === vals[0].literal) ? vals[0].literal : undefined;
    return { values, literal: lit };
  }

  /** Evaluates an expression that yields a list of tags (`tags: [...]`, `...tags`, a const array). */
  tagList(expr: ts.Expression | PropertyRef): EvaluatedElement[] {
    const [e, env] = 'expr' in expr ? [expr.expr, expr.env as Env | undefined] : [expr, undefined];
    return this.list(e, env, 0).map((el) => {
      const lit = el.vals.length > 0 && el.vals.every((v) => v.literal === el.vals[0].literal) ? el.vals[0].literal : undefined;
      return { node: el.node, values: el.vals.map(finalValue), literal: lit };
    });
  }

  /** A property of an options object (`{ next: { tags } }`, `{ tags }`), followed through spreads and helpers. */
  property(expr: ts.Expression, path: string[]): PropertyRef[] {
    return this.prop(expr, path, undefined, 0);
  }

  // ---- strings -------------------------------------------------------------------------

  private str(e: ts.Expression, env: Env | undefined, depth: number): Val[] {
    if (depth > MAX_DEPTH * 3) return [unknown('too deep')];
    e = strip(e);
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return [{ value: { kind: 'static', value: e.text }, literal: e }];
    if (ts.isNumericLiteral(e)) return [{ value: { kind: 'static', value: String(Number(e.text)) }, nonString: true }];
    if (e.kind === ts.SyntaxKind.TrueKeyword || e.kind === ts.SyntaxKind.FalseKeyword || e.kind === ts.SyntaxKind.NullKeyword) return [{ value: { kind: 'static', value: e.getText() }, nonString: true }];
    if (ts.isObjectLiteralExpression(e) || ts.isArrayLiteralExpression(e) || ts.isArrowFunction(e) || ts.isFunctionExpression(e)) return [{ value: { kind: 'invalid', reason: 'not a string' }, nonString: true }];
    if (ts.isTemplateExpression(e)) {
      let acc: Val[][] = [[{ value: { kind: 'static', value: e.head.text } }]];
      for (const span of e.templateSpans) {
        acc.push(this.part(span.expression, env, depth));
        acc.push([{ value: { kind: 'static', value: span.literal.text } }]);
      }
      return this.concat(acc);
    }
    if (ts.isBinaryExpression(e)) {
      const op = e.operatorToken.kind;
      if (op === ts.SyntaxKind.PlusToken) return this.concat([this.part(e.left, env, depth), this.part(e.right, env, depth)]);
      if (op === ts.SyntaxKind.QuestionQuestionToken || op === ts.SyntaxKind.BarBarToken) return uniq([...this.str(e.left, env, depth + 1), ...this.str(e.right, env, depth + 1)]);
    }
    if (ts.isConditionalExpression(e)) return uniq([...this.str(e.whenTrue, env, depth + 1), ...this.str(e.whenFalse, env, depth + 1)]);
    if (ts.isCallExpression(e)) {
      const callee = strip(e.expression);
      // [a, b].join('-')
      if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'join') {
        const sepArg = e.arguments[0];
        const sep = sepArg ? this.str(sepArg, env, depth + 1) : [{ value: { kind: 'static', value: ',' } as TagValue }];
        const items = this.list(callee.expression, env, depth + 1);
        if (sep.length === 1 && sep[0].value.kind === 'static' && items.length > 0 && items.length <= 16 && !items.some((i) => i.spread)) {
          const sepVal = sep[0];
          const parts: Val[][] = [];
          items.forEach((it, i) => {
            if (i > 0) parts.push([sepVal]);
            parts.push(it.vals.map((v) => this.asPart(v, it.node)));
          });
          return this.concat(parts);
        }
        return [this.hole(e)];
      }
      if (ts.isPropertyAccessExpression(callee) && ['toString', 'trim', 'valueOf'].includes(callee.name.text) && e.arguments.length === 0) return this.str(callee.expression, env, depth + 1);
      if (ts.isIdentifier(callee) && callee.text === 'String' && e.arguments.length === 1) return this.str(e.arguments[0], env, depth + 1).map((v) => ({ ...v, nonString: false }));
      const results = this.callResults(e, env, depth);
      if (results) {
        const out: Val[] = [];
        for (const r of results) out.push(...this.str(r.expr, r.env, depth + 1));
        return out.length ? uniq(out) : [this.hole(e)];
      }
      return [this.hole(e)];
    }
    const src = this.sources(e, env, depth);
    if (src) {
      const out: Val[] = [];
      for (const s of src) {
        if ('values' in s) out.push(...s.values);
        else if ('hole' in s) out.push(this.hole(s.hole, s.decl));
        // A non-string reached through a caller's argument says more about our view of the
        // control flow (`Array.isArray(t) ? t : [t]`) than about the code: unknown, not invalid.
        else if (s.viaCaller) out.push(...this.str(s.expr, s.env, depth + 1).map((v) => (v.nonString ? unknown('argument of a caller') : v)));
        else out.push(...this.str(s.expr, s.env, depth + 1));
      }
      return uniq(out);
    }
    return [this.hole(e)];
  }

  /** A template span or `+` operand: numbers and non-string values become text here. */
  private part(e: ts.Expression, env: Env | undefined, depth: number): Val[] {
    return this.str(e, env, depth + 1).map((v) => this.asPart(v, e));
  }

  private asPart(v: Val, node: ts.Node): Val {
    if (v.value.kind === 'unknown' || v.value.kind === 'invalid') return { value: { kind: 'pattern', parts: [{ hole: { expr: node.getText() } }] } };
    return { value: v.value };
  }

  private concat(groups: Val[][]): Val[] {
    let acc: TagPart[][] = [[]];
    let unknownReason: string | undefined;
    for (const g of groups) {
      const next: TagPart[][] = [];
      for (const prefix of acc) {
        for (const v of g) {
          const tv = v.value;
          if (tv.kind === 'static') next.push([...prefix, { text: tv.value }]);
          else if (tv.kind === 'pattern') next.push([...prefix, ...tv.parts]);
          else unknownReason = tv.kind === 'unknown' ? tv.reason : 'not a string';
          if (next.length >= MAX_ALTERNATIVES) break;
        }
      }
      acc = next;
    }
    if (acc.length === 0) return [unknown(unknownReason ?? 'empty')];
    return uniq(acc.map((parts) => ({ value: makeValue(parts) })));
  }

  /** A value known only at run time: a hole named after its source, with literal types if declared. */
  private hole(e: ts.Node, decl?: ts.Node): Val {
    const origin: HoleOrigin = { expr: e.getText().replace(/\s+/g, ' ') };
    const typed = decl && this.typeValues(decl);
    if (typed) {
      if (typed.length === 1) return { value: { kind: 'static', value: typed[0] } };
      origin.values = typed;
    }
    return { value: { kind: 'pattern', parts: [{ hole: origin }] } };
  }

  // ---- what an identifier or property stands for ----------------------------------------

  /** The expressions a name/property can stand for, with the env to evaluate them in. */
  private sources(e: ts.Expression, env: Env | undefined, depth: number): Array<Source> | undefined {
    if (ts.isIdentifier(e)) {
      const b = this.resolver.resolveIdentifier(e);
      if (!b || b.kind !== 'local') return [{ hole: e }];
      return this.declSources(b.node, e, env, depth);
    }
    if (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) {
      const name = ts.isPropertyAccessExpression(e) ? e.name.text : literalText(e.argumentExpression);
      if (name === undefined) return [{ hole: e }];
      // namespace import member
      const obj = strip(e.expression);
      if (ts.isIdentifier(obj)) {
        const b = this.resolver.resolveIdentifier(obj);
        if (b?.kind === 'namespace') {
          const inner = this.resolver.resolveExport(b.file, name);
          if (inner?.kind === 'local') return this.declSources(inner.node, e, undefined, depth);
          return [{ hole: e }];
        }
      }
      const found = this.prop(e.expression, [name], env, depth + 1);
      if (found.length) return found;
      return [{ hole: e }];
    }
    return undefined;
  }

  private declSources(decl: ts.Node, use: ts.Expression, env: Env | undefined, depth: number): Array<Source> {
    if (ts.isVariableDeclaration(decl)) {
      const isConst = (decl.parent.flags & ts.NodeFlags.Const) !== 0;
      // for (const t of TAGS)
      if (ts.isForOfStatement(decl.parent.parent)) {
        // Each element is an alternative; unknown elements stay unknown alternatives.
        const items = this.list(decl.parent.parent.expression, env, depth + 1);
        return items.length ? [{ values: items.flatMap((i) => i.vals) }] : [{ hole: use, decl: decl }];
      }
      if (decl.initializer && (isConst || !hasAssignments(decl))) return [{ expr: decl.initializer, env: this.envForDecl(decl, env) }];
      return [{ hole: use, decl: decl }];
    }
    if (ts.isParameter(decl)) return this.paramSources(decl, use, [], env, depth);
    if (ts.isBindingElement(decl)) {
      // Walk up the pattern to its root declaration, collecting the property path.
      const path: string[] = [];
      let n: ts.Node = decl;
      while (ts.isBindingElement(n)) {
        const pn = n.propertyName ?? n.name;
        const key = ts.isIdentifier(pn) || ts.isStringLiteral(pn) ? pn.text : undefined;
        if (key === undefined || n.dotDotDotToken) return [{ hole: use, decl: decl }];
        path.unshift(ts.isArrayBindingPattern(n.parent) ? String(n.parent.elements.indexOf(n)) : key);
        n = n.parent.parent;
      }
      if (ts.isParameter(n)) return this.paramSources(n, use, path, env, depth);
      if (ts.isVariableDeclaration(n) && n.initializer) {
        const found = this.prop(n.initializer, path, this.envForDecl(n, env), depth + 1);
        if (found.length) return found;
      }
      return [{ hole: use, decl: decl }];
    }
    if (ts.isEnumMember(decl) && decl.initializer) return [{ expr: decl.initializer, env: undefined }];
    if (ts.isExportAssignment(decl)) return [{ expr: decl.expression, env: undefined }];
    return [{ hole: use }];
  }

  /** Top-level declarations are evaluated without an env; locals keep the current one. */
  private envForDecl(decl: ts.Node, env: Env | undefined): Env | undefined {
    return env && isInside(decl, env.fn) ? env : enclosingFunction(decl) ? env : undefined;
  }

  private paramSources(param: ts.ParameterDeclaration, use: ts.Expression, path: string[], env: Env | undefined, depth: number): Array<Source> {
    const fn = param.parent;
    const index = fn.parameters.indexOf(param);
    const bind = (args: readonly ts.Expression[], argEnv: Env | undefined) => {
      if (param.dotDotDotToken) return [{ hole: use, decl: param }];
      const arg = args[index];
      if (!arg) return param.initializer ? [{ expr: param.initializer, env: undefined }] : [{ hole: use, decl: param }];
      if (path.length === 0) return [{ expr: arg, env: argEnv }];
      const found = this.prop(arg, path, argEnv, depth + 1);
      return found.length ? found : [{ hole: use, decl: param }];
    };
    // Bound by the invocation we are evaluating.
    for (let en = env; en; en = en.argEnv) if (en.fn === fn) return bind(en.args, en.argEnv);
    // `.map((id) => …)` over a constant array.
    if (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) {
      const call = fn.parent;
      if (ts.isCallExpression(call) && call.arguments[0] === fn && index === 0 && path.length === 0) {
        const callee = strip(call.expression);
        if (ts.isPropertyAccessExpression(callee) && ['map', 'forEach', 'flatMap'].includes(callee.name.text)) {
          const items = this.list(callee.expression, env, depth + 1);
          if (items.length && !items.some((i) => i.spread)) return items.map((i) => ({ expr: i.node as ts.Expression, env: i.env }));
        }
        return [{ hole: use, decl: param }];
      }
    }
    // Follow into the callers (bounded depth); no callers known → a hole named after the parameter.
    if (depth < MAX_DEPTH && (ts.isFunctionDeclaration(fn) || ts.isArrowFunction(fn) || ts.isFunctionExpression(fn) || ts.isMethodDeclaration(fn))) {
      const callers = this.calls.callers(fn as FunctionNode);
      if (callers.calls.length > 0 && callers.calls.length <= 24 && !callers.escapes) {
        const out: Array<Source> = [];
        // The caller's own parameters stay unbound here; they are followed in turn if needed.
        for (const c of callers.calls) out.push(...bind(c.arguments, undefined).map((x) => ('expr' in x ? { ...x, viaCaller: true } : x)));
        return out;
      }
    }
    return [{ hole: use, decl: param }];
  }

  // ---- objects and arrays ----------------------------------------------------------------

  /** Finds the expressions of `path` inside an object-valued expression. */
  private prop(e: ts.Expression, path: string[], env: Env | undefined, depth: number): Array<{ expr: ts.Expression; env: Env | undefined }> {
    if (depth > MAX_DEPTH * 3 || path.length === 0) return path.length === 0 ? [{ expr: e, env }] : [];
    e = strip(e);
    const [head, ...rest] = path;
    if (ts.isObjectLiteralExpression(e)) {
      const out: Array<{ expr: ts.Expression; env: Env | undefined }> = [];
      for (let i = e.properties.length - 1; i >= 0; i--) {
        const p = e.properties[i];
        if (ts.isPropertyAssignment(p) && propName(p.name) === head) return this.prop(p.initializer, rest, env, depth + 1);
        if (ts.isShorthandPropertyAssignment(p) && p.name.text === head) return this.prop(p.name, rest, env, depth + 1);
        if ((ts.isMethodDeclaration(p) || ts.isGetAccessorDeclaration(p)) && propName(p.name) === head) {
          return rest.length === 0 ? [{ expr: p as unknown as ts.Expression, env }] : [];
        }
        if (ts.isSpreadAssignment(p)) {
          const found = this.prop(p.expression, path, env, depth + 1);
          if (found.length) return found;
        }
      }
      return out;
    }
    if (ts.isArrayLiteralExpression(e) && /^\d+$/.test(head)) {
      const el = e.elements[Number(head)];
      return el ? this.prop(el, rest, env, depth + 1) : [];
    }
    if (e.kind === ts.SyntaxKind.ThisKeyword) {
      const obj = thisObject(e);
      return obj ? this.prop(obj, path, undefined, depth + 1) : [];
    }
    if (ts.isCallExpression(e)) {
      const results = this.callResults(e, env, depth);
      if (!results) return [];
      const out: Array<{ expr: ts.Expression; env: Env | undefined }> = [];
      for (const r of results) out.push(...this.prop(r.expr, path, r.env, depth + 1));
      return out;
    }
    if (ts.isIdentifier(e) || ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) {
      const src = this.sources(e, env, depth);
      if (!src) return [];
      const out: Array<{ expr: ts.Expression; env: Env | undefined }> = [];
      for (const s of src) if ('expr' in s) out.push(...this.prop(s.expr, path, s.env, depth + 1));
      return out;
    }
    return [];
  }

  /** The expressions a list evaluates to, element by element. */
  private list(e: ts.Expression, env: Env | undefined, depth: number): Array<{ node: ts.Node; vals: Val[]; env: Env | undefined; spread?: boolean }> {
    if (depth > MAX_DEPTH * 3) return [{ node: e, vals: [unknown('too deep')], env, spread: true }];
    e = strip(e);
    if (ts.isArrayLiteralExpression(e)) {
      const out: Array<{ node: ts.Node; vals: Val[]; env: Env | undefined; spread?: boolean }> = [];
      for (const el of e.elements) {
        if (ts.isSpreadElement(el)) out.push(...this.list(el.expression, env, depth + 1));
        else out.push({ node: el, vals: this.str(el, env, depth + 1), env });
      }
      return out;
    }
    if (ts.isCallExpression(e)) {
      const callee = strip(e.expression);
      if (ts.isPropertyAccessExpression(callee) && ['map', 'flatMap'].includes(callee.name.text)) {
        const cb = e.arguments[0] && strip(e.arguments[0]);
        if (cb && (ts.isArrowFunction(cb) || ts.isFunctionExpression(cb))) {
          const items = this.list(callee.expression, env, depth + 1);
          const body = returnExpressions(cb);
          if (items.length && !items.some((i) => i.spread) && body.length) {
            return items.flatMap((it) => body.map((b) => ({ node: it.node, vals: this.str(b, { fn: cb, args: [it.node as ts.Expression], argEnv: it.env, depth: (env?.depth ?? 0) + 1 }, depth + 1), env })));
          }
          if (body.length) return [{ node: e, vals: body.flatMap((b) => this.str(b, env, depth + 1)), env, spread: true }];
        }
      }
      if (ts.isPropertyAccessExpression(callee) && ['concat'].includes(callee.name.text)) {
        return [...this.list(callee.expression, env, depth + 1), ...e.arguments.flatMap((a) => this.list(a, env, depth + 1))];
      }
      const results = this.callResults(e, env, depth);
      if (results) return results.flatMap((r) => this.list(r.expr, r.env, depth + 1));
      return [{ node: e, vals: [unknown('call result')], env, spread: true }];
    }
    if (ts.isIdentifier(e) || ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) {
      const src = this.sources(e, env, depth);
      if (src && src.length && src.every((s) => !('hole' in s))) return src.flatMap((s) => ('values' in s ? [{ node: e, vals: s.values, env }] : 'expr' in s ? this.list(s.expr, s.env, depth + 1) : []));
      if (src && src.length === 1 && 'hole' in src[0]) {
        const h = this.hole(src[0].hole, src[0].decl);
        const declValues = h.value;
        if (declValues.kind === 'pattern' && declValues.parts.length === 1 && 'hole' in declValues.parts[0] && declValues.parts[0].hole.values) return [{ node: e, vals: [h], env }];
      }
      return [{ node: e, vals: [unknown('list')], env, spread: true }];
    }
    if (ts.isConditionalExpression(e)) return [...this.list(e.whenTrue, env, depth + 1), ...this.list(e.whenFalse, env, depth + 1)];
    // A single string where a list was expected (`tag | tag[]` helpers).
    return [{ node: e, vals: this.str(e, env, depth + 1), env }];
  }

  // ---- calls -----------------------------------------------------------------------------

  /** Return expressions of the function a call reaches, bound to the call's arguments. */
  private callResults(call: ts.CallExpression, env: Env | undefined, depth: number): Array<{ expr: ts.Expression; env: Env }> | undefined {
    if (depth > MAX_DEPTH * 2 || (env?.depth ?? 0) >= MAX_DEPTH) return undefined;
    const fn = this.calledFunction(call.expression, env, depth);
    if (!fn) return undefined;
    const inner: Env = { fn, args: call.arguments, argEnv: env, depth: (env?.depth ?? 0) + 1 };
    const rets = returnExpressions(fn);
    return rets.length ? rets.map((r) => ({ expr: r, env: inner })) : undefined;
  }

  private calledFunction(callee: ts.Expression, env: Env | undefined, depth: number): ts.SignatureDeclaration | undefined {
    callee = strip(callee);
    if (ts.isArrowFunction(callee) || ts.isFunctionExpression(callee)) return callee;
    if (ts.isIdentifier(callee)) {
      const b = this.resolver.resolveIdentifier(callee);
      if (b?.kind !== 'local') return undefined;
      return this.functionOf(b.node, env, depth);
    }
    if (ts.isPropertyAccessExpression(callee)) {
      const obj = strip(callee.expression);
      if (ts.isIdentifier(obj)) {
        const b = this.resolver.resolveIdentifier(obj);
        if (b?.kind === 'namespace') {
          const inner = this.resolver.resolveExport(b.file, callee.name.text);
          return inner?.kind === 'local' ? this.functionOf(inner.node, env, depth) : undefined;
        }
      }
      const found = this.prop(callee.expression, [callee.name.text], env, depth + 1);
      for (const f of found) {
        const fn = this.functionOf(f.expr, f.env, depth);
        if (fn) return fn;
      }
    }
    return undefined;
  }

  private functionOf(node: ts.Node, env: Env | undefined, depth: number): ts.SignatureDeclaration | undefined {
    if (ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isArrowFunction(node) || ts.isFunctionExpression(node) || ts.isGetAccessorDeclaration(node)) return node;
    if (ts.isVariableDeclaration(node) && node.initializer) {
      const init = strip(node.initializer);
      if (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) return init;
      // const getTag = cache(async (x) => …) / wrapper(fn): look inside one level
      if (ts.isCallExpression(init)) {
        const inner = init.arguments.map(strip).find((a) => ts.isArrowFunction(a) || ts.isFunctionExpression(a));
        if (inner) return inner as ts.SignatureDeclaration;
      }
      if (ts.isIdentifier(init) || ts.isPropertyAccessExpression(init)) return this.calledFunction(init, env, depth + 1);
    }
    if (ts.isIdentifier(node) || ts.isPropertyAccessExpression(node)) return this.calledFunction(node as ts.Expression, env, depth + 1);
    return undefined;
  }

  // ---- types -----------------------------------------------------------------------------

  /** Literal values a declaration's type allows (`'a' | 'b'`, `keyof X`), or undefined for "any string". */
  private typeValues(decl: ts.Node): string[] | undefined {
    const typeNode = (decl as { type?: ts.TypeNode }).type;
    if (typeNode) {
      const syntactic = this.typeNodeValues(typeNode, 0);
      if (syntactic) return syntactic;
    }
    // Fall back to the type checker only for a declared type we could not read ourselves
    // (aliases from elsewhere, indexed access, typeof): building a program is the costly step.
    if (!typeNode || !(ts.isTypeReferenceNode(typeNode) || ts.isIndexedAccessTypeNode(typeNode) || ts.isTypeOperatorNode(typeNode) || ts.isTypeQueryNode(typeNode))) return undefined;
    // A global type (Request, string[]…) is never a literal union: don't build a program for it.
    if (ts.isTypeReferenceNode(typeNode) && (!ts.isIdentifier(typeNode.typeName) || !this.resolver.resolveIdentifier(typeNode.typeName))) return undefined;
    try {
      this.checkerUsed = true;
      const type = this.typeAt(ts.isBindingElement(decl) || ts.isParameter(decl) || ts.isVariableDeclaration(decl) ? decl.name : decl);
      return type && literalStrings(type);
    } catch {
      return undefined;
    }
  }

  private typeNodeValues(t: ts.TypeNode, depth: number): string[] | undefined {
    if (depth > 8) return undefined;
    if (ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal)) return [t.literal.text];
    if (ts.isUnionTypeNode(t)) {
      const all: string[] = [];
      for (const m of t.types) {
        const v = this.typeNodeValues(m, depth + 1);
        if (!v) return undefined;
        all.push(...v);
      }
      return all;
    }
    if (ts.isParenthesizedTypeNode(t)) return this.typeNodeValues(t.type, depth + 1);
    if (ts.isTypeOperatorNode(t) && t.operator === ts.SyntaxKind.KeyOfKeyword) {
      const members = this.typeMembers(t.type, depth + 1);
      return members;
    }
    if (ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName)) {
      const b = this.resolver.resolveIdentifier(t.typeName);
      if (b?.kind === 'local' && ts.isTypeAliasDeclaration(b.node)) return this.typeNodeValues(b.node.type, depth + 1);
    }
    return undefined;
  }

  private typeMembers(t: ts.TypeNode, depth: number): string[] | undefined {
    if (ts.isTypeLiteralNode(t)) return t.members.map((m) => (m.name && (ts.isIdentifier(m.name) || ts.isStringLiteral(m.name)) ? m.name.text : undefined)).filter((x): x is string => !!x);
    if (ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName)) {
      const b = this.resolver.resolveIdentifier(t.typeName);
      if (b?.kind === 'local' && ts.isInterfaceDeclaration(b.node)) return b.node.members.map((m) => (m.name && (ts.isIdentifier(m.name) || ts.isStringLiteral(m.name)) ? m.name.text : undefined)).filter((x): x is string => !!x);
      if (b?.kind === 'local' && ts.isTypeAliasDeclaration(b.node)) return this.typeMembers(b.node.type, depth + 1);
    }
    if (ts.isTypeQueryNode(t) && ts.isIdentifier(t.exprName)) {
      const b = this.resolver.resolveIdentifier(t.exprName);
      if (b?.kind === 'local' && ts.isVariableDeclaration(b.node) && b.node.initializer) {
        const init = strip(b.node.initializer);
        if (ts.isObjectLiteralExpression(init)) return init.properties.map((p) => (p.name ? propName(p.name) : undefined)).filter((x): x is string => !!x);
      }
    }
    return undefined;
  }
}

/** A tag that is nothing but run-time holes says nothing: it is unknown, not a pattern. */
function finalValue(v: Val): TagValue {
  if (v.nonString) return { kind: 'invalid', reason: 'not a string' };
  const t = v.value;
  if (t.kind === 'pattern' && t.parts.every((p) => 'hole' in p && !p.hole.values?.length)) {
    return { kind: 'unknown', reason: `computed from ${t.parts.map((p) => ('hole' in p ? p.hole.expr : '')).join(' + ')}` };
  }
  return t;
}

function literalStrings(type: ts.Type): string[] | undefined {
  if (type.isStringLiteral()) return [type.value];
  if (type.isUnion()) {
    const out: string[] = [];
    for (const t of type.types) {
      if (t.isStringLiteral()) out.push(t.value);
      else return undefined;
    }
    return out;
  }
  return undefined;
}

export function returnExpressions(fn: ts.SignatureDeclaration | ts.Node): ts.Expression[] {
  const f = fn as ts.FunctionLikeDeclaration;
  if (!f.body) return [];
  if (!ts.isBlock(f.body)) return [f.body as ts.Expression];
  const out: ts.Expression[] = [];
  walk(f.body, (n) => {
    if (n === f.body) return;
    if (ts.isReturnStatement(n)) {
      if (n.expression) out.push(n.expression);
      return false;
    }
    if (ts.isFunctionLike(n) || ts.isClassLike(n)) return false;
  });
  return out;
}

function propName(n: ts.PropertyName): string | undefined {
  if (ts.isIdentifier(n) || ts.isStringLiteral(n) || ts.isNumericLiteral(n) || ts.isPrivateIdentifier(n)) return n.text;
  if (ts.isComputedPropertyName(n)) return literalText(n.expression);
  return undefined;
}

function literalText(e: ts.Expression): string | undefined {
  e = strip(e);
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e) || ts.isNumericLiteral(e)) return e.text;
  return undefined;
}

/** The object literal or class a `this` refers to, for factory objects and classes. */
function thisObject(e: ts.Node): ts.Expression | undefined {
  for (let n: ts.Node | undefined = e.parent; n; n = n.parent) {
    if (ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n)) {
      const p = n.parent;
      if (ts.isPropertyAssignment(p) && ts.isObjectLiteralExpression(p.parent)) return p.parent;
      return undefined;
    }
    if (ts.isMethodDeclaration(n) || ts.isGetAccessorDeclaration(n)) {
      if (ts.isObjectLiteralExpression(n.parent)) return n.parent;
      return undefined; // class `this`: instance state is not tracked
    }
  }
  return undefined;
}

function enclosingFunction(n: ts.Node): ts.SignatureDeclaration | undefined {
  for (let p = n.parent; p; p = p.parent) if (ts.isFunctionLike(p)) return p as ts.SignatureDeclaration;
  return undefined;
}

function isInside(n: ts.Node, container: ts.Node): boolean {
  for (let p: ts.Node | undefined = n; p; p = p.parent) if (p === container) return true;
  return false;
}

function hasAssignments(decl: ts.VariableDeclaration): boolean {
  if (!ts.isIdentifier(decl.name)) return true;
  const name = decl.name.text;
  const scope = decl.parent.parent.parent;
  let found = false;
  const visit = (n: ts.Node) => {
    if (found) return false;
    if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment && ts.isIdentifier(n.left) && n.left.text === name) found = true;
    else if ((ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) && ts.isIdentifier(n.operand) && n.operand.text === name) found = true;
  };
  if (scope) walk(scope, visit);
  return found;
}

export function locationOf(node: ts.Node): Location {
  const sf = node.getSourceFile();
  const start = node.getStart(sf);
  const end = node.getEnd();
  const s = sf.getLineAndCharacterOfPosition(start);
  const e = sf.getLineAndCharacterOfPosition(end);
  return { file: sf.fileName, start, end, range: { start: { line: s.line, character: s.character }, end: { line: e.line, character: e.character } } };
}
