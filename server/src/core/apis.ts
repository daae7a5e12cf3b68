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

/** Cheap text test: can this file contain any API use or directive worth parsing? */
export const API_HINT = /cacheTag|cacheLife|revalidateTag|updateTag|revalidatePath|expireTag|expirePath|unstable_cache|use cache|use server|tags\s*:/;

export function apiOfCallee(callee: ts.Expression, resolver: Resolver): ApiName | undefined {
  if (ts.isParenthesizedExpression(callee)) return apiOfCallee(callee.expression, resolver);
  if (ts.isIdentifier(callee)) {
    const b = resolver.resolveIdentifier(callee);
    if (!b) return callee.text === 'fetch' ? 'fetch' : undefined;
    if (b.kind === 'external' && isNextModule(b.module)) return EXPORTS[b.name];
    return undefined;
  }
  if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)) {
    const name = callee.name.text;
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
