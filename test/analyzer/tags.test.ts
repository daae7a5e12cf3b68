// Tag evaluation through `tagscope tags --format json`: every form in
// shared/research/tag-patterns.md resolves to the exact tag or pattern marked on its line
// (`// tag: x` or `// tags: x, y`), and whatever cannot be resolved is listed under
// `unresolved` (lines marked `// unresolved`) and never alarmed.
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { FIXTURES, flagLines, lintJson, markers, setDiff, tagsJson, type TagsJson } from './helpers';
import { staleEntries, TAGS_BUGS } from './known-bugs';

vi.setConfig({ testTimeout: 120_000 });

const FIXTURE = 'tag-forms';
const dir = join(FIXTURES, FIXTURE);
let inv: TagsJson;

beforeAll(() => {
  inv = tagsJson(dir);
}, 120_000);

function expectedKeys(): string[] {
  const out: string[] = [];
  for (const key of ['tag', 'tags']) {
    for (const m of markers(dir, key)) for (const t of m.value.split(', ').map((s) => s.trim()).filter(Boolean)) out.push(`${FIXTURE} ${m.file}:${m.line} ${t}`);
  }
  for (const l of flagLines(dir, 'unresolved')) out.push(`${FIXTURE} ${l.file}:${l.line} <unresolved>`);
  return out;
}

function actualKeys(): string[] {
  const out: string[] = [];
  for (const t of inv.tags) for (const s of [...t.declarations, ...t.invalidations]) out.push(`${FIXTURE} ${s.file}:${s.line} ${t.tag}`);
  for (const u of inv.unresolved) out.push(`${FIXTURE} ${u.file}:${u.line} <unresolved>`);
  return out;
}

function site(tag: string) {
  const t = inv.tags.find((x) => x.tag === tag);
  expect(t, `tag ${tag} not in the inventory: ${inv.tags.map((x) => x.tag).join(' | ')}`).toBeDefined();
  return t!;
}

describe('tag evaluation (tag-forms fixture)', () => {
  it('every site resolves to exactly the tags marked on its line', () => {
    const { missing, extra } = setDiff(expectedKeys(), actualKeys());
    const knownMissing = new Set(TAGS_BUGS.filter((b) => b.kind === 'missing').map((b) => b.key));
    const knownExtra = new Set(TAGS_BUGS.filter((b) => b.kind === 'extra').map((b) => b.key));
    const m = missing.filter((k) => !knownMissing.has(k));
    const x = extra.filter((k) => !knownExtra.has(k));
    if (m.length || x.length) {
      expect.fail(
        `tagscope tags test/fixtures/${FIXTURE} differs from the // tag: markers:\n` +
          [...m.map((k) => `  missing (marked, not reported): ${k}`), ...x.map((k) => `  extra (reported, not marked):   ${k}`)].join('\n'),
      );
    }
  });

  it('factory objects, methods and `this.tag.byId(id)` resolve to the pattern', () => {
    const t = site('survey:${id}');
    expect(t.kind).toBe('pattern');
    expect(t.declarations.map((d) => d.api).sort()).toEqual(['cacheTag', 'fetch']);
    expect(t.invalidations.some((i) => i.file === 'src/lib/survey-cache.ts' && i.api === 'revalidateTag')).toBe(true);
    expect(site('environments-${environmentId}-surveys').kind).toBe('pattern');
  });

  it('constants of `as const` objects in another module are static tags', () => {
    const t = site('products');
    expect(t.kind).toBe('static');
    expect(t.declarations).toEqual([expect.objectContaining({ file: 'src/lib/data.ts', api: 'cacheTag' })]);
    expect(t.invalidations).toEqual([expect.objectContaining({ file: 'src/app/actions.ts', api: 'revalidateTag' })]);
    expect(site('nested-deep').kind).toBe('static');
  });

  it('templates and concatenation of the same parameter are one pattern', () => {
    const t = site('product-${id}');
    expect(t.kind).toBe('pattern');
    expect(t.declarations).toHaveLength(2);
    // updateTag and the re-exported alias `updateTag as expireNow` from a local module
    expect(t.invalidations.map((i) => i.api)).toEqual(['updateTag', 'updateTag']);
  });

  it('async helpers and the spread of a helper result into fetch options resolve to the helper argument', () => {
    for (const tag of ['carts', 'customers']) {
      const t = site(tag);
      expect(t.kind).toBe('static');
      expect(t.declarations.map((d) => d.api)).toEqual(['fetch']);
      expect(t.invalidations.map((i) => i.api)).toEqual(['updateTag']);
    }
  });

  it('.map / for…of / forEach over const arrays, spreads and whole imported arrays expand to every element', () => {
    for (const tag of ['home-en', 'home-de', 'menu', 'footer']) {
      const t = site(tag);
      expect(t.declarations.length, tag).toBeGreaterThan(0);
      expect(t.invalidations.length, tag).toBeGreaterThan(0);
    }
    for (const tag of ['page-about', 'page-contact']) expect(site(tag).invalidations.length).toBe(1);
  });

  it('join and templates with two holes keep both holes', () => {
    expect(site('${collection}_${slug}').kind).toBe('pattern');
    expect(site('${collection}-${slug}').kind).toBe('pattern');
    expect(site('post-${slug}').kind).toBe('pattern');
  });

  it('parameters are followed two calls deep, through option objects and destructuring', () => {
    expect(site('calendar-week:2026-11-23').declarations).toEqual([expect.objectContaining({ file: 'src/lib/calendar.ts', line: 11, api: 'cacheTag' })]);
    expect(site('calendar-owner:${owner}').declarations).toEqual([expect.objectContaining({ file: 'src/lib/calendar.ts', line: 22, api: 'cacheTag' })]);
    expect(site('menu-items').declarations.map((d) => d.api)).toEqual(['unstable_cache']);
  });

  it('every import form is recognised: alias, namespace, next/cache.js, next/dist path, local re-export, unstable_expireTag', () => {
    const declaredIn = (tag: string) => site(tag).declarations.map((d) => `${d.file}:${d.line}`);
    expect(declaredIn('products')).toEqual(['src/lib/data.ts:13']); // unstable_cacheTag as cacheTag
    expect(declaredIn('environments-${environmentId}-surveys')).toEqual(['src/lib/data.ts:31']); // cache.cacheTag (namespace)
    expect(declaredIn('events')).toEqual(['src/lib/calendar.ts:6']); // next/cache.js
    expect(declaredIn('post-${slug}')).toEqual(['src/lib/data.ts:54']); // next/dist/server/use-cache/cache-tag
    expect(site('post-${slug}').invalidations.map((i) => i.api)).toEqual(['revalidateTag']); // unstable_expireTag as expireTag
  });

  it('keyof types are kept as a pattern over the literal keys', () => {
    expect(site('global_${slug}').kind).toBe('pattern');
  });

  it('unresolvable tags are listed with a reason and never alarmed', () => {
    expect(inv.unresolved.length).toBeGreaterThanOrEqual(2);
    for (const u of inv.unresolved) expect(u.reason.length).toBeGreaterThan(0);
    const diags = lintJson(dir).diagnostics;
    const unresolvedLines = new Set(inv.unresolved.map((u) => `${u.file}:${u.line}`));
    expect(diags.filter((d) => unresolvedLines.has(`${d.file}:${d.line}`))).toEqual([]);
  });

  it('every api value is one of the documented ones', () => {
    const apis = new Set(['cacheTag', 'unstable_cache', 'fetch', 'revalidateTag', 'updateTag', 'revalidatePath']);
    for (const t of inv.tags) for (const s of [...t.declarations, ...t.invalidations]) expect(apis).toContain(s.api);
    for (const u of inv.unresolved) expect(apis).toContain(u.api);
  });
});

