/**
 * Handler chaos harness, shared by test/chaos/chaos.test.ts (short schedule, vitest) and
 * test/chaos/report.mjs (long schedule, printed figures; it bundles this file with esbuild).
 *
 * Two `next start` instances of test/apps/two-instance (the shared build of test/handler/nextApp.ts)
 * talk to a redis-server this harness owns, through a loopback TCP proxy it also owns (the proxy adds
 * latency on demand). A bounded request load (LOAD_WORKERS requests in flight, plus at most one
 * invalidation and PROBE_CONCURRENCY recovery probes) runs across both instances over a mix of pages:
 *   /chaos/<k>          dynamic page, two 'use cache' reads (default + remote) tagged chaos-<k>
 *   /chaos-static/<k>   prerendered ISR page (incremental cacheHandler) over the same cached read
 *   /  /dynamic  /uc    the app's static page, PPR page with 'use cache', unstable_cache page
 *   /now                fully dynamic, no cache (the control)
 * while an invalidator bumps a per-key version in the app's file "database" and invalidates it:
 * alternately a Server Action (DB write + updateTag) and a route handler (DB write +
 * revalidateTag(tag, 'max')), alternately on either instance. Versions only ever increase.
 *
 * Faults, one at a time, each followed by a recovery check:
 *   kill-empty   redis-server SIGKILLed, restarted with its data files deleted (empty)
 *   kill-keep    redis-server SIGKILLed, restarted on its append-only file (appendfsync always: no loss)
 *   freeze       SIGSTOP … SIGCONT (a hang: connections stay open, nothing answers)
 *   slow-above   the proxy delays each direction by more than the handler timeout
 *   slow-below   the proxy delays each direction by well under the handler timeout
 *   hostile      garbage and foreign values written under our keys (entries, tag states, the log,
 *                wrong Redis types, far-future times) while the load runs
 *
 * ORACLES (evaluated offline over every recorded request; see evaluate()):
 * - 5xx: any response ≥ 500, and any request that failed or timed out (no response), is a failure.
 * - Stale read after an acknowledged updateTag. An action "ack" is the Server Action's 200 response
 *   (Next applies updateTag before it responds). For an ack of version v of key k on instance I at
 *   time tAck:
 *     (same instance) every read of k on I (/chaos/k shows both 'use cache' values; /chaos-static/k)
 *       that STARTED after tAck must show ≥ v — whatever Redis was doing;
 *     (other instance) every read of k on the other instance that started after tAck' and ended
 *       before the next fault began must show ≥ v, where tAck' = tAck when the action ran inside a
 *       healthy window (the time after a fault's recovery was confirmed, up to the next fault's start;
 *       the hostile phase counts as healthy, since Redis itself is up), and otherwise the moment the
 *       recovery of that fault was confirmed (a write made while Redis is unreachable can only reach
 *       the other instance after recovery; see "visible after recovery").
 * - Visible after recovery: every invalidation issued (action ack'd, or route handler answered 200)
 *   from a fault's start until its end must, after the fault ends, be written back to Redis (both
 *   instances' outage journals replayed: the handler deletes a journal file once it has) and be shown
 *   by BOTH instances on both page kinds (version ≥ v), within RECOVERY_BOUND_MS. The recovery time is
 *   the time from the end of the fault until both were first true ("recovery confirmed"); after it,
 *   the other-instance oracle above keeps checking that no later read goes back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, killGroup, OwnRedis, randomPrefix, redisCli, sleep } from '../handler/helpers';
import { buildApp, NextInstance, ROOT, type BuiltApp } from '../handler/nextApp';

export type FaultKind = 'kill-empty' | 'kill-keep' | 'freeze' | 'slow-above' | 'slow-below' | 'hostile';
export const FAULT_KINDS: FaultKind[] = ['kill-empty', 'kill-keep', 'freeze', 'slow-above', 'slow-below', 'hostile'];
export interface FaultSpec {
  kind: FaultKind;
  ms: number;
}

export interface ChaosOptions {
  schedule: FaultSpec[];
  /** Healthy load between faults (ms). */
  gapMs?: number;
  warmupMs?: number;
  /** Handler per-command timeout (TAGSCOPE_TIMEOUT_MS). */
  handlerTimeoutMs?: number;
  /** Pause between two invalidations (one in flight at a time). */
  invalidateEveryMs?: number;
  log?: (line: string) => void;
}

