// `npm run package`: bundles the extension and the language server (minified) into a staging
// folder and packs it with @vscode/vsce (--no-dependencies: everything is bundled, so no
// node_modules inside). Staging keeps dist/ and handler/dist untouched, so packaging is safe
// while tests run against the development build. Usage: node scripts/package.mjs [--out file.vsix]
import { bundle } from './bundles.mjs';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outArg = process.argv.indexOf('--out');
const out = resolve(root, outArg > 0 ? process.argv[outArg + 1] : 'tagscope.vsix');
const stage = mkdtempSync(join(tmpdir(), 'tagscope-vsix-'));
const t0 = Date.now();
try {
  await bundle({ outDir: stage, production: true, only: ['extension', 'server', 'webview'], handlerFromSource: true });
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
