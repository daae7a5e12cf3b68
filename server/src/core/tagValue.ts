// Operations on evaluated tags: display, matching (do two tags share a possible string?),
// identity comparison of holes, and "nearest tag" for typo fixes.
import type { HoleOrigin, TagPart, TagValue } from './types';

export function isString(v: TagValue): v is Extract<TagValue, { kind: 'static' | 'pattern' }> {
  return v.kind === 'static' || v.kind === 'pattern';
}

/** `team_${slug}` style display of a tag value. */
export function displayTag(v: TagValue): string {
  switch (v.kind) {
    case 'static':
      return v.value;
    case 'pattern':
      return v.parts.map((p) => ('text' in p ? p.text : '${' + p.hole.expr + '}')).join('');
    case 'unknown':
      return '<unknown>';
    case 'invalid':
      return '<not a string>';
  }
}

/** A stable key for grouping equal tags or patterns (hole names ignored). */
export function tagKey(v: TagValue): string {
  if (v.kind === 'static') return v.value;
  if (v.kind === 'pattern') return v.parts.map((p) => ('text' in p ? p.text.replace(/\*/g, '\\*') : '*')).join('');
  return '<' + v.kind + '>';
}

/** Normalises parts: merges adjacent literals, expands holes with a known finite set of values. */
export function makeValue(parts: TagPart[]): TagValue {
  const merged: TagPart[] = [];
  for (const p of parts) {
    const last = merged[merged.length - 1];
    if ('text' in p) {
      if (p.text === '') continue;
      if (last && 'text' in last) merged[merged.length - 1] = { text: last.text + p.text };
      else merged.push(p);
    } else merged.push(p);
  }
  if (merged.length === 0) return { kind: 'static', value: '' };
  if (merged.length === 1 && 'text' in merged[0]) return { kind: 'static', value: merged[0].text };
  return { kind: 'pattern', parts: merged };
}

type Glob = Array<string | null>; // one char per element, null = any string

const globCache = new WeakMap<TagValue, Glob>();

function toGlob(v: TagValue): Glob {
  const hit = globCache.get(v);
  if (hit) return hit;
  const g = makeGlob(v);
  globCache.set(v, g);
  return g;
}

function makeGlob(v: TagValue): Glob {
  if (v.kind === 'static') return [...v.value];
  if (v.kind === 'pattern') {
    const out: Glob = [];
    for (const p of v.parts) {
      // A loop, not push(...text): spreading a long literal as arguments overflows the stack.
      if ('text' in p) for (const ch of p.text) out.push(ch);
      else if (out[out.length - 1] !== null) out.push(null);
    }
    return out;
  }
  return [null];
}

/** Whether some string can be produced by both values (unknown matches anything). */
export function tagsIntersect(a: TagValue, b: TagValue): boolean {
  if (a.kind === 'invalid' || b.kind === 'invalid') return false;
  if (a.kind === 'static' && b.kind === 'static') return a.value === b.value;
  if (a.kind === 'pattern' && holeSetsExpand(a)) return expand(a).some((x) => tagsIntersect(x, b));
  if (b.kind === 'pattern' && holeSetsExpand(b)) return expand(b).some((x) => tagsIntersect(a, x));
  return globsIntersect(toGlob(a), toGlob(b));
}

function holeSetsExpand(v: Extract<TagValue, { kind: 'pattern' }>): boolean {
  return v.parts.some((p) => 'hole' in p && p.hole.values && p.hole.values.length > 0 && p.hole.values.length <= 64);
}

/** Expands holes with a small known value set into static alternatives (first such hole only; recursion does the rest). */
function expand(v: Extract<TagValue, { kind: 'pattern' }>): TagValue[] {
  const i = v.parts.findIndex((p) => 'hole' in p && p.hole.values && p.hole.values.length > 0);
  const hole = v.parts[i] as { hole: HoleOrigin };
  return hole.hole.values!.map((val) => makeValue([...v.parts.slice(0, i), { text: val }, ...v.parts.slice(i + 1)]));
}

/** Star-glob intersection by dynamic programming over (i, j): is there a string both globs match? */
function globsIntersect(p: Glob, q: Glob): boolean {
  const n = p.length;
  const m = q.length;
  const seen = new Uint8Array((n + 1) * (m + 1));
  const stack: Array<[number, number]> = [[0, 0]];
  while (stack.length) {
    const [i, j] = stack.pop()!;
    const k = i * (m + 1) + j;
    if (seen[k]) continue;
    seen[k] = 1;
    if (i === n && j === m) return true;
    const a = i < n ? p[i] : undefined;
    const b = j < m ? q[j] : undefined;
    if (a === null) {
      stack.push([i + 1, j]); // star matches empty
      if (j < m) stack.push([i, j + 1]); // star eats q's next char (or q's star's expansion)
    }
    if (b === null) {
      stack.push([i, j + 1]);
      if (i < n) stack.push([i + 1, j]);
    }
    if (typeof a === 'string' && typeof b === 'string' && a === b) stack.push([i + 1, j + 1]);
  }
  return false;
}

