// `npm run package`: bundles the extension and the language server (minified) into a staging
// folder and packs it with @vscode/vsce (--no-dependencies: everything is bundled, so no
// node_modules inside). Staging keeps dist/ and handler/dist untouched, so packaging is safe
// while tests run against the development build. Usage: node scripts/package.mjs [--out file.vsix]
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outArg = process.argv.indexOf('--out');
const out = resolve(root, outArg > 0 ? process.argv[outArg + 1] : 'tagscope.vsix');
const stage = mkdtempSync(join(tmpdir(), 'tagscope-vsix-'));
const t0 = Date.now();
try {
  const common = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
    absWorkingDir: root,
    // The handler's TypeScript sources, so packaging does not depend on a prior tsc build.
    alias: { '@tagscope/handler': './handler/src/index.ts' },
  };
  await Promise.all([
    build({ ...common, entryPoints: ['client/src/extension.ts'], outfile: join(stage, 'dist/extension.js'), external: ['vscode'] }),
    build({ ...common, entryPoints: ['server/src/server.ts'], outfile: join(stage, 'dist/server.js') }),
    // The panel webview (as scripts/build.mjs builds it): browser bundle, stylesheet, codicon font.
    build({ ...common, platform: 'browser', format: 'iife', target: 'es2022', entryPoints: ['client/src/webview/panel.ts'], outfile: join(stage, 'dist/webview/panel.js') }),
  ]);
  copyFileSync(join(root, 'client/src/webview/panel.css'), join(stage, 'dist/webview/panel.css'));
  for (const f of ['codicon.css', 'codicon.ttf']) copyFileSync(join(root, 'node_modules/@vscode/codicons/dist', f), join(stage, 'dist/webview', f));
  for (const f of ['package.json', 'CHANGELOG.md', 'LICENSE', '.vscodeignore', 'media/icon.png']) {
    mkdirSync(dirname(join(stage, f)), { recursive: true });
    copyFileSync(join(root, f), join(stage, f));
  }
  // The marketplace README: links into the repository (not shipped in the .vsix) become plain text.
  const readme = readFileSync(join(root, 'README.md'), 'utf8').replace(/(?<!!)\[([^\]]+)\]\((?!https?:|mailto:|#)[^)]*\)/g, '$1');
  writeFileSync(join(stage, 'README.md'), readme);
  mkdirSync(dirname(out), { recursive: true });
  rmSync(out, { force: true });
  const vsce = join(root, 'node_modules/@vscode/vsce/vsce');
  execFileSync(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--out', out], { cwd: stage, stdio: ['ignore', 'inherit', 'inherit'] });
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  console.log(`tagscope: ${out} (${pkg.version}, ${Math.round(statSync(out).size / 1024)} KiB) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
