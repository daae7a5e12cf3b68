// The larger fuzz campaign behind `node test/fuzz/report.mjs` (bundled on the fly by it). Same
// generator, oracle and cases as the CI tests, more of them; prints the figures and returns the
// exit code. Environment: TAGSCOPE_FUZZ_SEED, TAGSCOPE_FUZZ_CASES, TAGSCOPE_FUZZ_LSP_BATCHES,
// TAGSCOPE_FUZZ_STORM, TAGSCOPE_FUZZ_BUDGET_S (wall-clock budget, default 420 s).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS, buildWorker, runAnalyzerCampaign, runLspCampaign } from './campaign';
import { KINDS, percentile } from './fuzzer';
import { runProtocolCases } from './protocol';

const num = (name: string, dflt: number) => (process.env[name] ? Number(process.env[name]) : dflt);
const ms = (x: number) => `${Math.round(x)} ms`;

export async function main(): Promise<number> {
  const t0 = Date.now();
  const seed = num('TAGSCOPE_FUZZ_SEED', 1);
  const cases = num('TAGSCOPE_FUZZ_CASES', 60 * KINDS.length);
  const batches = num('TAGSCOPE_FUZZ_LSP_BATCHES', 10 * KINDS.length);
  const storm = num('TAGSCOPE_FUZZ_STORM', 1000);
  const budget = num('TAGSCOPE_FUZZ_BUDGET_S', 420) * 1000;
  const log = (l: string) => process.stderr.write(l.slice(0, 4000) + '\n');
  await buildWorker();

  log(`protocol cases…`);
  const protocol = await runProtocolCases({ stormSize: storm, log });
  log(`analyzer: ${cases} cases, seed ${seed}…`);
  // Leave about a fifth of the budget to the language server campaign.
  const analyzer = await runAnalyzerCampaign({ seed, count: cases, deadline: t0 + budget * 0.75, log });
  log(`language server: ${batches} batches, seed ${seed}…`);
  const lsp = await runLspCampaign({ seed, batches, deadline: t0 + budget * 0.95, log });

  const failures = [...protocol.failures.map((f) => `protocol: ${f}`), ...analyzer.failures.map((f) => `analyzer: ${f}`), ...lsp.failures.map((f) => `lsp: ${f}`)];
  const cut = analyzer.cases < cases || lsp.batches < batches;
  const out: string[] = [];
  out.push(`Tagscope fuzz campaign — seed ${seed}, ${Math.round((Date.now() - t0) / 1000)} s`);
  out.push('');
  out.push(`Analysis core: ${analyzer.cases} cases (2 fixture apps; every mutated file beside the unmutated ones)`);
  out.push(`  per mutation kind: ${Object.entries(analyzer.byKind).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  out.push(`  crashes ${analyzer.crashes}, hangs ${analyzer.hangs}, exceptions ${analyzer.threw}, unmutated files with changed diagnostics ${analyzer.oracleFailures}`);
  out.push(`  diagnostics legitimately taken away by new tags (global matching): ${analyzer.excused}`);
  out.push(`  per-file analysis: max ${ms(Math.max(0, ...analyzer.fileTimesMs))}, p99 ${ms(percentile(analyzer.fileTimesMs, 99))}, p50 ${ms(percentile(analyzer.fileTimesMs, 50))} over ${analyzer.fileTimesMs.length} file analyses`);
  out.push(`  per app (scan + every file + rules): max ${ms(Math.max(0, ...analyzer.caseTimesMs))}, p99 ${ms(percentile(analyzer.caseTimesMs, 99))}`);
  for (const s of analyzer.slowest.slice(0, 3)) out.push(`    slowest: ${ms(s.ms)} ${s.label}`);
  out.push('');
  out.push(`Language server: ${lsp.batches} batches, ${lsp.requests} requests, ${lsp.notifications} notifications`);
  out.push(`  response time: max ${ms(Math.max(0, ...lsp.responseTimesMs))}, p99 ${ms(percentile(lsp.responseTimesMs, 99))}, p50 ${ms(percentile(lsp.responseTimesMs, 50))}`);
  for (const s of lsp.slowest.slice(0, 3)) out.push(`    slowest: ${ms(s.ms)} ${s.label.slice(0, 220)}`);
  out.push('');
  out.push(`Protocol: ${protocol.cases} cases, ${protocol.requests} requests checked for an answer`);
  out.push(`  cancellation storm: ${protocol.stormRequests} requests + cancels (and ${protocol.stormRequests} cancels for unknown ids) answered in ${ms(protocol.stormMs)}, ${protocol.stormCancelledAnswers} as RequestCancelled`);
  out.push(`  health check after each case (hover on a good file): max ${ms(protocol.maxHealthMs)}`);
  out.push('');
  if (cut) out.push(`Note: stopped at the time budget (${budget / 1000} s): ${analyzer.cases}/${cases} analyzer cases, ${lsp.batches}/${batches} server batches.`);
  out.push(failures.length ? `FAILURES: ${failures.length}` : 'Failures: 0');
  for (const f of failures.slice(0, 30)) out.push(`- ${f}`);
  process.stdout.write(out.join('\n') + '\n');
  writeFileSync(join(ARTIFACTS, 'fuzz-report.json'), JSON.stringify({ seed, protocol, analyzer: { ...analyzer, fileTimesMs: undefined, caseTimesMs: undefined, maxFileMs: Math.max(0, ...analyzer.fileTimesMs), p99FileMs: percentile(analyzer.fileTimesMs, 99) }, lsp: { ...lsp, responseTimesMs: undefined, maxResponseMs: Math.max(0, ...lsp.responseTimesMs) } }, null, 2));
  return failures.length ? 1 : 0;
}
