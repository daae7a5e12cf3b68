// Name resolution without the type checker: lexical scopes, imports, re-exports and
// namespace imports, followed across workspace modules. Fast and enough for how tags are
// written; the checker is only consulted for types (see evaluate.ts).
import { ts } from './ts';
import type { SourceHost } from './sourceHost';

/** Where a name leads: a declaration in workspace code, or an export of an external module. */
export type Binding =
  | { kind: 'local'; node: ts.Node; file: string }
  | { kind: 'external'; module: string; name: string } // name '*' = namespace
  | { kind: 'namespace'; file: string }; // `import * as ns from './local'`

const scopeCache = new WeakMap<ts.Node, Map<string, ts.Node>>();

function addBindingNames(name: ts.BindingName, decl: ts.Node, out: Map<string, ts.Node>) {
  if (ts.isIdentifier(name)) out.set(name.text, decl === name.parent ? decl : name.parent);
  else
    for (const el of name.elements) {
      if (ts.isBindingElement(el)) addBindingNames(el.name, el, out);
    }
}

function collectStatementNames(statements: readonly ts.Statement[], out: Map<string, ts.Node>) {
  for (const s of statements) {
    if (ts.isVariableStatement(s)) for (const d of s.declarationList.declarations) addBindingNames(d.name, d, out);
    else if ((ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s) || ts.isEnumDeclaration(s)) && s.name) out.set(s.name.text, s);
    else if ((ts.isTypeAliasDeclaration(s) || ts.isInterfaceDeclaration(s)) && !out.has(s.name.text)) out.set(s.name.text, s);
    else if (ts.isImportDeclaration(s) && s.importClause) {
      const c = s.importClause;
      if (c.name) out.set(c.name.text, c);
      const nb = c.namedBindings;
      if (nb && ts.isNamespaceImport(nb)) out.set(nb.name.text, nb);
      else if (nb) for (const el of nb.elements) out.set(el.name.text, el);
    } else if (ts.isImportEqualsDeclaration(s)) out.set(s.name.text, s);
  }
}

/** Names declared directly by a scope node. */
function scopeNames(node: ts.Node): Map<string, ts.Node> | undefined {
  const hit = scopeCache.get(node);
  if (hit) return hit;
  let out: Map<string, ts.Node> | undefined;
  if (ts.isSourceFile(node) || ts.isBlock(node) || ts.isModuleBlock(node) || ts.isCaseClause(node) || ts.isDefaultClause(node)) {
    out = new Map();
    collectStatementNames(node.statements, out);
  } else if (ts.isFunctionLike(node)) {
    out = new Map();
    for (const p of node.parameters) addBindingNames(p.name, p, out);
    if ((ts.isFunctionExpression(node) || ts.isClassExpression(node)) && node.name) out.set(node.name.text, node);
  } else if ((ts.isForOfStatement(node) || ts.isForInStatement(node) || ts.isForStatement(node)) && node.initializer && ts.isVariableDeclarationList(node.initializer)) {
    out = new Map();
    for (const d of node.initializer.declarations) addBindingNames(d.name, d, out);
  } else if (ts.isCatchClause(node) && node.variableDeclaration) {
    out = new Map();
    addBindingNames(node.variableDeclaration.name, node.variableDeclaration, out);
  }
  if (out) scopeCache.set(node, out);
  return out;
}

export class Resolver {
  constructor(private readonly host: SourceHost) {}

  /** The text of a workspace module an import points at (no parse), or undefined if external. */
  moduleText(spec: string, fromFile: string): string | undefined {
    const target = this.host.resolveModule(spec, fromFile);
    return target ? this.host.text(target) : undefined;
  }

  /** Resolves an identifier in expression position to what it binds to. */
  resolveIdentifier(id: ts.Identifier): Binding | undefined {
    const name = id.text;
    const file = id.getSourceFile().fileName;
    for (let n: ts.Node | undefined = id.parent; n; n = n.parent) {
      const names = scopeNames(n);
      const decl = names?.get(name);
      if (decl) return this.bindingFor(decl, file);
    }
    return undefined;
  }

