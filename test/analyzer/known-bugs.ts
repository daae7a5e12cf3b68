// Analyzer defects the fixtures expose, reported to the analyzer owner. Each entry is one
// difference between what a fixture marks as correct and what `tagscope` reports today.
// The fixture tests ignore exactly these differences (everything else stays strict) and a
// separate test checks that each still reproduces: when a fix lands, that test fails and the
// entry must be deleted here, so the list never outlives the bug.
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
export const TAGS_BUGS: KnownBug[] = [];
