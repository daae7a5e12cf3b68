// The tag inventory: every tag or pattern with where it is declared and invalidated.
import type { WorkspaceAnalysis } from './analyze';
import { displayTag, tagKey } from './tagValue';
import type { Location } from './types';

export interface InventorySite { location: Location; api: string }
export interface InventoryTag {
  tag: string;
  kind: 'static' | 'pattern';
  declarations: InventorySite[];
  invalidations: InventorySite[];
}
export interface Inventory {
  tags: InventoryTag[];
  unresolved: Array<InventorySite & { reason: string }>;
}

export function buildInventory(analysis: WorkspaceAnalysis): Inventory {
  const byKey = new Map<string, InventoryTag>();
  const unresolved: Inventory['unresolved'] = [];
  const seen = new Set<string>();
  const add = (values: import('./types').TagValue[], location: Location, api: string, role: 'declarations' | 'invalidations') => {
    for (const v of values) {
      const dedupe = `${role}:${location.file}:${location.start}:${JSON.stringify(v)}`;
      if (seen.has(dedupe)) continue;
      seen.add(dedupe);
      if (v.kind === 'unknown' || v.kind === 'invalid') {
        unresolved.push({ location, api, reason: v.reason });
        continue;
      }
      const key = tagKey(v);
      let t = byKey.get(key);
      if (!t) {
        t = { tag: displayTag(v), kind: v.kind, declarations: [], invalidations: [] };
        byKey.set(key, t);
      }
      t[role].push({ location, api });
    }
  };
  for (const app of analysis.apps) {
    for (const d of app.declarations) add(d.site.values, d.site.location, d.api, 'declarations');
    for (const i of app.invalidations) if (i.api !== 'revalidatePath') add(i.site.values, i.site.location, i.api, 'invalidations');
  }
  const tags = [...byKey.values()].sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
  return { tags, unresolved };
}
