// `npm run bench` (after `npm run build`): the analyzer benchmark, then the other benchmarks
// that exist next to it (handler, language server), each in its own process so one's memory
// and JIT state don't colour another's figures. Exits non-zero if any of them failed to run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const benches = [
  ['analyzer', 'analyzer.mjs'],
  ['handler', 'handler.mjs'],
  ['language server', 'lsp.mjs'],
];

const failed = [];
for (const [name, file] of benches) {
  const path = join(here, file);
  if (!existsSync(path)) {
    console.log(`\n== ${name} benchmark: ${file} not present, skipped`);
    continue;
  }
  console.log(`\n== ${name} benchmark (test/bench/${file})`);
  const r = spawnSync(process.execPath, [path], { stdio: 'inherit', env: process.env });
  if (r.status !== 0) failed.push(`${file} exited ${r.status ?? r.signal}`);
}
if (failed.length) {
  console.error(`\nbenchmarks that failed: ${failed.join(', ')}`);
  process.exitCode = 1;
}
