// `node test/fuzz/report.mjs` (after `npm run build`; `npm run chaos` calls it): the larger fuzz
// and protocol campaign, with figures. Bundles test/fuzz/reportMain.ts with esbuild into
// test/.artifacts (as scripts/bundles.mjs does for dist/) and runs it; exits non-zero on any failure.
import { build } from 'esbuild';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
if (!existsSync(join(root, 'dist/server.js'))) {
  console.error('test/fuzz/report.mjs: dist/server.js is missing; run `npm run build` first.');
  process.exit(2);
}
const out = join(root, 'test/.artifacts/fuzz-report.js');
mkdirSync(dirname(out), { recursive: true });
await build({ entryPoints: [join(root, 'test/fuzz/reportMain.ts')], outfile: out, bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['esbuild'], logLevel: 'warning', absWorkingDir: root });
const { main } = createRequire(import.meta.url)(out);
process.exitCode = await main();
