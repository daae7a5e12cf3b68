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
    key: 'contexts app/dashboard/page.tsx:15 invalidate-during-render',
    kind: 'missing',
    why: "same root cause as app/api/import/route.ts:8: a Server Action called directly from a page's render runs as a plain function during render, and the updateTag it reaches (through safeUpdateTag) throws",
  },
  {
    key: 'monorepo packages/cache/src/queries.ts:32 unknown-cache-life-profile',
    kind: 'extra',
    why: "cacheLife('backoffice') in a shared package is checked against apps/web's next.config too, though only apps/admin (which defines the profile) calls getBackofficeStats: an error for code web never runs",
  },
  {
    key: 'monorepo packages/cache/src/invalidate.ts:5 revalidate-path-no-route',
    kind: 'extra',
    why: "revalidatePath('/orders') in a shared package is checked against every app's routes; apps/web has no /orders, but only apps/admin (which has it) calls this helper. Shared code should be checked against the apps that reach it (or any app)",
  },
  {
    key: 'contexts app/page.tsx:15 invalidate-during-render',
    kind: 'extra',
    why: 'context.ts unitOf(): only a function written inline as the argument of after() is an after() unit; `const recordView = () => revalidateTag(…); after(recordView)` inside a page is reported as running during render (an error telling the user to move it into after())',
  },
  {
    key: 'contexts app/api/import/route.ts:8 update-tag-outside-server-action',
    kind: 'missing',
    why: "context.ts unitOf(): an exported function of a 'use server' file is always a Server Action, even when a Route Handler imports and calls it directly; there it is a plain call and the updateTag it reaches throws (workStore.page ends with /route). Callers outside the client should be followed like any helper's",
  },
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
];

/** Differences in `tagscope tags` output (tags.test.ts); keys end in a tag or `<unresolved>`. */
export const TAGS_BUGS: KnownBug[] = [];

/** Entries of `bugs` whose difference is no longer present: fixed, to be deleted from this file. */
export function staleEntries(bugs: KnownBug[], missing: string[], extra: string[]): KnownBug[] {
  const m = new Set(missing);
  const x = new Set(extra);
  return bugs.filter((b) => !(b.kind === 'missing' ? m.has(b.key) : x.has(b.key)));
}
