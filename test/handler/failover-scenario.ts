/**
 * Redis Cluster failover while two handler processes serve a steady stream of get / set /
 * updateTags / refreshTags. Shared by test/handler/failover.test.ts (short) and
 * test/chaos/failover.mjs (longer load, printed figures; it bundles this file with esbuild).
 *
 * The shard that holds the invalidation log is the one failed over, graceful (`CLUSTER FAILOVER`
 * on its replica) then hard (SIGKILL of its master; the cluster promotes the replica), because
 * propagation depends on it. Per phase it measures: calls that threw, call latency while the
 * failover is in progress, the time until entries on that shard hit again and invalidations
 * propagate again, and invalidations issued during the failover that another instance, or a new
 * instance loading from Redis, cannot see.
 */
import { Keys } from '@tagscope/handler';
import { OwnCluster, keySlot } from './cluster';
import { Worker } from './worker';
import { randomPrefix, sleep } from './helpers';

export interface PhaseFigures {
  kind: 'graceful' | 'hard';
  /** Calls made by the load and the probes during the phase. */
  ops: number;
  /** Calls that rejected (a handler method threw) or hung past `hangMs`. */
  errors: string[];
  /** Latency of the calls issued while the failover was in progress (ms, parent round trip). */
  maxMs: number;
  p99Ms: number;
  windowOps: number;
  /** From the trigger until the cluster agreed on the new master (ms). */
  clusterMs: number;
  /** From the trigger until entries on the failed shard hit again / invalidations propagate again, for good (ms); null = never. */
  recoverHitsMs: number | null;
  recoverPropagationMs: number | null;
  /** From the moment the cluster agreed until the first probe that worked on the new topology (ms); null = none. */
  firstHitAfterClusterMs: number | null;
  firstPropagationAfterClusterMs: number | null;
  /** Invalidations issued (and resolved) while the failover was in progress. */
  invalidations: number;
  /** Those not visible afterwards, as `tag@where`. */
  lost: string[];
}

export interface ScenarioFigures {
  phases: PhaseFigures[];
  unhandled: string[];
  totalOps: number;
}

export interface ScenarioOptions {
  /** Load before each failover and after recovery (ms). */
  steadyMs?: number;
  /** Concurrent call loops per worker. */
  concurrency?: number;
  /** Graceful + hard rounds (the killed node is restarted as a replica between rounds). */
  rounds?: number;
  /** A call slower than this counts as an error (a hang). */
  hangMs?: number;
  log?: (line: string) => void;
}

const NODE_TIMEOUT_MS = 1000;

function pct(xs: number[], p: number): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))];
}

