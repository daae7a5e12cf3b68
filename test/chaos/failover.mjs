// Redis Cluster failover under load (run after `npm run build`; `npm run chaos` runs it).
// Starts its own 3-master + 3-replica cluster on loopback and two handler processes, then fails
// over the shard holding the invalidation log, gracefully (CLUSTER FAILOVER) and hard (SIGKILL of
// the master), for several rounds, while both instances serve get / set / updateTags /
// refreshTags. Prints the figures and exits non-zero when a target is missed:
//   errors thrown 0, invalidations lost 0, hits and propagation recovered in every phase,
//   max call latency during a failover under FAILOVER_MAX_MS (default 10000, generous: loopback on a shared machine).
// The scenario is test/handler/failover-scenario.ts (also run, shorter, by test/handler/failover.test.ts),
// bundled here with esbuild into test/.artifacts; @tagscope/handler stays external (handler/dist).
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = join(root, 'test/.artifacts/failover-scenario.cjs');
mkdirSync(dirname(out), { recursive: true });
await build({
  entryPoints: [join(root, 'test/handler/failover-scenario.ts')],
  outfile: out,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['@tagscope/handler', 'esbuild'],
  // worker.ts finds worker.cjs next to itself
  define: { __dirname: JSON.stringify(join(root, 'test/handler')) },
  logLevel: 'warning',
});
const { runFailoverScenario } = await import(pathToFileURL(out).href);

const rounds = Number(process.env.FAILOVER_ROUNDS ?? 3);
const steadyMs = Number(process.env.FAILOVER_STEADY_MS ?? 8000);
const concurrency = Number(process.env.FAILOVER_CONCURRENCY ?? 4);
const maxMsTarget = Number(process.env.FAILOVER_MAX_MS ?? 10000);
const t0 = Date.now();
const guard = setTimeout(() => {
  console.error('failover: did not finish within 5 minutes');
  process.exit(2);
}, 5 * 60 * 1000);
guard.unref();

const log = (s) => console.log(`  [${((Date.now() - t0) / 1000).toFixed(1)}s] ${s}`);
const f = await runFailoverScenario({ rounds, steadyMs, concurrency, log: process.env.FAILOVER_VERBOSE ? log : () => {} });

const fmt = (x) => (x === null ? 'never' : `${Math.round(x)} ms`);
console.log(`\nRedis Cluster failover (3 masters + 3 replicas, cluster-node-timeout 1000 ms; ${rounds} rounds, 2 handler processes × ${concurrency} call loops)`);
console.log('phase      ops    errors  during-failover: calls  p99      max      cluster-ok  hits-back  propagation-back  invalidations  lost');
for (const p of f.phases) {
  console.log(
    `${p.kind.padEnd(9)} ${String(p.ops).padStart(6)} ${String(p.errors.length).padStart(7)} ${String(p.windowOps).padStart(23)}  ${fmt(p.p99Ms).padEnd(8)} ${fmt(p.maxMs).padEnd(8)} ${fmt(p.clusterMs).padEnd(11)} ${fmt(p.recoverHitsMs).padEnd(10)} ${fmt(p.recoverPropagationMs).padEnd(17)} ${String(p.invalidations).padStart(13)}  ${p.lost.length}`,
  );
}
const errors = f.phases.flatMap((p) => p.errors);
const lost = f.phases.flatMap((p) => p.lost);
const during = f.phases.map((p) => p.maxMs);
const notRecovered = f.phases.filter((p) => p.recoverHitsMs === null || p.recoverPropagationMs === null);
const worst = (k) => Math.max(...f.phases.map((p) => p[k] ?? Infinity));
console.log(`\nops run: ${f.totalOps}`);
console.log(`errors thrown: ${errors.length} (target 0)${errors.length ? ' — ' + [...new Set(errors)].slice(0, 5).join('; ') : ''}`);
console.log(`unhandled rejections: ${f.unhandled.length} (target 0)`);
console.log(`call latency during failover: p99 ${fmt(Math.max(...f.phases.map((p) => p.p99Ms)))} (worst phase), max ${fmt(Math.max(...during))} (target < ${maxMsTarget} ms)`);
console.log(`time to recover hits: ${fmt(worst('recoverHitsMs'))} worst; propagation: ${fmt(worst('recoverPropagationMs'))} worst (from the failover trigger)`);
const lagAfter = (k) => Math.max(...f.phases.map((p) => (p[k] === null ? Infinity : Math.max(0, p[k] - p.clusterMs))));
console.log(`  of which after the cluster agreed on the new master: hits ${fmt(lagAfter('recoverHitsMs'))}, propagation ${fmt(lagAfter('recoverPropagationMs'))} worst`);
console.log(`invalidations during failover: ${f.phases.reduce((s, p) => s + p.invalidations, 0)}, lost: ${lost.length} (target 0)${lost.length ? ' — ' + lost.slice(0, 5).join(', ') : ''}`);
console.log(`took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
const missed = errors.length > 0 || f.unhandled.length > 0 || lost.length > 0 || notRecovered.length > 0 || Math.max(...during) >= maxMsTarget;
process.exit(missed ? 1 : 0);
