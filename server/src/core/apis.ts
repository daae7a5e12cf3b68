// Recognises calls to Next's cache APIs however they are imported: named, aliased, namespace,
// `next/cache.js`, `next/server`, `next/dist/...`, and local re-exports.
import { ts } from './ts';
import { isNextModule, type Resolver } from './symbols';

export type ApiName =
  | 'cacheTag'
  | 'cacheLife'
  | 'revalidateTag'
  | 'updateTag'
  | 'revalidatePath'
  | 'expireTag'
  | 'unstable_cache'
  | 'after'
  | 'fetch';

const EXPORTS: Record<string, ApiName> = {
  cacheTag: 'cacheTag',
  unstable_cacheTag: 'cacheTag',
  cacheLife: 'cacheLife',
  unstable_cacheLife: 'cacheLife',
  revalidateTag: 'revalidateTag',
  updateTag: 'updateTag',
  revalidatePath: 'revalidatePath',
  unstable_expirePath: 'revalidatePath',
  unstable_expireTag: 'expireTag',
  unstable_cache: 'unstable_cache',
  after: 'after',
  unstable_after: 'after',
};

/** Cheap text test: can this file contain any API use or directive worth parsing? (`next:` finds
 * `fetch(url, { next: { tags } })`; a bare `tags:` would match every model with a tags field.) */
export const API_HINT = /cacheTag|cacheLife|revalidateTag|updateTag|revalidatePath|expireTag|expirePath|unstable_cache|use cache|use server|\bnext\s*:/;

const importsCache = new WeakMap<ts.SourceFile, Map<string, { spec: string; imported: string }>>();

/** Local name → (module, imported name) for a file's imports; `*` for namespace imports. */
function importsOf(sf: ts.SourceFile): Map<string, { spec: string; imported: string }> {
  let m = importsCache.get(sf);
  if (m) return m;
  m = new Map();
  for (const s of sf.statements) {
    if (!ts.isImportDeclaration(s) || !s.importClause || !ts.isStringLiteral(s.moduleSpecifier)) continue;
    const spec = s.moduleSpecifier.text;
    const c = s.importClause;
    if (c.name) m.set(c.name.text, { spec, imported: 'default' });
    const nb = c.namedBindings;
    if (nb && ts.isNamespaceImport(nb)) m.set(nb.name.text, { spec, imported: '*' });
    else if (nb) for (const el of nb.elements) m.set(el.name.text, { spec, imported: (el.propertyName ?? el.name).text });
  }
  importsCache.set(sf, m);
  return m;
}

/**
 * Whether resolving this import can lead to a Next API: a Next module, a name Next exports, or a
 * local module whose text re-exports from Next or from elsewhere (`export { updateTag as
 * expireNow } from 'next/cache'`, barrels). Anything else is not worth parsing the module for.
 */
function mayBeApi(imp: { spec: string; imported: string } | undefined, fromFile: string, resolver: Resolver, member?: string): boolean {
  if (!imp) return true;
  if (isNextModule(imp.spec)) return true;
  if (imp.imported === '*' ? member !== undefined && member in EXPORTS : imp.imported in EXPORTS) return true;
  const text = resolver.moduleText(imp.spec, fromFile);
  return text !== undefined && REEXPORT_HINT.test(text);
}

const REEXPORT_HINT = /\bexport\s*(\*|\{[^}]*\})\s*from\b/;

export function apiOfCallee(callee: ts.Expression, resolver: Resolver): ApiName | undefined {
  if (ts.isParenthesizedExpression(callee)) return apiOfCallee(callee.expression, resolver);
  if (ts.isIdentifier(callee)) {
    const sf = callee.getSourceFile();
    if (!mayBeApi(importsOf(sf).get(callee.text), sf.fileName, resolver)) return undefined;
    const b = resolver.resolveIdentifier(callee);
    if (!b) return callee.text === 'fetch' ? 'fetch' : undefined;
    if (b.kind === 'external' && isNextModule(b.module)) return EXPORTS[b.name];
    return undefined;
  }
  if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)) {
    const name = callee.name.text;
    const sf = callee.getSourceFile();
    if (!mayBeApi(importsOf(sf).get(callee.expression.text), sf.fileName, resolver, name)) return undefined;
    if ((callee.expression.text === 'globalThis' || callee.expression.text === 'window') && name === 'fetch') return 'fetch';
    const b = resolver.resolveIdentifier(callee.expression);
    if (b?.kind === 'external' && b.name === '*' && isNextModule(b.module)) return EXPORTS[name];
    if (b?.kind === 'namespace') {
      const inner = resolver.resolveExport(b.file, name);
      if (inner?.kind === 'external' && isNextModule(inner.module)) return EXPORTS[inner.name];
    }
  }
  return undefined;
}