const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7'];
export const LOAD_WORKERS = 10;
const PROBE_CONCURRENCY = 4;
export const RECOVERY_BOUND_MS = 20_000;
/** Longest a generation can stay joinable after reading the DB: collecting + storing it (the handler's set waits up to 1 s on a hung Redis) plus scheduling slack on a loaded machine. */
const JOIN_WINDOW_MS = 1500;
const REQUEST_TIMEOUT_MS = 20_000;

export interface Req {
  inst: number;
  path: string;
  page: 'chaos' | 'chaos-static' | 'static' | 'dynamic' | 'uc' | 'now';
  key?: string;
  t0: number;
  t1: number;
  status: number; // 0 = no response
  error?: string;
  /** chaos pages: the lowest version shown (both 'use cache' reads on /chaos/k). */
  version?: number;
  /** When the generation that produced that value read the DB (ms). */
  genAt?: number;
  probe?: boolean;
  text?: string;
}
export interface Inv {
  inst: number;
  method: 'action' | 'route';
  key: string;
  v: number;
  t0: number;
  t1: number;
  status: number;
  error?: string;
  ok: boolean;
}
export interface Fault {
  kind: FaultKind;
  start: number;
  end: number;
  /** When all invalidations issued during the fault were seen on both instances (undefined = never within the bound). */
  recoveredAt?: number;
  issued: Inv[];
  notVisible: string[];
}

export interface Figures {
  requests: number;
  fiveXx: number;
  failed: number;
  p50: number;
  p99: number;
  byKind: Record<string, { requests: number; fiveXx: number; p50: number; p99: number; max: number }>;
  faults: { kind: FaultKind; ms: number; issued: number; visible: number; recoveryMs?: number }[];
  outageIssued: number;
  outageVisible: number;
  acked: number;
  staleSame: string[];
  /** Same-instance reads after an ack that got the result of a generation still in flight from before the DB write (Next's in-process de-duplication; see evaluate()). Reported, not a failure. */
  joinedSame: string[];
  /** Chaos-page reads showing a version below one already in the DB when the read started (served from the cache: SWR after revalidateTag 'max', or before an invalidation reached the instance). Proves the cache is exercised. */
  behindDb: number;
  chaosReads: number;
  staleOther: string[];
  invalidations: number;
  invalidationFailures: string[];
  recoveryMs: { p50: number; max: number };
  serverErrors: string[];
  /** "[tagscope] ignored a corrupt or foreign value" warnings in the server logs (rate-limited by the handler). */
  hostileWarnings: number;
  /** Redis TYPE of the invalidation log at the end (the hostile phase leaves a wrong-typed value there). */
  logType: string;
}

// ------------------------------------------------------------------------------------------ proxy
/**
 * The proxy's code, run in its own node process: in the harness process it would share an event loop
 * with the load generator and add latency of its own whenever the harness is busy.
 * argv: upstream port; stdin lines: a delay in ms; stdout: the listening port, then "ok" per delay change.
 */
const PROXY_SRC = `
const net = require('node:net');
const upstream = Number(process.argv[1]);
let delayMs = 0;
const server = net.createServer((client) => {
  const up = net.connect(upstream, '127.0.0.1');
  const kill = () => { client.destroy(); up.destroy(); };
  client.on('error', kill).on('close', kill);
  up.on('error', kill).on('close', kill);
  client.setNoDelay(true); up.setNoDelay(true);
  pipe(client, up); pipe(up, client);
});
// Ordered: a chunk is never sent before an earlier one, whatever the delay does meanwhile.
function pipe(from, to) {
  const queue = []; let lastDue = 0; let timer;
  const drain = () => {
    timer = undefined;
    const now = Date.now();
    while (queue.length && queue[0].due <= now) to.write(queue.shift().chunk);
    if (queue.length) timer = setTimeout(drain, queue[0].due - now);
  };
  from.on('data', (chunk) => {
    if (delayMs <= 0 && !queue.length) return void to.write(chunk);
    lastDue = Math.max(lastDue, Date.now() + delayMs);
    queue.push({ due: lastDue, chunk });
    if (!timer) timer = setTimeout(drain, Math.max(0, queue[0].due - Date.now()));
  });
}
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
let buf = '';
process.stdin.on('data', (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\\n')) >= 0) { delayMs = Number(buf.slice(0, i)) || 0; buf = buf.slice(i + 1); process.stdout.write('ok\\n'); }
});
process.stdin.on('end', () => process.exit(0));
`;

