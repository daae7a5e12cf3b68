/**
 * Entry values: one Redis string per entry so a hit is one GET.
 *   "TS1:" + 20-digit timestamp in µs on the Redis clock + ":" + 10-digit meta length + ":" + meta JSON + body
 * The fixed-width header lets the write-guard script compare generations with GETRANGE, without
 * reading the body.
 */
export const HEADER_LEN = 4 + 20 + 1 + 10 + 1;

export function encodeEntry(tsRedisMs: number, meta: unknown, body: Uint8Array): Buffer {
  // `bl` = body length, so a value cut short inside the body (a 'use cache' body is raw bytes) is a miss.
  const m = Buffer.from(JSON.stringify(meta && typeof meta === 'object' ? { ...meta, bl: body.byteLength } : meta), 'utf8');
  const head = `TS1:${String(Math.round(tsRedisMs * 1000)).padStart(20, '0')}:${String(m.length).padStart(10, '0')}:`;
  return Buffer.concat([Buffer.from(head, 'latin1'), m, body]);
}

export interface DecodedEntry<M> {
  ts: number; // ms, Redis clock
  meta: M;
  body: Buffer;
}

/** Decodes an entry; returns undefined for anything malformed (hostile or foreign values are misses). */
export function decodeEntry<M>(buf: unknown): DecodedEntry<M> | undefined {
  if (!Buffer.isBuffer(buf) || buf.length < HEADER_LEN) return undefined;
  if (buf.toString('latin1', 0, 4) !== 'TS1:' || buf[24] !== 0x3a || buf[35] !== 0x3a) return undefined;
  const tsStr = buf.toString('latin1', 4, 24);
  const lenStr = buf.toString('latin1', 25, 35);
  if (!/^\d{20}$/.test(tsStr) || !/^\d{10}$/.test(lenStr)) return undefined;
  const len = Number(lenStr);
  if (HEADER_LEN + len > buf.length) return undefined;
  let meta: M;
  try {
    meta = JSON.parse(buf.toString('utf8', HEADER_LEN, HEADER_LEN + len));
  } catch {
    return undefined;
  }
  if (!meta || typeof meta !== 'object') return undefined;
  return { ts: Number(tsStr) / 1000, meta, body: buf.subarray(HEADER_LEN + len) };
}

/**
 * Decodes an entry read from Redis and says what is wrong with it, if anything: a value larger than
 * `maxBytes`, one that is not ours (another cache handler's JSON, random bytes), truncated, with
 * broken or non-finite meta, or stamped in the future (every timestamp is on the Redis clock, so a
 * future one is not Tagscope's and would make the entry immune to invalidation).
 */
export function checkEntry<M>(buf: Buffer, maxBytes: number, nowRedisMs: number): { entry: DecodedEntry<M> } | { problem: string } {
  if (buf.length > maxBytes) return { problem: `larger than maxEntryBytes (${maxBytes} bytes)` };
  if (buf.length < HEADER_LEN || buf.toString('latin1', 0, 4) !== 'TS1:') {
    const first = buf.length ? String.fromCharCode(buf[0]) : '';
    if (first === '{' || first === '[' || first === '"') return { problem: 'JSON without the Tagscope entry header (another cache handler’s format?)' };
    return { problem: buf.length < HEADER_LEN && buf.toString('latin1', 0, 4) === 'TS1:'.slice(0, buf.length) ? 'truncated header' : 'not a Tagscope entry (no TS1 header)' };
  }
  if (buf[24] !== 0x3a || buf[35] !== 0x3a || !/^\d{20}$/.test(buf.toString('latin1', 4, 24)) || !/^\d{10}$/.test(buf.toString('latin1', 25, 35))) {
    return { problem: 'malformed header' };
  }
  const len = Number(buf.toString('latin1', 25, 35));
  if (HEADER_LEN + len > buf.length) return { problem: 'truncated (meta runs past the end of the value)' };
  const e = decodeEntry<M>(buf);
  if (!e) return { problem: 'meta is not a JSON object' };
  if (!finiteDeep(e.meta, 0)) return { problem: 'meta holds a non-finite or negative number' };
  const bl = (e.meta as { bl?: unknown }).bl;
  if (bl !== undefined && bl !== e.body.length) return { problem: `truncated or padded (body of ${e.body.length} bytes, ${String(bl)} written)` };
  if (!Number.isFinite(e.ts) || e.ts > nowRedisMs + 5 * 60_000) return { problem: `timestamp ${Math.round(e.ts)} is in the future` };
  return { entry: e };
}

