import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** A handler instance in a child process (its own core, connection, mirror and optional clock skew). */
export class Worker {
  private next = 1;
  private waiting = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  readonly unhandled: string[] = [];
  private constructor(readonly proc: ChildProcess) {}

  static async start(env: { url: string; prefix: string; skewMs?: number; timeoutMs?: number; journalDir?: string; cooldownMs?: number; logMaxLen?: number }): Promise<Worker> {
    const proc = spawn(process.execPath, [join(__dirname, 'worker.cjs')], {
      cwd: ROOT,
      env: {
        ...process.env,
        WORKER_URL: env.url,
        WORKER_PREFIX: env.prefix,
        WORKER_SKEW_MS: String(env.skewMs ?? 0),
        WORKER_TIMEOUT_MS: String(env.timeoutMs ?? 250),
        WORKER_COOLDOWN_MS: String(env.cooldownMs ?? 1000),
        WORKER_JOURNAL_DIR: env.journalDir ?? '',
        WORKER_LOG_MAXLEN: String(env.logMaxLen ?? 10000),
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const w = new Worker(proc);
    let ready!: () => void;
    let failed!: (e: Error) => void;
    const readyP = new Promise<void>((r, j) => {
      ready = r;
      failed = j;
    });
    proc.once('exit', (code, signal) => {
      failed(new Error(`handler worker exited before it was ready (code ${code}, signal ${signal})`));
      for (const p of w.waiting.values()) p.reject(new Error('handler worker exited'));
      w.waiting.clear();
    });
    const startTimer = setTimeout(() => failed(new Error('handler worker did not start within 30 s')), 30_000);
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      let msg: any;
      try {
        msg = JSON.parse(line);
      } catch {
        return;
      }
      if (msg.ready) return ready();
      if (msg.unhandled) return void w.unhandled.push(msg.unhandled);
      const p = w.waiting.get(msg.id);
      if (!p) return;
      w.waiting.delete(msg.id);
      if (msg.error) p.reject(new Error(msg.error));
      else p.resolve(msg.result);
    });
    try {
      await readyP;
    } finally {
      clearTimeout(startTimer);
    }
    return w;
  }

  call<T = any>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.proc.stdin!.write(JSON.stringify({ id, op, args }) + '\n');
    });
  }

  /** Dies without any cleanup (simulates a crash). */
  async kill(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    process.kill(this.proc.pid!, 'SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.call('exit').catch(() => {});
    const t = setTimeout(() => {
      try {
        process.kill(this.proc.pid!, 'SIGKILL');
      } catch {}
    }, 2000);
    await exited;
    clearTimeout(t);
  }
}
