// The panel's pure parts: row building (code + store merge, states) and the host-side
// validation of messages coming from the webview.
import { describe, expect, it } from 'vitest';
import { buildRows, lastInvalidated, stateOf } from '../../client/src/panel/rows';
import { parsePanelMessage } from '../../client/src/panel/messages';

const site = { uri: 'file:///app/lib/data.ts', line: 3, character: 11, api: 'cacheTag' };

describe('panel rows', () => {
  const now = 1_800_000_000_000;
  it('derives the state from stale/expired times against now', () => {
    expect(stateOf(undefined, now)).toBe('never');
    expect(stateOf({ tag: 't' }, now)).toBe('fresh');
    expect(stateOf({ tag: 't', stale: now - 1000, expired: now + 1000 }, now)).toBe('stale');
    expect(stateOf({ tag: 't', stale: now - 2000, expired: now - 1000 }, now)).toBe('expired');
    expect(stateOf({ tag: 't', expired: now }, now)).toBe('expired');
  });

  it('merges code and store tags by name and keeps store-only and path tags', () => {
    const rows = buildRows(
      [
        { tag: 'products', kind: 'static', declarations: [site], invalidations: [], profiles: [] },
        { tag: 'product-${id}', kind: 'pattern', declarations: [site], invalidations: [site], profiles: [] },
      ],
      [
        { tag: 'products', stale: now - 5000, expired: now + 86_400_000 },
        { tag: 'legacy', expired: now - 10 },
        { tag: '_N_T_/blog/[slug]/page', expired: now - 10 },
      ],
      now,
    );
    expect(rows.map((r) => [r.tag, r.source, r.state])).toEqual([
      ['_N_T_/blog/[slug]/page', 'store', 'expired'],
      ['legacy', 'store', 'expired'],
      ['product-${id}', 'code', 'never'],
      ['products', 'both', 'stale'],
    ]);
    expect(rows[0].route).toBe('/blog/[slug]/page');
    expect(rows[3].declarations).toEqual([site]);
    expect(lastInvalidated(rows[3], now)).toBe(now - 5000);
  });

  it('without a store every code tag is "never invalidated"', () => {
    expect(buildRows([{ tag: 'a', kind: 'static', declarations: [], invalidations: [], profiles: [] }], undefined, now)[0].state).toBe('never');
  });
});

describe('panel messages from the webview are validated on the host', () => {
  it('accepts well-formed messages', () => {
    expect(parsePanelMessage({ type: 'ready' })).toEqual({ type: 'ready' });
    expect(parsePanelMessage({ type: 'invalidateTag', tag: '<img src=x onerror=alert(1)>', mode: 'expire' })).toEqual({ type: 'invalidateTag', tag: '<img src=x onerror=alert(1)>', mode: 'expire', profile: undefined });
    expect(parsePanelMessage({ type: 'invalidateTag', tag: 'products', mode: 'stale', profile: 'max' })).toMatchObject({ profile: 'max' });
    expect(parsePanelMessage({ type: 'invalidatePath', path: '/blog/[slug]', pathType: 'page' })).toEqual({ type: 'invalidatePath', path: '/blog/[slug]', pathType: 'page' });
    expect(parsePanelMessage({ type: 'open', uri: 'file:///a.ts', line: 1, character: 2 })).toEqual({ type: 'open', uri: 'file:///a.ts', line: 1, character: 2 });
  });

  it.each([
    [null],
    ['ready'],
    [{ type: 'exec', command: 'rm -rf /' }],
    [{ type: 'invalidateTag', tag: '', mode: 'expire' }],
    [{ type: 'invalidateTag', tag: 'x'.repeat(2000), mode: 'expire' }],
    [{ type: 'invalidateTag', tag: 'a', mode: 'delete' }],
    [{ type: 'invalidateTag', tag: 'a', mode: 'stale', profile: 'max"; drop' }],
    [{ type: 'invalidatePath', path: 'blog' }],
    [{ type: 'invalidatePath', path: '/blog', pathType: 'route' }],
    [{ type: 'open', uri: 'https://evil.example/x', line: 0, character: 0 }],
    [{ type: 'open', uri: 'command:workbench.action.terminal.new', line: 0, character: 0 }],
    [{ type: 'open', uri: 'file:///a.ts', line: -1, character: 0 }],
    [{ type: 'open', uri: 'file:///a.ts', line: 1.5, character: 0 }],
  ])('rejects %j', (m) => {
    expect(parsePanelMessage(m)).toBeUndefined();
  });
});