export async function runFailoverScenario(opts: ScenarioOptions = {}): Promise<ScenarioFigures> {
  const steadyMs = opts.steadyMs ?? 1500;
  const concurrency = opts.concurrency ?? 2;
  const rounds = opts.rounds ?? 1;
  const hangMs = opts.hangMs ?? 10_000;
  const log = opts.log ?? (() => {});
  const prefix = randomPrefix('failover');
  const keys = new Keys(prefix);
  const logSlot = keySlot(keys.log());

  const cluster = await OwnCluster.start({ masters: 3, replicas: 1, nodeTimeoutMs: NODE_TIMEOUT_MS });
  const workers: Worker[] = [];
  const figures: ScenarioFigures = { phases: [], unhandled: [], totalOps: 0 };
  try {
    const wopts = { url: cluster.url, prefix, timeoutMs: 250, cooldownMs: 300 };
    const [A, B] = await Promise.all([Worker.start(wopts), Worker.start(wopts)]);
    workers.push(A, B);
    const W = [A, B];

    // ---- instrumentation: every call is timed and any rejection or hang is an error
    let phase: { errors: string[]; calls: Array<{ t0: number; ms: number }>; ops: number } = { errors: [], calls: [], ops: 0 };
    const call = async <T = any>(w: Worker, op: string, args: Record<string, unknown> = {}): Promise<T | undefined> => {
      const t0 = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const p = phase;
      p.ops++;
      try {
        return await Promise.race([
          w.call<T>(op, args),
          new Promise<never>((_, j) => (timer = setTimeout(() => j(new Error(`${op} hung for ${hangMs} ms`)), hangMs))),
        ]);
      } catch (err) {
        p.errors.push(`${op}: ${String((err as Error).message).split('\n')[0]}`);
        return undefined;
      } finally {
        clearTimeout(timer);
        p.calls.push({ t0, ms: Date.now() - t0 });
      }
    };

    // ---- keys: a pool over all slots, and probe keys on the log's shard
    const pool = Array.from({ length: 120 }, (_, i) => `pool-${i}`);
    const loadTags = Array.from({ length: 30 }, (_, i) => `load-${i}`);
    const onLogShard = (n: number, stem: string): string[] => {
      const out: string[] = [];
      for (let i = 0; out.length < n; i++) {
        const k = `${stem}-${i}`;
        if (keySlot(keys.useCacheEntry(k)) === logSlot || sameShard(keySlot(keys.useCacheEntry(k)))) out.push(k);
      }
      return out;
    };
    let shardSlots: Array<[number, number]> = [];
    const sameShard = (slot: number) => shardSlots.some(([a, b]) => slot >= a && slot <= b);
    const refreshShard = async () => {
      const nodes = await cluster.nodes();
      shardSlots = nodes.find((n) => n.role === 'master' && !n.failed && n.slots.some(([a, b]) => logSlot >= a && logSlot <= b))!.slots;
    };
    await refreshShard();
    for (let i = 0; i < pool.length; i++) {
      await call(W[i % 2], 'set', { key: pool[i], tags: [loadTags[i % loadTags.length]], value: `v${i}` });
    }

    // ---- steady load
    let loadOn = true;
    const loops: Promise<void>[] = [];
    for (const w of W) {
      for (let c = 0; c < concurrency; c++) {
        loops.push(
          (async () => {
            let i = c;
            while (loadOn) {
              const r = Math.random();
              const k = pool[Math.floor(Math.random() * pool.length)];
              if (r < 0.6) await call(w, 'get', { key: k });
              else if (r < 0.85) await call(w, 'set', { key: k, tags: [loadTags[i++ % loadTags.length]], value: `v${i}` });
              else if (r < 0.95) await call(w, 'update', { tags: [loadTags[Math.floor(Math.random() * loadTags.length)]] });
              else await call(w, 'getExpiration', { tags: ['_N_T_/layout', loadTags[0]] });
            }
          })(),
        );
      }
    }

    let tracked = 0;
    let probeN = 0;
    const runPhase = async (kind: 'graceful' | 'hard'): Promise<PhaseFigures> => {
      phase = { errors: [], calls: [], ops: 0 };
      await refreshShard();
      const victim = await cluster.masterOf(logSlot);
      const [replica] = await cluster.replicasOf(victim);
      if (replica === undefined) throw new Error('the log shard has no replica');
      // Entries the tracked invalidations will hit: set by the other instance before the failover.
      const plannedInv = 60;
      const base = tracked;
      for (let n = 0; n < plannedInv; n++) {
        const id = base + n;
        await call(W[(id + 1) % 2], 'set', { key: `inv-entry-${id}`, tags: [`inv-${id}`], value: 'before' });
      }
      await cluster.waitReplicasInSync();
      await sleep(steadyMs);
      log(`${kind}: failing over the log shard, master :${victim} → replica :${replica}`);

      const t0 = Date.now();
      let clusterAt = 0;
      let windowEnd = Infinity;
      const hitProbes: Array<{ t: number; ok: boolean }> = [];
      const propProbes: Array<{ t: number; ok: boolean }> = [];
      const issued: Array<{ id: number; by: number }> = [];
      let inWindow = true;

      // tracked invalidations: unique tags, alternating instances, every 100 ms while the failover is in progress
      const invLoop = (async () => {
        let n = 0;
        while (inWindow && n < plannedInv) {
          const id = base + n++;
          const by = id % 2;
          const r = await call(W[by], 'update', { tags: [`inv-${id}`] });
          if (r !== undefined) issued.push({ id, by });
          await sleep(100);
        }
      })();
      // probes: a fresh entry on the failed shard set on one instance must hit on the other; an
      // invalidation on one must reach the other's mirror
      const probeLoop = (async () => {
        const probeKeys = onLogShard(400, `probe-${probeN++}`);
        let i = 0;
        while (inWindow) {
          const [x, y] = i % 2 ? [A, B] : [B, A];
          const k = probeKeys[i++ % probeKeys.length];
          const t = Date.now();
          await call(x, 'set', { key: k, tags: ['probe'], value: `p${i}` });
          const g = await call<{ value?: string }>(y, 'get', { key: k });
          hitProbes.push({ t, ok: g?.value === `p${i}` });
          const tag = `prop-${probeN}-${i}`;
          const tp = Date.now();
          await call(x, 'update', { tags: [tag] });
          await call(y, 'get', { key: 'nothing' }); // a request: refreshTags + get
          const st = await call<Array<{ x?: number } | null>>(y, 'mirror', { tags: [tag] });
          propProbes.push({ t: tp, ok: !!st?.[0]?.x });
          await sleep(50);
        }
      })();

      if (kind === 'graceful') await cluster.failover(replica);
      else await cluster.kill(victim);
      await cluster.waitHealthy(60_000);
      clusterAt = Date.now() - t0;
      log(`${kind}: cluster agrees on the new master after ${clusterAt} ms`);
      // keep the window open until the probes have succeeded for a while (or give up after 30 s)
      // and until a probe issued after the agreement has finished: on a loaded machine the client can
      // follow the new master before waitHealthy sees the agreement, and the window must still
      // measure a probe on the agreed topology.
      const settled = (ps: Array<{ t: number; ok: boolean }>) =>
        ps.length >= 5 && ps.slice(-5).every((p) => p.ok) && ps.some((p) => p.t - t0 >= clusterAt);
      const deadline = Date.now() + 30_000;
      while ((!(settled(hitProbes) && settled(propProbes)) || Date.now() - t0 < 2000) && Date.now() < deadline) await sleep(100);
      windowEnd = Date.now();
      inWindow = false;
      await Promise.all([invLoop, probeLoop]);

      const fails = (ps: Array<{ t: number; ok: boolean }>) => ps.filter((p) => !p.ok).map((p) => p.t - t0);
      log(`${kind}: failed probes at ms after the trigger: hits ${JSON.stringify(fails(hitProbes))}, propagation ${JSON.stringify(fails(propProbes))}`);
      const recovered = (ps: Array<{ t: number; ok: boolean }>): number | null => {
        if (!ps.length || !ps[ps.length - 1].ok) return null;
        let lastFail = -1;
        ps.forEach((p, i) => {
          if (!p.ok) lastFail = i;
        });
        return lastFail < 0 ? 0 : Math.max(0, ps[lastFail + 1].t - t0);
      };

      const firstAfter = (ps: Array<{ t: number; ok: boolean }>): number | null => {
        const p = ps.find((x) => x.ok && x.t - t0 >= clusterAt);
        return p ? p.t - t0 - clusterAt : null;
      };

      // steady load on the new topology
      await sleep(steadyMs);

      // nothing issued during the failover may be lost: visible to the issuer, the other instance,
      // and a new instance that loads tag state from Redis
      const lost: string[] = [];
      const ids = issued.map((x) => x.id);
      const tags = ids.map((id) => `inv-${id}`);
      const visible = async (w: Worker): Promise<boolean[]> => {
        await call(w, 'get', { key: 'nothing' });
        const st = (await call<Array<{ x?: number } | null>>(w, 'mirror', { tags })) ?? [];
        return tags.map((_, i) => !!st[i]?.x);
      };
      let seenA: boolean[] = [];
      let seenB: boolean[] = [];
      const until = Date.now() + 10_000;
      do {
        [seenA, seenB] = await Promise.all([visible(A), visible(B)]);
        if (seenA.every(Boolean) && seenB.every(Boolean)) break;
        await sleep(200);
      } while (Date.now() < until);
      tags.forEach((t, i) => {
        if (!seenA[i]) lost.push(`${t}@A`);
        if (!seenB[i]) lost.push(`${t}@B`);
      });
      const C = await Worker.start(wopts);
      try {
        let ok = false;
        for (let i = 0; i < 20 && !ok; i++) {
          ok = (await call<boolean>(C, 'sync')) === true;
          if (!ok) await sleep(250);
        }
        const st = (await call<Array<{ x?: number } | null>>(C, 'mirror', { tags })) ?? [];
        tags.forEach((t, i) => {
          if (!st[i]?.x) lost.push(`${t}@new-instance`);
        });
        // and the entries they tag are gone for the instance that did not issue them
        for (const { id, by } of issued) {
          const g = await call<{ miss?: boolean }>(W[(by + 1) % 2], 'get', { key: `inv-entry-${id}` });
          if (!g?.miss) lost.push(`inv-${id}@entry`);
        }
        figures.unhandled.push(...C.unhandled);
      } finally {
        await C.stop();
      }
      tracked = base + plannedInv;

      const during = phase.calls.filter((c) => c.t0 >= t0 && c.t0 <= windowEnd).map((c) => c.ms);
      const f: PhaseFigures = {
        kind,
        ops: phase.ops,
        errors: phase.errors,
        maxMs: during.length ? Math.max(...during) : 0,
        p99Ms: pct(during, 99),
        windowOps: during.length,
        clusterMs: clusterAt,
        recoverHitsMs: recovered(hitProbes),
        recoverPropagationMs: recovered(propProbes),
        firstHitAfterClusterMs: firstAfter(hitProbes),
        firstPropagationAfterClusterMs: firstAfter(propProbes),
        invalidations: issued.length,
        lost,
      };
      log(`${kind}: ${JSON.stringify(f)}`);
      return f;
    };

    for (let r = 0; r < rounds; r++) {
      figures.phases.push(await runPhase('graceful'));
      figures.phases.push(await runPhase('hard'));
      // bring the killed node back: it rejoins as a replica, so the next round can fail over again
      for (const p of [...cluster.killed]) await cluster.restart(p);
      await cluster.waitHealthy(30_000);
      if (r + 1 < rounds) await cluster.waitReplicasInSync(60_000);
    }
    loadOn = false;
    await Promise.all(loops);
    figures.unhandled.push(...A.unhandled, ...B.unhandled);
    figures.totalOps = figures.phases.reduce((s, p) => s + p.ops, 0);
    return figures;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await cluster.destroy();
  }
}