describe('inventory of other fixtures', () => {
  it('matching: a dynamic tag lists the invalidations that use another identity under the same pattern', () => {
    const m = tagsJson(join(FIXTURES, 'matching'));
    const team = m.tags.find((t) => t.tag === 'team_${slug}');
    expect(team?.kind).toBe('pattern');
    expect(team?.declarations).toEqual([expect.objectContaining({ file: 'lib/data.ts', api: 'cacheTag' })]);
    expect(team?.invalidations.length).toBe(3);
    expect(m.unresolved).toEqual([]);
    // invalidated but never declared: still listed, with no declaration
    expect(m.tags.find((t) => t.tag === 'inventory')).toMatchObject({ kind: 'static', declarations: [] });
  });

  it('monorepo: tags declared in the shared package list invalidations from both apps', () => {
    const m = tagsJson(join(FIXTURES, 'monorepo'));
    const products = m.tags.find((t) => t.tag === 'products');
    expect(products?.declarations.map((d) => d.file)).toEqual(['packages/cache/src/queries.ts', 'packages/cache/src/queries.ts']);
    expect(products?.invalidations.map((i) => i.file).sort()).toEqual(['apps/admin/src/app/actions.ts', 'apps/web/app/api/revalidate/route.ts']);
    const product = m.tags.find((t) => t.tag === 'product-${id}');
    expect(product?.invalidations.map((i) => i.file)).toEqual(['apps/web/app/actions.ts']);
    expect(m.tags.find((t) => t.tag === 'order-${orderId}')?.invalidations.map((i) => i.file)).toEqual(['apps/admin/src/app/actions.ts']);
  });
});

describe('known analyzer bugs (tags)', () => {
  it('lists the entries that no longer reproduce (fixed: delete them to enforce the fix)', () => {
    const { missing, extra } = setDiff(expectedKeys(), actualKeys());
    for (const b of staleEntries(TAGS_BUGS, missing, extra)) console.warn(`known-bugs.ts: fixed, delete this TAGS_BUGS entry: ${b.kind} ${b.key}`);
  });
});
