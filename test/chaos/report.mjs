// `node test/chaos/report.mjs` (after `npm run build`; `npm run chaos` runs it): the long handler chaos
// schedule — two `next start` instances under load while Redis is killed (empty and with its data),
// frozen, slowed above and below the handler timeout and fed hostile values, five rounds of each.
// Prints the figures and exits non-zero when a target is missed. The harness and its oracles are
// test/chaos/harness.ts, shared with the vitest suite (test/chaos/chaos.test.ts); it is bundled here
// on the fly with esbuild into the git-ignored test/.artifacts.
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = join(root, 'test', '.artifacts', 'chaos', `harness-${process.pid}.cjs`);
await build({ entryPoints: [join(root, 'test/chaos/harness.ts')], outfile: out, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' });
const { ChaosHarness, formatFigures, missedTargets } = createRequire(import.meta.url)(out);

const ROUNDS = Number(process.env.CHAOS_ROUNDS ?? 5);
const round = [
  { kind: 'kill-empty', ms: 4000 },
  { kind: 'freeze', ms: 4000 },
  { kind: 'slow-above', ms: 4000 },
  { kind: 'kill-keep', ms: 4000 },
  { kind: 'hostile', ms: 5000 },
  { kind: 'slow-below', ms: 4000 },
];
const t0 = Date.now();
const h = new ChaosHarness({
  warmupMs: 3000,
  gapMs: 3000,
  schedule: Array.from({ length: ROUNDS }, () => round).flat(),
  log: (l) => console.log(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${l}`),
});

let code = 1;
// A hard stop below the runner's 15-minute kill: the servers are in their own process groups and
// would outlive a SIGKILL of this one, so tear down first.
const hardStop = setTimeout(async () => {
  console.error('chaos report: over 9 minutes, stopping');
  await h.teardown().catch(() => {});
  process.exit(1);
}, 9 * 60_000);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, async () => {
    await h.teardown().catch(() => {});
    process.exit(1);
  });
}
try {
  console.log(`handler chaos: ${ROUNDS} rounds of ${round.map((r) => r.kind).join(', ')}`);
  await h.setup();
  console.log(`setup (build reused or made, Redis, two next start) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const f = await h.run();
  console.log('');
  console.log(formatFigures(f));
  const missed = missedTargets(f);
  console.log('');
  if (missed.length) {
    console.log(`TARGETS MISSED:\n  ${missed.join('\n  ')}\n(every request of the run: test/.artifacts/chaos/last-run.json)`);
  } else {
    console.log('all targets met: 0 5xx, every outage invalidation visible on both instances, no stale read after an acknowledged updateTag');
    code = 0;
  }
} catch (e) {
  console.error(e);
} finally {
  clearTimeout(hardStop);
  await h.teardown().catch(() => {});
  const { rmSync } = await import('node:fs');
  rmSync(out, { force: true });
}
process.exit(code);
