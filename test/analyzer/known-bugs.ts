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
export const LINT_BUGS: KnownBug[] = [];

/** Differences in `tagscope tags` output (tags.test.ts); keys end in a tag or `<unresolved>`. */
export const TAGS_BUGS: KnownBug[] = [];

/** Entries of `bugs` whose difference is no longer present: fixed, to be deleted from this file. */
export function staleEntries(bugs: KnownBug[], missing: string[], extra: string[]): KnownBug[] {
  const m = new Set(missing);
  const x = new Set(extra);
  return bugs.filter((b) => !(b.kind === 'missing' ? m.has(b.key) : x.has(b.key)));
}
