/**
 * `@tagscope/handler/incremental`: the class for next.config `cacheHandler` (singular): static pages,
 * PPR shells, route responses, `fetch` and `unstable_cache`, checked against the same tag state as the
 * 'use cache' handler, so a static page on instance B is invalidated by an invalidation on instance A.
 */
import { resolveOptions, type TagscopeOptions } from './config';
import { Core } from './core';
import { cacheControlProblem, decodeValue, encodeEntry, encodeValue, incrementalValueProblem } from './codec';

const TAGS_HEADER = 'x-next-cache-tags';
/** Longest render whose start is tracked (a later set is stamped with its own time). */
const RENDER_WINDOW_MS = 60_000;

interface CacheControl {
  revalidate: number | false;
  expire: number | undefined;
}
interface Meta {
  k: string; // value kind
  cc?: CacheControl;
  tags: string[];
}

export interface IncrementalCacheHandlerValue {
  lastModified: number;
  value: any;
  cacheControl?: CacheControl;
}

function validMeta(m: any): m is Meta {
  return !!m && typeof m.k === 'string' && Array.isArray(m.tags);
}

function headerTags(value: any): string[] {
  const h = value?.headers?.[TAGS_HEADER];
  if (typeof h === 'string' && h) return h.split(',');
  if (Array.isArray(h)) return h.flatMap((x) => String(x).split(','));
  return [];
}

export interface IncrementalCacheHandlerClass {
  new (ctx?: any): {
    get(cacheKey: string, ctx?: any): Promise<IncrementalCacheHandlerValue | null>;
    set(cacheKey: string, data: any, ctx?: any): Promise<void>;
    revalidateTag(tags: string | string[], durations?: { expire?: number }): Promise<void>;
    resetRequestCache(): void;
    readonly core: Core;
  };
}