  private bindingFor(decl: ts.Node, file: string): Binding | undefined {
    // `import { x } from foo` (no string) parses too: such an import resolves to nothing.
    const specOf = (d: { moduleSpecifier: ts.Expression }) => (ts.isStringLiteral(d.moduleSpecifier) ? d.moduleSpecifier.text : undefined);
    if (ts.isImportSpecifier(decl)) {
      const spec = specOf(decl.parent.parent.parent);
      if (spec === undefined) return undefined;
      const imported = (decl.propertyName ?? decl.name).text;
      return this.resolveImport(spec, imported, file);
    }
    if (ts.isImportClause(decl)) {
      const spec = specOf(decl.parent);
      return spec === undefined ? undefined : this.resolveImport(spec, 'default', file);
    }
    if (ts.isNamespaceImport(decl)) {
      const spec = specOf(decl.parent.parent);
      if (spec === undefined) return undefined;
      const target = this.host.resolveModule(spec, file);
      return target ? { kind: 'namespace', file: target } : { kind: 'external', module: spec, name: '*' };
    }
    return { kind: 'local', node: decl, file };
  }

  resolveImport(spec: string, name: string, fromFile: string, depth = 0): Binding | undefined {
    const target = this.host.resolveModule(spec, fromFile);
    if (!target) return { kind: 'external', module: spec, name };
    return this.resolveExport(target, name, depth + 1);
  }

  /** Finds what a module exports under `name`, following re-exports (bounded, cycle-safe). */
  resolveExport(file: string, name: string, depth = 0): Binding | undefined {
    if (depth > 12) return undefined;
    const sf = this.host.sourceFile(file);
    if (!sf) return undefined;
    const top = scopeNames(sf)!;
    const starSources: string[] = [];
    for (const s of sf.statements) {
      if (ts.isExportDeclaration(s)) {
        const spec = s.moduleSpecifier && ts.isStringLiteral(s.moduleSpecifier) ? s.moduleSpecifier.text : undefined;
        if (!s.exportClause) {
          if (spec) starSources.push(spec);
          continue;
        }
        if (ts.isNamespaceExport(s.exportClause)) {
          if (s.exportClause.name.text === name && spec) {
            const t = this.host.resolveModule(spec, file);
            return t ? { kind: 'namespace', file: t } : { kind: 'external', module: spec, name: '*' };
          }
          continue;
        }
        for (const el of s.exportClause.elements) {
          if (el.name.text !== name) continue;
          const local = (el.propertyName ?? el.name).text;
          if (spec) return this.resolveImport(spec, local, file, depth);
          const decl = top.get(local);
          return decl ? this.bindingFor(decl, file) : undefined;
        }
      } else if (name === 'default' && ts.isExportAssignment(s)) {
        return { kind: 'local', node: s.expression, file };
      } else if (hasExportModifier(s)) {
        if (name === 'default' && hasDefaultModifier(s)) return { kind: 'local', node: s, file };
        if (ts.isVariableStatement(s)) {
          for (const d of s.declarationList.declarations) {
            const m = new Map<string, ts.Node>();
            addBindingNames(d.name, d, m);
            const hit = m.get(name);
            if (hit) return { kind: 'local', node: hit, file };
          }
        } else if ((ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s) || ts.isEnumDeclaration(s) || ts.isTypeAliasDeclaration(s) || ts.isInterfaceDeclaration(s)) && s.name?.text === name && !hasDefaultModifier(s)) {
          return { kind: 'local', node: s, file };
        }
      }
    }
    for (const spec of starSources) {
      if (name === 'default') break;
      const b = this.resolveImport(spec, name, file, depth);
      if (b && !(b.kind === 'external' && this.host.resolveModule(spec, file))) {
        if (b.kind !== 'external' || isNextModule(spec)) return b;
      }
    }
    return undefined;
  }
}

export function isNextModule(spec: string): boolean {
  return spec === 'next/cache' || spec === 'next/cache.js' || spec === 'next/server' || spec === 'next/server.js' || spec.startsWith('next/dist/');
}

export function hasExportModifier(n: ts.Node): boolean {
  return !!(ts.canHaveModifiers(n) && ts.getModifiers(n)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword));
}

export function hasDefaultModifier(n: ts.Node): boolean {
  return !!(ts.canHaveModifiers(n) && ts.getModifiers(n)?.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword));
}
