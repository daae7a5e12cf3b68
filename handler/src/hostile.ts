/**
 * Corrupt, foreign, wrong-typed or oversized values under Tagscope's keys: what counts as one, and
 * how it is reported. Such a value is never an error for Next: an entry is a miss, a tag state or a
 * log entry is ignored. Every occurrence is a `corrupt` metric event; a warning goes to the logger
 * (console by default, not gated by TAGSCOPE_DEBUG) at most once per key kind per `warnIntervalMs`.
 * A warning names the key (shortened) and the problem, and shows at most the first 24 bytes of the
 * value: never the payload itself.
 */
import type { MetricEvent } from './config';

export type KeyKind = 'entry' | 'tag' | 'log' | 'seen';

/** Times more than this after Redis's now are not times Tagscope wrote (every time is on the Redis clock). */
export const FUTURE_SLACK_MS = 24 * 3600 * 1000;
const NEVER_MS = 0xfffffffe * 1000;
const KEY_MAX = 120;
const PREVIEW_BYTES = 24;

export function isWrongType(err: unknown): boolean {
  return String((err as Error)?.message ?? '').startsWith('WRONGTYPE');
}

export function shortKey(key: string): string {
  const k = String(key);
  return k.length > KEY_MAX ? `${k.slice(0, KEY_MAX)}…(${k.length} chars)` : k;
}

/** The first bytes of a value, escaped, with its length: enough to recognise it, never the payload. */
export function preview(v: unknown): string {
  if (v === undefined || v === null) return '';
  const b = Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8');
  const head = JSON.stringify(b.subarray(0, PREVIEW_BYTES).toString('latin1')).replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `${b.length} bytes, starting ${head}${b.length > PREVIEW_BYTES ? '…' : ''}`;
}

const CONSEQUENCE: Record<KeyKind, string> = {
  entry: 'treated as a cache miss; the next set of this entry replaces it',
  tag: 'treated as no invalidation of this tag; the next invalidation of the tag replaces it',
  log: 'ignored',
  seen: 'ignored (tools may list fewer tags)',
};

export interface Reporter {
  report(kind: KeyKind, key: string, problem: string, sample?: unknown, handler?: MetricEvent['handler']): void;
  warnOnce(group: string, message: string): void;
}

export class HostileData implements Reporter {
  private last = new Map<string, { at: number; suppressed: number }>();
  constructor(
    private readonly o: { logger: { warn: (m: string) => void }; warnIntervalMs: number },
    private readonly emit: (ev: MetricEvent) => void,
  ) {}

  report(kind: KeyKind, key: string, problem: string, sample?: unknown, handler?: MetricEvent['handler']): void {
    const ev: MetricEvent = { type: 'corrupt', kind, reason: problem, key: shortKey(key) };
    if (handler) ev.handler = handler;
    this.emit(ev);
    const p = preview(sample);
    this.warnOnce(
      kind,
      `ignored a corrupt or foreign value under the ${kind} key ${JSON.stringify(shortKey(key))}: ${problem}${p ? ` (${p})` : ''}; ${CONSEQUENCE[kind]}.`,
    );
  }

  /** One warning per group per interval; the next one says how many were left out. */
  warnOnce(group: string, message: string): void {
    const now = Date.now();
    const l = this.last.get(group);
    if (l && now - l.at < this.o.warnIntervalMs) {
      l.suppressed++;
      return;
    }
    this.last.set(group, { at: now, suppressed: 0 });
    const more = l?.suppressed ? ` ${l.suppressed} more like it since the last warning.` : '';
    try {
      this.o.logger.warn(`[tagscope] ${message}${more} (at most one such warning every ${Math.round(this.o.warnIntervalMs / 1000)} s)`);
    } catch {}
  }
}

/** Why a parsed tag state (or log op) cannot have been written by Tagscope; undefined = plausible. */
export function stateProblem(st: { s?: number; x?: number; a?: number }, nowRedis: number): string | undefined {
  const fields: Array<[string, number | undefined]> = [
    ['stale', st.s],
    ['expired', st.x],
    ['written', st.a],
  ];
  for (const [name, v] of fields) {
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return `${name} time ${String(v)} is not a time`;
  }
  if (st.s !== undefined && st.s > nowRedis + FUTURE_SLACK_MS) return `stale time ${st.s} is in the future`;
  if (st.a !== undefined && st.a > nowRedis + FUTURE_SLACK_MS) return `written time ${st.a} is in the future`;
  if (st.x !== undefined && st.x > (st.a ?? nowRedis) + NEVER_MS + FUTURE_SLACK_MS) return `expiry ${st.x} is beyond "never"`;
  return undefined;
}

/**
 * Reads tag-state values without trusting them: a value of another type, or longer than any state
 * (`maxLen`), is reported as such instead of being transferred. One script per SCAN batch on a single
 * node; one GETRANGE per key on a cluster (keys of different slots).
 */
const READ_TAGS_LUA = `
local out = {}
for i, k in ipairs(KEYS) do
  local t = redis.call('TYPE', k)['ok']
  if t == 'string' then
    if redis.call('STRLEN', k) > tonumber(ARGV[1]) then out[i] = '!big' else out[i] = redis.call('GET', k) end
  elseif t == 'none' then out[i] = false
  else out[i] = '!type:' .. t end
end
return out`;

export type TagValue = string | null | { problem: string };

export async function readTagValues(send: (args: string[]) => Promise<any>, keys: string[], cluster: boolean, maxLen = 64): Promise<TagValue[]> {
  const map = (v: unknown): TagValue => {
    if (v === null || v === undefined || v === false) return null;
    const s = String(v);
    if (s === '!big') return { problem: `longer than ${maxLen} bytes` };
    if (s.startsWith('!type:')) return { problem: `wrong Redis type (${s.slice(6)}, expected string)` };
    return s;
  };
  // Errors propagate: a resync that silently skipped a key it could not read would drop an invalidation.
  if (!cluster) {
    const r = await send(['EVAL', READ_TAGS_LUA, String(keys.length), ...keys, String(maxLen)]);
    return keys.map((_, i) => map(Array.isArray(r) ? r[i] : null));
  }
  // Cluster: keys of different slots, one command each; GETRANGE bounds the read ("" = absent).
  const one = (k: string): Promise<TagValue> =>
    send(['GETRANGE', k, '0', String(maxLen)]).then(
      (v: unknown) => {
        const s = v === null || v === undefined ? '' : String(v);
        if (s === '') return null;
        return s.length > maxLen ? { problem: `longer than ${maxLen} bytes` } : s;
      },
      (err: unknown) => {
        if (isWrongType(err)) return { problem: 'wrong Redis type (expected string)' };
        throw err;
      },
    );
  return Promise.all(keys.map(one));
}
