/**
 * Redis Cluster: a real 3-master cluster started by the test. Tag keys spread over slots; no
 * multi-key command crosses slots; full resync SCANs every master.
 */
import { describe, it as base, expect, beforeAll, afterAll } from 'vitest';

// Generous per-test limit: these suites start servers and may share 2 cores with other suites.
const it = (name: string, fn: () => Promise<void> | void) => base(name, fn, 120_000);
import { execFile } from 'node:child_process';
import { TagStore, Keys } from '@tagscope/handler';
import { OwnCluster } from './cluster';
import { Worker } from './worker';
import { randomPrefix, sleep } from './helpers';

function cli(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile('redis-cli', ['-p', String(port), ...args], (e, out) => (e ? reject(e) : resolve(out.trim()))));
}

describe('Redis Cluster (3 masters)', () => {
  let cluster: OwnCluster;
  let A: Worker, B: Worker, C: Worker | undefined;
  let store: TagStore;
  const prefix = randomPrefix('cluster');
  const tags = Array.from({ length: 60 }, (_, i) => `tag-${i}`);

  beforeAll(async () => {
    cluster = await OwnCluster.start();
    [A, B] = await Promise.all([Worker.start({ url: cluster.url, prefix, timeoutMs: 1000 }), Worker.start({ url: cluster.url, prefix, timeoutMs: 1000 })]);
    store = await TagStore.connect({ url: cluster.url, keyPrefix: prefix, timeoutMs: 1000 });
  });
  afterAll(async () => {
    await store?.close();
    await Promise.all([A?.stop(), B?.stop(), C?.stop()]);
    await cluster?.destroy();
  });

  it('entries and invalidations work across instances', async () => {
    await A.call('set', { key: 'c1', tags: ['tag-1', 'tag-2'], value: 'v1' });
    expect(await B.call('get', { key: 'c1' })).toMatchObject({ value: 'v1' });
    await sleep(3);
    await A.call('update', { tags: ['tag-2'] });
    expect(await B.call('get', { key: 'c1' })).toMatchObject({ miss: true });
  });

  it('one updateTags over many tags (many slots) succeeds without CROSSSLOT and reaches B', async () => {
    await B.call('set', { key: 'c2', tags: ['tag-59'], value: 'v' });
    await sleep(3);
    await A.call('update', { tags, durations: { expire: 60 } });
    expect(await B.call('get', { key: 'c2' })).toMatchObject({ value: 'v', revalidate: -1 });
    const errors = [...(await A.call('metrics')), ...(await B.call('metrics'))].filter((m: { type: string }) => m.type === 'redis-error');
    expect(errors).toEqual([]);
  });

  it('tag keys are spread over all three masters', async () => {
    const counts = await Promise.all(cluster.ports.map((p) => cli(p, '--scan', '--pattern', `${prefix}:t:*`).then((o) => o.split('\n').filter(Boolean).length)));
    expect(counts.every((n) => n > 0)).toBe(true);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(tags.length);
  });

  it('a new instance loads every tag state by scanning every master', async () => {
    C = await Worker.start({ url: cluster.url, prefix, timeoutMs: 1000 });
    // The first sync is the full load (SCAN on every master); on a loaded machine give it retries.
    let ok = false;
    for (let i = 0; i < 5 && !ok; i++) {
      ok = await C.call('sync');
      if (!ok) await sleep(300);
    }
    expect(ok).toBe(true);
    const states = await C.call('mirror', { tags });
    expect(states.filter((s: unknown) => s === null)).toEqual([]);
  });

  it('TagStore lists, reads and invalidates on the cluster', async () => {
    const list = await store.list();
    expect(list.map((s) => s.tag)).toEqual(expect.arrayContaining(tags));
    await store.invalidatePath('/blog/[slug]', 'page');
    expect(await store.get('_N_T_/blog/[slug]/page')).toMatchObject({ tag: '_N_T_/blog/[slug]/page' });
    const k = new Keys(prefix);
    expect(k.log()).toBe(`{${prefix}}:log`);
  });

  it('hostile values on the cluster: wrong-typed, garbage and oversized tag states and entries are skipped, never thrown; invalidating over them works', async () => {
    const k = new Keys(prefix);
    const c = (...args: string[]) => cli(cluster.ports[0], '-c', ...args);
    await c('HSET', k.tag('h-hash'), 'f', 'v');
    await c('SET', k.tag('h-garbage'), 'nan|x');
    await c('SET', k.tag('h-long'), '1|'.repeat(1000));
    await c('RPUSH', k.useCacheEntry('h-entry'), 'a');
    // a TagStore loading every master (per-key bounded reads on a cluster) neither throws nor shows them
    const probe = await TagStore.connect({ url: cluster.url, keyPrefix: prefix, timeoutMs: 1000, logger: { warn: () => {} } });
    try {
      const list = await probe.list();
      for (const t of ['h-hash', 'h-garbage', 'h-long']) {
        expect(list.find((s) => s.tag === t && (s.stale !== undefined || s.expired !== undefined))).toBeUndefined();
        expect(await probe.get(t)).toBeUndefined();
      }
      expect(await A.call('get', { key: 'h-entry' })).toMatchObject({ miss: true });
      await probe.invalidate(['h-hash', 'h-garbage', 'h-long']);
      for (const t of ['h-hash', 'h-garbage', 'h-long']) expect(await probe.get(t)).toMatchObject({ expired: expect.any(Number) });
    } finally {
      await probe.close();
    }
  });

  it('incremental handler on the cluster', async () => {
    const page = { kind: 'APP_PAGE', html: '<p>x</p>', headers: { 'x-next-cache-tags': '_N_T_/layout,tag-30' }, status: 200 };
    await A.call('incSet', { key: '/c', data: page, ctx: { cacheControl: { revalidate: 900, expire: 3600 } } });
    expect((await B.call('incGet', { key: '/c', ctx: { kind: 'APP_PAGE' } })).value.html).toBe('<p>x</p>');
    await sleep(3);
    await A.call('update', { tags: ['tag-30'] });
    expect(await B.call('incGet', { key: '/c', ctx: { kind: 'APP_PAGE' } })).toBeNull();
  });
});
