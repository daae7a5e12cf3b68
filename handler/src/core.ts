/**
 * The per-process core shared by the 'use cache' handler, the incremental handler and the TagStore:
 * one connection, one clock offset, one mirror of tag states, one invalidation writer.
 *
 * Sync model: every invalidation merges into per-tag keys and appends one entry to the log stream.
 * Each process keeps a mirror of tag states and its position in the log; a sync is one XRANGE from
 * that position (the first returned id must be the position itself, otherwise entries were trimmed
 * away: full resync by SCAN). refreshTags() starts a sync without waiting, get() issues its GET in
 * parallel and waits for both, so a hit is 2 commands in one round trip whatever the number of tags.
 */
import { randomBytes, createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Conn, Unavailable } from './conn';
import { Keys } from './keys';
import { decodeEntry, type DecodedEntry } from './codec';
import { RecentOps } from './recent';
import { HostileData, isWrongType, readTagValues, stateProblem } from './hostile';
import { redactError } from './redact';
import { checkEntry } from './codec';
import type { MetricEvent, ResolvedOptions } from './config';
import { INFINITE_CACHE } from './config';

/** A tag's state (epoch ms on the Redis clock; absent = never). */
export interface TagState {
  tag: string;
  stale?: number;
  expired?: number;
}

/**
 * Internal state: s = stale since, x = expired at, a = when x was written (orders concurrent writers),
 * h = the latest expiry that was immediate when issued (updateTag, revalidatePath, one-argument
 * revalidateTag). x is last-writer-wins, as in Next, so a later revalidateTag(tag, 'max') replaces an
 * updateTag's x with a future one; h keeps the updateTag in force: an entry generated before it stays
 * expired (not merely stale, served once more), which is what read-your-writes after updateTag needs.
 */
export interface St {
  s?: number;
  x?: number;
  a?: number;
  h?: number;
}
export interface Op {
  t: string;
  s?: number;
  x?: number;
  a: number;
}

const NEVER_MS = INFINITE_CACHE * 1000;
/**
 * How far ahead of now (Redis clock) a stale time or a write time may be. Both are stamped "now" by
 * the writer, so a later one is foreign or hostile: trusted, it would outrank every later invalidation
 * of the tag (expiry is last-writer-wins by write time) and freeze it. 60 s covers clock error.
 */
export const MAX_FUTURE_MS = 60_000;

/** False for a state or op whose stale or write time lies implausibly far in the future. */
export function plausibleTimes(st: { s?: number; a?: number; h?: number }, nowMs: number): boolean {
  const limit = nowMs + MAX_FUTURE_MS;
  return !(st.s !== undefined && st.s > limit) && !(st.a !== undefined && st.a > limit) && !(st.h !== undefined && st.h > limit);
}
const RESOLVED_TRUE: Promise<boolean> = Promise.resolve(true);

/**
 * Merge rule, identical in Lua below: stale keeps the latest, expired is last-writer-wins by issue time
 * (as Next overwrites it), and an immediate expiry (x ≤ a) also raises h, which only ever grows.
 * Commutative and idempotent, so journal replays and log re-reads in any order converge.
 */
export function mergeState(cur: St | undefined, op: Op): St {
  const out: St = { ...cur };
  if (op.s !== undefined && (out.s === undefined || op.s > out.s)) out.s = op.s;
  if (op.x !== undefined && (out.a === undefined || op.a >= out.a)) {
    out.x = op.x;
    out.a = op.a;
  }
  if (op.x !== undefined && op.x <= op.a && (out.h === undefined || op.x > out.h)) out.h = op.x;
  return out;
}

/** Merges a whole stored state (full resync) into a mirror state. */
export function mergeStored(cur: St | undefined, st: St, tag: string): St {
  let out: St = { ...cur };
  if (st.s !== undefined) out = mergeState(out, { t: tag, s: st.s, a: st.a ?? st.s });
  if (st.x !== undefined) out = mergeState(out, { t: tag, x: st.x, a: st.a ?? st.x });
  if (st.h !== undefined && (out.h === undefined || st.h > out.h)) out.h = st.h;
  return out;
}

/** Time after which a tag state cannot affect any live entry (entries live at most maxTtl). */
export function stateHorizon(st: St, maxTtlMs: number): number {
  let hx = st.x;
  if (hx !== undefined && st.a !== undefined && hx - st.a >= NEVER_MS - 1000) hx = st.a; // "never" expires: only its write time matters
  return Math.max(st.s ?? 0, hx ?? 0, st.h ?? 0) + maxTtlMs;
}