/** Loopback TCP proxy to Redis (its own process) adding a per-direction delay on demand. */
export class DelayProxy {
  private proc: ChildProcess | undefined;
  private lines: string[] = [];
  private waiters: Array<() => void> = [];
  port = 0;
  constructor(readonly upstreamPort: number) {}
  private nextLine(): Promise<string> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('proxy did not answer')), 10_000);
      const take = () => {
        if (this.lines.length) {
          clearTimeout(t);
          resolve(this.lines.shift()!);
        } else this.waiters.push(take);
      };
      take();
    });
  }
  async start(): Promise<void> {
    this.proc = spawn(process.execPath, ['-e', PROXY_SRC, String(this.upstreamPort)], { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
    let buf = '';
    this.proc.stdout!.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        this.lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
        for (const w of this.waiters.splice(0)) w();
      }
    });
    this.port = Number(await this.nextLine());
  }
  async setDelay(ms: number): Promise<void> {
    this.proc!.stdin!.write(`${ms}\n`);
    await this.nextLine();
  }
  async close(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    await killGroup(p);
  }
}

// ------------------------------------------------------------------------------------------ stats
export function pct(values: number[], p: number): number {
  if (!values.length) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

// ------------------------------------------------------------------------------------------ harness
export class ChaosHarness {
  redis!: OwnRedis;
  proxy!: DelayProxy;
  app!: BuiltApp;
  inst: NextInstance[] = [];
  readonly prefix = randomPrefix('chaos');
  readonly work = mkdtempSync(join(tmpdir(), 'tagscope-chaos-'));
  readonly dbDir = join(this.work, 'db');
  reqs: Req[] = [];
  invs: Inv[] = [];
  faults: Fault[] = [];
  private version = 0;
  private stopping = false;
  private actionId = '';
  private logs: string[] = [];
  private say: (line: string) => void;
  private readonly timeoutMs: number;

  constructor(readonly o: ChaosOptions) {
    this.say = o.log ?? (() => {});
    this.timeoutMs = o.handlerTimeoutMs ?? 250;
  }

  async setup(): Promise<void> {
    this.app = await buildApp();
    this.actionId = this.app.actionId('bumpChaos');
    mkdirSync(this.dbDir, { recursive: true });
    writeFileSync(join(this.work, 'db.json'), JSON.stringify({ products: 'p1', items: { '1': 'i1' } }));
    // Append-only with fsync on every write: a SIGKILL loses nothing, so "kill-keep" restarts with all data.
    this.redis = await OwnRedis.start(['--appendonly', 'yes', '--appendfsync', 'always']);
    this.proxy = new DelayProxy(this.redis.port);
    await this.proxy.start();
    const env = (name: string) => ({
      TAGSCOPE_REDIS_URL: `redis://127.0.0.1:${this.proxy.port}`,
      TAGSCOPE_KEY_PREFIX: this.prefix,
      TAGSCOPE_TIMEOUT_MS: String(this.timeoutMs),
      TAGSCOPE_JOURNAL_DIR: join(this.work, 'journal'),
      TAGSCOPE_TEST_DB: join(this.work, 'db.json'),
      TAGSCOPE_TEST_CHAOS_DIR: this.dbDir,
      TAGSCOPE_TEST_GENLOG: join(this.work, `gen-${name}.log`),
    });
    this.inst = [new NextInstance(this.app, 'A', await freePort(), env('A')), new NextInstance(this.app, 'B', await freePort(), env('B'))];
    await Promise.all(this.inst.map((i) => i.start()));
  }

  async teardown(): Promise<void> {
    this.stopping = true;
    for (const i of this.inst) this.logs.push(i.log);
    await Promise.all(this.inst.map((i) => i.stop()));
    if (this.redis?.proc?.pid) {
      try {
        process.kill(this.redis.proc.pid, 'SIGCONT');
      } catch {}
    }
    await this.proxy?.close();
    await this.redis?.destroy();
    rmSync(this.work, { recursive: true, force: true });
  }

  // ---------------------------------------------------------------------------------- requests
  private async read(inst: number, path: string, probe = false): Promise<Req> {
    const page: Req['page'] = path.startsWith('/chaos-static/') ? 'chaos-static' : path.startsWith('/chaos/') ? 'chaos' : path === '/' ? 'static' : (path.slice(1) as Req['page']);
    const key = page === 'chaos' || page === 'chaos-static' ? path.split('/')[2] : undefined;
    const r: Req = { inst, path, page, key, t0: Date.now(), t1: 0, status: 0, probe };
    try {
      const res = await fetch(this.inst[inst].base + path, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      const html = await res.text();
      r.status = res.status;
      const m = html.replace(/<!-- -->/g, '').match(/id="v">([^<]*)/);
      r.text = m ? m[1] : undefined;
      if (key && m) {
        // Each value is "<version>@<generated at ms>"; the read's version is the lowest shown.
        const parts = m[1].split('|').map((x) => x.split('@').map(Number));
        if (parts.every(([v, at]) => Number.isFinite(v) && Number.isFinite(at))) {
          const low = parts.reduce((a, b) => (b[0] < a[0] ? b : a));
          r.version = low[0];
          r.genAt = low[1];
        }
      }
    } catch (e) {
      r.error = String((e as Error)?.message ?? e);
    }
    r.t1 = Date.now();
    this.reqs.push(r);
    return r;
  }

  private async invalidate(inst: number, method: 'action' | 'route', key: string): Promise<Inv> {
    const v = ++this.version;
    const r: Inv = { inst, method, key, v, t0: Date.now(), t1: 0, status: 0, ok: false };
    try {
      if (method === 'action') {
        const res = await this.inst[inst].action(this.actionId, [key, v], REQUEST_TIMEOUT_MS);
        r.status = res.status;
        r.ok = res.status === 200 && res.body.includes(`bumped:${key}:${v}`);
        if (!r.ok) r.error = res.body.slice(0, 200);
      } else {
        r.status = await this.inst[inst].post(`/api/chaos?k=${key}&v=${v}`, {}, REQUEST_TIMEOUT_MS);
        r.ok = r.status === 200;
      }
    } catch (e) {
      r.error = String((e as Error)?.message ?? e);
    }
    r.t1 = Date.now();
    this.invs.push(r);
    return r;
  }

  private loadPath(n: number): string {
    const k = KEYS[n % KEYS.length];
    switch (n % 10) {
      case 0:
      case 1:
      case 2:
      case 3:
        return `/chaos/${k}`;
      case 4:
      case 5:
      case 6:
        return `/chaos-static/${k}`;
      case 7:
        return ['/', '/dynamic'][Math.floor(n / 10) % 2];
      case 8:
        return '/uc';
      default:
        return '/now';
    }
  }

  private nextLoad = 0;
  private async loadWorker(): Promise<void> {
    // One shared sequence: the workers together walk the page mix, alternating instances.
    while (!this.stopping) {
      const n = this.nextLoad++;
      await this.read(n % 2, this.loadPath(Math.floor(n / 2) * 3 + (n % 2)));
    }
  }

  private async invalidator(): Promise<void> {
    let n = 0;
    const every = this.o.invalidateEveryMs ?? 350;
    while (!this.stopping) {
      // Each key gets, in turn: action on A, route on A, action on B, route on B (so an updateTag and a
      // revalidateTag(tag, 'max') of the same key follow each other, on the same and on different instances).
      const key = KEYS[n % KEYS.length];
      const round = Math.floor(n / KEYS.length);
      const method = round % 2 === 0 ? 'action' : 'route';
      const inst = Math.floor(round / 2) % 2;
      n++;
      this.invInFlight = this.invalidate(inst, method, key);
      await this.invInFlight;
      await sleep(every);
    }
  }

  // ---------------------------------------------------------------------------------- faults
  private async applyFault(kind: FaultKind, ms: number): Promise<void> {
    const r = this.redis;
    switch (kind) {
      case 'kill-empty':
      case 'kill-keep': {
        await r.stop();
        if (kind === 'kill-empty') for (const f of readdirSync(r.dir)) rmSync(join(r.dir, f), { recursive: true, force: true });
        await sleep(ms);
        await r.start();
        return;
      }
      case 'freeze':
        process.kill(r.proc!.pid!, 'SIGSTOP');
        try {
          await sleep(ms);
        } finally {
          process.kill(r.proc!.pid!, 'SIGCONT');
        }
        return;
      case 'slow-above':
      case 'slow-below':
        await this.proxy.setDelay(kind === 'slow-above' ? Math.round(this.timeoutMs * 1.5) : Math.round(this.timeoutMs / 8));
        try {
          await sleep(ms);
        } finally {
          await this.proxy.setDelay(0);
        }
        return;
      case 'hostile':
        await this.hostile(ms);
        return;
    }
  }

  /** Garbage and foreign values under our keys, written repeatedly while the load runs. */
  private async hostile(ms: number): Promise<void> {
    const port = this.redis.port;
    const p = this.prefix;
    const cli = (...args: string[]) => redisCli(port, ...args).catch(() => '');
    const log = `{${p}}:log`;
    const until = Date.now() + ms;
    let round = 0;
    while (Date.now() < until) {
      const entries = (await cli('--scan', '--pattern', `${p}:[ui]:*`)).split('\n').filter(Boolean);
      for (const [i, key] of entries.entries()) {
        if ((i + round) % 3 !== 0) continue;
        switch ((i + round) % 5) {
          case 0:
            await cli('SET', key, '\u0000\u00ff\u00fegarbage\u0001' + 'x'.repeat(i));
            break;
          case 1:
            await cli('SET', key, JSON.stringify({ foreign: true, kind: 'APP_PAGE', value: 42 }));
            break;
          case 2:
            await cli('SET', key, 'TS1:00000000000000000001:0000009999:{"truncated"');
            break;
          case 3:
            await cli('DEL', key);
            await cli('HSET', key, 'f', 'v');
            break;
          default:
            await cli('DEL', key);
            await cli('LPUSH', key, 'a', 'b');
        }
      }
      const k = KEYS[round % KEYS.length];
      switch (round % 4) {
        case 0:
          await cli('SET', `${p}:t:chaos-${k}`, 'garbage|not|numbers');
          break;
        case 1:
          await cli('DEL', `${p}:t:chaos-${k}`);
          await cli('SADD', `${p}:t:chaos-${k}`, 'x');
          break;
        case 2:
          await cli('SET', `${p}:t:products`, '{"foreign":"json"}');
          break;
        default:
          await cli('SET', `${p}:t:chaos-${k}`, '\u0001\u0002');
      }
      // Well-formed but hostile: a tag state and a log entry stamped far in the future. Trusted as-is,
      // they would outrank every later invalidation of that tag (expiry is last-writer-wins by write time).
      const far = String(Date.now() + 1000 * 24 * 3600_000);
      const kp = KEYS[(round + 3) % KEYS.length];
      await cli('SET', `${p}:t:chaos-${kp}`, `${far}|${far}|${far}`);
      await cli('XADD', log, '*', 'd', JSON.stringify([{ t: `chaos-${kp}`, s: Number(far), x: Number(far), a: Number(far) }]), 'o', 'intruder', 'w', far);
      await cli('XADD', log, '*', 'd', 'not json at all', 'o', 'intruder', 'w', 'NaN');
      await cli('XADD', log, '*', 'd', JSON.stringify({ t: 'chaos-k0', x: 'soon' }), 'o', 'intruder');
      await cli('XADD', log, '*', 'd', JSON.stringify([{ t: 5, x: 1, a: 1 }, null, 'str', { t: 'chaos-k1', x: 'NaN', a: 1 }]), 'garbage-field');
      await cli('XADD', log, '*', 'foo', 'bar');
      round++;
      await sleep(300);
    }
    // Last: the log itself replaced by a wrong-typed value, left there (the handler must cope and heal).
    await cli('DEL', log);
    await cli('SET', log, 'not a stream');
  }

  /** After a fault: polls both instances until every invalidation issued during it is visible on both. */
  private async recover(f: Fault): Promise<void> {
    const target = new Map<string, number>();
    for (const i of f.issued) if (i.ok) target.set(i.key, Math.max(target.get(i.key) ?? 0, i.v));
    const pending = new Set<string>();
    for (const k of target.keys()) for (const inst of [0, 1]) for (const page of ['chaos', 'chaos-static']) pending.add(`${inst} /${page}/${k}`);
    const deadline = f.end + RECOVERY_BOUND_MS;
    // First, every invalidation kept in an instance's outage journal has been written to Redis (the
    // handler deletes its journal file once replayed). Until then another instance that reconnected
    // first can legitimately serve an entry whose invalidation is still in that journal; and a probe
    // answered by a miss (handler still disconnected) would prove nothing.
    while (this.journaled() && Date.now() < deadline) await sleep(50);
    while (pending.size && Date.now() < deadline) {
      const batch = [...pending];
      for (let i = 0; i < batch.length; i += PROBE_CONCURRENCY) {
        await Promise.all(
          batch.slice(i, i + PROBE_CONCURRENCY).map(async (id) => {
            const [inst, path] = id.split(' ');
            const r = await this.read(Number(inst), path, true);
            if (r.status === 200 && r.version !== undefined && r.version >= target.get(r.key!)!) pending.delete(id);
          }),
        );
      }
      if (pending.size) await sleep(100);
    }
    f.notVisible = [...pending].map((id) => `${id} < ${target.get(id.split('/').pop()!)}`);
    if (this.journaled()) {
      const dir = join(this.work, 'journal');
      const left = readdirSync(dir).map((n) => `${n}: ${readFileSync(join(dir, n), 'utf8').split('\n').filter(Boolean).length} lines`);
      f.notVisible.push(`outage journal not replayed (${left.join(', ')})`);
    }
    if (!pending.size && !this.journaled()) f.recoveredAt = Date.now();
  }

  async run(): Promise<Figures> {
    const warmup = this.o.warmupMs ?? 2000;
    const gap = this.o.gapMs ?? 2000;
    const workers = Array.from({ length: LOAD_WORKERS }, () => this.loadWorker());
    const inv = this.invalidator();
    const healthyFrom = Date.now();
    this.healthy.push({ from: healthyFrom, to: Infinity });
    await sleep(warmup);
    for (const spec of this.o.schedule) {
      await sleep(gap);
      const f: Fault = { kind: spec.kind, start: Date.now(), end: 0, issued: [], notVisible: [] };
      this.healthy[this.healthy.length - 1].to = f.start;
      this.faults.push(f);
      this.say(`fault ${spec.kind} for ${spec.ms} ms`);
      await this.applyFault(spec.kind, spec.ms);
      f.end = Date.now();
      // Everything issued while the fault was on, including invalidations still in flight at its end.
      await this.invInFlight;
      f.issued = this.invs.filter((i) => i.t0 >= f.start && i.t0 <= f.end);
      await this.recover(f);
      const from = f.recoveredAt ?? Date.now();
      this.healthy.push({ from, to: Infinity });
      this.say(`  ${f.issued.filter((i) => i.ok).length} invalidations issued during it; ${f.recoveredAt ? `visible on both after ${f.recoveredAt - f.end} ms` : `NOT visible: ${f.notVisible.join(', ')}`}`);
    }
    await sleep(gap);
    this.stopping = true;
    await Promise.all([...workers, inv]);
    this.healthy[this.healthy.length - 1].to = Date.now();
    this.logType = await redisCli(this.redis.port, 'TYPE', `{${this.prefix}}:log`).catch((e) => String(e));
    const fig = this.evaluate();
    try {
      const out = join(ROOT, 'test', '.artifacts', 'chaos');
      mkdirSync(out, { recursive: true });
      // Every request, invalidation and fault of the last run, for a post-mortem of a missed target.
      writeFileSync(join(out, 'last-run.json'), JSON.stringify({ faults: this.faults, healthy: this.healthy, invs: this.invs, reqs: this.reqs }));
    } catch {}
    return fig;
  }

  /** Invalidations still held in an instance's outage journal (a non-empty journal file in the harness's journal dir). */
  private journaled(): boolean {
    const dir = join(this.work, 'journal');
    try {
      return readdirSync(dir).some((f) => f.endsWith('.jsonl') && statSync(join(dir, f)).size > 0);
    } catch {
      return false;
    }
  }

  private healthy: { from: number; to: number }[] = [];
  private logType = '';
  private invInFlight: Promise<Inv> | undefined;

  // ---------------------------------------------------------------------------------- oracles
  evaluate(): Figures {
    const reqs = this.reqs;
    const lat = (rs: Req[]) => rs.map((r) => r.t1 - r.t0);
    const bad = (r: Req) => r.status >= 500 || r.status === 0;
    const byKind: Figures['byKind'] = {};
    const add = (name: string, rs: Req[]) => {
      byKind[name] = { requests: rs.length, fiveXx: rs.filter(bad).length, p50: pct(lat(rs), 50), p99: pct(lat(rs), 99), max: Math.max(0, ...lat(rs)) };
    };
    const inFault = (r: Req, f: Fault) => r.t0 < f.end && r.t1 > f.start;
    add('healthy', reqs.filter((r) => !this.faults.some((f) => inFault(r, f))));
    for (const kind of FAULT_KINDS) {
      const fs = this.faults.filter((f) => f.kind === kind);
      if (fs.length) add(kind, reqs.filter((r) => fs.some((f) => inFault(r, f))));
    }
    // Same-instance and other-instance stale reads after an acknowledged updateTag.
    const healthyAt = (t: number) => this.healthy.find((h) => t >= h.from && t < h.to);
    const acks = this.invs.filter((i) => i.method === 'action' && i.ok);
    const staleSame: string[] = [];
    const joinedSame: string[] = [];
    const staleOther: string[] = [];
    const chaosReads = reqs.filter((r) => r.key && r.status === 200);
    for (const a of acks) {
      const h = healthyAt(a.t0);
      const healthyThroughout = h && a.t1 < h.to;
      const tOther = healthyThroughout ? a.t1 : this.faults.find((f) => f.end >= a.t0 && f.recoveredAt !== undefined && f.start <= a.t1 + 1)?.recoveredAt ?? Infinity;
      for (const r of chaosReads) {
        if (r.key !== a.key) continue;
        const shown = r.version ?? -1;
        if (shown >= a.v) continue;
        const desc = `${r.path} on ${'AB'[r.inst]} at +${r.t0 - a.t1} ms showed ${r.text ?? '?'} after ${'AB'[a.inst]}'s ack of ${a.key}=${a.v}`;
        if (r.inst === a.inst && r.t0 > a.t1) {
          // Next de-duplicates concurrent invocations of a cached function (and concurrent ISR renders)
          // within a process: a request may receive the result of a generation that began before the
          // action wrote the DB and was still in flight (generating or being stored) when the request
          // started. That is Next's behaviour with any handler, so it is counted apart: a value
          // generated before the DB write (its version proves it: the DB only grows, so a lower version
          // was read before the write, even when the action itself started earlier and wrote late, as
          // it does against a frozen Redis) and at most JOIN_WINDOW_MS before the read started. A value
          // generated earlier than that can only have come from a cache entry: a stale read.
          if (r.genAt !== undefined && r.genAt < a.t1 && r.t0 - r.genAt <= JOIN_WINDOW_MS) joinedSame.push(desc);
          else staleSame.push(desc);
        }
        else if (r.inst !== a.inst && r.t0 > tOther) {
          const w = healthyAt(r.t0);
          if (w && r.t1 < w.to) staleOther.push(desc);
        }
      }
    }
    let behindDb = 0;
    for (const r of chaosReads) {
      let db = 0;
      for (const i of this.invs) if (i.key === r.key && i.t1 > 0 && i.t1 < r.t0 && i.status === 200 && i.v > db) db = i.v;
      if ((r.version ?? -1) < db) behindDb++;
    }
    const outageIssued = this.faults.reduce((n, f) => n + f.issued.filter((i) => i.ok).length, 0);
    const outageVisible = this.faults.reduce((n, f) => n + (f.recoveredAt !== undefined ? f.issued.filter((i) => i.ok).length : 0), 0);
    const recov = this.faults.filter((f) => f.recoveredAt !== undefined).map((f) => f.recoveredAt! - f.end);
    // The handler's warnings about hostile values are expected (the hostile phase writes them); any
    // other handler line, error or unhandled rejection in a server log is a failure.
    const serverErrors: string[] = [];
    let hostileWarnings = 0;
    for (const log of [...this.logs, ...this.inst.map((i) => i.log)]) {
      for (const line of log.split('\n')) {
        if (/\[tagscope\] ignored a corrupt or foreign value/.test(line)) hostileWarnings++;
        else if (/unhandled|tagscope|⨯|Error:/i.test(line)) serverErrors.push(line.slice(0, 300));
      }
    }
    return {
      requests: reqs.length,
      fiveXx: reqs.filter((r) => r.status >= 500).length + this.invs.filter((i) => i.status >= 500).length,
      failed: reqs.filter((r) => r.status === 0).length + this.invs.filter((i) => i.status === 0).length,
      p50: pct(lat(reqs), 50),
      p99: pct(lat(reqs), 99),
      byKind,
      faults: this.faults.map((f) => ({
        kind: f.kind,
        ms: f.end - f.start,
        issued: f.issued.filter((i) => i.ok).length,
        visible: f.recoveredAt !== undefined ? f.issued.filter((i) => i.ok).length : 0,
        recoveryMs: f.recoveredAt !== undefined ? f.recoveredAt - f.end : undefined,
      })),
      outageIssued,
      outageVisible,
      acked: acks.length,
      staleSame,
      staleOther,
      joinedSame,
      behindDb,
      chaosReads: chaosReads.length,
      invalidations: this.invs.length,
      invalidationFailures: this.invs.filter((i) => !i.ok).map((i) => `${i.method} ${i.key}=${i.v} on ${'AB'[i.inst]}: ${i.status} ${i.error ?? ''}`),
      recoveryMs: { p50: pct(recov, 50), max: Math.max(0, ...recov) },
      serverErrors: [...new Set(serverErrors)],
      hostileWarnings,
      logType: this.logType,
    };
  }
}

/** The figures as printed by report.mjs (and on a failed vitest assertion). */
export function formatFigures(f: Figures): string {
  const lines: string[] = [];
  lines.push(`requests served        ${f.requests} (+ ${f.invalidations} invalidations)`);
  lines.push(`5xx                    ${f.fiveXx}    failed/timed out: ${f.failed}`);
  lines.push(`latency overall        p50 ${f.p50} ms   p99 ${f.p99} ms`);
  for (const [k, v] of Object.entries(f.byKind)) lines.push(`  ${k.padEnd(12)} ${String(v.requests).padStart(6)} req  5xx ${v.fiveXx}  p50 ${v.p50} ms  p99 ${v.p99} ms  max ${v.max} ms`);
  lines.push(`outage invalidations   ${f.outageIssued} issued, ${f.outageVisible} visible on both instances after recovery`);
  for (const x of f.faults) lines.push(`  ${x.kind.padEnd(12)} ${String(x.ms).padStart(5)} ms  issued ${x.issued}  visible ${x.visible}  recovery ${x.recoveryMs ?? 'NEVER'} ms`);
  lines.push(`hostile values logged   ${f.hostileWarnings} handler warnings (rate-limited); invalidation log at end: ${f.logType}`);
  lines.push(`recovery after Redis returns  p50 ${f.recoveryMs.p50} ms  max ${f.recoveryMs.max} ms`);
  lines.push(`chaos-page reads        ${f.chaosReads}, of which served from cache behind the DB (legit: SWR / not yet invalidated) ${f.behindDb}`);
  lines.push(`acknowledged updateTags ${f.acked}; stale reads after ack: same instance ${f.staleSame.length}, other instance ${f.staleOther.length}`);
  for (const s of [...f.staleSame, ...f.staleOther].slice(0, 10)) lines.push(`  STALE ${s}`);
  lines.push(`  reads that shared a generation in flight from before the DB write (Next's de-duplication, not a cache read): ${f.joinedSame.length}`);
  for (const s of f.joinedSame.slice(0, 3)) lines.push(`    ${s}`);
  if (f.invalidationFailures.length) lines.push(`invalidation failures  ${f.invalidationFailures.length}: ${f.invalidationFailures.slice(0, 5).join('; ')}`);
  if (f.serverErrors.length) lines.push(`server log errors      ${f.serverErrors.length}: ${f.serverErrors.slice(0, 5).join(' | ')}`);
  return lines.join('\n');
}

/** Targets: the list of misses (empty = all met). Latency bounds are generous (shared, noisy machine). */
export function missedTargets(f: Figures, p99BoundMs = 10_000): string[] {
  const out: string[] = [];
  if (f.fiveXx) out.push(`${f.fiveXx} responses were 5xx`);
  if (f.failed) out.push(`${f.failed} requests got no response`);
  if (f.outageVisible !== f.outageIssued) out.push(`${f.outageIssued - f.outageVisible} outage invalidations not visible on both instances`);
  if (f.staleSame.length) out.push(`${f.staleSame.length} stale reads on the instance that acknowledged the updateTag`);
  if (f.staleOther.length) out.push(`${f.staleOther.length} stale reads on the other instance while Redis was up`);
  if (f.invalidationFailures.length) out.push(`${f.invalidationFailures.length} invalidation requests failed`);
  if (f.p99 > p99BoundMs) out.push(`overall p99 ${f.p99} ms > ${p99BoundMs} ms`);
  if (f.serverErrors.length) out.push(`${f.serverErrors.length} error lines in the server logs`);
  if (!f.requests) out.push('no requests served');
  if (f.faults.some((x) => x.kind === 'hostile') && !f.hostileWarnings) out.push('the hostile values were not logged by the handler');
  if (f.faults.some((x) => x.kind === 'hostile') && f.logType !== 'stream') out.push(`the invalidation log is a ${f.logType} after the hostile phase, not a stream`);
  return out;
}
