// Builds every output named in DESIGN.md: dist/*.js bundles (esbuild) and handler/dist (tsc,
// because Next loads the handler unbundled and users want its .d.ts).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const production = process.argv.includes('--production');

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  absWorkingDir: root,
};

const entries = [
  { in: 'server/src/cli.ts', out: 'dist/cli.js', banner: '#!/usr/bin/env node' },
  { in: 'server/src/server.ts', out: 'dist/server.js' },
  { in: 'client/src/extension.ts', out: 'dist/extension.js', external: ['vscode'] },
];

rmSync(join(root, 'handler/dist'), { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'handler/tsconfig.json')], { stdio: 'inherit' });

await Promise.all(
  entries
    .filter((e) => existsSync(join(root, e.in)))
    .map((e) =>
      build({
        ...common,
        entryPoints: [e.in],
        outfile: e.out,
        external: e.external ?? [],
        banner: e.banner ? { js: e.banner } : undefined,
      }),
    ),
);
if (existsSync(join(root, 'dist/cli.js'))) chmodSync(join(root, 'dist/cli.js'), 0o755);

// The panel webview: a browser bundle plus its stylesheet and the codicon font, all served
// from dist/webview (the only local resource root the webview may load).
if (existsSync(join(root, 'client/src/webview/panel.ts'))) {
  mkdirSync(join(root, 'dist/webview'), { recursive: true });
  await build({ ...common, platform: 'browser', format: 'iife', target: 'es2022', entryPoints: ['client/src/webview/panel.ts'], outfile: 'dist/webview/panel.js' });
  copyFileSync(join(root, 'client/src/webview/panel.css'), join(root, 'dist/webview/panel.css'));
  for (const f of ['codicon.css', 'codicon.ttf']) copyFileSync(join(root, 'node_modules/@vscode/codicons/dist', f), join(root, 'dist/webview', f));
}
