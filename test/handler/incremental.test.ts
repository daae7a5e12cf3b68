/**
 * The incremental handler driven by Next's own IncrementalCache (the code `next start` runs for
 * static pages, route responses, fetch and unstable_cache), with invalidations coming from
 * another instance (a TagStore with its own connection and mirror): Next's process-local tag
 * manifest knows nothing of them, so what IncrementalCache reports is what instance B would serve.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createRequire } from 'node:module';
import { createIncrementalCacheHandler, TagStore } from '@tagscope/handler';
import { cleanupPrefix, randomPrefix, sleep, SHARED_REDIS } from './helpers';

const require = createRequire(import.meta.url);
const { IncrementalCache } = require('next/dist/server/lib/incremental-cache/index.js');

const prefix = randomPrefix('inc');
/**
 * A render that starts within the clock bound after an invalidation (each process's offset error,
 * up to half its best TIME round trip, plus clockMarginMs) is regenerated once more, by design
 * (README, Clock). On a loaded machine round trips reach milliseconds: wait well clear of it.
 */
const CLEAR_OF_CLOCK_BOUND = 25;
let cache: any;
let other: TagStore;

function makeCache() {
  return new IncrementalCache({
    dev: false,
    requestHeaders: {},
    previewProps: { previewModeId: 'x', previewModeSigningKey: 'y', previewModeEncryptionKey: 'z' },
    prerenderManifest: { version: 4, routes: {}, dynamicRoutes: {}, notFoundRoutes: [], preview: {} },
    CurCacheHandler: createIncrementalCacheHandler({ url: SHARED_REDIS, keyPrefix: prefix }),
    maxMemoryCacheSize: 0,
  });
}

const route = (p: string, kind = 'APP_PAGE') => ({ kind, sourceRoute: p });
const page = (html: string, tags: string) => ({
  kind: 'APP_PAGE',
  html,
  rscData: Buffer.from('rsc:' + html),
  segmentData: new Map([['/_tree', Buffer.from('tree')]]),
  postponed: undefined,
  headers: { 'x-next-cache-tags': tags },
  status: 200,
});

