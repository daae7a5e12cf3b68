import { describe, it, expect, afterEach } from 'vitest';
import { createRequire } from 'node:module';
import { createUseCacheHandler } from '@tagscope/handler';
import { bodyStream, nowMs } from './helpers';

const require = createRequire(import.meta.url);
const { resolveOptions } = require('../../handler/dist/config.js');

const saved = { ...process.env };
afterEach(() => {
  for (const k of ['TAGSCOPE_REDIS_URL', 'REDIS_URL', 'TAGSCOPE_KEY_PREFIX', 'TAGSCOPE_TIMEOUT_MS', 'NEXT_PHASE', 'TAGSCOPE_USE_DURING_BUILD']) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

describe('configuration', () => {
  it('TAGSCOPE_REDIS_URL wins over REDIS_URL; defaults', () => {
    delete process.env.TAGSCOPE_REDIS_URL;
    delete process.env.REDIS_URL;
    expect(resolveOptions({}).url).toBe('redis://127.0.0.1:6379');
    process.env.REDIS_URL = 'redis://r:1';
    expect(resolveOptions({}).url).toBe('redis://r:1');
    process.env.TAGSCOPE_REDIS_URL = 'redis://t:2';
    expect(resolveOptions({}).url).toBe('redis://t:2');
    expect(resolveOptions({ url: 'redis://o:3' }).url).toBe('redis://o:3');
  });

  it('prefix and timeout from env, options win', () => {
    process.env.TAGSCOPE_KEY_PREFIX = 'envp';
    process.env.TAGSCOPE_TIMEOUT_MS = '75';
    const o = resolveOptions({});
    expect(o.keyPrefix).toBe('envp');
    expect(o.timeoutMs).toBe(75);
    expect(resolveOptions({ keyPrefix: 'opt', timeoutMs: 10 })).toMatchObject({ keyPrefix: 'opt', timeoutMs: 10 });
  });

  it('redis+cluster:// URLs list the root nodes (with credentials and TLS)', () => {
    expect(resolveOptions({ url: 'redis+cluster://10.0.0.1:6379,10.0.0.2:6380' })).toMatchObject({
      cluster: true,
      rootUrls: ['redis://10.0.0.1:6379', 'redis://10.0.0.2:6380'],
    });
    expect(resolveOptions({ url: 'rediss+cluster://u:p@a:1,b:2' }).rootUrls).toEqual(['rediss://u:p@a:1', 'rediss://u:p@b:2']);
  });

  it('an invalid prefix is a configuration error', () => {
    expect(() => createUseCacheHandler({ keyPrefix: 'a{b}' })).toThrow(/invalid key prefix/);
  });

  it('during next build the handler does not touch Redis', async () => {
    process.env.NEXT_PHASE = 'phase-production-build';
    const h = createUseCacheHandler({ url: 'redis://127.0.0.1:1', keyPrefix: 'build-phase-test' });
    const t0 = performance.now();
    await h.refreshTags();
    expect(await h.get('k', [])).toBeUndefined();
    await h.set('k', Promise.resolve({ value: bodyStream('v'), tags: ['a'], stale: 1, timestamp: nowMs(), revalidate: 1, expire: 100 }));
    await h.updateTags(['a']);
    expect(await h.getExpiration(['a'])).toBeGreaterThan(0); // applied in-process
    expect(performance.now() - t0).toBeLessThan(1000); // no connection attempt, no timeout
    expect((h.core.conn as unknown as { started: boolean }).started).toBe(false);
    await h.core.close();
  });
});
