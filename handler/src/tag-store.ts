/**
 * TagStore: what tools (the VS Code extension's panel, scripts) use to read and change tag state in
 * the same Redis store the handlers use, through the same key layout and merge rules.
 */
import { resolveOptions, type TagscopeOptions } from './config';
import { Core, parseState, type St, type TagState } from './core';
import { pathSoftTags } from './keys';
import { isWrongType } from './hostile';
import { redactedNodes } from './redact';

export interface TagStoreOptions extends Pick<TagscopeOptions, 'url' | 'cluster' | 'keyPrefix' | 'timeoutMs' | 'maxTtlSeconds' | 'onMetric' | 'logger' | 'warnIntervalMs'> {
  url: string;
  /** Polling interval of the subscription fallback (ms). Default 2000. */
  pollMs?: number;
}

/** `expire` (s) of Next 16's built-in cacheLife profiles (dist/server/config-shared.js). */
export const BUILT_IN_PROFILE_EXPIRE = {
  default: 0xfffffffe,
  seconds: 60,
  minutes: 3600,
  hours: 86400,
  days: 604800,
  weeks: 2592000,
  max: 31536000,
} as const;
export type BuiltInProfile = keyof typeof BUILT_IN_PROFILE_EXPIRE;

function toState(tag: string, st: St | undefined): TagState {
  const out: TagState = { tag };
  if (st?.s !== undefined) out.stale = st.s;
  if (st?.x !== undefined) out.expired = st.x;
  return out;
}

export class TagStore {
  private constructor(
    private readonly core: Core,
    private readonly pollMs: number,
  ) {}

  static async connect(options: TagStoreOptions): Promise<TagStore> {
    const o = resolveOptions({ ...options, journalDir: false, recordSeenTags: false, useDuringBuild: true });
    const core = new Core(o);
    const ok = await core.ensureInit();
    if (!ok) {
      await core.close();
      throw new Error(`tagscope: cannot connect to Redis at ${redactedNodes(o.rootUrls)}`);
    }
    return new TagStore(core, options.pollMs ?? 2000);
  }

  /** Every tag the store knows: tags with a state (invalidated, not yet past its horizon) and tags seen on entries. */
  async list(): Promise<TagState[]> {
    const states = new Map<string, TagState>();
    await this.core.conn.forEachMaster(async (send) => {
      let cursor = '0';
      do {
        const [next, keys] = (await send(['SCAN', cursor, 'MATCH', this.core.keys.tagPattern(), 'COUNT', '1000'])) as [string, string[]];
        cursor = String(next);
        if (keys.length) {
          const vals = await this.core.getMany(send, keys); // corrupt or foreign values are reported and read as null
          keys.forEach((k, i) => {
            const tag = this.core.keys.tagOf(String(k));
            const st = parseState(vals[i]);
            if (tag !== undefined && st) states.set(tag, toState(tag, st));
          });
        }
      } while (cursor !== '0');
    });
    const seenKey = this.core.keys.seen();
    try {
      const seen = await this.core.conn.cmd<string[]>(seenKey, ['ZRANGE', seenKey, '0', '-1']);
      for (const t of Array.isArray(seen) ? seen : []) if (!states.has(String(t))) states.set(String(t), { tag: String(t) });
    } catch (err) {
      if (isWrongType(err)) this.core.hostile.report('seen', seenKey, 'wrong Redis type (expected a zset)');
    }
    return [...states.values()].sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
  }

  /** The state of one tag; undefined when it has none, or when the value under its key is not a tag state (reported). */
  async get(tag: string): Promise<TagState | undefined> {
    const key = this.core.keys.tag(tag);
    const [v] = await this.core.getMany((args) => this.core.conn.cmd(key, args), [key]);
    const st = parseState(v);
    return st ? toState(tag, st) : undefined;
  }

  /**
   * Next's updateTags: without durations = expire now (updateTag); with {expire} (s) = stale now,
   * expired at now + expire (revalidateTag with a profile). A built-in profile name ('max', 'hours', …)
   * is accepted for {expire} too.
   */
  async invalidate(tags: string[], durations?: { expire?: number } | BuiltInProfile): Promise<void> {
    if (typeof durations === 'string') {
      const expire = BUILT_IN_PROFILE_EXPIRE[durations];
      if (expire === undefined) throw new Error(`tagscope: unknown cacheLife profile "${durations}" (built-ins: ${Object.keys(BUILT_IN_PROFILE_EXPIRE).join(', ')})`);
      durations = { expire };
    }
    await this.core.updateTags(tags, durations, true);
  }

  /** revalidatePath: the soft tags Next computes for the path (expire now). */
  async invalidatePath(path: string, type?: 'page' | 'layout'): Promise<void> {
    await this.invalidate(pathSoftTags(path, type));
  }

  /** Live changes: pub/sub wakes a log read; polling the log is the fallback. Returns unsubscribe. */
  subscribe(listener: (changed: TagState[]) => void): () => void {
    let active = true;
    const off = this.core.onChange((tags) => {
      if (!active) return;
      try {
        listener(tags.map((t) => toState(t, this.core.mirror.get(t))));
      } catch {}
    });
    let unsub: (() => Promise<void>) | undefined;
    this.core.conn
      .subscribe(this.core.keys.channel(), () => void this.core.requestSync())
      .then((u) => {
        if (active) unsub = u;
        else u().catch(() => {});
      })
      .catch(() => {});
    const timer = setInterval(() => void this.core.requestSync(), this.pollMs);
    timer.unref();
    return () => {
      active = false;
      off();
      clearInterval(timer);
      unsub?.().catch(() => {});
    };
  }

  async close(): Promise<void> {
    await this.core.close();
  }
}