export function parseState(v: unknown): St | undefined {
  if (typeof v !== 'string' && !Buffer.isBuffer(v)) return undefined;
  const parts = String(v).split('|');
  if (parts.length !== 3 && parts.length !== 4) return undefined; // "s|x|a", or "s|x|a|h" when h ≠ x
  const [s, x, a, h] = parts.map((p) => (p === '' ? undefined : Number(p)));
  if ([s, x, a, h].some((n) => n !== undefined && !Number.isFinite(n))) return undefined;
  const st: St = {};
  if (s !== undefined) st.s = s;
  if (x !== undefined) {
    st.x = x;
    st.a = a ?? x;
    if (x <= st.a) st.h = x;
  }
  if (h !== undefined && (st.h === undefined || h > st.h)) st.h = h;
  return st;
}

const MERGE_LUA = `
local s, x, a, h
local cur = redis.pcall('GET', KEYS[1])
if type(cur) == 'string' then
  local p1 = string.find(cur, '|', 1, true)
  local p2 = p1 and string.find(cur, '|', p1 + 1, true)
  if p2 then
    local p3 = string.find(cur, '|', p2 + 1, true)
    s = tonumber(string.sub(cur, 1, p1 - 1)); x = tonumber(string.sub(cur, p1 + 1, p2 - 1))
    if p3 then a = tonumber(string.sub(cur, p2 + 1, p3 - 1)); h = tonumber(string.sub(cur, p3 + 1)) else a = tonumber(string.sub(cur, p2 + 1)) end
    if x and not a then a = x end
    -- NaN or negative times are not Tagscope's (NaN poisons every comparison: PXAT nan would fail this merge for good): as if absent
    if s ~= s or x ~= x or a ~= a or (h and h ~= h) or (s and s < 0) or (x and x < 0) or (a and a < 0) or (h and h < 0) then s = nil; x = nil; a = nil; h = nil end
    if x and x <= a and (not h or x > h) then h = x end
  end
end
-- a stored state stamped implausibly far in the future is foreign: it must not outrank this write
local limit = tonumber(ARGV[5])
if limit and ((s and s > limit) or (a and a > limit) or (h and h > limit)) then s = nil; x = nil; a = nil; h = nil end
local ns, nx, na = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if ns and (not s or ns > s) then s = ns end
if nx and (not a or na >= a) then x = nx; a = na end
if nx and nx <= na and (not h or nx > h) then h = nx end
local function f(n) if n then return string.format('%.0f', n) end return '' end
local hx = x
if x and a and (x - a) >= ${NEVER_MS - 1000} then hx = a end
local hi = math.max(s or 0, hx or 0, h or 0) + tonumber(ARGV[4])
local v = f(s) .. '|' .. f(x) .. '|' .. f(a)
if h and h ~= x then v = v .. '|' .. f(h) end
redis.call('SET', KEYS[1], v, 'PXAT', string.format('%.0f', hi))
return 1`;

export const SET_IF_NEWER_LUA = `
local cur = redis.pcall('GETRANGE', KEYS[1], 0, 23)
if type(cur) == 'string' and string.sub(cur, 1, 4) == 'TS1:' then
  local t = tonumber(string.sub(cur, 5, 24))
  -- a newer generation wins, unless it is stamped more than 5 min ahead of Redis's clock (not Tagscope's:
  -- it would block every write of this key for good)
  local now = redis.call('TIME')
  if t and t > tonumber(ARGV[2]) and t <= tonumber(now[1]) * 1000000 + tonumber(now[2]) + 300000000 then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1`;

export interface CoreInternalOptions {
  shared?: boolean;
}

const REGISTRY = Symbol.for('@tagscope/handler.cores');

export class Core {
  static for(o: ResolvedOptions): Core {
    const g = globalThis as any;
    const map: Map<string, Core> = (g[REGISTRY] ??= new Map());
    const id = `${o.cluster ? 'c' : 's'}|${o.rootUrls.join(',')}|${o.keyPrefix}`;
    let core = map.get(id);
    if (!core || core.closed) {
      core = new Core(o);
      map.set(id, core);
    } else if (o.onMetric) {
      core.metricHooks.add(o.onMetric); // a second handler on the same core keeps its own metrics hook
    }
    return core;
  }

