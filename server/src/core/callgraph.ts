// Who calls a function: call sites found across the workspace by a text pre-filter on the
// function's name, then confirmed by name resolution. Used to follow parameters into
// callers (tag evaluation) and to give wrappers the context of their callers.
import { ts } from './ts';
import type { SourceHost } from './sourceHost';
import type { Resolver } from './symbols';

export type FunctionNode = ts.FunctionDeclaration | ts.FunctionExpression | ts.ArrowFunction | ts.MethodDeclaration;

export interface CallersResult {
  calls: ts.CallExpression[];
  /** Referenced other than as a callee (passed as a value, exported to unknown code…). */
  escapes: boolean;
  /** Candidate files exceeded the cap: callers are incomplete. */
  truncated: boolean;
}

const MAX_CANDIDATE_FILES = 200;

/** The name a function is called by, and the node name resolution lands on. */
export function functionIdentity(fn: FunctionNode): { name: string; decl: ts.Node } | undefined {
  if (ts.isFunctionDeclaration(fn) && fn.name) return { name: fn.name.text, decl: fn };
  if (ts.isMethodDeclaration(fn) && (ts.isIdentifier(fn.name) || ts.isStringLiteral(fn.name))) return { name: fn.name.text, decl: fn };
  let p: ts.Node = fn.parent;
  while (ts.isParenthesizedExpression(p) || ts.isAsExpression(p) || ts.isSatisfiesExpression(p) || (ts.isCallExpression(p) && p.arguments.includes(fn as ts.Expression))) p = p.parent;
  if (ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return { name: p.name.text, decl: p };
  if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) return { name: p.name.text, decl: p };
  return undefined;
}

export class CallGraph {
  private readonly cache = new Map<ts.Node, CallersResult>();

  constructor(
    private readonly host: SourceHost,
    private readonly resolver: Resolver,
    private readonly files: () => string[],
  ) {}

  callers(fn: FunctionNode): CallersResult {
    const id = functionIdentity(fn);
    if (!id) return { calls: [], escapes: true, truncated: false };
    const hit = this.cache.get(id.decl);
    if (hit) return hit;
    const result: CallersResult = { calls: [], escapes: false, truncated: false };
    this.cache.set(id.decl, result);
    const declFile = fn.getSourceFile().fileName;
    const candidates = this.files().filter((f) => f === declFile || this.host.text(f)?.includes(id.name));
    if (candidates.length > MAX_CANDIDATE_FILES) {
      result.truncated = true;
      result.escapes = true;
      return result;
    }
    const isMethod = ts.isMethodDeclaration(fn) || ts.isPropertyAssignment(id.decl);
    for (const file of candidates) {
      const sf = this.host.sourceFile(file);
      if (!sf) continue;
      const visit = (n: ts.Node): void => {
        if (ts.isIdentifier(n) && !isDeclarationName(n)) {
          const parent = n.parent;
          const calleeOf = ts.isCallExpression(parent) && parent.expression === n ? parent : undefined;
          if (isMethod) {
            if (ts.isPropertyAccessExpression(parent) && parent.name === n && n.text === id.name) {
              const call = ts.isCallExpression(parent.parent) && parent.parent.expression === parent ? parent.parent : undefined;
              if (call) result.calls.push(call);
              else result.escapes = true;
            }
          } else if (n.text === id.name || calleeOf) {
            const b = this.resolver.resolveIdentifier(n);
            if (b?.kind === 'local' && b.node === id.decl) {
              if (calleeOf) result.calls.push(calleeOf);
              else if (!ts.isExportSpecifier(parent) && !ts.isImportSpecifier(parent)) result.escapes = true;
            }
          }
        }
        ts.forEachChild(n, visit);
      };
      visit(sf);
    }
    return result;
  }
}

function isDeclarationName(n: ts.Identifier): boolean {
  const p = n.parent;
  return (
    ((ts.isFunctionDeclaration(p) || ts.isVariableDeclaration(p) || ts.isParameter(p) || ts.isMethodDeclaration(p) || ts.isPropertyAssignment(p) || ts.isBindingElement(p) || ts.isClassDeclaration(p)) &&
      (p as { name?: ts.Node }).name === n) ||
    ts.isImportClause(p) ||
    ts.isNamespaceImport(p)
  );
}
