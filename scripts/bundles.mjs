// The esbuild bundles, defined once for `npm run build` (scripts/build.mjs) and the VSIX
// (scripts/package.mjs): the extension (vscode external), the language server, the CLI, and the
// panel webview with its stylesheet and codicon font.
import { build } from 'esbuild';
import { chmodSync, copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const ENTRIES = {
  cli: { in: 'server/src/cli.ts', out: 'dist/cli.js', banner: '#!/usr/bin/env node' },
  server: { in: 'server/src/server.ts', out: 'dist/server.js' },
  extension: { in: 'client/src/extension.ts', out: 'dist/extension.js', external: ['vscode'] },
};

/**
 * @param {{ outDir: string, production?: boolean, only?: Array<'cli'|'server'|'extension'|'webview'>, handlerFromSource?: boolean }} o
 *   handlerFromSource: bundle @tagscope/handler from its TypeScript (no prior tsc build needed).
 */
export async function bundle({ outDir, production = false, only = ['cli', 'server', 'extension', 'webview'], handlerFromSource = false }) {
  const common = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: !production,
    minify: production,
    legalComments: production ? 'none' : undefined,
    logLevel: 'warning',
    absWorkingDir: root,
    alias: handlerFromSource ? { '@tagscope/handler': './handler/src/index.ts' } : undefined,
  };
  const jobs = [];
  for (const name of only) {
    if (name === 'webview') continue;
    const e = ENTRIES[name];
    if (!existsSync(join(root, e.in))) continue;
    jobs.push(build({ ...common, entryPoints: [e.in], outfile: join(outDir, e.out), external: e.external ?? [], banner: e.banner ? { js: e.banner } : undefined }));
  }
  if (only.includes('webview')) {
    // Served from dist/webview, the only local resource root the webview may load.
    mkdirSync(join(outDir, 'dist/webview'), { recursive: true });
    jobs.push(build({ ...common, alias: undefined, platform: 'browser', format: 'iife', target: 'es2022', entryPoints: ['client/src/webview/panel.ts'], outfile: join(outDir, 'dist/webview/panel.js') }));
    copyFileSync(join(root, 'client/src/webview/panel.css'), join(outDir, 'dist/webview/panel.css'));
    for (const f of ['codicon.css', 'codicon.ttf']) copyFileSync(join(root, 'node_modules/@vscode/codicons/dist', f), join(outDir, 'dist/webview', f));
  }
  await Promise.all(jobs);
  const cli = join(outDir, ENTRIES.cli.out);
  if (only.includes('cli') && existsSync(cli)) chmodSync(cli, 0o755);
}
