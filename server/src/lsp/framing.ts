// Repairs the stdio framing before vscode-jsonrpc reads it. Why: its reader stops for good on
// one bad header (`Content-Length: abc`, a missing length): the unread rest is glued to the next
// header and every later message is dropped, so the server looks alive but never answers again.
// Here a bad header is skipped up to the next `Content-Length:`, and a body that is not a JSON-RPC
// message is turned into a `tagscope/$malformed` message the server answers with a clean error.
// A Content-Length longer than its body would swallow the next messages (or wait for bytes that
// never come): when a complete JSON object is followed by the next header, the body ends there.
import { Transform, type Readable } from 'node:stream';

export const MALFORMED = 'tagscope/$malformed';

const HEADER_END = Buffer.from('\r\n\r\n', 'ascii');
const MAX_BODY = 512 * 1024 * 1024;
const MAX_HEADER = 64 * 1024;

export function repairFraming(input: Readable, warn: (message: string) => void): Readable {
  let buf: Buffer = Buffer.alloc(0);
  let need = -1;
  /** Bytes of the pending body already searched for a next header. */
  let scanned = 0;
  const out = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (;;) {
        if (need < 0) {
          const end = buf.indexOf(HEADER_END);
          if (end < 0) {
            if (buf.length > MAX_HEADER) {
              warn(`tagscope: dropped ${buf.length} bytes with no message header`);
              buf = resync(buf, buf.length - 32);
            }
            break;
          }
          const header = buf.subarray(0, end).toString('latin1');
          const m = /^(?:[^\r\n]*\r\n)*?content-length[ \t]*:[ \t]*(\d+)[ \t]*(?:\r\n|$)/i.exec(header);
          const len = m ? Number(m[1]) : NaN;
          if (!(len <= MAX_BODY)) {
            warn(`tagscope: dropped a message with a bad header: ${JSON.stringify(header.slice(0, 120))}`);
            buf = resync(buf, end + HEADER_END.length);
            continue;
          }
          buf = buf.subarray(end + HEADER_END.length);
          need = len;
          scanned = 0;
        }
        let take = need;
        let body: Buffer;
        if (buf.length < need) {
          // Still waiting: unless the body already ended before the next message's header.
          const cut = earlyEnd(buf, need, scanned);
          scanned = Math.max(0, buf.length - HEADER_LINE_MAX);
          if (cut < 0) break;
          take = cut;
          body = checkBody(buf.subarray(0, take));
        } else {
          const raw = buf.subarray(0, need);
          body = checkBody(raw);
          // Not JSON: maybe the declared length ran into the next message.
          const cut = body === raw ? -1 : earlyEnd(buf, need, 0);
          if (cut > 0) body = checkBody(buf.subarray(0, (take = cut)));
        }
        if (take !== need) warn(`tagscope: a message ${need} bytes long by its header ended after ${take}; read on from the next header`);
        buf = buf.subarray(take);
        need = -1;
        this.push(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]));
      }
      done();
    },
  });
  input.on('error', (e) => out.destroy(e));
  return input.pipe(out);
}

/** Longer than any real header line: a search resumes this far back, in case one was cut. */
const HEADER_LINE_MAX = 64;
const NEXT_HEADER = /content-length[ \t]*:[ \t]*\d+[ \t]*\r?\n/gi;

/**
 * Where a body with a too-long Content-Length really ends: the first next-message header starting
 * in `[from, need)` that a complete JSON object precedes. A correctly framed body is one JSON value,
 * so a header inside it sits within a string and what precedes it never parses: no false cut.
 * Only the unsearched part is decoded, so a large body arriving in chunks stays linear.
 */
function earlyEnd(buf: Buffer, need: number, from: number): number {
  const text = buf.subarray(from).toString('latin1');
  NEXT_HEADER.lastIndex = 0;
  for (let m = NEXT_HEADER.exec(text); m; m = NEXT_HEADER.exec(text)) {
    const at = from + m.index;
    if (at >= need) break;
    if (at > 0 && buf[lastNonSpace(buf, at)] === 0x7d /* } */ && isJsonObject(buf.subarray(0, at))) return at;
  }
  return -1;
}

function lastNonSpace(buf: Buffer, end: number): number {
  let i = end - 1;
  while (i > 0 && (buf[i] === 0x20 || buf[i] === 0x09 || buf[i] === 0x0a || buf[i] === 0x0d)) i--;
  return i;
}

function isJsonObject(body: Buffer): boolean {
  const text = body.toString('utf8').trim();
  if (!text.startsWith('{') || !text.endsWith('}')) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Drops bytes up to the next `Content-Length` (searched from offset 1), or up to `fallback`. */
function resync(buf: Buffer, fallback: number): Buffer {
  const text = buf.toString('latin1').toLowerCase();
  const i = text.indexOf('content-length', 1);
  return buf.subarray(i > 0 ? i : Math.max(1, fallback));
}

/** A body that is a JSON-RPC message passes as is; anything else becomes a $malformed message. */
function checkBody(body: Buffer): Buffer {
  const text = body.toString('utf8');
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch (e) {
    // Answer the request the client is waiting for, when its id can still be read.
    const id = /"id"\s*:\s*(-?\d+|"(?:[^"\\]|\\.)*")/.exec(text)?.[1];
    return malformed(id === undefined ? undefined : JSON.parse(id), -32700, `Parse error: ${(e as Error).message}`);
  }
  if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return malformed(undefined, -32600, 'Invalid request: not a JSON-RPC message object');
  const m = msg as { id?: unknown; method?: unknown };
  const id = typeof m.id === 'number' || typeof m.id === 'string' ? m.id : undefined;
  if ('method' in m ? typeof m.method !== 'string' : id === undefined) return malformed(id, -32600, 'Invalid request: no method');
  return body;
}

function malformed(id: number | string | undefined, code: number, message: string): Buffer {
  const params = { code, message: message.slice(0, 300) };
  return Buffer.from(JSON.stringify(id === undefined ? { jsonrpc: '2.0', method: MALFORMED, params } : { jsonrpc: '2.0', id, method: MALFORMED, params }), 'utf8');
}
