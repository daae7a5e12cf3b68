/**
 * Real Next.js: test/apps/two-instance built once, then two `next start` instances sharing one
 * Redis (a redis-server this test owns, so it can be paused and killed). Both handlers configured:
 * cacheHandlers.default/.remote → @tagscope/handler/use-cache, cacheHandler → @tagscope/handler/incremental.
 */
import { describe, it as base, expect, beforeAll, afterAll } from 'vitest';

// Generous per-test limit: these suites start servers and may share 2 cores with other suites.
const it = (name: string, fn: () => Promise<void> | void) => base(name, fn, 120_000);
import { mkdtempSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, OwnRedis, randomPrefix, redisCli, sleep } from './helpers';
import { buildApp, NextInstance as BaseInstance, type BuiltApp } from './nextApp';

const work = mkdtempSync(join(tmpdir(), 'tagscope-next-'));
const DB = join(work, 'db.json');
const GENLOG = join(work, 'gen.log');
const JOURNAL = join(work, 'journal');
const prefix = randomPrefix('next');

function setDb(products: string, item = 'i1') {
  writeFileSync(DB, JSON.stringify({ products, items: { '1': item } }));
}
function generations(instance: string): string[] {
  if (!existsSync(GENLOG)) return [];
  return readFileSync(GENLOG, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith(instance + ' '));
}

let app: BuiltApp;
/** The shared `next start` wrapper (nextApp.ts), with this suite's environment; keeps the logs of stopped instances. */
class NextInstance extends BaseInstance {
  constructor(name: string, port: number, redisUrl: string) {
    super(app, name, port, {
      TAGSCOPE_REDIS_URL: redisUrl,
      TAGSCOPE_KEY_PREFIX: prefix,
      TAGSCOPE_TIMEOUT_MS: '200',
      TAGSCOPE_JOURNAL_DIR: JOURNAL,
      TAGSCOPE_TEST_DB: DB,
      TAGSCOPE_TEST_GENLOG: GENLOG,
    });
  }
  override async stop() {
    stoppedLogs.push(this.log);
    await super.stop();
  }
}

const stoppedLogs: string[] = [];
let redis: OwnRedis;
let A: NextInstance;
let B: NextInstance;
let actionId: string;

/** Route handlers run revalidations in waitUntil after the response: poll until the other instance shows it. */
async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  let v = await fn();
  while (!ok(v) && Date.now() < deadline) {
    await sleep(100);
    v = await fn();
  }
  return v;
}

