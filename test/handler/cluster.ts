import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { canConnect, freePort, killProcess, sleep } from './helpers';

export interface ClusterNode {
  id: string;
  port: number;
  role: 'master' | 'replica';
  masterId?: string;
  failed: boolean;
  /** Slot ranges [from, to] (masters only). */
  slots: Array<[number, number]>;
}

export interface ClusterStartOptions {
  /** Masters (default 3). */
  masters?: number;
  /** Replicas per master (default 0). */
  replicas?: number;
  /** cluster-node-timeout in ms (default Redis's 15000). Small values make a hard failover fast. */
  nodeTimeoutMs?: number;
}

function cli(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('redis-cli', ['-p', String(port), ...args], { timeout: 5000 }, (e, out) => (e ? reject(e) : resolve(String(out).trim()))),
  );
}

/** A real Redis Cluster on loopback, owned by the test: 3 masters by default, optionally with replicas. */
/**
 * A free port for a cluster node: its bus port (port + 10000) must be a valid port and free too
 * (redis-server refuses to start above 55535; two clusters of parallel suites must not collide).
 */
async function freeClusterPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port <= 55535 && (await portIsFree(port + 10000))) return port;
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

export class OwnCluster {
  procs: ChildProcess[] = [];
  ports: number[] = [];
  /** Ports of nodes this object killed (they stay in `ports`; they are not restarted). */
  readonly killed = new Set<number>();
  readonly dir = mkdtempSync(join(tmpdir(), 'tagscope-cluster-'));

  /** A cluster URL naming every node, so a client can bootstrap from whichever is alive. */
  get url(): string {
    return `redis+cluster://${this.ports.map((p) => `127.0.0.1:${p}`).join(',')}`;
  }

  get livePorts(): number[] {
    return this.ports.filter((p) => !this.killed.has(p));
  }