function finiteDeep(v: unknown, depth: number): boolean {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0;
  if (v === null || typeof v !== 'object') return true;
  if (depth > 8) return false;
  for (const x of Object.values(v)) if (!finiteDeep(x, depth + 1)) return false;
  return true;
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const optional = (v: unknown, t: (x: unknown) => boolean) => v === undefined || v === null || t(v);
const isStr = (v: unknown) => typeof v === 'string';
const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
/** RFC 9110 token (a header name Node and fetch's Headers accept). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** CR, LF or NUL in a header value: Node's setHeader and fetch's Headers throw on them. */
const BAD_HEADER_VALUE = /[\r\n\0]/;
const isHeaderValue = (x: unknown) => (typeof x === 'string' && !BAD_HEADER_VALUE.test(x)) || isNum(x);
const isHeaders = (v: unknown) =>
  isObj(v) && Object.entries(v).every(([k, x]) => HEADER_NAME.test(k) && (x === undefined || isHeaderValue(x) || (Array.isArray(x) && x.every(isHeaderValue))));
/** A status Next can answer with: fetch's Response takes 200–599, Node's writeHead 100–999 (pages 100–599 here). */
const isStatus = (lo: number) => (v: unknown) => Number.isInteger(v) && (v as number) >= lo && (v as number) <= 599;
const isRevalidate = (v: unknown) => v === false || (isNum(v) && (v as number) >= 1);

/**
 * Whether an incremental entry's stored cache control is one Next accepts: a prerendered page with
 * a revalidate below 1 makes Next throw ("Invalid revalidate configuration provided").
 */
export function cacheControlProblem(cc: unknown): string | undefined {
  if (cc === undefined || cc === null) return undefined;
  if (!isObj(cc)) return 'cache control is not an object';
  if (!optional(cc.revalidate, isRevalidate)) return 'cache control revalidate is not false or a number ≥ 1';
  if (!optional(cc.expire, isNum)) return 'cache control expire is not a number';
  return undefined;
}

/**
 * Whether a decoded incremental value has the shape Next reads for its kind (server/response-cache
 * types): a value of the right kind but the wrong shape would otherwise throw inside Next's render.
 */
export function incrementalValueProblem(v: unknown): string | undefined {
  if (!isObj(v) || typeof v.kind !== 'string') return 'value is not an object with a kind';
  switch (v.kind) {
    case 'APP_PAGE':
      if (!isStr(v.html) && !Buffer.isBuffer(v.html)) return 'APP_PAGE without html';
      // rscData / segment data go to the response as streams: Buffers only (the codec writes every Buffer so).
      if (!optional(v.rscData, Buffer.isBuffer) || !optional(v.headers, isHeaders) || !optional(v.status, isStatus(100)) || !optional(v.postponed, isStr)) return 'APP_PAGE fields of the wrong type';
      if (!optional(v.segmentData, (m) => m instanceof Map && [...(m as Map<unknown, unknown>)].every(([k, x]) => isStr(k) && Buffer.isBuffer(x)))) return 'APP_PAGE segmentData of the wrong type';
      return undefined;
    case 'APP_ROUTE':
      if (!Buffer.isBuffer(v.body) || !isStatus(200)(v.status) || !isHeaders(v.headers)) return 'APP_ROUTE fields of the wrong type';
      return undefined;
    case 'PAGES':
      if (!isStr(v.html) && !Buffer.isBuffer(v.html)) return 'PAGES without html';
      if (!optional(v.headers, isHeaders) || !optional(v.status, isStatus(100))) return 'PAGES fields of the wrong type';
      return undefined;
    case 'FETCH':
      if (!isObj(v.data) || !isStr(v.data.body) || !isHeaders(v.data.headers) || !isStr(v.data.url) || !optional(v.data.status, isStatus(200))) return 'FETCH data of the wrong shape';
      if (!optional(v.revalidate, (r) => isNum(r) || r === false) || !optional(v.tags, (t) => Array.isArray(t) && t.every(isStr))) return 'FETCH fields of the wrong type';
      return undefined;
    case 'REDIRECT':
      return isObj(v.props) ? undefined : 'REDIRECT without props';
    default:
      return `unknown kind ${JSON.stringify(String(v.kind).slice(0, 40))}`;
  }
}

/** JSON with Buffers/typed arrays and Maps (the incremental cache values hold both). */
export function encodeValue(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return { '\u0000b': Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  if (v instanceof Map) return { '\u0000m': [...v.entries()].map(([k, x]) => [encodeValue(k), encodeValue(x)]) };
  if (Array.isArray(v)) return v.map(encodeValue);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = encodeValue(x);
  return out;
}

export function decodeValue(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(decodeValue);
  const o = v as Record<string, unknown>;
  if (typeof o['\u0000b'] === 'string') return Buffer.from(o['\u0000b'] as string, 'base64');
  if (Array.isArray(o['\u0000m'])) {
    const pairs = o['\u0000m'] as unknown[];
    if (!pairs.every((p) => Array.isArray(p) && p.length === 2)) throw new TypeError('tagscope: corrupt Map in a cached value');
    return new Map((pairs as unknown[][]).map(([k, x]) => [decodeValue(k), decodeValue(x)]));
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = decodeValue(x);
  return out;
}
