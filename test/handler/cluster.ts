import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canConnect, freePort, sleep } from './helpers';

/** A real 3-master Redis Cluster on loopback, owned by the test. */
export class OwnCluster {
  procs: ChildProcess[] = [];
  ports: number[] = [];
  readonly dir = mkdtempSync(join(tmpdir(), 'tagscope-cluster-'));

  get url(): string {
    return `redis+cluster://${this.ports.map((p) => `127.0.0.1:${p}`).join(',')}`;
  }

  static async start(n = 3): Promise<OwnCluster> {
    const c = new OwnCluster();
    for (let i = 0; i < n; i++) {
      const port = await freePort();
      c.ports.push(port);
      c.procs.push(
        spawn(
          'redis-server',
          [
            '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
            '--cluster-enabled', 'yes', '--cluster-config-file', join(c.dir, `nodes-${port}.conf`), '--dir', c.dir,
          ],
          { stdio: 'ignore', detached: true },
        ),
      );
    }
    for (const p of c.ports) {
      const deadline = Date.now() + 10_000;
      while (!(await canConnect(p))) {
        if (Date.now() > deadline) throw new Error('cluster node did not start');
        await sleep(50);
      }
    }
    await new Promise<void>((resolve, reject) =>
      execFile('redis-cli', ['--cluster', 'create', ...c.ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], (err, out, e) =>
        err ? reject(new Error(out + e)) : resolve(),
      ),
    );
    // Wait until every node agrees the cluster is ok.
    for (const p of c.ports) {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const info = await new Promise<string>((r) => execFile('redis-cli', ['-p', String(p), 'CLUSTER', 'INFO'], (_e, out) => r(out ?? '')));
        if (info.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error('cluster not ok');
        await sleep(100);
      }
    }
    return c;
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