export function createIncrementalCacheHandler(options: TagscopeOptions = {}): IncrementalCacheHandlerClass {
  const H = 'incremental' as const;
  let resolved: ReturnType<typeof resolveOptions> | undefined;
  const opts = () => (resolved ??= resolveOptions(options));

  // Next gives this API no generation start: `set` comes after the render. Stamping an entry with the
  // time of `set` would let a render that read the data before an invalidation (here or on another
  // instance) store the old data with a timestamp after it, and serve it as fresh. So the timestamp is
  // the time of the `get` that led to the render (a miss, a stale or an aged entry: Next renders after
  // it), kept per key (in the class: Next makes a handler instance per request) until the `set`.
  const renderSince = new Map<string, number>();
  // Values this handler served, with their entry time: when a regeneration fails, Next stores the
  // previous value again, which must keep its own time, not get a new one.
  const servedAt = new WeakMap<object, number>();
  const noteRender = (cacheKey: string, t: number) => {
    const prev = renderSince.get(cacheKey);
    if (prev !== undefined && t - prev < RENDER_WINDOW_MS) return; // keep the earliest pending one
    renderSince.delete(cacheKey);
    if (renderSince.size >= 10_000) renderSince.delete(renderSince.keys().next().value as string);
    renderSince.set(cacheKey, t);
  };

  return class TagscopeIncrementalCache {
    readonly core: Core;
    constructor(_ctx?: any) {
      this.core = Core.for(opts());
    }

    async get(cacheKey: string, ctx: any = {}): Promise<IncrementalCacheHandlerValue | null> {
      const core = this.core;
      const t0 = core.now();
      const out = await this.read(cacheKey, ctx);
      // Anything but a fresh, young hit makes Next render and set: remember when that began.
      if (!out || out.lastModified < 0 || this.aged(out, t0)) noteRender(cacheKey, t0);
      return out;
    }

    /** A hit Next will regenerate in the background (stale tag or past its revalidate time). */
    private aged(out: IncrementalCacheHandlerValue, nowRedis: number): boolean {
      const rv = out.cacheControl?.revalidate;
      if (this.staleKeys.has(out)) return true;
      return typeof rv === 'number' && this.core.toRedis(out.lastModified) + rv * 1000 <= nowRedis;
    }
    private staleKeys = new WeakSet<object>();

    private async read(cacheKey: string, ctx: any): Promise<IncrementalCacheHandlerValue | null> {
      const core = this.core;
      try {
        if (core.o.disabled) return null;
        // No refreshTags in this API: every get starts a delta read of the log alongside its GET.
        const e = await core.readSynced(core.keys.incrementalEntry(cacheKey), core.requestSync(), H, validMeta);
        if (!e) return null;
        let value: any;
        let problem: string | undefined;
        try {
          value = decodeValue(JSON.parse(e.body.toString('utf8')));
          problem = incrementalValueProblem(value) ?? cacheControlProblem(e.meta.cc) ?? (value.kind !== e.meta.k ? 'value kind differs from the header' : undefined);
        } catch {
          problem = 'value is not valid JSON';
        }
        if (problem) {
          core.hostile.report('entry', core.keys.incrementalEntry(cacheKey), problem, e.body, H);
          core.emit({ type: 'miss', handler: H, reason: 'corrupt' });
          return null;
        }
        const isFetch = value.kind === 'FETCH';
        const tags = isFetch
          ? [...new Set([...(e.meta.tags ?? []), ...(Array.isArray(ctx.tags) ? ctx.tags : []), ...(Array.isArray(ctx.softTags) ? ctx.softTags : [])])]
          : e.meta.tags;
        if (core.isExpired(tags, e.ts)) {
          core.emit({ type: 'miss', handler: H, reason: 'expired-tag' });
          return null;
        }
        let lastModified = core.toLocal(e.ts);
        const cc = e.meta.cc;
        if (core.isStale(tags, e.ts)) {
          // Next only consults its process-local tag manifest; signal staleness through the age instead.
          const nowLocal = core.toLocal(core.now());
          if (isFetch) {
            const rv = Number(ctx.revalidate || value.revalidate) || 0;
            lastModified = Math.min(lastModified, nowLocal - rv * 1000 - 1000);
          } else if (cc && typeof cc.revalidate === 'number' && (cc.expire === undefined || cc.expire > cc.revalidate)) {
            lastModified = Math.min(lastModified, nowLocal - cc.revalidate * 1000 - 1); // served stale once, regenerated in the background
          } else {
            lastModified = -1; // no SWR window: blocking regeneration
          }
          core.emit({ type: 'stale', handler: H });
        } else {
          core.emit({ type: 'hit', handler: H });
        }
        const out: IncrementalCacheHandlerValue = { lastModified, value };
        if (cc) out.cacheControl = cc;
        if (lastModified !== core.toLocal(e.ts)) this.staleKeys.add(out);
        servedAt.set(value, e.ts);
        return out;
      } catch (err) {
        core.emit({ type: 'miss', handler: H, reason: 'error', error: err });
        return null;
      }
    }

    set(cacheKey: string, data: any, ctx: any = {}): Promise<void> {
      // When the render that led here began (its get), taken once for the entry time and the hold.
      const since = renderSince.get(cacheKey);
      renderSince.delete(cacheKey);
      // Next's revalidate batcher hands this render to later requests until set settles.
      return this.core.holdUntilWritten(this.store(cacheKey, data, ctx, since), since === undefined ? undefined : this.core.toLocal(since));
    }

    private async store(cacheKey: string, data: any, ctx: any, since: number | undefined): Promise<void> {
      const core = this.core;
      try {
        if (core.o.disabled || !data || typeof data !== 'object' || typeof data.kind !== 'string') return;
        if (data.kind === 'IMAGE') return;
        const isFetch = data.kind === 'FETCH';
        const tags: string[] = isFetch ? (Array.isArray(ctx.tags) ? ctx.tags : Array.isArray(data.tags) ? data.tags : []) : headerTags(data);
        const cc: CacheControl | undefined = !isFetch && ctx.cacheControl ? { revalidate: ctx.cacheControl.revalidate, expire: ctx.cacheControl.expire } : undefined;
        // Encoded before any await: Next may reuse the value once set is released.
        const body = Buffer.from(JSON.stringify(encodeValue(data)), 'utf8');
        if (!(await core.ensureInit())) return;
        const now = core.now();
        // A value served earlier and stored again keeps its time; otherwise the render began at the get.
        const ts = servedAt.get(data) ?? (since !== undefined && now - since < RENDER_WINDOW_MS ? Math.min(since, now) : now);
        let lifeMs = core.o.maxTtlMs;
        if (cc && typeof cc.expire === 'number' && cc.expire > 0) lifeMs = Math.min(lifeMs, cc.expire * 1000);
        const meta: Meta = { k: data.kind, tags };
        if (cc) meta.cc = cc;
        const ok = await core.writeEntry(core.keys.incrementalEntry(cacheKey), encodeEntry(ts, meta, body), ts, lifeMs);
        if (ok) {
          core.emit({ type: 'set', handler: H });
          core.noteSeen(tags.filter((t) => !t.startsWith('_N_T_')));
        }
      } catch (err) {
        core.emit({ type: 'redis-error', handler: H, reason: 'set', error: err });
      }
    }

    async revalidateTag(tags: string | string[], durations?: { expire?: number }): Promise<void> {
      try {
        await this.core.updateTags(typeof tags === 'string' ? [tags] : tags, durations);
      } catch {}
    }

    resetRequestCache(): void {}
  };
}

const TagscopeIncrementalCache = createIncrementalCacheHandler();
export default TagscopeIncrementalCache;
