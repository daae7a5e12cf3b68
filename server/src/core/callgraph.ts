// Who calls a function: call sites found across the workspace by a text pre-filter on the
// function's name, then confirmed by name resolution. Used to follow parameters into
// callers (tag evaluation) and to give wrappers the context of their callers.
import { ts, walk } from './ts';
import type { SourceHost } from './sourceHost';
import type { Resolver } from './symbols';

export type FunctionNode = ts.FunctionDeclaration | ts.FunctionExpression | ts.ArrowFunction | ts.MethodDeclaration;

export interface CallersResult {
  calls: ts.CallExpression[];
  /** What the result depends on: the names looked up and the files read (incremental updates). */
  names?: Set<string>;
  files?: Set<string>;
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
  private importIndex?: ImportIndex;

  constructor(
    private readonly host: SourceHost,
    private readonly resolver: Resolver,
    private readonly files: () => string[],
  ) {}

  /** Told every name whose callers are looked up, so an edit that adds or drops an import can refresh them. */
  onLookup?: (name: string) => void;

  /** The key a function's callers are cached under (its declaration node). */
  keyOf(fn: ts.Node): ts.Node | undefined {
    return functionIdentity(fn as FunctionNode)?.decl;
  }

  /**
   * Drops the cached callers an edit of `file` can change: those that read the file, that
   * looked up a name it imports (before or after the edit), or whose function lives in it.
   * Returns the dropped keys, so results derived from them can be dropped too.
   */
  invalidate(file: string, names: Set<string>): Set<ts.Node> {
    const dropped = new Set<ts.Node>();
    for (const [key, r] of this.cache) {
      if (key.getSourceFile().fileName === file || r.files?.has(file) || [...(r.names ?? [])].some((n) => names.has(n))) {
        this.cache.delete(key);
        dropped.add(key);
      }
    }
    return dropped;
  }

  /** Lets the caller build the import index during its own first read of every file. */
  useImportIndex(index: ImportIndex): void {
    this.importIndex = index;
  }

  /**
   * Files that can call an exported function by name: those importing that name (named import
   * or re-export), plus files whose imports we can't read by name (namespace imports, require)
   * when their text mentions it. Built once from import statements, so a lookup never rescans
   * every file's text.
   */
  private importers(name: string, declFile: string): string[] {
    if (!this.importIndex) {
      this.importIndex = new ImportIndex();
      for (const f of this.files()) this.importIndex.add(f, this.host.text(f));
    }
    const out = new Set<string>([declFile, ...(this.importIndex.byName.get(name) ?? [])]);
    for (const f of this.importIndex.opaque) if (!out.has(f) && this.host.text(f)?.includes(name)) out.add(f);
    return [...out];
  }

  callers(fn: FunctionNode): CallersResult {
    const id = functionIdentity(fn);
    if (!id) return { calls: [], escapes: true, truncated: false };
    const isMethod = ts.isMethodDeclaration(fn) || ts.isPropertyAssignment(id.decl);
    // A method is called through its object: look where the object's top-level name is imported.
    const ownerDecl = isMethod ? topLevelOwner(fn) : undefined;
    const owner = isMethod ? ownerDecl?.name : id.name;
    if (!owner) return { calls: [], escapes: true, truncated: false };
    this.onLookup?.(owner);
    const hit = this.cache.get(id.decl);
    if (hit) return hit;
    const result: CallersResult = { calls: [], escapes: false, truncated: false, names: new Set([owner]), files: new Set() };
    this.cache.set(id.decl, result);
    const declFile = fn.getSourceFile().fileName;
    if (isMethod) this.collectMethodCalls(owner, id.name, declFile, result, ownerDecl?.node);
    else this.collectFunctionCalls(id.name, id.decl, declFile, result);
    return result;
  }

  /** Calls of a function by name, and — when it is put into a factory object — as that object's method. */
  private collectFunctionCalls(name: string, decl: ts.Node, declFile: string, result: CallersResult): void {
    this.forEachCandidate(name, declFile, result, (sf, file) => {
      const visit = (n: ts.Node): void => {
        if (ts.isIdentifier(n) && !isDeclarationName(n) && !isPropertyName(n)) {
          const parent = n.parent;
          const calleeOf = ts.isCallExpression(parent) && parent.expression === n ? parent : undefined;
          if (n.text === name || calleeOf) {
            const b = this.resolver.resolveIdentifier(n);
            if (b?.kind === 'local' && b.node === decl) {
              if (calleeOf) result.calls.push(calleeOf);
              else if (ts.isExportSpecifier(parent) || ts.isImportSpecifier(parent)) {
                /* a re-export or import is not a use */
              } else {
                // `const cache = { revalidate }` / `{ revalidate: revalidate }`: followed as cache.revalidate(…)
                const placed = factoryPlacement(n);
                if (placed) this.collectMethodCalls(placed.owner, placed.prop, file, result, placed.node);
                else result.escapes = true;
              }
            }
          }
        }
      };
      walk(sf, visit);
    });
  }