  static async start(arg: number | ClusterStartOptions = 3): Promise<OwnCluster> {
    const o: ClusterStartOptions = typeof arg === 'number' ? { masters: arg } : arg;
    const masters = o.masters ?? 3;
    const replicas = o.replicas ?? 0;
    const n = masters * (1 + replicas);
    const c = new OwnCluster();
    for (let i = 0; i < n; i++) {
      const port = await freeClusterPort();
      c.ports.push(port);
      const extra = o.nodeTimeoutMs ? ['--cluster-node-timeout', String(o.nodeTimeoutMs)] : [];
      c.procs.push(
        spawn(
          'redis-server',
          [
            '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
            '--cluster-enabled', 'yes', '--cluster-config-file', join(c.dir, `nodes-${port}.conf`), '--dir', c.dir,
            '--enable-debug-command', 'local',
            // Replicas sync at once (the default waits 5 s for more replicas to share one transfer).
            '--repl-diskless-sync-delay', '0',
            ...extra,
          ],
          { stdio: 'ignore', detached: true },
        ),
      );
    }
    try {
      for (const p of c.ports) {
        const deadline = Date.now() + 10_000;
        while (!(await canConnect(p))) {
          if (Date.now() > deadline) throw new Error('cluster node did not start');
          await sleep(50);
        }
      }
      await new Promise<void>((resolve, reject) =>
        execFile(
          'redis-cli',
          ['--cluster', 'create', ...c.ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', String(replicas), '--cluster-yes'],
          (err, out, e) => (err ? reject(new Error(out + e)) : resolve()),
        ),
      );
      // Generous: on a loaded 2-core machine six nodes gossiping every node-timeout can take a while.
      await c.waitHealthy(60_000);
      if (replicas > 0) await c.waitReplicasInSync(60_000);
    } catch (err) {
      await c.destroy();
      throw err;
    }
    return c;
  }

  /** CLUSTER NODES as seen by one live node. */
  async nodes(viaPort = this.livePorts[0]): Promise<ClusterNode[]> {
    const out = await cli(viaPort, 'CLUSTER', 'NODES');
    return out
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const f = line.split(' ');
        const port = Number(f[1].split('@')[0].split(':')[1]);
        const flags = f[2].split(',');
        const slots: Array<[number, number]> = [];
        for (const s of f.slice(8)) {
          if (s.startsWith('[')) continue; // migrating/importing marker
          const [a, b] = s.split('-').map(Number);
          slots.push([a, b ?? a]);
        }
        return {
          id: f[0],
          port,
          role: flags.includes('master') ? 'master' : 'replica',
          masterId: f[3] === '-' ? undefined : f[3],
          failed: flags.includes('fail') || flags.includes('fail?'),
          slots,
        } as ClusterNode;
      });
  }

  /** The port of the master currently serving `slot` (as seen by a live node). */
  async masterOf(slot: number, viaPort?: number): Promise<number> {
    const nodes = await this.nodes(viaPort);
    const m = nodes.find((n) => n.role === 'master' && !n.failed && n.slots.some(([a, b]) => slot >= a && slot <= b));
    if (!m) throw new Error(`no master serves slot ${slot}`);
    return m.port;
  }

  /** The replicas of a master (ports), as seen by a live node. */
  async replicasOf(masterPort: number): Promise<number[]> {
    const nodes = await this.nodes();
    const m = nodes.find((n) => n.port === masterPort);
    if (!m) return [];
    return nodes.filter((n) => n.masterId === m.id && !n.failed).map((n) => n.port);
  }

  /** Waits until every live node reports cluster_state:ok and agrees on one live master per slot range. */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let ok = true;
      try {
        for (const p of this.livePorts) {
          const info = await cli(p, 'CLUSTER', 'INFO');
          if (!info.includes('cluster_state:ok')) ok = false;
        }
        if (ok) {
          const views = await Promise.all(this.livePorts.map((p) => this.nodes(p)));
          for (const v of views) {
            const masters = v.filter((n) => n.role === 'master' && n.slots.length);
            if (masters.some((m) => m.failed || this.killed.has(m.port))) ok = false;
            const covered = masters.reduce((s, m) => s + m.slots.reduce((t, [a, b]) => t + b - a + 1, 0), 0);
            if (covered !== 16384) ok = false;
          }
        }
      } catch {
        ok = false;
      }
      if (ok) return;
      if (Date.now() > deadline) throw new Error('cluster not healthy in time');
      await sleep(100);
    }
  }

  /**
   * Waits until every live node is a master serving slots or a replica whose link is up, and every
   * master has at least `perMaster` replicas (a restarted node first comes back as a master of nothing,
   * then turns into a replica), so a failover loses nothing already replicated.
   */
  async waitReplicasInSync(timeoutMs = 20_000, perMaster = 1): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const nodes = await this.nodes().catch(() => [] as ClusterNode[]);
      const live = nodes.filter((n) => !n.failed && !this.killed.has(n.port));
      const reps = live.filter((n) => n.role === 'replica');
      const masters = live.filter((n) => n.role === 'master' && n.slots.length);
      const shaped = live.every((n) => n.role === 'replica' || n.slots.length) && masters.every((m) => reps.filter((r) => r.masterId === m.id).length >= perMaster);
      const states = await Promise.all(reps.map((r) => cli(r.port, 'INFO', 'replication').catch(() => '')));
      if (shaped && reps.length && states.every((s) => s.includes('master_link_status:up'))) return;
      if (Date.now() > deadline) {
        const links = reps.map((r, i) => `${r.port}→${/master_link_status:(\w+)/.exec(states[i])?.[1] ?? '?'}`).join(' ');
        throw new Error(`replicas not in sync in ${timeoutMs} ms: ${masters.length} masters with slots, ${reps.length} replicas (${links || 'none'}), shaped ${shaped}`);
      }
      await sleep(100);
    }
  }

  /** Graceful promotion: `CLUSTER FAILOVER` on a replica (the master stops writes until the replica has caught up). */
  async failover(replicaPort: number, mode: '' | 'FORCE' | 'TAKEOVER' = ''): Promise<void> {
    const r = await cli(replicaPort, 'CLUSTER', 'FAILOVER', ...(mode ? [mode] : []));
    if (r !== 'OK') throw new Error(`CLUSTER FAILOVER: ${r}`);
  }

  /** Hard failure: SIGKILL one node (no shutdown, no last write flushed to its replica). */
  async kill(port: number): Promise<void> {
    const i = this.ports.indexOf(port);
    const p = this.procs[i];
    this.killed.add(port);
    await killProcess(p);
  }

  /** Restarts a killed node with its nodes.conf: it rejoins the cluster (as a replica of whoever took its slots). */
  async restart(port: number): Promise<void> {
    const i = this.ports.indexOf(port);
    const old = this.procs[i];
    const args = (old as ChildProcess & { spawnargs: string[] }).spawnargs.slice(1);
    this.procs[i] = spawn('redis-server', args, { stdio: 'ignore', detached: true });
    const deadline = Date.now() + 10_000;
    while (!(await canConnect(port))) {
      if (Date.now() > deadline) throw new Error('cluster node did not restart');
      await sleep(50);
    }
    this.killed.delete(port);
  }

  async destroy(): Promise<void> {
    await Promise.all(
      this.procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            p.once('exit', () => resolve());
            try {
              process.kill(p.pid!, 'SIGKILL');
            } catch {
              resolve();
            }
          }),
      ),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The cluster slot of a key, as the handler computes it. */
export { keySlot } from '../../handler/src/conn';
