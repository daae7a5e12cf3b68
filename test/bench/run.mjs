// `npm run bench` (after `npm run build`): the analyzer benchmark, then the other benchmarks
// that exist next to it (handler, language server), each in its own process so one's memory
// and JIT state don't colour another's figures. Exits non-zero if any of them failed to run.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const benches = [
  ['analyzer', 'analyzer.mjs'],
  ['handler', 'handler.mjs'],
  ['language server', 'lsp.mjs'],
];
// A benchmark that hangs must not hang `npm run bench`: each gets BENCH_TIMEOUT_MS (default
// 20 min), then its whole process group (incl. servers it started) is killed.
const TIMEOUT = Number(process.env.BENCH_TIMEOUT_MS ?? 20 * 60 * 1000);

function run(path) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path], { stdio: 'inherit', env: process.env, detached: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, TIMEOUT);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(timedOut ? `timed out after ${TIMEOUT} ms` : code === 0 ? undefined : `exited ${code ?? signal}`);
    });
  });
}

const failed = [];
for (const [name, file] of benches) {
  const path = join(here, file);
  if (!existsSync(path)) {
    console.log(`\n== ${name} benchmark: ${file} not present, skipped`);
    continue;
  }
  console.log(`\n== ${name} benchmark (test/bench/${file})`);
  const problem = await run(path);
  if (problem) failed.push(`${file} ${problem}`);
}
if (failed.length) {
  console.error(`\nbenchmarks that failed: ${failed.join(', ')}`);
  process.exitCode = 1;
}
