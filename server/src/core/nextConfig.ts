// Reads `cacheLife` profile names and `cacheHandlers` keys from next.config statically.
// A computed config (function bodies we can't follow, spreads of unknowns) is reported as
// unknown so the profile and handler rules stay quiet instead of guessing.
import { ts } from './ts';

export const BUILTIN_PROFILES = ['default', 'seconds', 'minutes', 'hours', 'days', 'weeks', 'max'];
export const BUILTIN_HANDLERS = ['default', 'remote', 'private'];

/** `expire` (seconds) of the built-in profiles, as Next 16 defines them. */
export const BUILTIN_PROFILE_EXPIRE: Record<string, number> = { default: 4294967294, seconds: 60, minutes: 3600, hours: 86400, days: 604800, weeks: 2592000, max: 31536000 };

export interface NextConfigInfo {
  profiles: string[];
  /** `expire` seconds of configured profiles whose value is a literal. */
  profileExpire: Record<string, number>;
  handlers: string[];
  /** false when the relevant keys could not be read statically. */
  profilesKnown: boolean;
  handlersKnown: boolean;
}

function strip(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isTypeAssertionExpression(e)) e = e.expression;
  return e;
}

export function readNextConfig(text: string | undefined, fileName = 'next.config.ts'): NextConfigInfo {
  const unknown: NextConfigInfo = { profiles: [], profileExpire: {}, handlers: [], profilesKnown: false, handlersKnown: false };
  if (text === undefined) return { ...unknown, profilesKnown: true, handlersKnown: true };
  let sf: ts.SourceFile;
  try {
    sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  } catch {
    return unknown;
  }
  const locals = new Map<string, ts.Expression>();
  let exported: ts.Expression | undefined;
  const visitTop = (s: ts.Statement) => {
    if (ts.isVariableStatement(s)) for (const d of s.declarationList.declarations) if (ts.isIdentifier(d.name) && d.initializer) locals.set(d.name.text, d.initializer);
    if (ts.isExportAssignment(s)) exported = s.expression;
    if (ts.isExpressionStatement(s) && ts.isBinaryExpression(s.expression) && s.expression.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      const l = s.expression.left;
      if (ts.isPropertyAccessExpression(l) && l.getText(sf) === 'module.exports') exported = s.expression.right;
    }
    if (ts.isFunctionDeclaration(s) && s.name) locals.set(s.name.text, s as unknown as ts.Expression);
  };
  sf.statements.forEach(visitTop);
  const obj = exported && toObject(exported, locals, 0);
  if (!obj) return unknown;
  const profiles = keysAt(obj, ['cacheLife'], locals) ?? keysAt(obj, ['experimental', 'cacheLife'], locals);
  const handlers = keysAt(obj, ['cacheHandlers'], locals) ?? keysAt(obj, ['experimental', 'cacheHandlers'], locals);
  return {
    profiles: profiles === 'unknown' || !profiles ? [] : profiles,
    profileExpire: profileExpires(obj, locals),
    handlers: handlers === 'unknown' || !handlers ? [] : handlers,
    profilesKnown: profiles !== 'unknown',
    handlersKnown: handlers !== 'unknown',
  };
}

/** Follows identifiers, wrapper calls (`withX(config)`) and config functions to an object literal. */
function toObject(e: ts.Expression, locals: Map<string, ts.Expression>, depth: number): ts.ObjectLiteralExpression | undefined {
  if (depth > 8) return undefined;
  e = strip(e);
  if (ts.isObjectLiteralExpression(e)) return e;
  if (ts.isIdentifier(e)) {
    const v = locals.get(e.text);
    return v ? toObject(v, locals, depth + 1) : undefined;
  }
  if (ts.isCallExpression(e)) {
    // withBundleAnalyzer(nextConfig), withX(withY({...}))
    for (const a of e.arguments) {
      const o = toObject(a, locals, depth + 1);
      if (o) return o;
    }
    return undefined;
  }
  if (ts.isArrowFunction(e) || ts.isFunctionExpression(e) || ts.isFunctionDeclaration(e)) {
    const body = (e as ts.FunctionLikeDeclaration).body;
    if (!body) return undefined;
    if (!ts.isBlock(body)) return toObject(body as ts.Expression, locals, depth + 1);
    const rets: ts.Expression[] = [];
    const visit = (n: ts.Node) => {
      if (ts.isReturnStatement(n) && n.expression) rets.push(n.expression);
      else if (!ts.isFunctionLike(n)) ts.forEachChild(n, visit);
      if (ts.isVariableStatement(n)) for (const d of n.declarationList.declarations) if (ts.isIdentifier(d.name) && d.initializer) locals.set(d.name.text, d.initializer);
    };
    ts.forEachChild(body, visit);
    return rets.length === 1 ? toObject(rets[0], locals, depth + 1) : undefined;
  }
  return undefined;
}

/** Keys of the object at `path`: a list, 'unknown' when computed, undefined when absent. */
function keysAt(obj: ts.ObjectLiteralExpression, path: string[], locals: Map<string, ts.Expression>): string[] | 'unknown' | undefined {
  let cur: ts.ObjectLiteralExpression = obj;
  for (let i = 0; i < path.length; i++) {
    let found: ts.Expression | undefined;
    let computed = false;
    for (const p of cur.properties) {
      if (ts.isSpreadAssignment(p)) computed = true;
      else if (ts.isPropertyAssignment(p) && nameOf(p.name) === path[i]) found = p.initializer;
      else if (ts.isShorthandPropertyAssignment(p) && p.name.text === path[i]) found = p.name;
    }
    if (!found) return computed ? 'unknown' : undefined;
    const next = toObject(found, locals, 0);
    if (!next) return 'unknown';
    cur = next;
  }
  const keys: string[] = [];
  for (const p of cur.properties) {
    if (ts.isSpreadAssignment(p)) return 'unknown';
    const n = p.name && nameOf(p.name);
    if (n === undefined) return 'unknown';
    keys.push(n);
  }
  return keys;
}

function nameOf(n: ts.PropertyName): string | undefined {
  if (ts.isIdentifier(n) || ts.isStringLiteral(n) || ts.isNumericLiteral(n)) return n.text;
  return undefined;
}

function profileExpires(obj: ts.ObjectLiteralExpression, locals: Map<string, ts.Expression>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const path of [['cacheLife'], ['experimental', 'cacheLife']]) {
    let cur: ts.ObjectLiteralExpression | undefined = obj;
    for (const key of path) {
      const p: ts.ObjectLiteralElementLike | undefined = cur?.properties.find((x) => ts.isPropertyAssignment(x) && nameOf(x.name) === key);
      cur = p && ts.isPropertyAssignment(p) ? toObject(p.initializer, locals, 0) : undefined;
    }
    for (const p of cur?.properties ?? []) {
      if (!ts.isPropertyAssignment(p)) continue;
      const name = nameOf(p.name);
      const profile = toObject(p.initializer, locals, 0);
      const exp = profile?.properties.find((x) => ts.isPropertyAssignment(x) && nameOf(x.name) === 'expire');
      if (name && exp && ts.isPropertyAssignment(exp) && ts.isNumericLiteral(strip(exp.initializer))) out[name] = Number((strip(exp.initializer) as ts.NumericLiteral).text);
    }
  }
  return out;
}
