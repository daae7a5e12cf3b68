/**
 * Ours across two handler instances in two processes sharing one Redis, including clock skew:
 * each worker has its own core, mirror and connection; one can run on a fake clock.
 */
import { describe, it as base, expect, beforeAll, afterAll } from 'vitest';

// Generous per-test limit: these suites start servers and may share 2 cores with other suites.
const it = (name: string, fn: () => Promise<void> | void) => base(name, fn, 120_000);
import { Worker } from './worker';
import { cleanupPrefix, randomPrefix, sleep, SHARED_REDIS } from './helpers';

describe('two processes sharing Redis', () => {
  const prefix = randomPrefix('two');
  let A: Worker;
  let B: Worker;
  beforeAll(async () => {
    [A, B] = await Promise.all([Worker.start({ url: SHARED_REDIS, prefix }), Worker.start({ url: SHARED_REDIS, prefix })]);
  });
  afterAll(async () => {
    await Promise.all([A?.stop(), B?.stop()]);
    await cleanupPrefix(6379, prefix);
  });

  it('an entry set on A is a hit on B', async () => {
    await A.call('set', { key: 'k1', tags: ['t1'], value: 'v1' });
    const r = await B.call('get', { key: 'k1' });
    expect(r.value).toBe('v1');
    expect(r.revalidate).toBe(900);
  });

  it('updateTags on A (updateTag) → the next get on B misses (read-your-writes everywhere)', async () => {
    await A.call('set', { key: 'k2', tags: ['t2'], value: 'v1' });
    expect((await B.call('get', { key: 'k2' })).value).toBe('v1');
    await A.call('update', { tags: ['t2'] });
    expect(await B.call('get', { key: 'k2' })).toMatchObject({ miss: true });
    await B.call('set', { key: 'k2', tags: ['t2'], value: 'v2' });
    expect((await A.call('get', { key: 'k2' })).value).toBe('v2');
  });

  it('updateTags with {expire} on A → B serves stale once (revalidate -1), then fresh after regeneration', async () => {
    await A.call('set', { key: 'k3', tags: ['t3'], value: 'v1' });
    await sleep(3);
    await A.call('update', { tags: ['t3'], durations: { expire: 31536000 } });
    const stale = await B.call('get', { key: 'k3' });
    expect(stale).toMatchObject({ value: 'v1', revalidate: -1 });
    await B.call('set', { key: 'k3', tags: ['t3'], value: 'v2' }); // Next's background regeneration
    expect(await B.call('get', { key: 'k3' })).toMatchObject({ value: 'v2', revalidate: 900 });
    expect(await A.call('get', { key: 'k3' })).toMatchObject({ value: 'v2', revalidate: 900 });
  });

  it('revalidatePath soft tag on A → getExpiration on B reports it; never a future one', async () => {
    await A.call('set', { key: 'k4', tags: ['t4'], value: 'v1' });
    const before = await B.call('get', { key: 'k4' });
    await sleep(3);
    await A.call('update', { tags: ['_N_T_/p4'] });
    const x = await B.call('getExpiration', { tags: ['_N_T_/layout', '_N_T_/p4'] });
    expect(x).toBeGreaterThanOrEqual(before.timestamp);
    await A.call('update', { tags: ['_N_T_/p5'], durations: { expire: 3600 } });
    expect(await B.call('getExpiration', { tags: ['_N_T_/p5'] })).toBe(0);
  });

  it('an older generation does not overwrite a newer one (timestamp compared in Redis)', async () => {
    await A.call('set', { key: 'k5', tags: ['t5'], value: 'newer' });
    await B.call('set', { key: 'k5', tags: ['t5'], value: 'older', ageMs: 5000 });
    expect((await A.call('get', { key: 'k5' })).value).toBe('newer');
  });

  it('incremental handler: a FETCH entry and a static page invalidated on A miss on B', async () => {
    const page = { kind: 'APP_PAGE', html: '<p>v1</p>', rscData: { type: 'Buffer', data: [1, 2, 3] }, headers: { 'x-next-cache-tags': '_N_T_/layout,_N_T_/index,tp' }, status: 200 };
    await A.call('incSet', { key: '/', data: page, ctx: { cacheControl: { revalidate: 900, expire: 31536000 } } });
    const hit = await B.call('incGet', { key: '/', ctx: { kind: 'APP_PAGE' } });
    expect(hit.value.html).toBe('<p>v1</p>');
    await sleep(3);
    await A.call('incRevalidate', { tags: ['tp'] });
    expect(await B.call('incGet', { key: '/', ctx: { kind: 'APP_PAGE' } })).toBeNull();
  });

  it('metrics: B reports the propagation lag of an invalidation from A, hits and misses', async () => {
    await B.call('metrics');
    await A.call('update', { tags: ['lag-tag'] });
    await B.call('get', { key: 'nothing' });
    const m = await B.call('metrics');
    const lag = m.find((e: { type: string }) => e.type === 'lag');
    expect(lag.ms).toBeGreaterThanOrEqual(0);
    expect(lag.ms).toBeLessThan(5000);
    expect(m.some((e: { type: string; reason?: string }) => e.type === 'miss' && e.reason === 'absent')).toBe(true);
  });

  it('no unhandled rejections in either process', () => {
    expect(A.unhandled).toEqual([]);
    expect(B.unhandled).toEqual([]);
  });
});

