// A TCP proxy in front of a Redis server for the security tests: it counts the connections the
// extension's language server opens (the Redis-side evidence that nothing connected), and can
// play a hostile Redis that answers every command with an error text of the test's choosing.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface RedisProxy {
  port: number;
  /** Connections accepted so far. */
  readonly accepts: number;
  /** Connections open now. */
  readonly open: number;
  /** From now on every command gets `-ERR <text>` (no command reaches Redis). */
  arm(text: string): void;
  disarm(): void;
  close(): Promise<void>;
}

/** Byte length of the first complete RESP command in buf (array of bulk strings, or inline), or 0. */
function commandLength(buf: Buffer): number {
  if (!buf.length) return 0;
  if (buf[0] !== 0x2a /* '*' */) {
    const nl = buf.indexOf('\r\n');
    return nl < 0 ? 0 : nl + 2;
  }
  let at = buf.indexOf('\r\n');
  if (at < 0) return 0;
  const n = Number(buf.subarray(1, at).toString());
  at += 2;
  for (let i = 0; i < n; i++) {
    const nl = buf.indexOf('\r\n', at);
    if (nl < 0) return 0;
    const len = Number(buf.subarray(at + 1, nl).toString());
    at = nl + 2 + len + 2;
    if (at > buf.length) return 0;
  }
  return at;
}

export async function startRedisProxy(targetPort: number): Promise<RedisProxy> {
  let accepts = 0;
  let armed: string | undefined;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    accepts++;
    sockets.add(client);
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    sockets.add(upstream);
    let pending = Buffer.alloc(0);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('data', (d) => {
      if (armed === undefined && !pending.length) {
        upstream.write(d);
        return;
      }
      pending = Buffer.concat([pending, d]);
      for (let len = commandLength(pending); len > 0; len = commandLength(pending)) {
        const cmd = pending.subarray(0, len);
        pending = pending.subarray(len);
        if (armed !== undefined) client.write(`-ERR ${armed.replace(/[\r\n]/g, ' ')}\r\n`);
        else upstream.write(cmd);
      }
    });
    upstream.on('data', (d) => {
      if (armed === undefined) client.write(d);
    });
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    get accepts() {
      return accepts;
    },
    get open() {
      return [...sockets].filter((s) => s.remotePort !== targetPort).length;
    },
    arm: (text) => (armed = text),
    disarm: () => (armed = undefined),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
