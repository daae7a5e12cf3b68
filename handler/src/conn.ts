/**
 * One Redis connection (single node or cluster) with per-command timeouts and circuit breakers
 * (one per cluster master). Callers never wait on a dead Redis: while the connection is down or the
 * node's breaker is open, a command rejects at once with `Unavailable`.
 */
import { EventEmitter } from 'node:events';
import { createHash } from 'node:crypto';
import type { ResolvedOptions } from './config';

// Loaded on first use: `next build` (where the handlers stay off Redis) never pays for it.
let redisLib: any;
function lib(): any {
  return (redisLib ??= require('redis'));
}

export class Unavailable extends Error {
  constructor(msg = 'tagscope: Redis unavailable') {
    super(msg);
    this.name = 'Unavailable';
  }
}

export class CommandTimeout extends Error {
  constructor(ms: number) {
    super(`tagscope: Redis command timed out after ${ms} ms`);
    this.name = 'CommandTimeout';
  }
}

/** node-redis's own `timeout` only covers the wait before a command is written, not the reply: race it. */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new CommandTimeout(ms)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

/** The cluster slot of a key: CRC16-XMODEM of the key, or of its non-empty {hash tag}, mod 16384. */
export function keySlot(key: string): number {
  let s = key;
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) s = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(s, 'utf8')) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

/** Consecutive failures of one node; open: its commands fail at once, only a probe talks to it. */
interface Breaker {
  failures: number;
  open: boolean;
  probing: boolean;
}

const SINGLE = 'single';

export type Arg = string | Buffer;
let buffersMapping: any;
function BUFFERS(): any {
  return (buffersMapping ??= { [lib().RESP_TYPES.BLOB_STRING]: Buffer });
}

export interface CmdOptions {
  buffers?: boolean;
  timeout?: number;
}

export class Conn extends EventEmitter {
  private clientInstance: any;
  private started = false;
  private everUp = false;
  private ready = false;
  /**
   * Circuit breakers: one for a single node; one per master in a cluster (by address), so a hung
   * master fails only the commands for its slots, not those of the healthy ones.
   */
  private breakers = new Map<string, Breaker>();
  private closed = false;
  private readyWaiters: Array<() => void> = [];
  private waitedOnce = false;
  private scripts = new Map<string, string>();

  constructor(private readonly o: ResolvedOptions) {
    super();
  }

  private get client(): any {
    if (this.clientInstance) return this.clientInstance;
    const o = this.o;
    const redis = lib();
    // A cluster node that went away is usually replaced by a promoted replica within seconds: retry it
    // sooner (1 s cap), so the reconnection attempts that trigger a topology refresh come often.
    const cap = o.cluster ? 1000 : 2000;
    const reconnectStrategy = (retries: number) => (this.closed ? false : Math.min(50 * 2 ** retries, cap) + Math.floor(Math.random() * 50));
    const socket = { connectTimeout: Math.max(o.timeoutMs * 4, 1000), reconnectStrategy, noDelay: true };
    let client: any;
    if (o.cluster) {
      client = redis.createCluster({
        rootNodes: o.rootUrls.map((url) => ({ url })),
        defaults: { socket, disableOfflineQueue: true },
        RESP: 2,
        useReplicas: false,
        // Re-read the topology 500 ms after a node starts reconnecting (node-redis's default is 5 s):
        // commands for the slots of a dead master fail until the client learns who replaced it.
        topologyRefreshOnReconnectionAttemptStrategy: 500,
      });
    } else {
      client = redis.createClient({ url: o.rootUrls[0], RESP: 2, disableOfflineQueue: true, socket });
    }
    client.on('error', (err: unknown) => this.onTransportError(err));
    client.on('ready', () => this.onReady());
    client.on('end', () => this.markDown('end'));
    if (!o.cluster) client.on('reconnecting', () => this.markDown('reconnecting'));
    return (this.clientInstance = client);
  }

