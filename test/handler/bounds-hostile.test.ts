/**
 * Bounded metadata (tag state lives until it can no longer affect a live entry, no longer) and
 * hostile or corrupt values under our keys (a miss, never a crash).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createUseCacheHandler, createIncrementalCacheHandler, Keys, type UseCacheHandler } from '@tagscope/handler';
import { bodyStream, cleanupPrefix, nowMs, randomPrefix, redisCli, sleep, SHARED_REDIS } from './helpers';

const MAX_TTL_S = 3600;
const SLACK_MS = 60_000;

describe('bounded metadata', () => {
  const prefix = randomPrefix('bounds');
  const keys = new Keys(prefix);
  let h: UseCacheHandler;
  beforeAll(() => {
    h = createUseCacheHandler({ url: SHARED_REDIS, keyPrefix: prefix, maxTtlSeconds: MAX_TTL_S });
  });
  afterAll(async () => {
    await h.core.close();
    await cleanupPrefix(6379, prefix);
  });
  const pttl = async (k: string) => Number(await redisCli(6379, 'PTTL', k));

  it('updateTag: tag state kept for the longest entry lifetime after it, no longer', async () => {
    await h.updateTags(['hard']);
    const t = await pttl(keys.tag('hard'));
    expect(t).toBeGreaterThan(MAX_TTL_S * 1000 + SLACK_MS - 2000);
    expect(t).toBeLessThanOrEqual(MAX_TTL_S * 1000 + SLACK_MS);
  });

  it("revalidateTag(tag, {expire}): kept until the future expiry plus the longest entry lifetime", async () => {
    await h.updateTags(['soft'], { expire: 120 });
    const t = await pttl(keys.tag('soft'));
    expect(t).toBeGreaterThan((120 + MAX_TTL_S) * 1000 + SLACK_MS - 2000);
    expect(t).toBeLessThanOrEqual((120 + MAX_TTL_S) * 1000 + SLACK_MS);
  });

  it('expire = 4294967294 (never): the state is bounded by its write time, not 136 years', async () => {
    await h.updateTags(['never'], { expire: 4294967294 });
    const t = await pttl(keys.tag('never'));
    expect(t).toBeLessThanOrEqual(MAX_TTL_S * 1000 + SLACK_MS);
  });

  it('entry TTL comes from expire (clamped to maxTtl), counted from the entry timestamp', async () => {
    await h.set('e1', Promise.resolve({ value: bodyStream('v'), tags: ['x'], stale: 300, timestamp: nowMs() - 10_000, revalidate: 1, expire: 60 }));
    const t1 = await pttl(keys.useCacheEntry('e1'));
    expect(t1).toBeGreaterThan(48_000);
    expect(t1).toBeLessThanOrEqual(50_000);
    await h.set('e2', Promise.resolve({ value: bodyStream('v'), tags: ['x'], stale: 300, timestamp: nowMs(), revalidate: 900, expire: 4294967294 }));
    const t2 = await pttl(keys.useCacheEntry('e2'));
    expect(t2).toBeLessThanOrEqual(MAX_TTL_S * 1000);
    expect(t2).toBeGreaterThan(MAX_TTL_S * 1000 - 2000);
  });

  it('the in-process mirror drops states past their horizon', async () => {
    const shortLived = createUseCacheHandler({ url: SHARED_REDIS, keyPrefix: prefix + '-short', maxTtlSeconds: 0.2 });
    await shortLived.updateTags(['gone']);
    expect(shortLived.core.mirror.has('gone')).toBe(true);
    await sleep(300);
    shortLived.core.prune();
    expect(shortLived.core.mirror.has('gone')).toBe(false);
    await shortLived.core.close();
    await cleanupPrefix(6379, prefix + '-short');
  });
});

describe('hostile and corrupt values under our keys', () => {
  const prefix = randomPrefix('hostile');
  const keys = new Keys(prefix);
  let h: UseCacheHandler;
  let inc: InstanceType<ReturnType<typeof createIncrementalCacheHandler>>;
  beforeAll(() => {
    h = createUseCacheHandler({ url: SHARED_REDIS, keyPrefix: prefix });
    const Inc = createIncrementalCacheHandler({ url: SHARED_REDIS, keyPrefix: prefix });
    inc = new Inc({});
  });
  afterAll(async () => {
    await h.core.close();
    await cleanupPrefix(6379, prefix);
  });

  const garbage: Array<[string, string[]]> = [
    ['random bytes', ['SET', '%K', '\u0001\u0002garbage']],
    ['valid header, broken meta JSON', ['SET', '%K', 'TS1:00000000000000000001:0000000005:{{{{{body']],
    ['meta length beyond the value', ['SET', '%K', 'TS1:00000000000000000001:0000009999:{}']],
    ['meta with wrong types', ['SET', '%K', 'TS1:00000000000000000001:0000000030:{"tags":"a","stale":1,"expire":1}']],
    ['a hash instead of a string', ['HSET', '%K', 'f', 'v']],
    ['a list instead of a string', ['RPUSH', '%K', 'a', 'b']],
  ];

  for (const [name, cmd] of garbage) {
    it(`use-cache get: ${name} → miss`, async () => {
      const k = keys.useCacheEntry(name);
      await redisCli(6379, ...cmd.map((a) => (a === '%K' ? k : a)));
      await h.refreshTags();
      expect(await h.get(name, [])).toBeUndefined();
    });
    it(`incremental get: ${name} → null`, async () => {
      const k = keys.incrementalEntry(name);
      await redisCli(6379, ...cmd.map((a) => (a === '%K' ? k : a)));
      expect(await inc.get(name, { kind: 'APP_PAGE' })).toBeNull();
    });
  }

  it('a set over a wrong-typed key replaces it', async () => {
    await h.set('a hash instead of a string', Promise.resolve({ value: bodyStream('ok'), tags: [], stale: 300, timestamp: nowMs(), revalidate: 900, expire: 3600 }));
    await h.refreshTags();
    const e = await h.get('a hash instead of a string', []);
    expect(await new Response(e!.value).text()).toBe('ok');
  });

  it('garbage tag states and log entries are ignored; updateTags overwrites a wrong-typed tag key', async () => {
    await redisCli(6379, 'SET', keys.tag('g1'), 'not|a|number|at all');
    await redisCli(6379, 'RPUSH', keys.tag('g2'), 'x');
    await redisCli(6379, 'XADD', keys.log(), '*', 'd', 'not json', 'o', 'x', 'w', 'y');
    await redisCli(6379, 'XADD', keys.log(), '*', 'd', '[{"t":5},{"t":"g3","a":"x"},null]');
    await h.refreshTags();
    await h.set('k', Promise.resolve({ value: bodyStream('v'), tags: ['g1', 'g2', 'g3'], stale: 300, timestamp: nowMs(), revalidate: 900, expire: 3600 }));
    await h.refreshTags();
    expect(await h.get('k', [])).toBeDefined();
    await sleep(3);
    await h.updateTags(['g2']);
    expect(await redisCli(6379, 'TYPE', keys.tag('g2'))).toBe('string');
    await sleep(2);
    await h.refreshTags();
    expect(await h.get('k', [])).toBeUndefined();
  });

  it('a non-array softTags/tags argument does not throw', async () => {
    await h.refreshTags();
    expect(await h.get('nothing', undefined as unknown as string[])).toBeUndefined();
    expect(await h.getExpiration(undefined as unknown as string[])).toBe(0);
    await h.updateTags(undefined as unknown as string[]);
  });
});
