/**
 * `@tagscope/handler/use-cache`: the handler for next.config `cacheHandlers.default` and `.remote`.
 * Default export: a ready handler configured from the environment.
 */
import { resolveOptions, type TagscopeOptions } from './config';
import { Core } from './core';
import { encodeEntry } from './codec';

/** Next's CacheEntry (next/dist/server/lib/cache-handlers/types.d.ts). */
export interface CacheEntry {
  value: ReadableStream<Uint8Array>;
  tags: string[];
  stale: number;
  timestamp: number;
  expire: number;
  revalidate: number;
}

export interface UseCacheHandler {
  get(cacheKey: string, softTags: string[]): Promise<undefined | CacheEntry>;
  set(cacheKey: string, pendingEntry: Promise<CacheEntry>): Promise<void>;
  refreshTags(): Promise<void>;
  getExpiration(tags: string[]): Promise<number>;
  updateTags(tags: string[], durations?: { expire?: number }): Promise<void>;
  /** Not part of Next's interface: the shared core (tests, metrics). */
  readonly core: Core;
}

interface Meta {
  tags: string[];
  stale: number;
  expire: number;
  revalidate: number;
}

function validMeta(m: any): m is Meta {
  return (
    Array.isArray(m.tags) &&
    m.tags.every((t: unknown) => typeof t === 'string') &&
    typeof m.stale === 'number' &&
    typeof m.expire === 'number' &&
    typeof m.revalidate === 'number'
  );
}

function streamOf(buf: Buffer): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (buf.length) controller.enqueue(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength).slice());
      controller.close();
    },
  });
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(typeof value === 'string' ? Buffer.from(value) : value);
  }
  return Buffer.concat(chunks);
}

export function createUseCacheHandler(options: TagscopeOptions = {}): UseCacheHandler {
  const o = resolveOptions(options);
  const core = Core.for(o);
  const pendingSets = new Map<string, Promise<void>>();
  const H = 'use-cache' as const;

  async function store(cacheKey: string, entry: CacheEntry, body: Buffer): Promise<void> {
    try {
      if (o.disabled) return;
      if (entry.expire === 0) return; // dynamic: Next regenerates it on every read in production
      if (!Array.isArray(entry.tags) || typeof entry.timestamp !== 'number' || typeof entry.expire !== 'number') return;
      if (!(await core.ensureInit())) return; // the clock offset is needed to convert the timestamp
      const tsRedis = core.toRedis(entry.timestamp);
      const lifeMs = Math.min(entry.expire * 1000, o.maxTtlMs);
      const ttlMs = tsRedis + lifeMs - core.now();
      if (!(ttlMs > 0)) return;
      const meta: Meta = { tags: entry.tags, stale: entry.stale, expire: entry.expire, revalidate: entry.revalidate };
      const ok = await core.writeEntry(core.keys.useCacheEntry(cacheKey), encodeEntry(tsRedis, meta, body), tsRedis, ttlMs);
      if (ok) {
        core.emit({ type: 'set', handler: H });
        core.noteSeen(entry.tags);
      }
    } catch (err) {
      core.emit({ type: 'redis-error', handler: H, reason: 'set', error: err });
    }
  }

  return {
    core,

    async get(cacheKey, softTags) {
      try {
        const pending = pendingSets.get(cacheKey);
        if (pending) await pending;
        if (o.disabled) return undefined;
        const e = await core.readSynced(core.keys.useCacheEntry(cacheKey), core.awaitSync(), H, validMeta);
        if (!e) return undefined;
        const { meta } = e;
        const now = core.now();
        if (meta.expire < 0 || now > e.ts + meta.expire * 1000) {
          core.emit({ type: 'miss', handler: H, reason: 'expired-entry' });
          return undefined;
        }
        const soft = Array.isArray(softTags) ? softTags : [];
        if (core.isExpired(meta.tags, e.ts) || core.isExpired(soft, e.ts)) {
          core.emit({ type: 'miss', handler: H, reason: 'expired-tag' });
          return undefined;
        }
        let revalidate = meta.revalidate;
        if (core.isStale(meta.tags, e.ts) || core.isStale(soft, e.ts)) {
          revalidate = -1;
          core.emit({ type: 'stale', handler: H });
        } else {
          core.emit({ type: 'hit', handler: H });
        }
        return {
          tags: meta.tags,
          stale: meta.stale,
          expire: meta.expire,
          revalidate,
          timestamp: core.toLocal(e.ts),
          value: streamOf(e.body),
        };
      } catch (err) {
        core.emit({ type: 'miss', handler: H, reason: 'error', error: err });
        return undefined;
      }
    },

    async set(cacheKey, pendingEntry) {
      let resolvePending!: () => void;
      const marker = new Promise<void>((r) => (resolvePending = r));
      pendingSets.set(cacheKey, marker);
      const done = () => {
        if (pendingSets.get(cacheKey) === marker) pendingSets.delete(cacheKey);
        resolvePending();
      };
      let written: Promise<void>;
      let since: number | undefined;
      try {
        const entry = await pendingEntry;
        // Consume the stream exactly once, even when the entry is not stored.
        const body = await readAll(entry.value);
        since = typeof entry.timestamp === 'number' ? entry.timestamp : undefined;
        written = store(cacheKey, entry, body);
      } catch (err) {
        // A failed or errored stream may hold partial data: never store it.
        core.emit({ type: 'redis-error', handler: H, reason: 'set-stream', error: err });
        written = Promise.resolve();
      }
      // A get of this key in this process waits for the write itself (read-your-writes); Next may
      // be released earlier (see holdUntilWritten).
      written.then(done, done);
      await core.holdUntilWritten(written, since);
    },

    async refreshTags() {
      // Starts the log delta read; get() waits for it together with its GET (one round trip).
      core.requestSync();
    },

    async getExpiration(tags) {
      try {
        await core.bounded(core.awaitSync());
        const x = core.expiration(Array.isArray(tags) ? tags : []);
        return x === 0 ? 0 : core.toLocal(x);
      } catch {
        return 0;
      }
    },

    async updateTags(tags, durations) {
      try {
        await core.updateTags(tags, durations);
      } catch {}
    },
  };
}

let defaultHandler: UseCacheHandler | undefined;
function getDefault(): UseCacheHandler {
  return (defaultHandler ??= createUseCacheHandler());
}

/** The ready handler (lazy: nothing connects until Next first calls it). */
const handler: UseCacheHandler = {
  get: (k, s) => getDefault().get(k, s),
  set: (k, e) => getDefault().set(k, e),
  refreshTags: () => getDefault().refreshTags(),
  getExpiration: (t) => getDefault().getExpiration(t),
  updateTags: (t, d) => getDefault().updateTags(t, d),
  get core() {
    return getDefault().core;
  },
};

export default handler;
