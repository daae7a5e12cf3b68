// Builds every output named in DESIGN.md: the dist/*.js bundles (scripts/bundles.mjs) and
// handler/dist (tsc, because Next loads the handler unbundled and users want its .d.ts).
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { bundle, root } from './bundles.mjs';

rmSync(join(root, 'handler/dist'), { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'handler/tsconfig.json')], { stdio: 'inherit' });
await bundle({ outDir: root, production: process.argv.includes('--production') });