/** Literal skeleton of a pattern: its text parts with holes as separators, for comparing shapes. */
const skeletonCache = new WeakMap<TagValue, string>();

export function skeleton(v: TagValue): string {
  if (v.kind !== 'pattern') return tagKey(v);
  let k = skeletonCache.get(v);
  if (k === undefined) skeletonCache.set(v, (k = v.parts.map((p) => ('text' in p ? p.text : '\u0000')).join('')));
  return k;
}

/** The identity a hole stands for: `team.id` → {entity: 'team', key: 'id'}, `slug` → {key: 'slug'}. */
export function holeIdentity(expr: string): { entity?: string; key: string } | undefined {
  const cleaned = expr.replace(/\?\./g, '.').replace(/\(.*\)$/, '').replace(/\s+/g, '');
  if (!/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(cleaned)) return undefined;
  const segs = cleaned.split('.');
  const last = segs[segs.length - 1];
  const words = last
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s_$]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
  if (words.length === 0) return undefined;
  const key = normaliseKey(words[words.length - 1]);
  let entity: string | undefined = words.length > 1 ? words.slice(0, -1).join('') : undefined;
  if (!entity && segs.length > 1) {
    const owner = segs[segs.length - 2].toLowerCase();
    if (!['params', 'searchparams', 'props', 'args', 'input', 'data', 'options', 'opts', 'body', 'query', 'this', 'item', 'row', 'record', 'entity', 'value', 'values', 'payload', 'result', 'res', 'doc', 'ctx', 'context'].includes(owner)) entity = singular(owner);
  }
  return { entity: entity ? singular(entity) : undefined, key };
}

function normaliseKey(w: string): string {
  if (w === 'identifier' || w === 'uuid' || w === 'uid' || w === 'pk') return 'id';
  return singular(w);
}

function singular(w: string): string {
  if (w.endsWith('ies') && w.length > 4) return w.slice(0, -3) + 'y';
  if (w.endsWith('s') && !w.endsWith('ss') && w.length > 3) return w.slice(0, -1);
  return w;
}

/**
 * Whether two holes clearly stand for different identities (slug vs id, user id vs team id).
 * Unknown or ambiguous origins never count as a mismatch.
 */
export function holesMismatch(a: HoleOrigin, b: HoleOrigin): boolean {
  const x = holeIdentity(a.expr);
  const y = holeIdentity(b.expr);
  if (!x || !y) return false;
  if (x.key !== y.key) return IDENTITY_KEYS.has(x.key) && IDENTITY_KEYS.has(y.key);
  // Different entities, unless one name abbreviates the other (org / organization, cat / category).
  return !!x.entity && !!y.entity && !x.entity.startsWith(y.entity) && !y.entity.startsWith(x.entity);
}

const IDENTITY_KEYS = new Set(['id', 'slug', 'handle', 'name', 'email', 'username', 'code', 'sku', 'uid', 'path', 'locale', 'lang', 'key']);

/** Edit distance where swapping two adjacent characters counts as one edit (typos). */
export function levenshtein(a: string, b: string, max = Infinity): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > max) return max + 1;
  // Three rolling rows instead of a full matrix: a 900 KB declared tag compared with a typo must
  // not allocate length × length cells; stop once two rows are past `max` (nothing gets back under).
  const n = b.length;
  let prev2: number[] = new Array(n + 1).fill(0);
  let prev: number[] = Array.from({ length: n + 1 }, (_, j) => j);
  let cur: number[] = new Array(n + 1).fill(0);
  let prevMin = 0;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2] + 1);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max && prevMin > max) return max + 1;
    prevMin = rowMin;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n];
}

