// Builds the panel's rows from what the code declares/invalidates and what the store knows.
// Pure (no vscode): unit-tested directly.
import type { InventoryTag, PanelRow, PanelTagState, StoreTagState } from '../../../server/src/protocol';

export const IMPLICIT_PREFIX = '_N_T_';

export function stateOf(s: StoreTagState | undefined, now: number): PanelTagState {
  if (!s) return 'never';
  if (s.expired !== undefined && s.expired <= now) return 'expired';
  if (s.stale !== undefined && s.stale <= now) return 'stale';
  return 'fresh';
}

/** Code tags and store tags merged by name; store-only tags (and path soft tags) are kept too. */
export function buildRows(code: InventoryTag[], store: StoreTagState[] | undefined, now: number): PanelRow[] {
  const byTag = new Map<string, PanelRow>();
  for (const t of code) {
    byTag.set(t.tag, { tag: t.tag, kind: t.kind, source: 'code', state: 'never', declarations: t.declarations, invalidations: t.invalidations });
  }
  for (const s of store ?? []) {
    const row = byTag.get(s.tag) ?? { tag: s.tag, kind: 'static' as const, source: 'store' as const, state: 'never' as PanelTagState, declarations: [], invalidations: [] };
    if (row.source === 'code') row.source = 'both';
    row.stale = s.stale;
    row.expired = s.expired;
    // A tag the store has seen on entries but never invalidated is fresh; no store info is "never".
    row.state = stateOf(s, now);
    if (s.tag.startsWith(IMPLICIT_PREFIX)) row.route = s.tag.slice(IMPLICIT_PREFIX.length) || '/';
    byTag.set(s.tag, row);
  }
  return [...byTag.values()].sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
}

/** The most recent invalidation time of a row (ms), for sorting and "last invalidated". */
export function lastInvalidated(r: Pick<PanelRow, 'stale' | 'expired'>, now: number): number | undefined {
  const past = [r.stale, r.expired].filter((x): x is number => x !== undefined && x <= now);
  return past.length ? Math.max(...past) : r.stale;
}
