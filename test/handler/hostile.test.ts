/**
 * Hostile data in Redis, the full matrix: corrupt, foreign, absurd, huge and wrong-typed values under
 * every key kind (entries of both handlers, tag states, the log stream, the seen set, the pub/sub
 * channel), read through every entry point (use-cache get/set/refreshTags/getExpiration/updateTags,
 * incremental get/set/revalidateTag, TagStore list/get/invalidate/subscribe).
 * Required: a miss (entries) or ignored (tag state, log), never a throw or an unhandled rejection;
 * a 'corrupt' metric for each, and a warning on the logger (not debug-gated) that names the key and
 * the problem and never carries the payload; at most one warning per key kind per interval.
 * Runs against its own redis-server (values of 50 MB, wrong-typed log keys).
 */
import { describe, it as base, expect, beforeAll, afterAll } from 'vitest';
import { createClient } from 'redis';
import { createUseCacheHandler, createIncrementalCacheHandler, Keys, TagStore, type UseCacheHandler, type MetricEvent } from '@tagscope/handler';
import { bodyStream, nowMs, OwnRedis, randomPrefix, redisCli, sleep } from './helpers';

const it = (name: string, fn: () => Promise<void> | void) => base(name, fn, 60_000);

const MARKER = 'PAYLOAD-MUST-NOT-BE-LOGGED';
const pad = (s: string) => s + ' '.repeat(40) + MARKER; // the marker sits past the 24-byte preview

/** Deterministic pseudo-random bytes. */
function prng(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

function header(tsMicros: string, meta: Buffer | string): Buffer {
  const m = Buffer.isBuffer(meta) ? meta : Buffer.from(meta, 'utf8');
  return Buffer.concat([Buffer.from(`TS1:${tsMicros.padStart(20, '0')}:${String(m.length).padStart(10, '0')}:`, 'latin1'), m]);
}
const nowMicros = () => String(Math.round(nowMs() * 1000));
/**
 * A second ago: a corrupt value stamped so must not block the set that follows it (stamped now),
 * whatever the jitter between this process's clock and the handler's estimate of Redis's.
 */
const recentMicros = () => String(Math.round((nowMs() - 1000) * 1000));

const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);

let redis: OwnRedis;
let raw: ReturnType<typeof createClient>;
const prefix = randomPrefix('hostile');
const keys = new Keys(prefix);
const warnings: string[] = [];
const events: MetricEvent[] = [];
const logger = { warn: (m: string) => void warnings.push(m) };
const onMetric = (e: MetricEvent) => void events.push(e);
let h: UseCacheHandler;
let inc: InstanceType<ReturnType<typeof createIncrementalCacheHandler>>;
let store: TagStore;

async function put(key: string, value: Buffer | string): Promise<void> {
  await raw.sendCommand(['DEL', key]);
  await raw.sendCommand(['SET', key, value]);
}
async function putType(key: string, type: string): Promise<void> {
  await raw.sendCommand(['DEL', key]);
  const cmd: Record<string, string[]> = {
    string: ['SET', key, pad('x')],
    hash: ['HSET', key, 'f', pad('v')],
    list: ['RPUSH', key, pad('a'), 'b'],
    set: ['SADD', key, pad('a')],
    zset: ['ZADD', key, '1', pad('a')],
    stream: ['XADD', key, '*', 'd', pad('x')],
  };
  await raw.sendCommand(cmd[type]);
}
async function typeOf(key: string): Promise<string> {
  return String(await raw.sendCommand(['TYPE', key]));
}
const entry = (value: string, tags: string[] = [], o: Partial<{ expire: number; timestamp: number }> = {}) =>
  Promise.resolve({ value: bodyStream(value), tags, stale: 300, timestamp: o.timestamp ?? nowMs(), revalidate: 900, expire: o.expire ?? 3600 });
const page = (html: string, tags = '') => ({ kind: 'APP_PAGE', html, headers: { 'x-next-cache-tags': tags }, status: 200 });
const ctx = { cacheControl: { revalidate: 900, expire: 3600 } };