  /** Connected and no breaker open (what a full resync or a journal replay needs). */
  get isUp(): boolean {
    return this.ready && ![...this.breakers.values()].some((b) => b.open);
  }

  /** The breaker of the node a command for `key` goes to (a cluster: the slot's master; no key: any node). */
  private breakerOf(key: string | undefined): [string, Breaker] {
    let id = SINGLE;
    if (this.o.cluster) {
      let addr: string | undefined;
      try {
        addr = key === undefined ? undefined : this.client.slots[keySlot(key)]?.master?.address;
      } catch {}
      id = addr ?? 'any';
    }
    let b = this.breakers.get(id);
    if (!b) this.breakers.set(id, (b = { failures: 0, open: false, probing: false }));
    return [id, b];
  }

  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.client.connect().then(
      () => this.onReady(),
      (err: unknown) => this.onTransportError(err),
    );
  }

  private topologySig: string | undefined;
  private topologyTimer: NodeJS.Timeout | undefined;
  /**
   * Cluster only: emits 'topology' when the set of masters changes (a replica was promoted, a node
   * replaced). Acknowledged writes can be lost in a hard failover (replication is asynchronous), so
   * the core rewrites its recent invalidations when it sees one.
   */
  private watchTopology(): void {
    if (!this.o.cluster || this.topologyTimer || this.closed) return;
    const check = () => {
      if (this.closed) return;
      let sig: string;
      try {
        sig = (this.client.masters as Array<{ address: string }>).map((m) => m.address).sort().join(',');
      } catch {
        return;
      }
      if (!sig) return;
      const prev = this.topologySig;
      this.topologySig = sig;
      if (prev !== undefined && prev !== sig) this.emit('topology', { from: prev, to: sig });
    };
    check();
    this.topologyTimer = setInterval(check, 250);
    this.topologyTimer.unref?.();
  }

  private onReady(): void {
    if (this.closed) return;
    this.watchTopology();
    const wasUp = this.ready;
    this.ready = true;
    this.breakers.clear();
    const first = !this.everUp;
    this.everUp = true;
    for (const w of this.readyWaiters.splice(0)) w();
    if (!wasUp) this.emit('up', first);
  }

  private markDown(reason: string): void {
    if (this.ready) {
      this.ready = false;
      this.emit('down', reason);
    }
  }

  private onTransportError(err: unknown): void {
    if (this.closed) return;
    this.emit('transport-error', err);
    // A cluster keeps serving while one node reconnects; only a single client is known down here.
    if (!this.o.cluster) this.markDown('error');
  }

  /** Wait (bounded) for the first connection, so the first requests after start are not misses. */
  private waitReady(ms: number): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      t.unref?.();
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.readyWaiters.push(done);
    });
  }

  async cmd<T = any>(key: string | undefined, args: Arg[], opts: CmdOptions = {}): Promise<T> {
    if (this.closed) throw new Unavailable('tagscope: connection closed');
    this.start();
    if (!this.ready && !this.everUp && !this.waitedOnce) {
      await this.waitReady(this.o.timeoutMs * 4);
      this.waitedOnce = true;
    }
    if (!this.ready) throw new Unavailable();
    const [node, breaker] = this.breakerOf(key);
    if (breaker.open) throw new Unavailable(this.o.cluster ? `tagscope: circuit open for ${node}` : 'tagscope: circuit open');
    const ms = opts.timeout ?? this.o.timeoutMs;
    const options: any = { timeout: ms };
    if (opts.buffers) options.typeMapping = BUFFERS();
    try {
      const r = await withTimeout<T>(this.o.cluster ? this.client.sendCommand(key, false, args, options) : this.client.sendCommand(args, options), ms);
      breaker.failures = 0;
      return r as T;
    } catch (err) {
      if (!(err instanceof lib().ErrorReply)) this.onCommandFailure(node, breaker, err);
      throw err;
    }
  }

  private onCommandFailure(node: string, breaker: Breaker, err: unknown): void {
    this.emit('transport-error', err);
    if (++breaker.failures >= this.o.breakerThreshold && !breaker.open) {
      breaker.open = true;
      this.emit('breaker-open', node);
      this.scheduleProbe(node, breaker);
    }
  }

  /** PING on the node itself (a cluster master by address; it may have been replaced meanwhile). */
  private async ping(node: string): Promise<void> {
    const args = ['PING'];
    const options = { timeout: this.o.timeoutMs };
    if (!this.o.cluster) return void (await withTimeout(this.client.sendCommand(args, options), this.o.timeoutMs));
    const master = node === 'any' ? undefined : (this.client.masters as Array<{ address: string }>).find((m) => m.address === node);
    if (!master) return void (await withTimeout(this.client.sendCommand(undefined, false, args, options), this.o.timeoutMs));
    const c = await withTimeout<any>(this.client.nodeClient(master), this.o.timeoutMs);
    await withTimeout(c.sendCommand(args, options), this.o.timeoutMs);
  }

  private scheduleProbe(node: string, breaker: Breaker): void {
    if (breaker.probing || this.closed) return;
    breaker.probing = true;
    const t = setTimeout(async () => {
      breaker.probing = false;
      if (this.closed) return;
      try {
        await this.ping(node);
        breaker.failures = 0;
        const wasOpen = breaker.open;
        breaker.open = false;
        if (wasOpen) {
          this.emit('breaker-close', node);
          if (this.ready) this.emit('up', false);
        }
      } catch {
        this.scheduleProbe(node, breaker);
      }
    }, this.o.breakerCooldownMs);
    t.unref?.();
  }

  /** EVALSHA with a fallback to EVAL on NOSCRIPT. */
  async script<T = any>(src: string, keys: string[], args: Arg[], opts: CmdOptions = {}): Promise<T> {
    let sha = this.scripts.get(src);
    if (!sha) {
      sha = createHash('sha1').update(src).digest('hex');
      this.scripts.set(src, sha);
    }
    const tail: Arg[] = [String(keys.length), ...keys, ...args];
    try {
      return await this.cmd<T>(keys[0], ['EVALSHA', sha, ...tail], opts);
    } catch (err) {
      if (err instanceof lib().ErrorReply && String((err as Error).message).startsWith('NOSCRIPT')) {
        return await this.cmd<T>(keys[0], ['EVAL', src, ...tail], opts);
      }
      throw err;
    }
  }

  /** Runs `fn` with a command function bound to each master (for SCAN). */
  async forEachMaster(fn: (send: (args: Arg[], opts?: CmdOptions) => Promise<any>) => Promise<void>): Promise<void> {
    if (!this.isUp) throw new Unavailable();
    const mk = (c: any) => (args: Arg[], opts: CmdOptions = {}) => {
      const ms = opts.timeout ?? this.o.timeoutMs * 4;
      const options: any = { timeout: ms };
      if (opts.buffers) options.typeMapping = BUFFERS();
      return withTimeout(c.sendCommand(args, options), ms);
    };
    if (!this.o.cluster) return fn(mk(this.client));
    for (const m of [...this.client.masters]) {
      // nodeClient() of a master that just died waits for a connection that never comes: bound it.
      const c = await withTimeout<any>(this.client.nodeClient(m), this.o.timeoutMs * 4);
      await fn(mk(c));
    }
  }

  /** A separate connection for pub/sub. */
  async subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>> {
    this.start();
    if (!this.ready) await this.waitReady(this.o.timeoutMs * 4);
    const sub = this.o.cluster ? this.client.duplicate() : this.client.duplicate();
    sub.on('error', () => {});
    await sub.connect();
    await sub.subscribe(channel, (msg: string) => listener(msg));
    return async () => {
      try {
        await sub.unsubscribe(channel);
      } catch {}
      try {
        sub.destroy();
      } catch {}
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.topologyTimer) clearInterval(this.topologyTimer);
    try {
      if (this.clientInstance) this.clientInstance.destroy();
    } catch {}
  }
}