/** The closest candidate within a typo's distance, or undefined. */
export function nearest(word: string, candidates: Iterable<string>, budget?: { comparisons: number }): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const limit = Math.max(1, Math.min(3, Math.floor(word.length / 4)));
  for (const c of candidates) {
    if (Math.abs(c.length - word.length) > limit) continue;
    if (budget && budget.comparisons-- <= 0) return undefined;
    const d = levenshtein(word, c, limit);
    if (d > 0 && d <= limit && d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best;
}

/** The skeleton of a pattern whose holes are all unrestricted, else '' (no shortcut). */
function openShape(v: Extract<TagValue, { kind: 'pattern' }>): string {
  return v.parts.some((p) => 'hole' in p && p.hole.values?.length) ? '' : skeleton(v);
}

/** The literal text before the first hole and after the last one. */
function ends(v: Extract<TagValue, { kind: 'pattern' }>): { head: string; tail: string } {
  const first = v.parts[0];
  const last = v.parts[v.parts.length - 1];
  return { head: 'text' in first ? first.text : '', tail: 'text' in last ? last.text : '' };
}

const regexCache = new WeakMap<TagValue, Tester>();

function patternRegExp(v: Extract<TagValue, { kind: 'pattern' }>): Tester {
  let re = regexCache.get(v);
  if (!re) regexCache.set(v, (re = compilePattern(v)));
  return re;
}

type Tester = { test(s: string): boolean };

function compilePattern(v: Extract<TagValue, { kind: 'pattern' }>): Tester {
  const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  try {
    const re = new RegExp('^' + v.parts.map((p) => ('text' in p ? esc(p.text) : p.hole.values?.length ? '(?:' + p.hole.values.map(esc).join('|') + ')' : '[\\s\\S]*')).join('') + '$');
    re.test(''); // V8 compiles on first use: a size error surfaces here, not later in a rule
    return re;
  } catch {
    // V8 refuses a regular expression past its size limit (a 300 KB template literal): match the
    // literal runs in order instead, every hole as any string (an over-approximation, never a throw).
    return globTester(v);
  }
}

function globTester(v: Extract<TagValue, { kind: 'pattern' }>): Tester {
  const segs = [''];
  for (const p of v.parts) {
    if ('text' in p) segs[segs.length - 1] += p.text;
    else segs.push('');
  }
  const head = segs[0];
  const tail = segs[segs.length - 1];
  return {
    test(s: string) {
      if (segs.length === 1) return s === head;
      if (s.length < head.length + tail.length || !s.startsWith(head) || !s.endsWith(tail)) return false;
      let at = head.length;
      const end = s.length - tail.length;
      for (let i = 1; i < segs.length - 1; i++) {
        const k = s.indexOf(segs[i], at);
        if (k < 0 || k + segs[i].length > end) return false;
        at = k + segs[i].length;
      }
      return true;
    },
  };
}

/**
 * Answers "which of these tags can equal this one?" without comparing every pair: statics by
 * map lookup, patterns by a regular expression compiled once. Matching is what every rule and
 * editor feature asks, on every edit.
 */
export class TagMatcher<T> {
  private readonly statics = new Map<string, T[]>();
  /** Static tags sorted, so "starts with" is a binary-searched range. */
  private readonly sortedStatics: string[];
  /** Patterns by their literal head (text before the first hole). */
  private readonly patternsByHead = new Map<string, StoredPattern<T>[]>();
  private readonly sortedHeads: string[];
  /** Distinct head lengths, ascending: the only prefixes of a tag worth looking up. */
  private readonly headLengths: number[];

  constructor(entries: Iterable<{ value: TagValue; item: T }>) {
    for (const { value, item } of entries) {
      if (value.kind === 'static') {
        const list = this.statics.get(value.value);
        if (list) list.push(item);
        else this.statics.set(value.value, [item]);
      } else if (value.kind === 'pattern') {
        const p: StoredPattern<T> = { value, re: patternRegExp(value), item, ...ends(value), shape: openShape(value) };
        push(this.patternsByHead, p.head, p);
      }
    }
    this.sortedStatics = [...this.statics.keys()].sort();
    this.sortedHeads = [...this.patternsByHead.keys()].sort();
    this.headLengths = [...new Set(this.sortedHeads.map((h) => h.length))].sort((a, b) => a - b);
  }

  /** Items whose tag can produce a string `v` can also produce. */
  match(v: TagValue): T[] {
    if (v.kind === 'static') {
      const out = [...(this.statics.get(v.value) ?? [])];
      for (const p of this.patternsHeadedBy(v.value)) if (p.re.test(v.value)) out.push(p.item);
      return out;
    }
    if (v.kind !== 'pattern') return [];
    const re = patternRegExp(v);
    const out: T[] = [];
    const { head, tail } = ends(v);
    for (const s of withPrefix(this.sortedStatics, head)) if (s.endsWith(tail) && re.test(s)) for (const item of this.statics.get(s)!) out.push(item);
    const shape = openShape(v);
    const candidates = [...this.patternsHeadedBy(head)];
    for (const h of withPrefix(this.sortedHeads, head)) if (h !== head) for (const p of this.patternsByHead.get(h)!) candidates.push(p);
    for (const p of candidates) {
      if (shape && p.shape === shape) {
        out.push(p.item); // same literals around unrestricted holes: always a common string
        continue;
      }
      if (!(p.tail.endsWith(tail) || tail.endsWith(p.tail))) continue;
      if (tagsIntersect(v, p.value)) out.push(p.item);
    }
    return out;
  }

  /** Patterns whose literal head is a prefix of `s` (the only ones that can produce a string starting with s). */
  private *patternsHeadedBy(s: string): Generator<StoredPattern<T>> {
    // Only prefixes as long as some head: a 900 KB tag made one slice per character (0.6 s a lookup).
    for (const i of this.headLengths) {
      if (i > s.length) break;
      const list = this.patternsByHead.get(s.slice(0, i));
      if (list) yield* list;
    }
  }

  has(v: TagValue): boolean {
    if (v.kind === 'static') {
      if (this.statics.has(v.value)) return true;
      for (const p of this.patternsHeadedBy(v.value)) if (p.re.test(v.value)) return true;
      return false;
    }
    return this.match(v).length > 0;
  }
}

/** The entries of a sorted array that start with `prefix` (binary search for the range). */
function* withPrefix(sorted: string[], prefix: string): Generator<string> {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < prefix) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < sorted.length && sorted[i].startsWith(prefix); i++) yield sorted[i];
}

interface StoredPattern<T> {
  value: TagValue;
  re: Tester;
  item: T;
  head: string;
  tail: string;
  shape: string;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}