describe('real Next.js 16: two next start instances sharing Redis', () => {
  beforeAll(async () => {
    setDb('v1');
    app = await buildApp(); // shared with other suites (built once per app + handler content)
    actionId = app.actionId('refreshProducts');
    redis = await OwnRedis.start();
    A = new NextInstance('A', await freePort(), redis.url);
    B = new NextInstance('B', await freePort(), redis.url);
    await Promise.all([A.start(), B.start()]);
  });

  afterAll(async () => {
    await Promise.all([A?.stop(), B?.stop()]);
    await redis?.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  const action = (inst: NextInstance) =>
    inst.post('/action', { headers: { 'Next-Action': actionId, 'Content-Type': 'text/plain;charset=UTF-8', Accept: 'text/x-component' }, body: '[]' });

  it('both instances serve the cached data', async () => {
    for (const inst of [A, B]) {
      expect(await inst.page('/dynamic')).toMatchObject({ status: 200, text: 'dynamic:v1|remote:v1' });
      expect(await inst.page('/')).toMatchObject({ status: 200, text: 'static:v1' });
      expect(await inst.page('/products/1')).toMatchObject({ status: 200, text: 'item:i1' });
    }
  });

  it('updateTag in a real Server Action on A → the next request on B is fresh (use cache and static page)', async () => {
    setDb('v2');
    // Still cached everywhere before the action.
    expect((await B.page('/dynamic')).text).toBe('dynamic:v1|remote:v1');
    expect(await action(A)).toBe(200);
    expect((await B.page('/dynamic')).text).toBe('dynamic:v2|remote:v2');
    expect((await B.page('/')).text).toBe('static:v2');
    expect((await A.page('/dynamic')).text).toBe('dynamic:v2|remote:v2');
  });

  it("revalidateTag(tag, 'max') on A → B serves at most one stale response, then fresh", async () => {
    setDb('v3');
    expect(await A.post('/api/revalidate?tag=products')).toBe(200);
    // The route handler applies the revalidation after responding (waitUntil): wait until B sees it.
    const first = await eventually(() => B.page('/dynamic'), (p) => p.text !== 'dynamic:v2|remote:v2', 5000);
    expect(['dynamic:v2|remote:v2', 'dynamic:v3|remote:v3']).toContain(first.text);
    await sleep(300);
    expect((await B.page('/dynamic')).text).toBe('dynamic:v3|remote:v3');
  });

  it("the static page on B is fresh after A's revalidateTag (at most one stale serve)", async () => {
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const p = await B.page('/');
      seen.push(`${p.text}:${p.cache}`);
      await sleep(300);
    }
    expect(seen.filter((s) => s.startsWith('static:v2')).length).toBeLessThanOrEqual(1);
    expect(seen[seen.length - 1]).toBe('static:v3:HIT');
  });

  it('revalidatePath on A → B fresh (plain path, and a route-group + dynamic-segment page with "page")', async () => {
    setDb('v4', 'i2');
    expect((await B.page('/products/1')).text).toBe('item:i1');
    expect(await A.post(`/api/revalidate?path=${encodeURIComponent('/(shop)/products/[id]')}&type=page`)).toBe(200);
    const item = await eventually(() => B.page('/products/1'), (p) => p.text === 'item:i2');
    expect(item).toMatchObject({ status: 200, text: 'item:i2' });

    expect((await B.page('/dynamic')).text).toBe('dynamic:v3|remote:v3');
    expect(await A.post(`/api/revalidate?path=${encodeURIComponent('/dynamic')}`)).toBe(200);
    const dyn = await eventually(() => B.page('/dynamic'), (p) => p.text === 'dynamic:v4|remote:v4');
    expect(dyn.text).toBe('dynamic:v4|remote:v4');
  });

  it('unstable_cache (incremental FETCH entries): shared through Redis; revalidateTag on A → B at most one stale, then fresh', async () => {
    const a = await A.page('/uc');
    expect(a).toMatchObject({ status: 200, text: 'uc:v4' });
    const genB = generations('B').filter((l) => l.endsWith(' uc')).length;
    expect((await B.page('/uc')).text).toBe('uc:v4');
    expect(generations('B').filter((l) => l.endsWith(' uc')).length).toBe(genB); // B reused A's entry
    setDb('uc-new', 'i2');
    expect(await A.post('/api/revalidate?tag=uc')).toBe(200);
    await sleep(500); // the route handler applies it in waitUntil, after responding
    const first = await B.page('/uc');
    expect(['uc:v4', 'uc:uc-new']).toContain(first.text); // at most this one is stale
    await sleep(300);
    expect((await B.page('/uc')).text).toBe('uc:uc-new');
    setDb('v4', 'i2');
  });

  it('updateTag in a route handler errors and changes nothing', async () => {
    const before = await redisCli(redis.port, 'GET', `${prefix}:t:products`);
    setDb('v5');
    expect(await A.post('/api/update-tag')).toBe(500);
    await sleep(300);
    expect(await redisCli(redis.port, 'GET', `${prefix}:t:products`)).toBe(before);
    expect((await B.page('/dynamic')).text).toBe('dynamic:v4|remote:v4');
    expect((await A.page('/dynamic')).text).toBe('dynamic:v4|remote:v4');
    expect(A.log).toContain('updateTag can only be called from within a Server Action');
  });

  it('Redis hangs (SIGSTOP) while both serve: zero 5xx, bounded latency; the invalidation made meanwhile reaches B after recovery', async () => {
    expect((await B.page('/dynamic')).text).toBe('dynamic:v4|remote:v4');
    process.kill(redis.proc!.pid!, 'SIGSTOP');
    const statuses: number[] = [];
    let slowest = 0;
    try {
      const until = Date.now() + 3000;
      let n = 0;
      while (Date.now() < until) {
        for (const inst of [A, B]) {
          const t0 = Date.now();
          statuses.push((await inst.page(['/', '/dynamic', '/products/1'][n++ % 3])).status);
          slowest = Math.max(slowest, Date.now() - t0);
        }
      }
      // An invalidation during the outage: applied locally at once, kept, replayed on recovery.
      setDb('v6');
      expect(await action(A)).toBe(200);
      expect((await A.page('/dynamic')).text).toBe('dynamic:v6|remote:v6');
    } finally {
      process.kill(redis.proc!.pid!, 'SIGCONT');
    }
    expect(statuses.length).toBeGreaterThanOrEqual(4);
    expect(slowest).toBeLessThan(3000); // the first requests pay the 200 ms command timeouts, then the breaker is open
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    const onB = await eventually(() => B.page('/dynamic'), (p) => p.text === 'dynamic:v6|remote:v6', 8000);
    expect(onB.text).toBe('dynamic:v6|remote:v6');
  });

  it('Redis killed and restarted empty while both serve: zero 5xx, invalidations work again after', async () => {
    await redis.stop();
    const statuses: number[] = [];
    const until = Date.now() + 3000;
    let n = 0;
    while (Date.now() < until) {
      for (const inst of [A, B]) statuses.push((await inst.page(['/', '/dynamic', '/products/1'][n++ % 3])).status);
    }
    await redis.start();
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    // Let both reconnect (backoff ≤ 2 s), warm the cache, then invalidate across instances again.
    setDb('v7');
    await eventually(() => B.page('/dynamic'), (p) => p.text === 'dynamic:v7|remote:v7', 8000);
    await eventually(async () => Number(await redisCli(redis.port, 'DBSIZE')), (n) => n > 3, 8000);
    await sleep(500);
    expect((await B.page('/dynamic')).text).toBe('dynamic:v7|remote:v7');
    setDb('v8');
    expect((await B.page('/dynamic')).text).toBe('dynamic:v7|remote:v7');
    expect(await action(A)).toBe(200);
    expect((await B.page('/dynamic')).text).toBe('dynamic:v8|remote:v8');
  });

  it('restarting B reuses the entries in Redis (no regeneration on the new process)', async () => {
    expect((await A.page('/dynamic')).text).toBe('dynamic:v8|remote:v8');
    expect((await A.page('/')).text).toBe('static:v8');
    await sleep(300);
    await B.stop();
    B = new NextInstance('B2', B.port, redis.url);
    await B.start();
    expect((await B.page('/dynamic')).text).toBe('dynamic:v8|remote:v8');
    const home = await B.page('/');
    expect(home).toMatchObject({ text: 'static:v8', cache: 'HIT' });
    expect(generations('B2').filter((l) => l.includes('products'))).toEqual([]);
  });

  it('no unhandled rejections or handler errors in either server log', () => {
    for (const log of [A.log, B.log, ...stoppedLogs]) {
      expect(log).not.toMatch(/unhandled/i);
      expect(log).not.toMatch(/tagscope/i);
    }
  });
});
