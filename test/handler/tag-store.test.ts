import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { TagStore, createUseCacheHandler, pathSoftTags, Keys, type UseCacheHandler } from '@tagscope/handler';
import { bodyStream, cleanupPrefix, nowMs, randomPrefix, redisCli, sleep, SHARED_REDIS } from './helpers';

describe('pathSoftTags matches Next revalidatePath', () => {
  it.each([
    ['/dynamic', undefined, ['_N_T_/dynamic']],
    ['/dynamic', 'page', ['_N_T_/dynamic/page']],
    ['/dynamic/', undefined, ['_N_T_/dynamic']],
    ['/', 'layout', ['_N_T_/layout']],
    ['/', undefined, ['_N_T_/', '_N_T_/index']],
    ['/index', undefined, ['_N_T_/index', '_N_T_/']],
    ['/blog/[slug]', 'page', ['_N_T_/blog/[slug]/page']],
    ['/(shop)/products/[id]', 'page', ['_N_T_/(shop)/products/[id]/page']],
    ['/blog/héllo', undefined, ['_N_T_/blog/h%C3%A9llo']],
  ] as const)('%s %s', (path, type, tags) => {
    expect(pathSoftTags(path, type as 'page' | 'layout' | undefined)).toEqual(tags);
  });
});

describe('TagStore', () => {
  const prefix = randomPrefix('store');
  let store: TagStore;
  let h: UseCacheHandler;
  beforeAll(async () => {
    store = await TagStore.connect({ url: SHARED_REDIS, keyPrefix: prefix });
    h = createUseCacheHandler({ url: SHARED_REDIS, keyPrefix: prefix });
  });
  afterAll(async () => {
    await store?.close();
    await h?.core.close();
    await cleanupPrefix(6379, prefix);
  });

  it('connect fails clearly when Redis is unreachable', async () => {
    await expect(TagStore.connect({ url: 'redis://127.0.0.1:1', keyPrefix: prefix, timeoutMs: 100 })).rejects.toThrow(/cannot connect/);
  });

  it('a failed connect names the nodes and no password of any of them (cluster lists included)', async () => {
    const cases: [Parameters<typeof TagStore.connect>[0], string][] = [
      [{ url: 'redis://:s3cret-one@127.0.0.1:1' }, 'redis://***@127.0.0.1:1'],
      [{ url: 'redis+cluster://:s3cret-one@127.0.0.1:1,127.0.0.1:2' }, 'redis://***@127.0.0.1:1,redis://***@127.0.0.1:2'],
      [{ url: 'redis://:s3cret-one@127.0.0.1:1,redis://u:s3cret-two@127.0.0.1:2', cluster: true }, 'redis://***@127.0.0.1:1,redis://***@127.0.0.1:2'],
      // Passwords with '@' and ',' unencoded: the fragments that do not parse are left out.
      [{ url: 'redis://:s3cret@one@127.0.0.1:1,redis://:s3c,ret-two@127.0.0.1:2', cluster: true }, 'redis://***@127.0.0.1:1'],
      // '/' unencoded ends the authority: no node parses, only the scheme is named.
      [{ url: 'redis://:s3c/ret@127.0.0.1:1' }, 'redis\n'],
    ];
    for (const [opts, shown] of cases) {
      const err = await TagStore.connect({ ...opts, keyPrefix: prefix, timeoutMs: 100 }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(`${err?.message}\n`).toContain(`cannot connect to Redis at ${shown}`);
      expect(err?.message).not.toMatch(/s3c|ret-two|one@/);
    }
  });

  it('invalidate (updateTag semantics) is seen by a handler and listed', async () => {
    await h.set('k', Promise.resolve({ value: bodyStream('v'), tags: ['posts'], stale: 300, timestamp: nowMs(), revalidate: 900, expire: 3600 }));
    await sleep(3);
    const t0 = Date.now();
    await store.invalidate(['posts']);
    const st = await store.get('posts');
    expect(st?.tag).toBe('posts');
    expect(st?.stale).toBeUndefined();
    expect(Math.abs(st!.expired! - t0)).toBeLessThan(1000);
    await sleep(2);
    await h.refreshTags();
    expect(await h.get('k', [])).toBeUndefined();
  });

  it('invalidate with {expire} (revalidateTag profile semantics) marks stale and sets a future expiry', async () => {
    await store.invalidate(['users'], { expire: 120 });
    const st = await store.get('users');
    expect(st!.expired! - st!.stale!).toBe(120_000);
  });

  it("invalidate with a built-in profile name behaves like revalidateTag(tag, 'max'); unknown profiles throw", async () => {
    await store.invalidate(['profiled'], 'max');
    const st = await store.get('profiled');
    expect(st!.expired! - st!.stale!).toBe(31536000_000);
    await expect(store.invalidate(['profiled'], 'nope' as 'max')).rejects.toThrow(/unknown cacheLife profile/);
  });

  it('invalidatePath writes the soft tags Next computes', async () => {
    await store.invalidatePath('/', undefined);
    await store.invalidatePath('/blog/[slug]', 'page');
    const list = await store.list();
    const tags = list.map((s) => s.tag);
    expect(tags).toEqual(expect.arrayContaining(['_N_T_/', '_N_T_/index', '_N_T_/blog/[slug]/page', 'posts', 'users']));
  });

  it('list includes tags seen on entries that were never invalidated', async () => {
    await h.set('k2', Promise.resolve({ value: bodyStream('v'), tags: ['never-invalidated'], stale: 300, timestamp: nowMs(), revalidate: 900, expire: 3600 }));
    await (h.core as any).flushSeen();
    const list = await store.list();
    expect(list.find((s) => s.tag === 'never-invalidated')).toEqual({ tag: 'never-invalidated' });
  });

  it('subscribe delivers changes made by another writer', async () => {
    const got: string[] = [];
    const off = store.subscribe((changed) => got.push(...changed.map((c) => c.tag)));
    await sleep(200);
    await h.updateTags(['live-tag'], { expire: 60 });
    const deadline = Date.now() + 3000;
    while (!got.includes('live-tag') && Date.now() < deadline) await sleep(20);
    off();
    expect(got).toContain('live-tag');
  });

  it('tag keys follow the documented layout and carry a bounded TTL', async () => {
    const k = new Keys(prefix);
    const v = await redisCli(6379, 'GET', k.tag('posts'));
    expect(v).toMatch(/^\|\d+\|\d+$/);
    const pttl = Number(await redisCli(6379, 'PTTL', k.tag('posts')));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(31536000_000 + 61_000);
  });
});
