// `npm run bench` (after `npm run build`): the analyzer, handler and language-server benchmarks,
// each in its own process (scripts/runScripts.mjs). Exits non-zero if any of them failed to run.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScripts } from '../../scripts/runScripts.mjs';

const here = dirname(fileURLToPath(import.meta.url));
// A benchmark that hangs must not hang `npm run bench`: each gets BENCH_TIMEOUT_MS (default 20 min).
await runScripts(
  'benchmark',
  [
    ['analyzer', join(here, 'analyzer.mjs')],
    ['handler', join(here, 'handler.mjs')],
    ['language server', join(here, 'lsp.mjs')],
  ],
  Number(process.env.BENCH_TIMEOUT_MS ?? 20 * 60 * 1000),
);
