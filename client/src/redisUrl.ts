// Validation of the Redis URL typed into "Tagscope: Connect to Redis…" (no vscode import: unit-tested).
import { AMBIGUOUS_CREDENTIALS_HINT, hasAmbiguousCredentials } from '../../handler/src/redact'; // a pure module: no Redis client in the extension bundle

/** An error message for the input box, or undefined when the URL is acceptable. */
export function validateRedisUrl(value: string): string | undefined {
  const v = value.trim();
  if (!v) return 'Enter a Redis URL, e.g. redis://localhost:6379';
  // Before parsing: a '/', '?' or '#' in a password makes the parser fail or read it as host and port.
  if (hasAmbiguousCredentials(v)) return AMBIGUOUS_CREDENTIALS_HINT;
  const first = v.split(',')[0];
  let u: URL;
  try {
    u = new URL(first.replace(/^redis\+cluster:/, 'redis:'));
  } catch {
    return 'Not a URL. Use redis://[user:password@]host[:port][/db], rediss://… for TLS, or redis+cluster://host1:port,host2:port';
  }
  if (!/^(redis|rediss):$/.test(u.protocol)) return 'The URL must start with redis://, rediss:// or redis+cluster://';
  if (!u.hostname) return 'The URL needs a host';
  return undefined;
}
