// `tagscope`: the analysis core on the command line, for CI.
//   tagscope lint [dir] [--format text|json|sarif] [--max-warnings N]
//   tagscope tags [dir] [--format json|text]
// Exit codes: 0 clean, 1 errors (or warnings over the max), 2 usage error or crash.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { analyzeWorkspace } from './core/analyze';
import { ConfigError, loadConfig } from './core/config';
import { buildInventory } from './core/inventory';
import { relPath, toJson, toSarif, toText } from './cli/format';

const VERSION = '0.1.0';
const USAGE = `Usage:
  tagscope lint [dir] [--format text|json|sarif] [--max-warnings N]
  tagscope tags [dir] [--format json|text]
  tagscope --version`;

class UsageError extends Error {}

interface Args {
  command: 'lint' | 'tags';
  dir: string;
  format: string;
  maxWarnings: number;
}

function parseArgs(argv: string[]): Args | 'help' | 'version' {
  if (argv.includes('--help') || argv.includes('-h')) return 'help';
  if (argv.includes('--version') || argv.includes('-v')) return 'version';
  const [command, ...rest] = argv;
  if (command !== 'lint' && command !== 'tags') throw new UsageError(command ? `Unknown command "${command}".` : 'Missing command.');
  let dir: string | undefined;
  let format = 'text';
  let maxWarnings = -1;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const value = (name: string) => {
      const eq = a.indexOf('=');
      if (eq > 0) return a.slice(eq + 1);
      const v = rest[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value.`);
      return v;
    };
    if (a === '--format' || a.startsWith('--format=') || a === '-f') format = value('--format');
    else if (a === '--max-warnings' || a.startsWith('--max-warnings=')) {
      const v = value('--max-warnings');
      if (!/^-?\d+$/.test(v)) throw new UsageError(`--max-warnings takes a whole number, got "${v}".`);
      maxWarnings = Number(v);
    } else if (a.startsWith('-')) throw new UsageError(`Unknown option "${a}".`);
    else if (dir === undefined) dir = a;
    else throw new UsageError(`Unexpected argument "${a}".`);
  }
  const formats = command === 'lint' ? ['text', 'json', 'sarif'] : ['text', 'json'];
  if (!formats.includes(format)) throw new UsageError(`--format must be one of ${formats.join('|')} for ${command}.`);
  const abs = resolve(dir ?? '.');
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new UsageError(`"${dir ?? '.'}" is not a directory.`);
  return { command, dir: abs, format, maxWarnings };
}

function main(argv: string[]): number {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`tagscope: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
  if (args === 'help') {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (args === 'version') {
    process.stdout.write(VERSION + '\n');
    return 0;
  }
  const tty = process.stderr.isTTY;
  if (tty) process.stderr.write(`tagscope: analysing ${args.dir}…\n`);
  let config;
  try {
    config = loadConfig(args.dir);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`tagscope: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const analysis = analyzeWorkspace(args.dir, { config });
  if (tty) process.stderr.write(`tagscope: ${analysis.stats.files} files, ${analysis.stats.apps} app(s), ${analysis.stats.durationMs} ms\n`);
  const root = args.dir;
  if (args.command === 'tags') {
    const inv = buildInventory(analysis);
    const site = (s: { location: import('./core/types').Location; api: string }) => ({ file: relPath(root, s.location.file), line: s.location.range.start.line + 1, column: s.location.range.start.character + 1, api: s.api });
    if (args.format === 'json') {
      process.stdout.write(JSON.stringify({ version: 1, tags: inv.tags.map((t) => ({ tag: t.tag, kind: t.kind, declarations: t.declarations.map(site), invalidations: t.invalidations.map(site) })), unresolved: inv.unresolved.map((u) => ({ ...site(u), reason: u.reason })) }) + '\n');
    } else {
      const lines: string[] = [];
      for (const t of inv.tags) {
        lines.push(`${t.tag}${t.kind === 'pattern' ? '  (pattern)' : ''}`);
        for (const d of t.declarations) lines.push(`  declared     ${site(d).file}:${site(d).line}:${site(d).column}  ${d.api}`);
        for (const i of t.invalidations) lines.push(`  invalidated  ${site(i).file}:${site(i).line}:${site(i).column}  ${i.api}`);
      }
      if (inv.unresolved.length) {
        lines.push('', 'Unresolved (computed at run time):');
        for (const u of inv.unresolved) lines.push(`  ${site(u).file}:${site(u).line}:${site(u).column}  ${u.api}`);
      }
      lines.push('', `${inv.tags.length} tag(s), ${inv.unresolved.length} unresolved site(s).`);
      process.stdout.write(lines.join('\n') + '\n');
    }
    return 0;
  }
  const diags = analysis.diagnostics;
  const errors = diags.filter((d) => d.severity === 'error').length;
  const warnings = diags.filter((d) => d.severity === 'warning').length;
  const stats = { ...analysis.stats, errors, warnings, peakRssBytes: process.resourceUsage().maxRSS * 1024 };
  if (args.format === 'json') process.stdout.write(toJson(root, diags, stats) + '\n');
  else if (args.format === 'sarif') process.stdout.write(toSarif(root, diags, VERSION) + '\n');
  else process.stdout.write(toText(root, diags, !!process.stdout.isTTY) + '\n');
  if (errors > 0) return 1;
  if (args.maxWarnings >= 0 && warnings > args.maxWarnings) return 1;
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`tagscope: internal error: ${(e as Error)?.stack ?? e}\n`);
  process.exitCode = 2;
}