  readonly keys: Keys;
  readonly conn: Conn;
  readonly instanceId = randomBytes(6).toString('hex');
  /** Redis clock minus local clock (ms). */
  offset = 0;
  /** Round-trip time of the sample the offset came from (ms): the clock bound is rtt/2 + drift. */
  clockRtt = Infinity;
  clockMeasured = false;
  private clockMeasuredAt = 0;
  private adopted = false;
  readonly mirror = new Map<string, St>();
  private lastId: string | undefined;
  private initP: Promise<boolean> | undefined;
  private initialized = false;
  private inFlight: Promise<boolean> | undefined;
  private queued: Promise<boolean> | undefined;
  private latest: Promise<boolean> | undefined;
  private latestOk = false;
  private lastSyncIssued = 0;
  private journal: Op[] = [];
  private journalFile: string | undefined;
  private replaying: Promise<void> | undefined;
  private sameTick = new Map<string, Promise<void>>();
  private heldWrites = new Set<() => void>();
  /** When this process last invalidated a tag (local clock, ms). */
  private lastInvalidatedAt = -Infinity;
  private readonly recentOps: RecentOps<Op>;
  /** Corrupt / foreign / wrong-typed values under our keys: 'corrupt' metrics and rate-limited warnings. */
  readonly hostile: HostileData;
  private seenPending = new Set<string>();
  private timers: NodeJS.Timeout[] = [];
  closed = false;
  readonly counters: Record<string, number> = {};
  private changeListeners = new Set<(tags: string[]) => void>();
  readonly metricHooks = new Set<(ev: MetricEvent) => void>();

  constructor(readonly o: ResolvedOptions) {
    this.keys = new Keys(o.keyPrefix);
    if (o.onMetric) this.metricHooks.add(o.onMetric);
    this.conn = new Conn(o);
    this.conn.on('up', () => this.onRecovered());
    this.conn.on('down', (reason: string) => this.emit({ type: 'breaker-open', reason }));
    this.conn.on('breaker-open', (node: string) => this.emit({ type: 'breaker-open', reason: o.cluster ? `timeouts on ${node}` : 'timeouts' }));
    this.conn.on('breaker-close', (node: string) => this.emit({ type: 'breaker-close', ...(o.cluster ? { reason: node } : {}) }));
    this.conn.on('transport-error', (error: unknown) => this.emit({ type: 'redis-error', error }));
    // Cluster failover: writes acknowledged just before a master died may be missing on its promoted replica.
    this.recentOps = new RecentOps<Op>(o.cluster);
    this.hostile = new HostileData(o, (ev) => this.emit(ev));
    this.conn.on('topology', () => {
      const ops = this.recentOps.take();
      if (ops.length) this.keepForReplay(ops);
    });
    if (o.journalDir) {
      const h = createHash('sha1').update(`${o.rootUrls.join(',')}|${o.keyPrefix}`).digest('hex').slice(0, 12);
      this.journalFile = join(o.journalDir, `journal-${h}-${process.pid}.jsonl`);
    }
  }

  // ---------------------------------------------------------------- observability
  emit(ev: MetricEvent): void {
    if (ev.error !== undefined) ev = { ...ev, error: redactError(ev.error, this.o.url) };
    if (ev.reason === 'log-wrong-type') this.hostile.report('log', this.keys.log(), 'wrong Redis type (expected a stream): deleted and recreated');
    else if (ev.type === 'redis-error' && (ev.reason === 'sync' || ev.reason === 'updateTags') && isWrongType(ev.error)) this.hostile.report('log', this.keys.log(), 'wrong Redis type (expected a stream)');
    this.counters[ev.type] = (this.counters[ev.type] ?? 0) + (ev.type === 'invalidate' ? ev.count ?? 1 : 1);
    if (this.o.debug) {
      const { error, ...rest } = ev;
      console.debug('[tagscope]', JSON.stringify(rest), error ? String((error as Error)?.message ?? error) : '');
    }
    for (const hook of this.metricHooks) {
      try {
        hook(ev);
      } catch {}
    }
  }
  debug(...args: unknown[]): void {
    if (this.o.debug) console.debug('[tagscope]', ...args);
  }

  // ---------------------------------------------------------------- clock
  /** Now on the Redis clock (ms). */
  now(): number {
    return this.o.localClock() + this.offset;
  }
  toRedis(localMs: number): number {
    return localMs + this.offset;
  }
  toLocal(redisMs: number): number {
    return redisMs - this.offset;
  }

  async measureClock(samples = 3): Promise<void> {
    let best: { rtt: number; off: number } | undefined;
    for (let i = 0; i < samples; i++) {
      const t0 = this.o.localClock();
      const r = await this.conn.cmd<string[]>(undefined, ['TIME']);
      const t1 = this.o.localClock();
      const redisMs = Number(r[0]) * 1000 + Number(r[1]) / 1000;
      const s = { rtt: t1 - t0, off: redisMs - (t0 + t1) / 2 };
      if (!best || s.rtt < best.rtt) best = s;
    }
    // Keep the previous offset when the new samples are much noisier (GC pause, congested link),
    // unless it has grown old enough for drift to matter more than noise.
    const age = Date.now() - this.clockMeasuredAt;
    if (best && (!this.clockMeasured || best.rtt <= this.clockRtt * 2 + 1 || age > this.o.clockRefreshMs * 10)) {
      this.offset = best.off;
      this.clockRtt = best.rtt;
      this.clockMeasured = true;
      this.clockMeasuredAt = Date.now();
    }
  }

