/**
 * Redis Cluster: a real 3-master cluster started by the test. Tag keys spread over slots; no
 * multi-key command crosses slots; full resync SCANs every master.
 */
import { describe, it as base, expect, beforeAll, afterAll } from 'vitest';

// Generous per-test limit: these suites start servers and may share 2 cores with other suites.
const it = (name: string, fn: () => Promise<void> | void) => base(name, fn, 120_000);
import { execFile } from 'node:child_process';
import { TagStore, Keys, createUseCacheHandler } from '@tagscope/handler';
import { OwnCluster, keySlot } from './cluster';
import { Worker } from './worker';
import { bodyStream, nowMs, randomPrefix, sleep, streamText } from './helpers';

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

  it('a hung master fails only the keys of its slots: the other masters keep serving hits; back, its keys hit again', async () => {
    const prefix2 = randomPrefix('cluster-breaker');
    const h = createUseCacheHandler({ url: cluster.url, keyPrefix: prefix2, timeoutMs: 200, breakerCooldownMs: 500, journalDir: false });
    const k = new Keys(prefix2);
    const nodes = await cluster.nodes();
    const masterOf = (key: string) => nodes.find((n) => n.role === 'master' && n.slots.some(([a, b]) => keySlot(key) >= a && keySlot(key) <= b))!.port;
    // Hang a master that does not hold the invalidation log (without the log no read can be checked).
    const hung = nodes.find((n) => n.role === 'master' && n.port !== masterOf(k.log()))!.port;
    const keys = Array.from({ length: 30 }, (_, i) => `b${i}`);
    const onHung = keys.filter((key) => masterOf(k.useCacheEntry(key)) === hung);
    const elsewhere = keys.filter((key) => !onHung.includes(key));
    expect(onHung.length).toBeGreaterThan(0);
    expect(elsewhere.length).toBeGreaterThan(0);
    const value = async (key: string) => {
      const e = await h.get(key, []);
      return e ? streamText(e.value) : undefined;
    };
    const round = async () => Object.fromEntries(await Promise.all(keys.map(async (key) => [key, await value(key)] as const)));
    const expected = (hungServes: boolean) => Object.fromEntries(keys.map((key) => [key, hungServes || !onHung.includes(key) ? `v-${key}` : undefined]));
    const pid = cluster.procs[cluster.ports.indexOf(hung)].pid!;
    try {
      for (const key of keys) await h.set(key, Promise.resolve({ value: bodyStream(`v-${key}`), tags: ['bt'], stale: 300, timestamp: nowMs(), revalidate: 900, expire: 3600 }));
      expect(await round()).toEqual(expected(true));
      process.kill(pid, 'SIGSTOP');
      await round(); // the hung master's reads time out here and open its breaker
      // Every later round: the other masters' entries are hits, the hung one's misses (no waiting).
      for (let i = 0; i < 3; i++) expect(await round()).toEqual(expected(false));
      process.kill(pid, 'SIGCONT');
      let r = await round();
      for (let i = 0; i < 50 && JSON.stringify(r) !== JSON.stringify(expected(true)); i++) {
        await sleep(100);
        r = await round();
      }
      expect(r).toEqual(expected(true));
    } finally {
      process.kill(pid, 'SIGCONT');
      await h.core.close();
    }
  });
});
