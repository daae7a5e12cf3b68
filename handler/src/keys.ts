/**
 * The Redis key layout of Tagscope, defined once. Handlers, the TagStore, the tests and the
 * benchmark all build key names through this module.
 *
 *   <prefix>:t:<tag>          tag state        string "s|x|a" (stale ms, expired ms, expired-issue ms;
 *                                               empty field = absent). One key per tag, so tags spread
 *                                               over cluster slots. PEXPIREAT = the time after which it
 *                                               can no longer affect any live entry.
 *   <prefix>:u:<sha256>       'use cache' entry  one binary value: header + meta JSON + body (one GET per hit)
 *   <prefix>:i:<sha256>       cacheHandler entry (static pages, route responses, fetch, unstable_cache)
 *   {<prefix>}:log            invalidation log  Redis Stream (XADD MAXLEN ~ N); field `d` = JSON ops
 *   {<prefix>}:seen           tags seen in set() ZSET tag → last seen (ms, Redis time), bounded
 *   <prefix>:events           pub/sub channel   published after every invalidation (JSON ops)
 *
 * Times are epoch milliseconds on Redis's clock (see clock.ts). The log and seen keys carry a hash tag
 * so they can never collide with the per-tag keys' slots logic (each is a single key anyway).
 */
import { createHash } from 'node:crypto';

export const DEFAULT_PREFIX = 'tagscope';

export class Keys {
  readonly prefix: string;
  constructor(prefix: string = DEFAULT_PREFIX) {
    if (!prefix || /[\s{}]/.test(prefix)) throw new Error(`tagscope: invalid key prefix ${JSON.stringify(prefix)}`);
    this.prefix = prefix;
  }
  tag(tag: string): string {
    return `${this.prefix}:t:${tag}`;
  }
  /** The tag name of a tag key, or undefined when the key is not a tag key of this prefix. */
  tagOf(key: string): string | undefined {
    const p = `${this.prefix}:t:`;
    return key.startsWith(p) ? key.slice(p.length) : undefined;
  }
  tagPattern(): string {
    return `${escapeGlob(this.prefix)}:t:*`;
  }
  useCacheEntry(cacheKey: string): string {
    return `${this.prefix}:u:${hash(cacheKey)}`;
  }
  incrementalEntry(cacheKey: string): string {
    return `${this.prefix}:i:${hash(cacheKey)}`;
  }
  log(): string {
    return `{${this.prefix}}:log`;
  }
  seen(): string {
    return `{${this.prefix}}:seen`;
  }
  channel(): string {
    return `${this.prefix}:events`;
  }
}

function hash(s: string): string {
  return createHash('sha256').update(s).digest('base64url');
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => '\\' + c);
}

/** Next's encodeHeaderSafe: percent-encode runs of characters outside tab + printable ASCII. */
export function encodeHeaderSafe(value: string): string {
  return /[^\t\x20-\x7e]/.test(value) ? value.replace(/[^\t\x20-\x7e]+/g, (run) => encodeURIComponent(run)) : value;
}

/** Soft tags exactly as Next's revalidatePath computes them (dist/server/web/spec-extension/revalidate.js). */
export function pathSoftTags(path: string, type?: 'page' | 'layout'): string[] {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  let tag = `_N_T_${encodeHeaderSafe(trimmed)}`;
  if (type) tag += `${tag.endsWith('/') ? '' : '/'}${type}`;
  const tags = [tag];
  if (tag === '_N_T_/') tags.push('_N_T_/index');
  else if (tag === '_N_T_/index') tags.push('_N_T_/');
  return tags;
}
