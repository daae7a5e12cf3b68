// Analyzer defects the fixtures expose, reported to the analyzer owner. Each entry is one
// difference between what a fixture marks as correct and what `tagscope` reports today.
// The fixture tests tolerate exactly these differences (everything else stays strict), so a
// fix can land in server/src without waiting for this file. A separate test prints every entry
// that no longer reproduces: delete those entries (then the fixed behaviour is enforced).
export interface KnownBug {
  /** `<fixture> <file>:<line> <rule id or tag>` as the fixture tests print differences. */
  key: string;
  /** missing = expected but not reported; extra = reported but wrong. */
  kind: 'missing' | 'extra';
  why: string;
}

/** Differences in `tagscope lint` output (fixtures.test.ts). */
export const LINT_BUGS: KnownBug[] = [
  {
    key: 'contexts app/api/auth/route.ts:6 update-tag-outside-server-action',
    kind: 'missing',
    why: 'context.ts exportedName(): a handler exported as `export { handler as GET, handler as POST }` is not recognised as a Route Handler, so updateTag in it is not flagged',
  },
  {
    key: 'matching app/actions.ts:57 dynamic-tag-mismatch',
    kind: 'extra',
    why: 'tagValue.ts holesMismatch(): `org-${organizationId}` vs declared `org-${orgId}` is an abbreviation of the same entity, not a clearly different identity',
  },
  {
    key: 'matching app/actions.ts:58 dynamic-tag-mismatch',
    kind: 'extra',
    why: "tagValue.ts normaliseKey(): 'uid' is not mapped to 'id' (uuid/pk/identifier are), so `user-settings-${userId}` vs `user-settings-${uid}` is called a mismatch",
  },
  {
    key: 'matching app/actions.ts:59 undeclared-tag',
    kind: 'extra',
    why: "tags passed as `{ next: { tags: ['authors'] } }` to an in-repo CMS client method (lib/sanity.ts `client.fetch(query, params, options)` forwarding `next: options.next` to fetch, next-sanity style) are not followed into the method's option parameter, so 'authors' counts as undeclared",
  },
  {
    key: 'monorepo packages/cache/src/queries.ts:19 unused-tag',
    kind: 'extra',
    why: "shared-package declaration 'orders' is invalidated by apps/admin, but the web app's pass (which sees the package, not admin's actions) reports it unused; `tagscope tags` lists the invalidation",
  },
  {
    key: 'monorepo packages/cache/src/queries.ts:25 unused-tag',
    kind: 'extra',
    why: 'same as above for `order-${orderId}`',
  },
  {
    key: 'monorepo apps/admin/src/app/actions.ts:13 revalidate-path-no-route',
    kind: 'missing',
    why: "revalidatePath('/') without a type in an app with a root layout but no root page: no page has the soft tag _N_T_/, yet a layout-only folder is treated as a URL route",
  },
  {
    key: 'routes app/actions.ts:37 revalidate-path-no-route',
    kind: 'missing',
    why: "revalidatePath('/settings') where app/settings has only layout.tsx (pages live below it): Next builds _N_T_/settings, which no page carries; layout-only folders must not match a URL without 'layout'",
  },
];

/** Differences in `tagscope tags` output (tags.test.ts); keys end in a tag or `<unresolved>`. */
const WRAPPER_CALLERS =
  "callgraph.ts callers(): the property name in `surveyCache.revalidate(…)` (src/app/actions.ts:19) resolves to the imported function `revalidate` and marks it as escaping, so its destructured `{ tag }` parameter is never followed into its callers";
const LIST_SITES =
  "list-valued tag arguments (spread of an imported const array, `.map` over one, a `tag | tag[]` wrapper given an imported array or constant) are located at the array element / constant in src/lib/tags.ts instead of at the call that uses them; two uses of one array collapse into one site";
const HELPER_FETCH_OPTIONS =
  "fetch options built by a helper (`{ next: { ...(await getCacheOptions('carts')) } }`) are located inside the helper (cache-options.ts:13) for every caller instead of at the fetch call; 'carts' and 'customers' share one site";

export const TAGS_BUGS: KnownBug[] = [
  { key: 'tag-forms src/app/actions.ts:53 ${collection}_${slug}', kind: 'missing', why: WRAPPER_CALLERS },
  { key: 'tag-forms src/app/actions.ts:54 collections', kind: 'missing', why: WRAPPER_CALLERS },
  { key: 'tag-forms src/lib/revalidate.ts:5 <unresolved>', kind: 'extra', why: WRAPPER_CALLERS },
  { key: 'tag-forms src/lib/data.ts:67 menu', kind: 'missing', why: LIST_SITES },
  { key: 'tag-forms src/lib/data.ts:67 footer', kind: 'missing', why: LIST_SITES },
  { key: 'tag-forms src/lib/data.ts:73 home-en', kind: 'missing', why: LIST_SITES },
  { key: 'tag-forms src/lib/data.ts:73 home-de', kind: 'missing', why: LIST_SITES },
  { key: 'tag-forms src/app/actions.ts:43 menu', kind: 'missing', why: LIST_SITES },
  { key: 'tag-forms src/app/actions.ts:43 footer', kind: 'missing', why: LIST_SITES },
  { key: 'tag-forms src/app/actions.ts:44 navigation', kind: 'missing', why: LIST_SITES },
  { key: 'tag-forms src/lib/tags.ts:8 menu', kind: 'extra', why: LIST_SITES },
  { key: 'tag-forms src/lib/tags.ts:8 footer', kind: 'extra', why: LIST_SITES },
  { key: 'tag-forms src/lib/tags.ts:12 home-en', kind: 'extra', why: LIST_SITES },
  { key: 'tag-forms src/lib/tags.ts:12 home-de', kind: 'extra', why: LIST_SITES },
  { key: 'tag-forms src/lib/tags.ts:4 navigation', kind: 'extra', why: LIST_SITES },
  { key: 'tag-forms src/lib/data.ts:84 carts', kind: 'missing', why: HELPER_FETCH_OPTIONS },
  { key: 'tag-forms src/lib/data.ts:89 customers', kind: 'missing', why: HELPER_FETCH_OPTIONS },
  { key: 'tag-forms src/lib/cache-options.ts:13 carts', kind: 'extra', why: HELPER_FETCH_OPTIONS },
  { key: 'tag-forms src/lib/cache-options.ts:13 customers', kind: 'extra', why: HELPER_FETCH_OPTIONS },
];

/** Entries of `bugs` whose difference is no longer present: fixed, to be deleted from this file. */
export function staleEntries(bugs: KnownBug[], missing: string[], extra: string[]): KnownBug[] {
  const m = new Set(missing);
  const x = new Set(extra);
  return bugs.filter((b) => !(b.kind === 'missing' ? m.has(b.key) : x.has(b.key)));
}
