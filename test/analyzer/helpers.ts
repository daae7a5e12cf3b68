// Shared by the analyzer and CLI tests: run the built CLI, read fixture files, parse the
// expectation markers written at the end of fixture lines.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');
/** The built CLI; TAGSCOPE_CLI points the tests at another build (e.g. of a given commit). */
export const CLI = process.env.TAGSCOPE_CLI ? resolve(process.env.TAGSCOPE_CLI) : join(ROOT, 'dist/cli.js');
export const FIXTURES = join(ROOT, 'test/fixtures');

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/cli.js …` from the repo root; never throws on a non-zero exit. */
export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export interface JsonEdit {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  newText: string;
}
export interface JsonDiagnostic {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: 'error' | 'warning' | 'info' | 'hint';
  code: string;
  message: string;
  fixes: Array<{ title: string; edits: JsonEdit[] }>;
}
export interface LintJson {
  version: number;
  diagnostics: JsonDiagnostic[];
  stats: Record<string, unknown>;
}

/** `tagscope lint <dir> --format json`, parsed. Exit status 0 or 1 is fine here; 2 is a crash. */
export function lintJson(dir: string, extra: string[] = []): LintJson {
  const r = runCli(['lint', dir, '--format', 'json', ...extra]);
  if (r.status !== 0 && r.status !== 1) throw new Error(`tagscope lint ${dir} exited ${r.status}\n${r.stderr}`);
  return JSON.parse(r.stdout) as LintJson;
}

export interface InventorySite {
  file: string;
  line: number;
  column: number;
  api: string;
}
export interface TagsJson {
  version: number;
  tags: Array<{ tag: string; kind: 'static' | 'pattern'; declarations: InventorySite[]; invalidations: InventorySite[] }>;
  unresolved: Array<InventorySite & { reason: string }>;
}

export function tagsJson(dir: string): TagsJson {
  const out = execFileSync(process.execPath, [CLI, 'tags', dir, '--format', 'json'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(out) as TagsJson;
}

const SOURCE = /\.(tsx?|jsx?|mjs|cjs|mts|cts)$/;

/** Source files of a fixture, relative with `/`, skipping node_modules and dot folders. */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (SOURCE.test(e.name)) out.push(relative(dir, full).split('\\').join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/** Fixture apps: every folder under test/fixtures with a package.json. */
export function fixtureNames(): string[] {
  return readdirSync(FIXTURES)
    .filter((n) => statSync(join(FIXTURES, n)).isDirectory() && existsSync(join(FIXTURES, n, 'package.json')))
    .sort();
}

export interface LineMarker {
  file: string;
  line: number;
  /** The text after `<key>:` up to the next `//` marker or the end of the line. */
  value: string;
}

/**
 * Markers written as `// <key>: value` (or `{/* <key>: value *\/}` in JSX) at the end of a line.
 * Several markers may share a line: `// expect: undeclared-tag // fix: updateTag('x')`.
 */
export function markers(dir: string, key: string): LineMarker[] {
  const out: LineMarker[] = [];
  const re = new RegExp(`(?:\\/\\/|\\/\\*)\\s*${key}:\\s*(.*?)\\s*(?=\\/\\/|\\*\\/|$)`, 'g');
  for (const file of sourceFiles(dir)) {
    const lines = readFileSync(join(dir, file), 'utf8').split('\n');
    lines.forEach((text, i) => {
      for (const m of text.matchAll(re)) out.push({ file, line: i + 1, value: m[1].trim() });
    });
  }
  return out;
}

/** Lines carrying a bare marker such as `// unresolved`. */
export function flagLines(dir: string, key: string): Array<{ file: string; line: number }> {
  const out: Array<{ file: string; line: number }> = [];
  const re = new RegExp(`\\/\\/\\s*${key}\\s*(?:\\/\\/|$)`);
  for (const file of sourceFiles(dir)) {
    readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .forEach((text, i) => {
        if (re.test(text)) out.push({ file, line: i + 1 });
      });
  }
  return out;
}

/** Applies a fix's edits (1-based positions, as the JSON reports them) to one file's text. */
export function applyEdits(text: string, edits: JsonEdit[]): string {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const offset = (line: number, column: number) => lineStarts[line - 1] + column - 1;
  const sorted = [...edits].sort((a, b) => offset(b.line, b.column) - offset(a.line, a.column));
  let out = text;
  for (const e of sorted) out = out.slice(0, offset(e.line, e.column)) + e.newText + out.slice(offset(e.endLine, e.endColumn));
  return out;
}

/** A readable multi-line diff of two sets of keys. */
export function setDiff(expected: Iterable<string>, actual: Iterable<string>): { missing: string[]; extra: string[] } {
  const e = new Set(expected);
  const a = new Set(actual);
  return { missing: [...e].filter((x) => !a.has(x)).sort(), extra: [...a].filter((x) => !e.has(x)).sort() };
}