/** What a corrupt value must produce: a 'corrupt' metric for the key and a warning without the payload. */
function expectReported(kind: string, key: string, from: { e: number; w: number }, problem?: RegExp): void {
  const short = key.length > 120 ? key.slice(0, 120) : key;
  const ev = events.slice(from.e).filter((e) => e.type === 'corrupt' && e.kind === kind && e.key?.startsWith(short));
  expect(ev.length, `a corrupt ${kind} metric for ${key}`).toBeGreaterThan(0);
  if (problem) expect(ev.map((e) => e.reason).join(' / ')).toMatch(problem);
  const w = warnings.slice(from.w).filter((m) => m.includes(short));
  expect(w.length, `a warning naming ${key}`).toBeGreaterThan(0);
  for (const m of w) {
    expect(m).toMatch(/^\[tagscope\] /);
    expect(m).not.toContain(MARKER);
    expect(m.length).toBeLessThan(700);
  }
}
const mark = () => ({ e: events.length, w: warnings.length });

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await fn();
  return [v, performance.now() - t0];
}

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  redis = await OwnRedis.start();
  raw = createClient({ url: redis.url, RESP: 2 });
  raw.on('error', () => {});
  await raw.connect();
  // warnIntervalMs 0: every report warns, so each case can check its own warning; the rate limit has its own suite.
  const opts = { url: redis.url, keyPrefix: prefix, logger, onMetric, warnIntervalMs: 0, journalDir: false as const, timeoutMs: 1000 };
  h = createUseCacheHandler(opts);
  const Inc = createIncrementalCacheHandler(opts);
  inc = new Inc({});
  await h.core.ensureInit();
  store = await TagStore.connect({ url: redis.url, keyPrefix: prefix, logger, onMetric, warnIntervalMs: 0, timeoutMs: 1000 });
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await store?.close();
  await h?.core.close();
  await raw?.destroy();
  await redis?.destroy();
});

// ------------------------------------------------------------------------------------------ entries
interface EntryCase {
  name: string;
  /** The hostile value, given a genuine entry of the same handler. */
  value: (genuine: Buffer) => Buffer | string;
  /** reported as corrupt (false: an ordinary miss, e.g. an entry that is simply expired) */
  reported?: boolean;
  problem?: RegExp;
}

const useCacheMeta = (o: Record<string, unknown> = {}) => JSON.stringify({ tags: [], stale: 300, expire: 3600, revalidate: 900, ...o });
const incMeta = (o: Record<string, unknown> = {}) => JSON.stringify({ k: 'APP_PAGE', tags: [], ...o });
const neshca = JSON.stringify({ value: { kind: 'APP_PAGE', html: pad('<p>neshca</p>'), headers: {}, status: 200 }, lastModified: 1_700_000_000_000, tags: ['a'], lifespan: { expireAt: 1_800_000_000 } });
const forte = JSON.stringify({ value: { kind: 'FETCH', data: { headers: {}, body: pad('x'), url: 'https://x', status: 200 }, revalidate: 60 }, lastModified: 1_700_000_000_000, tags: [], lifespan: null });