describe("incremental handler under Next's IncrementalCache", () => {
  beforeAll(async () => {
    cache = makeCache();
    other = await TagStore.connect({ url: SHARED_REDIS, keyPrefix: prefix });
  });
  afterAll(async () => {
    await other?.close();
    await cache?.cacheHandler?.core?.close();
    await cleanupPrefix(6379, prefix);
  });

  it('APP_PAGE round trip keeps Buffers and Maps, and the stored cacheControl', async () => {
    await cache.set('/p1', page('<p>v1</p>', '_N_T_/layout,_N_T_/p1,t1'), { cacheControl: { revalidate: 900, expire: 31536000 }, route: route('/p1') });
    const e = await cache.get('/p1', { kind: 'APP_PAGE', isRoutePPREnabled: false, isFallback: false, route: route('/p1') });
    expect(e.isStale).toBeUndefined();
    expect(e.value.html).toBe('<p>v1</p>');
    expect(Buffer.isBuffer(e.value.rscData) && e.value.rscData.toString()).toBe('rsc:<p>v1</p>');
    expect(e.value.segmentData.get('/_tree').toString()).toBe('tree');
    expect(e.cacheControl).toEqual({ revalidate: 900, expire: 31536000 });
  });

  it('revalidateTag(tag, profile) on another instance → Next sees the page stale (SWR), then fresh after regeneration', async () => {
    await sleep(3);
    await other.invalidate(['t1'], { expire: 31536000 });
    await sleep(CLEAR_OF_CLOCK_BOUND); // the regeneration below starts at this get (its time stamps the entry)
    const e = await cache.get('/p1', { kind: 'APP_PAGE', isRoutePPREnabled: false, isFallback: false, route: route('/p1') });
    expect(e.isStale).toBe(true);
    expect(e.value.html).toBe('<p>v1</p>');
    await sleep(3);
    await cache.set('/p1', page('<p>v2</p>', '_N_T_/layout,_N_T_/p1,t1'), { cacheControl: { revalidate: 900, expire: 31536000 }, route: route('/p1') });
    const f = await cache.get('/p1', { kind: 'APP_PAGE', isRoutePPREnabled: false, isFallback: false, route: route('/p1') });
    expect(f.isStale).toBeUndefined();
    expect(f.value.html).toBe('<p>v2</p>');
  });

  it('updateTag / revalidatePath on another instance → miss (blocking regeneration)', async () => {
    await sleep(3);
    await other.invalidatePath('/p1');
    await sleep(2);
    expect(await cache.get('/p1', { kind: 'APP_PAGE', isRoutePPREnabled: false, isFallback: false, route: route('/p1') })).toBeNull();
  });

  it('a stale page without an SWR window (revalidate: false) is regenerated blocking', async () => {
    await cache.set('/p2', page('<p>s</p>', 't2'), { cacheControl: { revalidate: false, expire: undefined }, route: route('/p2') });
    await sleep(3);
    await other.invalidate(['t2'], { expire: 60 });
    const e = await cache.get('/p2', { kind: 'APP_PAGE', isRoutePPREnabled: false, isFallback: false, route: route('/p2') });
    expect(e.isStale).toBe(-1);
  });

  it('APP_ROUTE body round trip and tag check', async () => {
    const data = { kind: 'APP_ROUTE', body: Buffer.from('{"a":1}'), status: 200, headers: { 'content-type': 'application/json', 'x-next-cache-tags': 'rt' } };
    await cache.set('/api/r', data, { cacheControl: { revalidate: 60, expire: 3600 }, route: route('/api/r', 'APP_ROUTE') });
    const e = await cache.get('/api/r', { kind: 'APP_ROUTE', isRoutePPREnabled: false, isFallback: false, route: route('/api/r', 'APP_ROUTE') });
    expect(e.value.body.toString()).toBe('{"a":1}');
    await sleep(3);
    await other.invalidate(['rt']);
    await sleep(2);
    expect(await cache.get('/api/r', { kind: 'APP_ROUTE', isRoutePPREnabled: false, isFallback: false, route: route('/api/r', 'APP_ROUTE') })).toBeNull();
  });

  it('FETCH (fetch / unstable_cache): fresh, stale after a profile invalidation, miss after an expiring one; soft tags count', async () => {
    const value = { kind: 'FETCH', data: { headers: {}, body: 'Ym9keQ==', status: 200, url: 'https://x' }, revalidate: 60 };
    const setCtx = { fetchCache: true, tags: ['ft'], revalidate: 60, fetchUrl: 'https://x', fetchIdx: 0 };
    const getCtx = { kind: 'FETCH', tags: ['ft'], softTags: ['_N_T_/layout', '_N_T_/f'], revalidate: 60, fetchUrl: 'https://x', fetchIdx: 0 };
    const key = await cache.generateCacheKey('https://x', {});
    await cache.set(key, value, setCtx);
    const e = await cache.get(key, getCtx);
    expect(e.isStale).toBe(false);
    expect(e.value.data.body).toBe('Ym9keQ==');
    await sleep(3);
    await other.invalidate(['ft'], { expire: 3600 });
    await sleep(CLEAR_OF_CLOCK_BOUND); // the regeneration below starts at this get (its time stamps the entry)
    expect((await cache.get(key, getCtx)).isStale).toBe(true);
    await sleep(3);
    await cache.set(key, value, setCtx);
    expect((await cache.get(key, getCtx)).isStale).toBe(false);
    await sleep(3);
    await other.invalidatePath('/f');
    await sleep(2);
    expect(await cache.get(key, getCtx)).toBeNull();
  });

  it('Next calling both handlers for one invalidation (same tick) writes it once', async () => {
    const { createUseCacheHandler, Keys } = await import('@tagscope/handler');
    const useCache = createUseCacheHandler({ url: SHARED_REDIS, keyPrefix: prefix });
    expect(useCache.core).toBe(cache.cacheHandler.core); // one core per process for url + prefix
    await useCache.refreshTags();
    await useCache.get('warm', []);
    const log = new Keys(prefix).log();
    const before = Number(await (await import('./helpers')).redisCli(6379, 'XLEN', log));
    await Promise.all([useCache.updateTags(['both'], { expire: 60 }), cache.revalidateTag(['both'], { expire: 60 })]);
    const after = Number(await (await import('./helpers')).redisCli(6379, 'XLEN', log));
    expect(after - before).toBe(1);
  });

  it('revalidateTag through the handler (this instance) is written to the shared store', async () => {
    await cache.revalidateTag(['local-tag'], undefined);
    expect(await other.get('local-tag')).toMatchObject({ tag: 'local-tag' });
  });
});
