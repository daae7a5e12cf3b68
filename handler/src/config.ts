import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PREFIX } from './keys';

/** A metric event. `type` names what happened; the other fields depend on it. */
export interface MetricEvent {
  type:
    | 'hit' // an entry served fresh
    | 'stale' // an entry served with revalidate: -1 (a tag was marked stale)
    | 'miss' // no entry, expired entry, expired tag, or Redis unavailable
    | 'set' // an entry stored
    | 'invalidate' // updateTags / revalidateTag applied (tags: count)
    | 'redis-error' // a Redis command failed or timed out
    | 'breaker-open' // Redis (on a cluster: the master in reason) considered down; its calls return without waiting
    | 'breaker-close' // Redis (on a cluster: the master in reason) back
    | 'replay' // invalidations made during an outage written to Redis
    | 'resync' // full resync of tag state (startup, log gap, recovery)
    | 'lag' // propagation lag of an invalidation from another instance (ms)
    | 'corrupt'; // a corrupt, foreign, wrong-typed or oversized value under one of our keys, ignored (kind, reason, key)
  handler?: 'use-cache' | 'incremental' | 'store';
  /** For 'corrupt': which key kind ('entry', 'tag', 'log', 'seen'). */
  kind?: string;
  /** For 'corrupt': the key (shortened). */
  key?: string;
  reason?: string;
  ms?: number;
  count?: number;
  error?: unknown;
}

export interface TagscopeOptions {
  /** redis://, rediss://, or redis+cluster://host:port,host:port. Env: TAGSCOPE_REDIS_URL, then REDIS_URL. */
  url?: string;
  /** Treat `url` (or `rootNodes`) as a Redis Cluster even without the redis+cluster:// scheme. */
  cluster?: boolean;
  /** Key prefix. Env: TAGSCOPE_KEY_PREFIX. Default "tagscope". */
  keyPrefix?: string;
  /** Per-command timeout in ms. Env: TAGSCOPE_TIMEOUT_MS. Default 250. */
  timeoutMs?: number;
  /** Longest time an entry is kept in Redis (s). Entries with expire = never (4294967294) get this TTL. Default 1 year. */
  maxTtlSeconds?: number;
  /** Approximate maximum length of the invalidation log stream. Default 10000. */
  logMaxLen?: number;
  /** Directory of the outage journal (invalidations made while Redis is down). Env: TAGSCOPE_JOURNAL_DIR. Default <tmpdir>/tagscope. `false` keeps it in memory only. */
  journalDir?: string | false;
  /** Consecutive transport failures that open the circuit breaker. Default 3. */
  breakerThreshold?: number;
  /** How long the breaker stays open before a probe (ms). Default 1000. */
  breakerCooldownMs?: number;
  /** How often the offset to the Redis clock is re-measured (ms). Default 30000. */
  clockRefreshMs?: number;
  /** Safety margin (ms) added to time comparisons across instances. Default 1. */
  clockMarginMs?: number;
  /** Record tags seen in set() in a bounded ZSET for tools. Default true. */
  recordSeenTags?: boolean;
  /** Entries larger than this (bytes) are neither stored nor read (a larger value in Redis is a miss, read no further than this). Env: TAGSCOPE_MAX_ENTRY_BYTES. Default 16 MiB. */
  maxEntryBytes?: number;
  /** Where warnings go (corrupt or foreign data under our keys, oversized entries). Default console. */
  logger?: { warn: (message: string) => void };
  /** At most one warning per key kind per this interval (ms); every occurrence is still a 'corrupt' metric. Default 60000. */
  warnIntervalMs?: number;
  /** Metrics hook; called synchronously, must not throw (errors are swallowed). */
  onMetric?: (event: MetricEvent) => void;
  /** Force Redis usage during `next build` (default: Redis is not touched while NEXT_PHASE=phase-production-build). */
  useDuringBuild?: boolean;
  /** @internal test hook: the local clock (ms since epoch), default performance.timeOrigin + performance.now(). */
  localClock?: () => number;
}

export interface ResolvedOptions {
  url: string;
  cluster: boolean;
  rootUrls: string[];
  keyPrefix: string;
  timeoutMs: number;
  maxTtlMs: number;
  logMaxLen: number;
  journalDir: string | false;
  breakerThreshold: number;
  breakerCooldownMs: number;
  clockRefreshMs: number;
  clockMarginMs: number;
  recordSeenTags: boolean;
  onMetric?: (event: MetricEvent) => void;
  maxEntryBytes: number;
  logger: { warn: (message: string) => void };
  warnIntervalMs: number;
  disabled: boolean;
  localClock: () => number;
  debug: boolean;
}

export const INFINITE_CACHE = 0xfffffffe;

function num(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

export function resolveOptions(o: TagscopeOptions = {}): ResolvedOptions {
  const env = process.env;
  const url = o.url ?? env.TAGSCOPE_REDIS_URL ?? env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const isClusterUrl = url.startsWith('redis+cluster://') || url.startsWith('rediss+cluster://');
  const cluster = o.cluster ?? isClusterUrl;
  let rootUrls = [url];
  if (isClusterUrl) {
    const tls = url.startsWith('rediss+');
    const rest = url.replace(/^rediss?\+cluster:\/\//, '');
    const at = rest.lastIndexOf('@');
    const auth = at >= 0 ? rest.slice(0, at + 1) : '';
    const hosts = (at >= 0 ? rest.slice(at + 1) : rest).split('/')[0];
    rootUrls = hosts.split(',').filter(Boolean).map((h) => `${tls ? 'rediss' : 'redis'}://${auth}${h}`);
  } else if (cluster) {
    rootUrls = url.split(',');
  }
  const building = env.NEXT_PHASE === 'phase-production-build';
  return {
    url,
    cluster,
    rootUrls,
    keyPrefix: o.keyPrefix ?? env.TAGSCOPE_KEY_PREFIX ?? DEFAULT_PREFIX,
    timeoutMs: o.timeoutMs ?? num(env.TAGSCOPE_TIMEOUT_MS) ?? 250,
    maxTtlMs: (o.maxTtlSeconds ?? 31536000) * 1000,
    logMaxLen: o.logMaxLen ?? 10000,
    journalDir: o.journalDir ?? env.TAGSCOPE_JOURNAL_DIR ?? join(tmpdir(), 'tagscope'),
    breakerThreshold: o.breakerThreshold ?? 3,
    breakerCooldownMs: o.breakerCooldownMs ?? 1000,
    clockRefreshMs: o.clockRefreshMs ?? 30000,
    clockMarginMs: o.clockMarginMs ?? 1,
    recordSeenTags: o.recordSeenTags ?? true,
    onMetric: o.onMetric,
    maxEntryBytes: Math.max(1024, o.maxEntryBytes ?? num(env.TAGSCOPE_MAX_ENTRY_BYTES) ?? 16 * 1024 * 1024),
    logger: o.logger ?? console,
    warnIntervalMs: o.warnIntervalMs ?? 60_000,
    disabled: building && !o.useDuringBuild && env.TAGSCOPE_USE_DURING_BUILD !== '1',
    localClock: o.localClock ?? (() => performance.timeOrigin + performance.now()),
    debug: env.TAGSCOPE_DEBUG === '1',
  };
}