  // ---------------------------------------------------------------- lifecycle
  /** Connects, measures the clock, loads tag state, replays a journal left by a dead process. Never rejects. */
  ensureInit(): Promise<boolean> {
    if (this.initialized) return Promise.resolve(true);
    if (!this.initP) {
      this.initP = this.init().then(
        (ok) => {
          if (!ok) this.initP = undefined;
          return ok;
        },
        () => {
          this.initP = undefined;
          return false;
        },
      );
    }
    return this.initP;
  }

  private async init(): Promise<boolean> {
    if (this.o.disabled || this.closed) return false;
    this.conn.start();
    await this.measureClock();
    this.adoptOrphanJournals();
    await this.replayJournal();
    const issued = this.o.localClock();
    await this.fullResync();
    this.lastSyncIssued = issued;
    this.latestOk = true;
    if (!this.initialized) {
      this.initialized = true;
      this.startTimers();
    }
    return true;
  }

  private startTimers(): void {
    const every = (ms: number, fn: () => unknown) => {
      const t = setInterval(() => {
        try {
          Promise.resolve(fn()).catch(() => {});
        } catch {}
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.o.clockRefreshMs, () => (this.conn.isUp ? this.measureClock() : undefined));
    every(60_000, () => this.prune());
    every(2_000, () => this.flushSeen());
  }

  private onRecovered(): void {
    // Redis is back (reconnect or breaker closed): replay what was kept, re-measure the clock,
    // and let the next sync detect a log gap (restart without persistence → full resync).
    (async () => {
      if (!this.initialized) {
        await this.ensureInit();
        return;
      }
      await this.measureClock().catch(() => {});
      await this.replayJournal();
      await this.requestSync();
    })().catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.replayTimer) clearTimeout(this.replayTimer);
    for (const t of this.timers) clearInterval(t);
    await this.flushSeen().catch(() => {});
    await this.conn.close();
  }

  // ---------------------------------------------------------------- sync
  /** Starts a sync issued after this call (coalesced with other calls in the same tick). Never rejects. */
  requestSync(): Promise<boolean> {
    if (this.o.disabled) return Promise.resolve(false);
    if (!this.initialized) {
      // The startup load may have begun before this request: follow it with a delta read.
      const p = this.ensureInit().then((ok) => (ok ? this.requestSync() : false));
      this.latest = p;
      this.latestOk = false;
      p.then((ok) => {
        if (this.latest === p) this.latestOk = ok;
      });
      return p;
    }
    if (this.queued) return this.queued;
    const run = (): Promise<boolean> => {
      this.queued = undefined;
      const p = this.syncOnce().catch((err) => {
        if (!(err instanceof Unavailable)) this.emit({ type: 'redis-error', reason: 'sync', error: err });
        return false;
      });
      p.then((ok) => {
        if (this.latest === outer) this.latestOk = ok;
      });
      this.inFlight = p;
      p.finally(() => {
        if (this.inFlight === p) this.inFlight = undefined;
      });
      return p;
    };
    let outer: Promise<boolean>;
    if (this.inFlight) {
      outer = this.inFlight.then(run);
    } else {
      outer = new Promise<boolean>((resolve) => process.nextTick(() => run().then(resolve)));
    }
    this.queued = outer;
    this.latest = outer;
    this.latestOk = false;
    return outer;
  }

  /** A read waits at most this long for tag state (startup load, resync after a log gap); past it, it is a miss. */
  bounded(p: Promise<boolean>): Promise<boolean> {
    if (p === RESOLVED_TRUE) return p;
    const ms = this.o.timeoutMs * 4;
    return new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      p.then((v) => {
        clearTimeout(t);
        resolve(v);
      });
    });
  }

  /** What a read waits for: the latest requested sync, or a new one when the mirror is old. */
  awaitSync(maxAgeMs = 1000): Promise<boolean> {
    if (this.o.disabled) return Promise.resolve(false);
    if (!this.initialized) return this.requestSync();
    if (this.latest && (this.queued || this.inFlight)) return this.latest;
    if (this.o.localClock() - this.lastSyncIssued > maxAgeMs) return this.requestSync();
    return this.latestOk ? RESOLVED_TRUE : Promise.resolve(false);
  }

  private async syncOnce(): Promise<boolean> {
    const issued = this.o.localClock();
    if (this.lastId === undefined) {
      await this.fullResync();
      this.lastSyncIssued = issued;
      return true;
    }
    const log = this.keys.log();
    for (let round = 0; round < 100; round++) {
      const from: string = this.lastId;
      const rows: [string, string[]][] = await this.logCmd<[string, string[]][]>(['XRANGE', log, from, '+', 'COUNT', '1000']);
      if (!Array.isArray(rows) || rows.length === 0 || rows[0][0] !== from) {
        this.debug('log gap after', from);
        await this.fullResync();
        break;
      }
      for (let i = 1; i < rows.length; i++) this.applyLogRow(rows[i]);
      this.lastId = rows[rows.length - 1][0];
      if (rows.length < 1000) break;
    }
    this.lastSyncIssued = issued;
    return true;
  }

  /**
   * A command on the log stream. A value of another type in its place (foreign or hostile) would fail
   * every sync and every invalidation for good: it is deleted once and the command retried; the other
   * instances see a log gap and resync from the tag keys.
   */
  private async logCmd<T>(args: string[]): Promise<T> {
    const log = this.keys.log();
    try {
      return await this.conn.cmd<T>(log, args);
    } catch (err) {
      if (!String((err as Error)?.message ?? '').startsWith('WRONGTYPE')) throw err;
      this.emit({ type: 'redis-error', reason: 'log-wrong-type', error: err });
      await this.conn.cmd(log, ['DEL', log]);
      return await this.conn.cmd<T>(log, args);
    }
  }

  private applyLogRow(row: [string, string[]]): void {
    const fields = row[1];
    if (!Array.isArray(fields)) return;
    let d: unknown, origin: string | undefined, w: number | undefined;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i] === 'd') {
        try {
          d = JSON.parse(String(fields[i + 1]));
        } catch {}
      } else if (fields[i] === 'o') origin = String(fields[i + 1]);
      else if (fields[i] === 'w') w = Number(fields[i + 1]);
    }
    const changed = this.applyOps(d);
    if (!Array.isArray(d) || changed.length < d.length) {
      this.hostile.report('log', this.keys.log(), Array.isArray(d) ? `${d.length - changed.length} of ${d.length} ops in entry ${String(row[0])} are not valid` : `entry ${String(row[0])} holds no JSON array of ops`, fields[fields.indexOf('d') + 1]);
    }
    if (changed.length && origin !== this.instanceId && w !== undefined && Number.isFinite(w)) {
      this.emit({ type: 'lag', ms: Math.max(0, this.now() - w), count: changed.length });
    }
  }

  /** Merges validated ops into the mirror; returns the tags touched. */
  applyOps(d: unknown): string[] {
    if (!Array.isArray(d)) return [];
    const touched: string[] = [];
    const now = this.now();
    for (const op of d) {
      if (!op || typeof op.t !== 'string' || typeof op.a !== 'number' || !Number.isFinite(op.a)) continue;
      if (op.s !== undefined && (typeof op.s !== 'number' || !Number.isFinite(op.s))) continue;
      if (op.x !== undefined && (typeof op.x !== 'number' || !Number.isFinite(op.x))) continue;
      if (!plausibleTimes(op, now)) continue;
      this.mirror.set(op.t, mergeState(this.mirror.get(op.t), op));
      touched.push(op.t);
    }
    if (touched.length) for (const l of this.changeListeners) l(touched);
    return touched;
  }

  onChange(l: (tags: string[]) => void): () => void {
    this.changeListeners.add(l);
    return () => this.changeListeners.delete(l);
  }

  /** Loads every tag state from Redis (SCAN on every master). Rare: startup, log gap, recovery after data loss. */
  async fullResync(): Promise<void> {
    const log = this.keys.log();
    let tail = await this.logCmd<[string, string[]][]>(['XREVRANGE', log, '+', '-', 'COUNT', '1']);
    let tailId: string;
    if (Array.isArray(tail) && tail.length) tailId = tail[0][0];
    else tailId = await this.logCmd<string>(['XADD', log, 'MAXLEN', '~', String(this.o.logMaxLen), '*', 'd', '[]', 'o', this.instanceId, 'w', String(Math.round(this.now()))]);
    let n = 0;
    const touched: string[] = [];
    await this.conn.forEachMaster(async (send) => {
      let cursor = '0';
      do {
        const [next, keys] = (await send(['SCAN', cursor, 'MATCH', this.keys.tagPattern(), 'COUNT', '1000'])) as [string, string[]];
        cursor = String(next);
        if (keys.length) {
          const vals = await this.getMany(send, keys);
          keys.forEach((k, i) => {
            const tag = this.keys.tagOf(String(k));
            const st = parseState(vals[i]);
            if (tag === undefined || !st || !plausibleTimes(st, this.now())) return;
            this.mirror.set(tag, mergeStored(this.mirror.get(tag), st, tag));
            touched.push(tag);
            n++;
          });
        }
      } while (cursor !== '0');
    });
    this.lastId = tailId;
    this.emit({ type: 'resync', count: n });
    if (touched.length) for (const l of this.changeListeners) l(touched);
  }

  /**
   * Values of tag keys found by one SCAN batch on one node, read without trusting them (bounded, type
   * checked: see readTagValues). A value that is not a plausible tag state is reported and read as null.
   */
  async getMany(send: (args: string[]) => Promise<any>, keys: string[]): Promise<unknown[]> {
    const vals = await readTagValues(send, keys.map(String), this.o.cluster);
    const now = this.now();
    return vals.map((v, i) => {
      if (v === null) return null;
      const key = String(keys[i]);
      if (typeof v !== 'string') {
        this.hostile.report('tag', key, v.problem);
        return null;
      }
      const st = parseState(v);
      const problem = st ? stateProblem(st, now) : 'not a "stale|expired|written" state';
      if (problem) {
        this.hostile.report('tag', key, problem, v);
        return null;
      }
      return v;
    });
  }

  /** Drops mirror states that can no longer affect any live entry. */
  prune(): void {
    const now = this.now();
    for (const [tag, st] of this.mirror) if (stateHorizon(st, this.o.maxTtlMs) < now) this.mirror.delete(tag);
  }

  // ---------------------------------------------------------------- tag checks (Redis clock)
  isExpired(tags: readonly string[], tsRedis: number): boolean {
    const now = this.now();
    const m = this.o.clockMarginMs;
    for (const t of tags) {
      const st = this.mirror.get(t);
      if (!st) continue;
      if (st.x !== undefined && st.x <= now + m && st.x > tsRedis - m) return true;
      if (st.h !== undefined && st.h > tsRedis - m) return true; // an updateTag outranked by a later revalidateTag(tag, profile)
    }
    return false;
  }
  isStale(tags: readonly string[], tsRedis: number): boolean {
    const m = this.o.clockMarginMs;
    for (const t of tags) {
      const s = this.mirror.get(t)?.s;
      if (s !== undefined && s > tsRedis - m) return true;
    }
    return false;
  }
  /** Latest expiration that has already happened (never a future one), Redis clock; 0 = none. */
  expiration(tags: readonly string[]): number {
    const now = this.now();
    const m = this.o.clockMarginMs;
    let max = 0;
    for (const t of tags) {
      const st = this.mirror.get(t);
      if (!st) continue;
      if (st.x !== undefined && st.x <= now + m && st.x + m > max) max = st.x + m;
      if (st.h !== undefined && st.h <= now + m && st.h + m > max) max = st.h + m;
    }
    return max;
  }

  // ---------------------------------------------------------------- invalidation
  /**
   * What a handler's `set` returns to Next for an entry write: settles with the write, or as soon as
   * this process invalidates any tag. Next keeps a generation joinable by later requests until its
   * `set` settles (use-cache's pending invocations, ISR's revalidate batcher), so against a slow or
   * frozen Redis a request after an acknowledged updateTag would be handed a value generated before
   * it. Released, the write still finishes in the background (its timestamp predates the
   * invalidation, so it is never served as fresh); unreleased (a build, no invalidation), Next
   * still waits for it as before. A generation that began (`sinceLocal`, local clock) before this
   * process's last invalidation is not held at all: it may hold data from before it.
   */
  holdUntilWritten(write: Promise<unknown>, sinceLocal?: number): Promise<void> {
    if (sinceLocal !== undefined && !(sinceLocal > this.lastInvalidatedAt)) return Promise.resolve();
    return new Promise((resolve) => {
      const release = () => {
        this.heldWrites.delete(release);
        resolve();
      };
      this.heldWrites.add(release);
      write.then(release, release);
    });
  }

  private releaseHeldWrites(): void {
    for (const release of [...this.heldWrites]) release();
  }

  /** Next's updateTags on the shared store. Applied to the mirror at once; written to Redis, or kept and replayed. Never rejects unless `strict`. */
  updateTags(tags: readonly string[], durations?: { expire?: number }, strict = false): Promise<void> {
    const list = [...new Set((Array.isArray(tags) ? tags : [tags]).filter((t) => typeof t === 'string'))];
    if (!list.length) return Promise.resolve();
    this.lastInvalidatedAt = this.o.localClock();
    this.releaseHeldWrites();
    // Next calls every handler (use-cache + incremental) in the same tick with the same arguments: write once.
    const dedupeKey = JSON.stringify([list, durations ?? null, strict]);
    const pending = this.sameTick.get(dedupeKey);
    if (pending) return pending;
    const p = this.doUpdateTags(list, durations, strict);
    this.sameTick.set(dedupeKey, p);
    setImmediate(() => this.sameTick.delete(dedupeKey));
    return p;
  }

  private async doUpdateTags(tags: string[], durations: { expire?: number } | undefined, strict: boolean): Promise<void> {
    // Stamp on the Redis clock: measure it first (if Redis is unreachable at startup, the local clock is all there is).
    if (!this.clockMeasured && !this.o.disabled) await this.ensureInit();
    const now = Math.round(this.now());
    const ops: Op[] = tags.map((t) => {
      if (durations) {
        const op: Op = { t, s: now, a: now };
        if (typeof durations.expire === 'number' && Number.isFinite(durations.expire)) op.x = now + durations.expire * 1000;
        return op;
      }
      return { t, x: now, a: now };
    });
    this.applyOps(ops);
    this.emit({ type: 'invalidate', count: tags.length });
    if (this.o.disabled) return;
    try {
      if (!this.initialized) {
        const ok = await this.ensureInit();
        if (!ok) throw new Unavailable();
      }
      if (this.journal.length) await this.replayJournal();
      await this.writeOps(ops);
    } catch (err) {
      this.emit({ type: 'redis-error', reason: 'updateTags', error: err });
      if (strict) throw err;
      this.keepForReplay(ops);
    }
  }

  async writeOps(ops: Op[]): Promise<void> {
    const ttlExtra = String(this.o.maxTtlMs + 60_000);
    for (let i = 0; i < ops.length; i += 500) {
      const chunk = ops.slice(i, i + 500);
      await Promise.all(
        chunk.map((op) =>
          this.conn.script(MERGE_LUA, [this.keys.tag(op.t)], [op.s === undefined ? '' : String(op.s), op.x === undefined ? '' : String(op.x), String(op.a), ttlExtra, String(Math.round(this.now()) + MAX_FUTURE_MS)]),
        ),
      );
      const log = this.keys.log();
      const d = JSON.stringify(chunk);
      await this.logCmd(['XADD', log, 'MAXLEN', '~', String(this.o.logMaxLen), '*', 'd', d, 'o', this.instanceId, 'w', String(Math.round(this.now()))]);
      this.recentOps.note(chunk);
      this.conn.cmd(this.keys.channel(), ['PUBLISH', this.keys.channel(), d]).catch(() => {});
    }
  }

  private replayTimer: NodeJS.Timeout | undefined;
  /** Retries the replay until the journal is empty (also when the breaker never opened: a few isolated timeouts). */
  private scheduleReplay(): void {
    if (this.replayTimer || this.closed) return;
    this.replayTimer = setTimeout(() => {
      this.replayTimer = undefined;
      if (!this.journal.length || this.closed) return;
      const retry = () => {
        if (this.journal.length) this.scheduleReplay();
      };
      if (!this.conn.isUp) return retry();
      this.replayJournal().then(retry, retry);
    }, this.o.breakerCooldownMs);
    this.replayTimer.unref?.();
  }

  private keepForReplay(ops: Op[]): void {
    this.scheduleReplay();
    this.journal.push(...ops);
    if (this.journalFile) {
      try {
        mkdirSync(this.o.journalDir as string, { recursive: true });
        appendFileSync(this.journalFile, JSON.stringify(ops) + '\n');
      } catch {}
    }
  }

  pendingReplay(): number {
    return this.journal.length;
  }

  async replayJournal(): Promise<void> {
    if (this.replaying) return this.replaying;
    if (!this.journal.length) return;
    this.replaying = (async () => {
      const ops = this.journal.slice();
      await this.writeOps(ops); // original times; the merge is idempotent
      this.journal.splice(0, ops.length);
      if (this.journalFile) {
        try {
          if (this.journal.length) writeFileSync(this.journalFile, JSON.stringify(this.journal) + '\n');
          else unlinkSync(this.journalFile);
        } catch {}
      }
      this.emit({ type: 'replay', count: ops.length });
    })().finally(() => {
      this.replaying = undefined;
    });
    return this.replaying;
  }

  /** Journals of processes that died during an outage (same url + prefix): adopt and replay them. */
  private adoptOrphanJournals(): void {
    if (!this.journalFile || !this.o.journalDir || this.adopted) return;
    this.adopted = true;
    const dir = this.o.journalDir;
    const base = this.journalFile.slice(dir.length + 1).replace(/-\d+\.jsonl$/, '-');
    let files: string[] = [];
    try {
      files = readdirSync(dir).filter((f) => f.startsWith(base) && f.endsWith('.jsonl'));
    } catch {
      return;
    }
    for (const f of files) {
      const pid = Number(f.slice(base.length, -'.jsonl'.length));
      const full = join(dir, f);
      if (pid === process.pid || isAlive(pid)) continue; // our own journal is already in memory
      try {
        const lines = readFileSync(full, 'utf8').split('\n').filter(Boolean);
        for (const line of lines) {
          try {
            const ops = JSON.parse(line);
            if (Array.isArray(ops)) for (const op of ops) if (op && typeof op.t === 'string' && typeof op.a === 'number') this.journal.push(op);
          } catch {}
        }
        this.applyOps(this.journal);
        appendFileSync(this.journalFile, lines.join('\n') + '\n');
        unlinkSync(full);
      } catch {}
    }
  }

  // ---------------------------------------------------------------- entries
  /**
   * Reads an entry as a Buffer, never more than maxEntryBytes + 1 bytes of it (GETRANGE: a huge value
   * is neither transferred nor held). null = absent; undefined = Redis unavailable; WRONG_TYPE = a
   * value of another Redis type (reported).
   */
  async readEntry(key: string): Promise<Buffer | null | undefined> {
    try {
      const v = await this.conn.cmd<Buffer | null>(key, ['GETRANGE', key, '0', String(this.o.maxEntryBytes)], { buffers: true });
      return v && v.length ? v : null; // GETRANGE answers "" for a missing key; an entry is never empty
    } catch (err) {
      if (isWrongType(err)) {
        this.hostile.report('entry', key, 'wrong Redis type (expected a string)');
        return WRONG_TYPE;
      }
      if (!(err instanceof Unavailable)) this.emit({ type: 'redis-error', reason: 'get', error: err });
      return undefined;
    }
  }

  /**
   * The read both handlers start with: the tag-log sync and the entry GET in one round trip,
   * then decoding. Every way to miss is reported with its reason; only a usable entry returns.
   */
  async readSynced<M>(key: string, sync: Promise<boolean>, handler: 'use-cache' | 'incremental', validMeta: (m: unknown) => m is M): Promise<DecodedEntry<M> | undefined> {
    const [synced, raw] = await Promise.all([this.bounded(sync), this.readEntry(key)]);
    const miss = (reason: string) => {
      this.emit({ type: 'miss', handler, reason });
      return undefined;
    };
    if (!synced || raw === undefined) return miss('unavailable');
    if (raw === null) return miss('absent');
    if (raw === WRONG_TYPE) return miss('corrupt');
    const c = checkEntry<M>(raw, this.o.maxEntryBytes, this.now());
    if ('problem' in c || !validMeta(c.entry.meta)) {
      this.hostile.report('entry', key, 'problem' in c ? c.problem : `meta of the wrong shape for the ${handler} handler`, raw, handler);
      return miss('corrupt');
    }
    return c.entry;
  }

  /** Stores an entry unless Redis already holds a newer generation (timestamp compared in Lua). */
  async writeEntry(key: string, value: Buffer, tsRedis: number, ttlMs: number): Promise<boolean> {
    if (this.o.disabled) return false;
    if (!this.initialized && !(await this.ensureInit())) return false;
    if (value.length > this.o.maxEntryBytes) {
      this.hostile.warnOnce('entry-size', `not storing an entry of ${value.length} bytes, over maxEntryBytes (${this.o.maxEntryBytes}); it is regenerated on every request until it fits or maxEntryBytes is raised.`);
      this.emit({ type: 'corrupt', kind: 'entry', reason: 'too large to store', key: key });
      return false;
    }
    try {
      const r = await this.conn.script<number>(SET_IF_NEWER_LUA, [key], [value, String(Math.round(tsRedis * 1000)), String(Math.max(1, Math.round(ttlMs)))], {
        timeout: Math.max(this.o.timeoutMs, 1000),
      });
      return r === 1;
    } catch (err) {
      if (!(err instanceof Unavailable)) this.emit({ type: 'redis-error', reason: 'set', error: err });
      return false;
    }
  }

  noteSeen(tags: readonly string[]): void {
    if (!this.o.recordSeenTags || this.seenPending.size > 10_000) return;
    for (const t of tags) if (typeof t === 'string') this.seenPending.add(t);
  }

  async flushSeen(): Promise<void> {
    if (!this.seenPending.size || !this.conn.isUp) return;
    const tags = [...this.seenPending];
    this.seenPending.clear();
    const key = this.keys.seen();
    const now = String(Math.round(this.now()));
    for (let i = 0; i < tags.length; i += 500) {
      const args: string[] = ['ZADD', key];
      for (const t of tags.slice(i, i + 500)) args.push(now, t);
      await this.conn.cmd(key, args).catch(async (err) => {
        if (!isWrongType(err)) return;
        // Another type in its place would hide every seen tag from tools for good; the set only
        // lists tags (they are re-seen on every set), so it is replaced, as the log is.
        this.hostile.report('seen', key, 'wrong Redis type (expected a zset): deleted and recreated');
        await this.conn.cmd(key, ['DEL', key]);
        await this.conn.cmd(key, args);
      }).catch(() => {});
    }
    await this.conn.cmd(key, ['ZREMRANGEBYRANK', key, '0', '-10001']).catch(() => {});
    await this.conn.cmd(key, ['PEXPIRE', key, String(this.o.maxTtlMs)]).catch(() => {});
  }
}

/** readEntry's answer for a value of another Redis type under an entry key. */
const WRONG_TYPE: Buffer = Buffer.alloc(0);

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