  /** Calls `<owner>….<prop>(…)` where owner is a top-level object holding the function. */
  private collectMethodCalls(owner: string, prop: string, declFile: string, result: CallersResult, ownerNode?: ts.Node): void {
    this.onLookup?.(owner);
    result.names?.add(owner);
    this.forEachCandidate(owner, declFile, result, (sf) => {
      const visit = (n: ts.Node): void => {
        if (ts.isPropertyAccessExpression(n) && n.name.text === prop && !this.isOtherObject(n.expression, ownerNode)) {
          const call = ts.isCallExpression(n.parent) && n.parent.expression === n ? n.parent : undefined;
          if (call) result.calls.push(call);
          else result.escapes = true; // read as a value: called from somewhere we can't see
        }
      };
      walk(sf, visit);
    });
  }

  /**
   * `x.fetch` where `x` is imported from elsewhere than the owner object (another package, a
   * missing module, another declaration): not a use of the owner's method. Why: a file importing an
   * unrelated `client` and reading `client.fetch` as a value made the app's own `client.fetch`
   * wrapper "escape", and every tag passed through it was lost (fuzz: a token deleted in an
   * unrelated file). Names declared in the file itself (aliases, parameters) still count.
   */
  private isOtherObject(e: ts.Expression, owner: ts.Node | undefined): boolean {
    if (!owner || !ts.isIdentifier(e)) return false;
    const b = this.resolver.resolveIdentifier(e);
    if (!b) return false;
    if (b.kind === 'external') return true;
    return b.kind === 'local' && b.node !== owner && b.file !== e.getSourceFile().fileName;
  }

  /** Parses each file that can call `name` (recorded as a dependency), or gives up past the cap. */
  private forEachCandidate(name: string, declFile: string, result: CallersResult, fn: (sf: ts.SourceFile, file: string) => void): void {
    const candidates = this.importers(name, declFile);
    for (const f of candidates) result.files?.add(f);
    if (candidates.length > MAX_CANDIDATE_FILES) {
      result.truncated = result.escapes = true;
      return;
    }
    for (const file of candidates) {
      const sf = this.host.sourceFile(file);
      if (!sf) continue;
      try {
        fn(sf, file);
      } catch {
        // A candidate we cannot read through (malformed beyond what resolution expects) must not
        // take down the analysis of the file that asked: its callers are incomplete, say so.
        result.truncated = result.escapes = true;
      }
    }
  }
}

/** `x.name` or `{ name: … }`: a property name, not a reference to a variable. */
function isPropertyName(n: ts.Identifier): boolean {
  const p = n.parent;
  return (ts.isPropertyAccessExpression(p) && p.name === n) || (ts.isPropertyAssignment(p) && p.name === n) || (ts.isMethodDeclaration(p) && p.name === n);
}

/** A function reference stored in a top-level object literal: `{ revalidate }` or `{ run: revalidate }`. */
function factoryPlacement(n: ts.Identifier): { owner: string; prop: string; node: ts.Node } | undefined {
  const p = n.parent;
  let prop: string | undefined;
  if (ts.isShorthandPropertyAssignment(p)) prop = p.name.text;
  else if (ts.isPropertyAssignment(p) && p.initializer === n && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) prop = p.name.text;
  if (!prop || !ts.isObjectLiteralExpression(p.parent)) return undefined;
  const owner = topLevelOwner(p);
  return owner ? { owner: owner.name, prop, node: owner.node } : undefined;
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

const NAMED_IMPORT = /^(?:import|export)\s+(?:type\s+)?(?:[\w$]+\s*,\s*)?(\{[^}]*\}|\*\s+as\s+[\w$]+|\*)/;

/** Which files import which names: the candidates for cross-file calls of a function. */
export class ImportIndex {
  readonly byName = new Map<string, string[]>();
  /** Files with namespace imports, `export *` or require: checked by text instead. */
  readonly opaque: string[] = [];
  readonly namesOf = new Map<string, Set<string>>();

  remove(f: string): void {
    for (const n of this.namesOf.get(f) ?? []) {
      const list = this.byName.get(n);
      if (list) this.byName.set(n, list.filter((x) => x !== f));
    }
    this.namesOf.delete(f);
    const i = this.opaque.indexOf(f);
    if (i >= 0) this.opaque.splice(i, 1);
  }

  add(f: string, t: string | undefined): void {
    if (!t) return;
    let isOpaque = t.includes('require(') || t.includes('import(');
    const names = new Set<string>();
    for (const kw of ['import', 'export']) {
      for (let i = t.indexOf(kw); i !== -1; i = t.indexOf(kw, i + kw.length)) {
        const m = NAMED_IMPORT.exec(t.slice(i, i + 2000));
        if (!m) continue;
        if (!m[1].startsWith('{')) {
          isOpaque = true; // namespace import or export * — members are used by property access
          continue;
        }
        for (const part of m[1].slice(1, -1).split(',')) {
          const n = part.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0].trim();
          if (n) names.add(n);
        }
      }
    }
    this.namesOf.set(f, names);
    for (const n of names) {
      const list = this.byName.get(n);
      if (list) list.push(f);
      else this.byName.set(n, [f]);
    }
    if (isOpaque) this.opaque.push(f);
  }
}

/** The top-level variable or class an object member belongs to: its name and declaration. */
function topLevelOwner(n: ts.Node): { name: string; node: ts.Node } | undefined {
  for (let p: ts.Node | undefined = n.parent; p; p = p.parent) {
    if ((ts.isVariableDeclaration(p) || ts.isClassDeclaration(p)) && p.name && ts.isIdentifier(p.name) && (ts.isSourceFile(p.parent) || ts.isSourceFile(p.parent.parent?.parent))) return { name: p.name.text, node: p };
  }
  return undefined;
}
