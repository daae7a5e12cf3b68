/**
 * Redis down or slow: bounded latency (circuit breaker), no throws into Next, no unhandled
 * rejections, invalidations kept (in a journal file) and replayed with their original times.
 */
import { describe, it as base, expect, beforeAll, afterAll } from 'vitest';

// Generous per-test limit: these suites start servers and may share 2 cores with other suites.
const it = (name: string, fn: () => Promise<void> | void) => base(name, fn, 120_000);
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIncrementalCacheHandler, createUseCacheHandler, type UseCacheHandler } from '@tagscope/handler';
import { Worker } from './worker';
import { bodyStream, nowMs, OwnRedis, randomPrefix, redisCli, sleep, streamText } from './helpers';

const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);

/** Once the outage is detected, calls return without waiting on Redis: all well under 50 ms (a little
 * slack on the single worst call for scheduler noise when suites share 2 cores). */
function expectFast(ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThan(10);
  expect(sorted.filter((x) => x >= 50).length).toBeLessThanOrEqual(ms.length > 4 ? 1 : 0);
  expect(sorted[sorted.length - 1]).toBeLessThan(150);
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await fn();
  return [v, performance.now() - t0];
}

describe('Redis hang (SIGSTOP) and crash in one process', () => {
  let redis: OwnRedis;
  let h: UseCacheHandler;
  const prefix = randomPrefix('out');
  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    redis = await OwnRedis.start();
    h = createUseCacheHandler({ url: redis.url, keyPrefix: prefix, timeoutMs: 150, breakerCooldownMs: 500, journalDir: false });
    await h.set('k', Promise.resolve({ value: bodyStream('v'), tags: ['a'], stale: 300, timestamp: nowMs(), revalidate: 900, expire: 3600 }));
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await h?.core.close();
    await redis?.destroy();
  });

  it('hang: the first calls are bounded by the timeout, then every call returns within 50 ms', async () => {
    process.kill(redis.proc!.pid!, 'SIGSTOP');
    try {
      const durations: number[] = [];
      for (let i = 0; i < 12; i++) {
        const [e, ms] = await timed(async () => {
          await h.refreshTags();
          return h.get('k', ['_N_T_/x']);
        });
        expect(e).toBeUndefined();
        durations.push(ms);
      }
      expect(Math.max(...durations)).toBeLessThan(400);
      expectFast(durations.slice(4));
      const [, tExp] = await timed(() => h.getExpiration(['_N_T_/x']));
      const [, tSet] = await timed(() => h.set('k2', Promise.resolve({ value: bodyStream('v'), tags: ['a'], stale: 300, timestamp: nowMs(), revalidate: 900, expire: 3600 })));
      const [, tUpd] = await timed(() => h.updateTags(['a']));
      expectFast([tExp, tSet, tUpd]);
      expect(h.core.pendingReplay()).toBe(1);
    } finally {
      process.kill(redis.proc!.pid!, 'SIGCONT');
    }
  });

  it('recovery: the breaker closes, the kept invalidation is written with its original time', async () => {
    const deadline = Date.now() + 5000;
    while (h.core.pendingReplay() > 0 && Date.now() < deadline) await sleep(50);
    expect(h.core.pendingReplay()).toBe(0);
    await h.refreshTags();
    expect(await h.get('k', [])).toBeUndefined(); // tag a expired during the outage
    const st = h.core.mirror.get('a');
    expect(st?.x).toBeLessThan(h.core.now() - 100);
  });

  it('crash: Redis killed → misses within 50 ms after detection; restarted empty → works again (log gap → full resync)', async () => {
    await redis.stop();
    const durations: number[] = [];
    for (let i = 0; i < 8; i++) {
      const [e, ms] = await timed(async () => {
        await h.refreshTags();
        return h.get('k', []);
      });
      expect(e).toBeUndefined();
      durations.push(ms);
    }
    expectFast(durations.slice(2));
    await redis.start();
    const deadline = Date.now() + 8000;
    let hit: unknown;
    while (!hit && Date.now() < deadline) {
      await h.set('k3', Promise.resolve({ value: bodyStream('back'), tags: ['b'], stale: 300, timestamp: nowMs(), revalidate: 900, expire: 3600 }));
      await h.refreshTags();
      hit = await h.get('k3', []);
      if (!hit) await sleep(200);
    }
    expect(hit).toBeDefined();
  });

  it('no unhandled rejections', () => {
    expect(unhandled).toEqual([]);
  });
});

