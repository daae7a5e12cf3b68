// Builds every output named in DESIGN.md: the dist/*.js bundles (scripts/bundles.mjs) and
// handler/dist (tsc, because Next loads the handler unbundled and users want its .d.ts).
import { execFileSync } from 'node:child_process';
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bundle, root } from './bundles.mjs';

// Compile beside handler/dist, then swap: a process reading handler/dist (a running test)
// never sees it half-written or missing for the length of a compile.
const dist = join(root, 'handler/dist');
const next = join(root, 'handler/.dist-next');
rmSync(next, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'handler/tsconfig.json'), '--outDir', next], { stdio: 'inherit' });
rmSync(dist, { recursive: true, force: true });
renameSync(next, dist);
await bundle({ outDir: root, production: process.argv.includes('--production') });
