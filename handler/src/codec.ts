/**
 * Entry values: one Redis string per entry so a hit is one GET.
 *   "TS1:" + 20-digit timestamp in µs on the Redis clock + ":" + 10-digit meta length + ":" + meta JSON + body
 * The fixed-width header lets the write-guard script compare generations with GETRANGE, without
 * reading the body.
 */
export const HEADER_LEN = 4 + 20 + 1 + 10 + 1;

export function encodeEntry(tsRedisMs: number, meta: unknown, body: Uint8Array): Buffer {
  const m = Buffer.from(JSON.stringify(meta), 'utf8');
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
  if (Array.isArray(o['\u0000m'])) return new Map((o['\u0000m'] as unknown[][]).map(([k, x]) => [decodeValue(k), decodeValue(x)]));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = decodeValue(x);
  return out;
}