describe('invalidations made during an outage reach other instances, even if the instance that made them dies', () => {
  let redis: OwnRedis;
  const prefix = randomPrefix('journal');
  const journalDir = mkdtempSync(join(tmpdir(), 'tagscope-journal-'));
  let A: Worker, B: Worker, C: Worker | undefined;
  beforeAll(async () => {
    redis = await OwnRedis.start();
    [A, B] = await Promise.all([
      Worker.start({ url: redis.url, prefix, journalDir, timeoutMs: 150, cooldownMs: 300 }),
      Worker.start({ url: redis.url, prefix, timeoutMs: 150, cooldownMs: 300 }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([A?.stop(), B?.stop(), C?.stop()]);
    await redis?.destroy();
    rmSync(journalDir, { recursive: true, force: true });
  });

  /** B stores an entry before the outage; with a 150 ms timeout a loaded machine can time a write out, so it is retried until B reads it back. */
  const setOnB = async (key: string, tag: string) => {
    for (let i = 0; i < 5; i++) {
      await B.call('set', { key, tags: [tag], value: 'old' });
      if ((await B.call('get', { key })).value === 'old') return;
      await sleep(200);
    }
    expect(await B.call('get', { key })).toMatchObject({ value: 'old' });
  };

  it('A invalidates while Redis hangs: applied locally at once, journaled; after recovery B sees it', async () => {
    await setOnB('j1', 'ja');
    process.kill(redis.proc!.pid!, 'SIGSTOP');
    let upd: { ms: number };
    try {
      await A.call('get', { key: 'j1' }); // lets A notice the outage
      upd = await A.call('update', { tags: ['ja'] });
      expect((await A.call('state')).pending).toBe(1);
      expect(readdirSync(journalDir).length).toBe(1);
    } finally {
      process.kill(redis.proc!.pid!, 'SIGCONT');
    }
    expect(upd!.ms).toBeLessThan(400);
    const deadline = Date.now() + 5000;
    let r = await B.call('get', { key: 'j1' });
    while (!r.miss && Date.now() < deadline) {
      await sleep(100);
      r = await B.call('get', { key: 'j1' });
    }
    expect(r).toMatchObject({ miss: true });
    // The journal file goes once the replay is acknowledged (just after B can see the write).
    const fileDeadline = Date.now() + 3000;
    while (readdirSync(journalDir).length && Date.now() < fileDeadline) await sleep(50);
    expect(readdirSync(journalDir)).toEqual([]);
  });

  it('A crashes during the outage: a new process adopts its journal and replays it', async () => {
    await setOnB('j2', 'jb');
    process.kill(redis.proc!.pid!, 'SIGSTOP');
    try {
      await A.call('get', { key: 'j2' });
      await A.call('update', { tags: ['jb'] });
      await A.kill();
    } finally {
      process.kill(redis.proc!.pid!, 'SIGCONT');
    }
    expect(readdirSync(journalDir).length).toBe(1);
    expect(await B.call('get', { key: 'j2' })).toMatchObject({ value: 'old' });
    C = await Worker.start({ url: redis.url, prefix, journalDir });
    await C.call('sync');
    expect(await B.call('get', { key: 'j2' })).toMatchObject({ miss: true });
    const fileDeadline = Date.now() + 3000;
    while (readdirSync(journalDir).length && Date.now() < fileDeadline) await sleep(50);
    expect(readdirSync(journalDir)).toEqual([]);
  });
});

describe('log gap: a trimmed log forces a full resync instead of a silent loss', () => {
  let redis: OwnRedis;
  const prefix = randomPrefix('gap');
  let A: Worker, B: Worker;
  beforeAll(async () => {
    redis = await OwnRedis.start();
    [A, B] = await Promise.all([Worker.start({ url: redis.url, prefix, logMaxLen: 5 }), Worker.start({ url: redis.url, prefix, logMaxLen: 5 })]);
  });
  afterAll(async () => {
    await Promise.all([A?.stop(), B?.stop()]);
    await redis?.destroy();
  });

  it('B misses hundreds of log entries trimmed away, then still sees every tag state', async () => {
    await B.call('set', { key: 'g', tags: ['g-150'], value: 'old' });
    await B.call('sync');
    for (let i = 0; i < 300; i++) await A.call('update', { tags: [`g-${i}`] });
    const counters0 = await B.call('counters');
    expect(await B.call('get', { key: 'g' })).toMatchObject({ miss: true });
    const counters1 = await B.call('counters');
    expect(counters1.resync).toBe((counters0.resync ?? 0) + 1);
    const states = await B.call('mirror', { tags: ['g-0', 'g-299'] });
    expect(states.every((s: unknown) => s !== null)).toBe(true);
  });
});

describe("a frozen Redis does not keep Next's pending generation joinable past an invalidation", () => {
  // Next hands a generation to later requests until the handler's set settles (use-cache's pending
  // invocations, ISR's revalidate batcher). Against a hung Redis an entry write waits for its
  // timeout, so a request after an acknowledged updateTag would get a value generated before it.
  let redis: OwnRedis;
  let h: UseCacheHandler;
  let Incremental: ReturnType<typeof createIncrementalCacheHandler>;
  const prefix = randomPrefix('hold');
  const entry = (v: string, tags: string[], timestamp = nowMs()) => Promise.resolve({ value: bodyStream(v), tags, stale: 300, timestamp, revalidate: 900, expire: 3600 });
  const settled = (p: Promise<unknown>) => {
    let done = false;
    p.then(() => (done = true));
    return () => done;
  };
  beforeAll(async () => {
    redis = await OwnRedis.start();
    // A write timeout far above the test's waits: only a release can settle set early.
    const opts = { url: redis.url, keyPrefix: prefix, timeoutMs: 4000, journalDir: false as const };
    h = createUseCacheHandler(opts);
    Incremental = createIncrementalCacheHandler(opts);
    await h.updateTags(['warm-up']); // connected and clock measured
  });
  afterAll(async () => {
    if (redis?.proc) process.kill(redis.proc.pid!, 'SIGCONT');
    await h?.core.close();
    await redis?.destroy();
  });

  it('healthy: set settles only once the entry is in Redis', async () => {
    await h.set('healthy', entry('v', ['y']));
    expect(await redisCli(redis.port, 'EXISTS', h.core.keys.useCacheEntry('healthy'))).toBe('1');
    const e = await h.get('healthy', []);
    expect(e && (await streamText(e.value))).toBe('v');
  });

  it('hung: set waits for the write until this process invalidates a tag, then settles at once; the write still lands', async () => {
    process.kill(redis.proc!.pid!, 'SIGSTOP');
    let resumed = false;
    try {
      const useCacheSet = h.set('held', entry('old', ['y']));
      const incSet = new Incremental().set('/held', { kind: 'FETCH', data: { headers: {}, body: 'b', status: 200, url: '/held' }, revalidate: 60, tags: ['y'] }, { fetchCache: true, tags: ['y'] });
      const ucDone = settled(useCacheSet);
      const incDone = settled(incSet);
      await sleep(400);
      // Without an invalidation Next keeps waiting (a build must not lose its writes).
      expect([ucDone(), incDone()]).toEqual([false, false]);
      const update = h.updateTags(['x']);
      // Released by the invalidation itself, long before the 4 s write timeout or the update's own write.
      const first = await Promise.race([Promise.all([useCacheSet, incSet]).then(() => 'sets'), update.then(() => 'update'), sleep(1500).then(() => 'still waiting')]);
      expect(first).toBe('sets');
      process.kill(redis.proc!.pid!, 'SIGCONT');
      resumed = true;
      await update;
      // The same process still reads its own write: get waits for it.
      const e = await h.get('held', []);
      expect(e && (await streamText(e.value))).toBe('old');
    } finally {
      if (!resumed) process.kill(redis.proc!.pid!, 'SIGCONT');
    }
  });

  it('hung: a generation that began before the last invalidation is not held at all; one that began after it is', async () => {
    const generatedBefore = nowMs();
    await sleep(5);
    process.kill(redis.proc!.pid!, 'SIGSTOP');
    let resumed = false;
    try {
      const update = h.updateTags(['z']); // hangs on Redis until its timeout: not awaited here
      await sleep(5);
      const after = h.set('after', entry('a', ['y']));
      const afterDone = settled(after);
      const first = await Promise.race([h.set('before', entry('b', ['y'], generatedBefore)).then(() => 'set'), sleep(1500).then(() => 'still waiting')]);
      expect(first).toBe('set');
      await sleep(400);
      expect(afterDone()).toBe(false);
      process.kill(redis.proc!.pid!, 'SIGCONT');
      resumed = true;
      await Promise.all([update, after]);
      expect(afterDone()).toBe(true);
    } finally {
      if (!resumed) process.kill(redis.proc!.pid!, 'SIGCONT');
    }
  });
});
