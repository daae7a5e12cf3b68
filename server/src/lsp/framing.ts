// Repairs the stdio framing before vscode-jsonrpc reads it. Why: its reader stops for good on
// one bad header (`Content-Length: abc`, a missing length): the unread rest is glued to the next
// header and every later message is dropped, so the server looks alive but never answers again.
// Here a bad header is skipped up to the next `Content-Length:`, and a body that is not a JSON-RPC
// message is turned into a `tagscope/$malformed` message the server answers with a clean error.
import { Transform, type Readable } from 'node:stream';

export const MALFORMED = 'tagscope/$malformed';

const HEADER_END = Buffer.from('\r\n\r\n', 'ascii');
const MAX_BODY = 512 * 1024 * 1024;
const MAX_HEADER = 64 * 1024;

export function repairFraming(input: Readable, warn: (message: string) => void): Readable {
  let buf: Buffer = Buffer.alloc(0);
  let need = -1;
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
        }
        if (buf.length < need) break;
        const body = checkBody(buf.subarray(0, need));
        buf = buf.subarray(need);
        need = -1;
        this.push(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]));
      }
      done();
    },
  });
  input.on('error', (e) => out.destroy(e));
  return input.pipe(out);
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