describe('clock skew between instances (B runs on a fake clock)', () => {
  for (const skewMs of [10_000, -10_000]) {
    describe(`B's clock ${skewMs > 0 ? 'ahead' : 'behind'} by ${Math.abs(skewMs) / 1000}s`, () => {
      const prefix = randomPrefix('skew');
      let A: Worker;
      let B: Worker;
      beforeAll(async () => {
        [A, B] = await Promise.all([Worker.start({ url: SHARED_REDIS, prefix }), Worker.start({ url: SHARED_REDIS, prefix, skewMs })]);
      });
      afterAll(async () => {
        await Promise.all([A?.stop(), B?.stop()]);
        await cleanupPrefix(6379, prefix);
      });

      it('B measured its offset to the Redis clock', async () => {
        const a = await A.call('state');
        const b = await B.call('state');
        expect(Math.abs(b.offset - a.offset + skewMs)).toBeLessThan(50);
      });

      it('an entry generated on B before A invalidates is not revived', async () => {
        await B.call('set', { key: 's1', tags: ['x1'], value: 'old' });
        await sleep(5);
        await A.call('update', { tags: ['x1'] });
        expect(await A.call('get', { key: 's1' })).toMatchObject({ miss: true });
        expect(await B.call('get', { key: 's1' })).toMatchObject({ miss: true });
      });

      it('an entry generated on B after A invalidates is not dropped', async () => {
        await A.call('update', { tags: ['x2'] });
        await sleep(5);
        await B.call('set', { key: 's2', tags: ['x2'], value: 'new' });
        expect(await A.call('get', { key: 's2' })).toMatchObject({ value: 'new' });
        expect(await B.call('get', { key: 's2' })).toMatchObject({ value: 'new' });
      });

      it('B invalidates: an entry A generated before is expired, one generated after is fresh', async () => {
        await A.call('set', { key: 's3', tags: ['x3'], value: 'old' });
        await sleep(5);
        await B.call('update', { tags: ['x3'] });
        expect(await A.call('get', { key: 's3' })).toMatchObject({ miss: true });
        await sleep(5);
        await A.call('set', { key: 's3', tags: ['x3'], value: 'new' });
        expect(await A.call('get', { key: 's3' })).toMatchObject({ value: 'new' });
        expect(await B.call('get', { key: 's3' })).toMatchObject({ value: 'new' });
      });

      it('stale marks from B apply to A entries by Redis time', async () => {
        await A.call('set', { key: 's4', tags: ['x4'], value: 'v1' });
        await sleep(5);
        await B.call('update', { tags: ['x4'], durations: { expire: 600 } });
        expect(await A.call('get', { key: 's4' })).toMatchObject({ value: 'v1', revalidate: -1 });
        await sleep(5);
        await A.call('set', { key: 's4', tags: ['x4'], value: 'v2' });
        expect(await B.call('get', { key: 's4' })).toMatchObject({ value: 'v2', revalidate: 900 });
      });

      it('timestamps returned to each instance are on its own clock', async () => {
        await A.call('set', { key: 's5', tags: ['x5'], value: 'v' });
        const aNow = await A.call('now');
        const bNow = await B.call('now');
        const ra = await A.call('get', { key: 's5' });
        const rb = await B.call('get', { key: 's5' });
        expect(Math.abs(ra.timestamp - aNow)).toBeLessThan(1000);
        expect(Math.abs(rb.timestamp - bNow)).toBeLessThan(1000);
      });
    });
  }
});