const entryCases = (metaOf: (o?: Record<string, unknown>) => string): EntryCase[] => [
  { name: 'truncated inside the body', value: (g) => g.subarray(0, g.length - 7), problem: /truncated/ },
  { name: 'truncated inside the meta', value: (g) => g.subarray(0, 40), problem: /truncated/ },
  { name: 'truncated inside the header', value: (g) => g.subarray(0, 20), problem: /truncated header/ },
  { name: 'random bytes', value: () => Buffer.concat([prng(4096, 7), Buffer.from(MARKER)]), problem: /not a Tagscope entry/ },
  { name: 'invalid UTF-8 (whole value)', value: () => Buffer.concat([Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1]), Buffer.from(pad(''))]) },
  { name: 'invalid UTF-8 in the meta', value: () => header(recentMicros(), Buffer.concat([Buffer.from('{"tags":["'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"]'), Buffer.from(pad(''))])) },
  { name: 'valid JSON of the wrong shape', value: () => JSON.stringify({ a: 1, b: [pad('x')] }), problem: /JSON without the Tagscope entry header/ },
  { name: 'a JSON string', value: () => JSON.stringify(pad('just a string')), problem: /JSON without/ },
  { name: '@neshca-style JSON entry', value: () => neshca, problem: /another cache handler/ },
  { name: '@fortedigital-style JSON entry', value: () => forte, problem: /another cache handler/ },
  { name: 'our header, meta of the wrong shape', value: () => header(recentMicros(), JSON.stringify({ tags: 'a', k: 5, stale: 'x', note: pad('') })), problem: /wrong shape/ },
  { name: 'our header, meta not an object', value: () => header(recentMicros(), '[1,2,3]') },
  { name: 'timestamp in the far future (would be immune to invalidation)', value: () => header('99999999999999999999', metaOf()), problem: /future/ },
  { name: 'timestamp a day ahead', value: () => header(String(Math.round((nowMs() + 86_400_000) * 1000)), metaOf()), problem: /future/ },
  { name: 'meta number 1e999 (Infinity)', value: () => header(recentMicros(), metaOf({ stale: '§' }).replace('"§"', '1e999')), problem: /non-finite/ },
  { name: 'meta with a negative number', value: () => header(recentMicros(), metaOf({ tags: ['a'], x: -5 })), problem: /negative/ },
  { name: 'meta length of 9999999999', value: () => Buffer.from('TS1:00000000000000000001:9999999999:{}', 'latin1'), problem: /truncated/ },
  { name: 'header with letters in the timestamp', value: () => Buffer.from('TS1:0000000000000000000x:0000000002:{}', 'latin1'), problem: /malformed header/ },
];

describe('entries: corrupt, foreign and absurd values are misses, reported', () => {
  const handlers = [
    {
      label: 'use-cache',
      kindKey: (k: string) => keys.useCacheEntry(k),
      meta: useCacheMeta,
      store: (k: string) => h.set(k, entry('hello world, a body of some length')),
      get: async (k: string) => {
        await h.refreshTags();
        return (await h.get(k, ['_N_T_/layout'])) ?? null;
      },
    },
    {
      label: 'incremental',
      kindKey: (k: string) => keys.incrementalEntry(k),
      meta: incMeta,
      store: (k: string) => inc.set(k, page('<p>genuine</p>'), ctx),
      get: (k: string) => inc.get(k, { kind: 'APP_PAGE' }),
    },
  ];
  for (const H of handlers) {
    for (const c of entryCases(H.meta)) {
      it(`${H.label} get: ${c.name} → miss, reported`, async () => {
        const k = `${H.label}:${c.name}`;
        const key = H.kindKey(k);
        await H.store(k);
        const genuine = (await raw.sendCommand(['GET', key], { typeMapping: { [36]: Buffer } } as never)) as unknown as Buffer;
        expect(Buffer.isBuffer(genuine) && genuine.length > 40).toBe(true);
        expect(await H.get(k)).not.toBeNull(); // the genuine entry is a hit: the case below is what breaks it
        await put(key, c.value(genuine));
        const from = mark();
        expect(await H.get(k)).toBeNull();
        if (c.reported !== false) expectReported('entry', key, from, c.problem);
        // and a later set replaces it
        await H.store(k);
        expect(await H.get(k)).not.toBeNull();
      });
    }
    for (const type of ['hash', 'list', 'set', 'zset', 'stream']) {
      it(`${H.label} get + set: a ${type} under the entry key → miss, reported; set replaces it`, async () => {
        const k = `${H.label}:type:${type}`;
        const key = H.kindKey(k);
        await putType(key, type);
        const from = mark();
        expect(await H.get(k)).toBeNull();
        expectReported('entry', key, from, /wrong Redis type/);
        await H.store(k);
        expect(await typeOf(key)).toBe('string');
        expect(await H.get(k)).not.toBeNull();
      });
    }
  }

  it('incremental: a value of the right kind but the wrong shape for Next (html a number, FETCH without data) → miss', async () => {
    for (const [name, body] of [
      ['html is a number', { kind: 'APP_PAGE', html: 5, headers: {} }],
      ['FETCH without data', { kind: 'FETCH', revalidate: 60 }],
      ['APP_ROUTE body a string', { kind: 'APP_ROUTE', body: 'x', status: 200, headers: {} }],
      ['unknown kind', { kind: 'NOPE' }],
      // Shapes Next itself throws on when it serves them (a Response or writeHead status, a header, a stream).
      ['FETCH status 0', { kind: 'FETCH', data: { headers: {}, body: 'eA==', url: 'https://x', status: 0 }, revalidate: 60 }],
      ['FETCH status 204.5', { kind: 'FETCH', data: { headers: {}, body: 'eA==', url: 'https://x', status: 204.5 }, revalidate: 60 }],
      ['APP_ROUTE status 5', { kind: 'APP_ROUTE', body: { '\u0000b': 'eA==' }, status: 5, headers: {} }],
      ['APP_PAGE status 700', { kind: 'APP_PAGE', html: 'x', status: 700, headers: {} }],
      ['header name with a space', { kind: 'APP_PAGE', html: 'x', status: 200, headers: { 'a b': 'x' } }],
      ['header value with a newline', { kind: 'APP_ROUTE', body: { '\u0000b': 'eA==' }, status: 200, headers: { 'x-a': 'v\r\nset-cookie: s=1' } }],
      ['rscData a plain object', { kind: 'APP_PAGE', html: 'x', status: 200, headers: {}, rscData: { type: 'Buffer', data: [1] } }],
    ] as const) {
      const k = `inc-shape-${name}`;
      const key = keys.incrementalEntry(k);
      await put(key, Buffer.concat([header(nowMicros(), JSON.stringify({ k: body.kind, tags: [] })), Buffer.from(JSON.stringify(body))]));
      const from = mark();
      expect(await inc.get(k, { kind: body.kind === 'FETCH' ? 'FETCH' : 'APP_PAGE' })).toBeNull();
      expectReported('entry', key, from);
    }
  });

  it('incremental: a stored cache control Next rejects (revalidate below 1, a string) → miss; a valid one is served', async () => {
    const value = JSON.stringify({ kind: 'APP_PAGE', html: 'x', status: 200, headers: {} });
    for (const [name, cc, served] of [
      ['revalidate 0', { revalidate: 0 }, false],
      ['revalidate 0.5', { revalidate: 0.5, expire: 60 }, false],
      ['revalidate a string', { revalidate: '60' }, false],
      ['expire a string', { revalidate: 60, expire: 'x' }, false],
      ['cc a number', 5, false],
      ['revalidate false', { revalidate: false }, true],
      ['revalidate 60, expire 3600', { revalidate: 60, expire: 3600 }, true],
    ] as const) {
      const k = `inc-cc-${name}`;
      const key = keys.incrementalEntry(k);
      await put(key, Buffer.concat([header(nowMicros(), JSON.stringify({ k: 'APP_PAGE', tags: [], cc })), Buffer.from(value)]));
      const from = mark();
      const got = await inc.get(k, { kind: 'APP_PAGE' });
      if (served) {
        expect(got?.value?.html).toBe('x');
      } else {
        expect(got).toBeNull();
        expectReported('entry', key, from, /cache control/);
      }
    }
  });

  it('use-cache: an entry stamped at time 0 or with a negative expire is an ordinary miss (expired), not served', async () => {
    await put(keys.useCacheEntry('ancient'), Buffer.concat([header('1', useCacheMeta({ expire: 60 })), Buffer.from('x')]));
    await h.refreshTags();
    expect(await h.get('ancient', [])).toBeUndefined();
  });
});

// ------------------------------------------------------------------------------------------ huge values
describe('huge values under entry keys: a miss without reading them; oversized entries are not stored', () => {
  const netOut = async () => Number(/total_net_output_bytes:(\d+)/.exec(await redisCli(redis.port, 'INFO', 'stats'))![1]);

  for (const [label, mb, key, get] of [
    ['use-cache', 20, () => keys.useCacheEntry('huge'), async () => { await h.refreshTags(); return (await h.get('huge', [])) ?? null; }],
    ['incremental', 50, () => keys.incrementalEntry('huge'), () => inc.get('huge', { kind: 'APP_PAGE' })],
  ] as const) {
    it(`${label}: a ${mb} MB value → miss within a bounded time, at most maxEntryBytes (16 MiB) transferred`, async () => {
      const big = Buffer.alloc(mb * 1024 * 1024, 0x41);
      header(nowMicros(), label === 'use-cache' ? useCacheMeta() : incMeta()).copy(big); // a genuine-looking header, a body far too large
      await put(key(), big);
      const before = await netOut();
      const from = mark();
      const [r, ms] = await timed(get as () => Promise<unknown>);
      const sent = (await netOut()) - before;
      expect(r).toBeNull();
      expect(ms).toBeLessThan(5000); // generous: a shared machine; the read is bounded by maxEntryBytes
      expect(sent).toBeLessThan(16 * 1024 * 1024 + 64 * 1024);
      expectReported('entry', key(), from, /larger than maxEntryBytes/);
      await raw.sendCommand(['DEL', key()]);
    });
  }

  it('a small maxEntryBytes: a larger value is a miss reading at most that much; set of a larger entry is skipped with a warning', async () => {
    const small: string[] = [];
    const other = createUseCacheHandler({ url: redis.url.replace('127.0.0.1', 'localhost'), keyPrefix: prefix, maxEntryBytes: 64 * 1024, logger: { warn: (m) => void small.push(m) }, journalDir: false });
    try {
      await other.set('big-set', entry('y'.repeat(200 * 1024)));
      expect(await raw.sendCommand(['EXISTS', keys.useCacheEntry('big-set')])).toBe(0);
      expect(small.some((m) => /not storing an entry of \d+ bytes, over maxEntryBytes \(65536\)/.test(m))).toBe(true);
      await h.set('mid', entry('z'.repeat(100 * 1024))); // stored by the default instance
      await other.refreshTags();
      expect(await other.get('mid', [])).toBeUndefined();
      expect(small.some((m) => m.includes(keys.useCacheEntry('mid')) && /larger than maxEntryBytes/.test(m))).toBe(true);
      for (const m of small) expect(m.length).toBeLessThan(700);
    } finally {
      await other.core.close();
    }
  });
});

// ------------------------------------------------------------------------------------------ tag states
const tagValues: Array<[string, string | Buffer]> = [
  ['garbage', pad('garbage')],
  ['two fields', '1|2'],
  ['nan', 'nan|nan|nan'],
  ['inf', 'inf|inf|inf'],
  ['1e999', '1e999||'],
  ['negative', '-5|-5|-5'],
  ['stale in the far future', `${1e15}||`],
  ['written in the future', `|${1e15}|${1e15}`],
  ['expiry beyond never', `|${1e19}|1000`],
  ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0x7c, 0x7c])],
  ['a 20 MB string', Buffer.alloc(20 * 1024 * 1024, 0x31)],
];
const tagTypes = ['hash', 'list', 'set', 'zset', 'stream'];

describe('tag states: corrupt, absurd, huge or wrong-typed → ignored and reported; the next invalidation replaces them', () => {
  const cases: Array<[string, (key: string) => Promise<void>]> = [
    ...tagValues.map(([n, v]) => [`value: ${n}`, (key: string) => put(key, v)] as [string, (key: string) => Promise<void>]),
    ...tagTypes.map((t) => [`a ${t}`, (key: string) => putType(key, t)] as [string, (key: string) => Promise<void>]),
  ];
  cases.forEach(([name, write], i) => {
    it(`${name}`, async () => {
      const tag = `hostile-tag-${i}`;
      const key = keys.tag(tag);
      await h.set(`tagged-${i}`, entry('v', [tag], { timestamp: nowMs() - 5000 }));
      await inc.set(`/tagged-${i}`, page('<p>x</p>', tag), ctx);
      await write(key);
      // a full load (startup, log gap) meets it: ignored, reported
      let from = mark();
      const [, ms] = await timed(() => h.core.fullResync());
      expect(ms).toBeLessThan(5000);
      expect(h.core.mirror.has(tag)).toBe(false);
      expectReported('tag', key, from);
      // it invalidates nothing: entries tagged with it are hits, getExpiration is 0
      await h.refreshTags();
      expect(await h.get(`tagged-${i}`, [])).toBeDefined();
      expect(await h.getExpiration([tag])).toBe(0);
      expect(await inc.get(`/tagged-${i}`, { kind: 'APP_PAGE' })).not.toBeNull();
      // TagStore: read and list neither throw nor show it
      from = mark();
      expect(await store.get(tag)).toBeUndefined();
      expectReported('tag', key, from);
      expect((await store.list()).find((s) => s.tag === tag && (s.stale !== undefined || s.expired !== undefined))).toBeUndefined();
      // the next invalidation replaces it and works, with nothing left to replay
      await sleep(2);
      await h.updateTags([tag]);
      expect(h.core.pendingReplay()).toBe(0);
      expect(await typeOf(key)).toBe('string');
      expect(await store.get(tag)).toMatchObject({ tag, expired: expect.any(Number) });
      await h.refreshTags();
      expect(await h.get(`tagged-${i}`, [])).toBeUndefined();
      expect(await inc.get(`/tagged-${i}`, { kind: 'APP_PAGE' })).toBeNull();
      expect(await h.getExpiration([tag])).toBeGreaterThan(0);
    });
  });

  it('TagStore.invalidate and incremental revalidateTag over hostile tag values succeed', async () => {
    for (const [n, v] of tagValues.slice(0, 9)) {
      await put(keys.tag(`st-${n}`), v);
      await put(keys.tag(`rv-${n}`), v);
      await store.invalidate([`st-${n}`], 'max');
      await inc.revalidateTag(`rv-${n}`);
      expect(await store.get(`st-${n}`), n).toMatchObject({ stale: expect.any(Number), expired: expect.any(Number) });
      expect(await store.get(`rv-${n}`), n).toMatchObject({ expired: expect.any(Number) });
    }
  });
});

// ------------------------------------------------------------------------------------------ the log
describe('the invalidation log: garbage entries are skipped and reported; propagation continues', () => {
  it('garbage, wrong-shaped and absurd entries are skipped; valid ones around them still reach another instance', async () => {
    const B = createUseCacheHandler({ url: redis.url.replace('127.0.0.1', 'localhost'), keyPrefix: prefix, logger, onMetric, warnIntervalMs: 0, journalDir: false });
    try {
      await B.set('log-victim', entry('v', ['lg-ok'], { timestamp: nowMs() - 5000 }));
      await B.refreshTags();
      expect(await B.get('log-victim', [])).toBeDefined();
      const log = keys.log();
      const bad: string[][] = [
        ['d', pad('not json')],
        ['d', JSON.stringify({ t: 'lg-x', a: 1, note: pad('') })],
        ['d', '[{"t":"lg-inf","a":1e999}]'],
        ['d', `[{"t":"lg-future","s":${1e15},"a":${1e15}}]`],
        ['d', '[{"t":5,"a":1},null,"x"]'],
        ['x', 'no d field'],
        ['d', JSON.stringify([{ t: 'lg-big', a: 1, pad: 'p'.repeat(2 * 1024 * 1024) }]).replace('"a":1', '"a":"1"')],
      ];
      for (const f of bad) await raw.sendCommand(['XADD', log, '*', ...f, 'o', 'intruder', 'w', 'NaN']);
      const from = mark();
      await h.updateTags(['lg-ok']); // a valid entry after the garbage
      await B.refreshTags();
      expect(await B.get('log-victim', [])).toBeUndefined();
      for (const t of ['lg-x', 'lg-inf', 'lg-future', 'lg-big']) expect(B.core.mirror.has(t), t).toBe(false);
      const logEvents = events.slice(from.e).filter((e) => e.type === 'corrupt' && e.kind === 'log');
      expect(logEvents.length).toBeGreaterThanOrEqual(bad.length);
      expectReported('log', log, from);
    } finally {
      await B.core.close();
    }
  });

  for (const type of ['string', 'hash', 'list', 'set', 'zset']) {
    it(`a ${type} in place of the log stream: nothing throws; once it is gone, invalidations (also those made meanwhile) propagate again`, async () => {
      const B = createUseCacheHandler({ url: redis.url.replace('127.0.0.1', 'localhost'), keyPrefix: prefix, journalDir: false, breakerCooldownMs: 200, logger, onMetric, warnIntervalMs: 0 });
      try {
        const tagDuring = `lw-during-${type}`;
        const tagAfter = `lw-after-${type}`;
        await B.set(`lw-during-${type}`, entry('v', [tagDuring], { timestamp: nowMs() - 5000 }));
        await B.set(`lw-after-${type}`, entry('v', [tagAfter], { timestamp: nowMs() - 5000 }));
        await B.refreshTags();
        expect(await B.get(`lw-during-${type}`, [])).toBeDefined();
        await putType(keys.log(), type);
        // every entry point resolves while the log is broken
        const [, tUpd] = await timed(() => h.updateTags([tagDuring]));
        expect(tUpd).toBeLessThan(5000);
        await h.refreshTags();
        await h.get('anything', []);
        await h.getExpiration([tagDuring]);
        await B.refreshTags();
        await B.get(`lw-after-${type}`, []);
        await inc.get('/anything', { kind: 'APP_PAGE' });
        await inc.revalidateTag(tagDuring);
        await store.list();
        // the key is fixed (deleted) if the handler did not repair it itself
        if ((await typeOf(keys.log())) !== 'stream') await raw.sendCommand(['DEL', keys.log()]);
        await h.updateTags([tagAfter]);
        const deadline = Date.now() + 10_000;
        let during: unknown = 'hit';
        let after: unknown = 'hit';
        while ((during || after) && Date.now() < deadline) {
          await B.refreshTags();
          during = await B.get(`lw-during-${type}`, []);
          after = await B.get(`lw-after-${type}`, []);
          if (during || after) await sleep(100);
        }
        expect(during, 'the invalidation made while the log was broken').toBeUndefined();
        expect(after, 'an invalidation made after it was fixed').toBeUndefined();
        expect(await typeOf(keys.log())).toBe('stream');
      } finally {
        await B.core.close();
      }
    });
  }
});

// ------------------------------------------------------------------------------------------ seen set, channel
describe('the seen set and the pub/sub channel', () => {
  for (const type of ['string', 'hash', 'list', 'set', 'stream']) {
    it(`a ${type} in place of the seen zset: listing ignores it, the next flush replaces it, reported`, async () => {
      const seen = keys.seen();
      await putType(seen, type);
      let from = mark();
      await store.invalidate([`listed-${type}`]);
      const list = await store.list();
      expect(list.some((s) => s.tag === `listed-${type}`)).toBe(true);
      expectReported('seen', seen, from, /wrong Redis type/);
      await h.set(`seen-${type}`, entry('v', [`seen-tag-${type}`]));
      from = mark();
      await h.core.flushSeen();
      expectReported('seen', seen, from, /deleted and recreated/);
      expect(await raw.sendCommand(['TYPE', seen])).toBe('zset');
      expect((await store.list()).some((s) => s.tag === `seen-tag-${type}`)).toBe(true);
      await raw.sendCommand(['DEL', seen]);
    });
  }

  it('TagStore.subscribe: garbage on the channel and in the log is ignored; real changes still arrive', async () => {
    const got: string[] = [];
    const off = store.subscribe((changed) => got.push(...changed.map((c) => c.tag)));
    try {
      await sleep(300); // the subscription connects
      await raw.sendCommand(['PUBLISH', keys.channel(), pad('garbage')]);
      await raw.sendCommand(['PUBLISH', keys.channel(), Buffer.concat([prng(1024 * 1024, 3)])]);
      await raw.sendCommand(['XADD', keys.log(), '*', 'd', `[{"t":"sub-future","s":${1e15},"a":${1e15}}]`]);
      await raw.sendCommand(['XADD', keys.log(), '*', 'd', pad('{')]);
      await h.updateTags(['sub-real']);
      const deadline = Date.now() + 5000;
      while (!got.includes('sub-real') && Date.now() < deadline) await sleep(50);
      expect(got).toContain('sub-real');
      expect(got).not.toContain('sub-future');
    } finally {
      off();
    }
  });
});

// ------------------------------------------------------------------------------------------ rate limit, default logger
describe('warnings: at most one per key kind per interval, to console by default, not debug-gated', () => {
  it('many corrupt values of two kinds within the interval: every one a metric, one warning per kind; the next interval counts the rest', async () => {
    const lines: string[] = [];
    const evs: MetricEvent[] = [];
    const rl = createUseCacheHandler({ url: `redis://localhost:${redis.port}/0`, keyPrefix: prefix, warnIntervalMs: 800, logger: { warn: (m) => void lines.push(m) }, onMetric: (e) => void evs.push(e), journalDir: false });
    try {
      await rl.core.ensureInit();
      for (let i = 0; i < 6; i++) {
        await put(keys.useCacheEntry(`rl-${i}`), pad(`garbage ${i}`));
        await put(keys.tag(`rl-tag-${i}`), pad('garbage'));
      }
      for (let i = 0; i < 6; i++) {
        await rl.refreshTags();
        expect(await rl.get(`rl-${i}`, [])).toBeUndefined();
      }
      await rl.core.fullResync();
      const corrupt = evs.filter((e) => e.type === 'corrupt');
      expect(corrupt.filter((e) => e.kind === 'entry').length).toBe(6);
      expect(corrupt.filter((e) => e.kind === 'tag').length).toBeGreaterThanOrEqual(6);
      expect(lines.filter((l) => l.includes('entry key')).length).toBe(1);
      expect(lines.filter((l) => l.includes(' tag key')).length).toBe(1);
      await sleep(900);
      await put(keys.useCacheEntry('rl-next'), pad('garbage'));
      await rl.refreshTags();
      await rl.get('rl-next', []);
      const next = lines.filter((l) => l.includes('entry key'));
      expect(next.length).toBe(2);
      expect(next[1]).toMatch(/5 more like it since the last warning/);
      for (const l of lines) expect(l).not.toContain(MARKER);
    } finally {
      await rl.core.close();
    }
  });

  it('the default logger is console.warn, with TAGSCOPE_DEBUG unset', async () => {
    expect(process.env.TAGSCOPE_DEBUG).not.toBe('1');
    const original = console.warn;
    const seen: string[] = [];
    console.warn = (...a: unknown[]) => void seen.push(a.map(String).join(' '));
    const d = createUseCacheHandler({ url: `redis://localhost:${redis.port}/0`, keyPrefix: prefix, journalDir: false });
    try {
      await put(keys.useCacheEntry('console'), pad('garbage'));
      await d.refreshTags();
      expect(await d.get('console', [])).toBeUndefined();
    } finally {
      console.warn = original;
      await d.core.close();
    }
    expect(seen.some((l) => l.startsWith('[tagscope] ') && l.includes(keys.useCacheEntry('console')))).toBe(true);
  });
});

describe('no unhandled rejections', () => {
  it('none across the whole matrix', async () => {
    await sleep(200);
    expect(unhandled).toEqual([]);
  });
});
