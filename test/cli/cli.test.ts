// The `tagscope` CLI contract (DESIGN.md): formats, exit codes, configuration, stderr.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FIXTURES, runCli, type LintJson } from '../analyzer/helpers';

// Each case spawns the CLI; on a loaded 2-core machine a start takes up to a second or two.
vi.setConfig({ testTimeout: 180_000 });

const fx = (name: string) => join(FIXTURES, name);
const temps: string[] = [];

/** A scratch copy of a fixture, optionally with extra files written into it. */
function copyFixture(name: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), `tagscope-cli-${name}-`));
  temps.push(dir);
  cpSync(fx(name), dir, { recursive: true });
  for (const [rel, text] of Object.entries(files)) writeFileSync(join(dir, rel), text);
  return dir;
}

afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function lint(dir: string, ...args: string[]) {
  const r = runCli(['lint', dir, ...args]);
  return { ...r, json: args.includes('json') && r.stdout ? (JSON.parse(r.stdout) as LintJson) : undefined };
}

describe('text format', () => {
  let r: ReturnType<typeof runCli>;
  beforeAll(() => {
    r = runCli(['lint', fx('contexts')]);
  });

  it('lists file:line:col, severity, message and rule id like ESLint', () => {
    expect(r.stdout).toMatch(/^app\/api\/webhook\/route\.ts$/m);
    expect(r.stdout).toMatch(/^\s+app\/api\/webhook\/route\.ts:8:5\s+error\s+`updateTag`.*Server Action.*\s+update-tag-outside-server-action$/m);
    expect(r.stdout).toMatch(/^\s+app\/page\.tsx:8:3\s+error\s+.*render.*\s+invalidate-during-render$/m);
  });

  it('ends with a summary of problems by severity', () => {
    const n = lint(fx('contexts'), '--format', 'json').json!.diagnostics.length;
    expect(n).toBeGreaterThan(5);
    expect(r.stdout).toContain(`✖ ${n} problems (${n} errors, 0 warnings)`);
  });

  it('prints no colour codes when stdout is not a TTY', () => {
    expect(r.stdout).not.toMatch(/\u001b\[/);
  });

  it('says so when there is nothing to report', () => {
    const clean = runCli(['lint', fx('clean')]);
    expect(clean.status).toBe(0);
    expect(clean.stdout.trim()).toBe('No problems found.');
  });

  it('counts warnings and hints in the summary', () => {
    const m = runCli(['lint', fx('matching')]);
    expect(m.stdout).toMatch(/✖ \d+ problems \(0 errors, \d+ warnings, 2 info\/hint\)/);
  });
});

describe('JSON format', () => {
  it('prints exactly one JSON object with version, diagnostics and stats', () => {
    const r = lint(fx('profiles-handlers'), '--format', 'json');
    const j = r.json!;
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(Object.keys(j).sort()).toEqual(['diagnostics', 'stats', 'version']);
    expect(j.version).toBe(1);
    for (const key of ['apps', 'files', 'filesParsed', 'durationMs', 'peakRssBytes']) expect(typeof j.stats[key], key).toBe('number');
    expect(j.stats.apps).toBe(1);
    expect(j.stats.peakRssBytes as number).toBeGreaterThan(10 * 1024 * 1024);
    const d = j.diagnostics.find((x) => x.code === 'revalidate-tag-missing-profile')!;
    expect(d).toMatchObject({ file: 'app/actions.ts', line: 8, column: 3, endLine: 8, severity: 'warning', code: 'revalidate-tag-missing-profile' });
    expect(d.message).toMatch(/deprecated/);
    expect(d.fixes[0].edits[0]).toMatchObject({ file: 'app/actions.ts', line: 8, newText: ", 'max'" });
    expect(Object.keys(d).sort()).toEqual(['code', 'column', 'endColumn', 'endLine', 'file', 'fixes', 'line', 'message', 'severity']);
  });

  it('paths are relative to the linted dir, also for a monorepo', () => {
    const j = lint(fx('monorepo'), '--format', 'json').json!;
    expect(j.stats.apps).toBe(2);
    expect(j.diagnostics.map((d) => d.file)).toContain('apps/web/app/actions.ts');
    expect(j.diagnostics.map((d) => d.file)).toContain('apps/admin/src/lib/audit.ts');
  });

  it('the dir defaults to the current directory', () => {
    const r = runCli(['lint', '--format', 'json'], { cwd: fx('profiles-handlers') });
    const j = JSON.parse(r.stdout) as LintJson;
    expect(j.diagnostics.map((d) => d.file)).toContain('app/actions.ts');
    expect(r.status).toBe(1);
  });
});

describe('SARIF format', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let s: any;
  beforeAll(() => {
    s = JSON.parse(runCli(['lint', fx('contexts'), '--format', 'sarif']).stdout);
  });

  it('is SARIF 2.1.0 with a schema and a driver listing every rule', () => {
    expect(s.$schema).toMatch(/sarif-2\.1\.0/);
    expect(s.version).toBe('2.1.0');
    expect(s.runs).toHaveLength(1);
    const driver = s.runs[0].tool.driver;
    expect(driver.name).toBe('tagscope');
    const ids = driver.rules.map((x: { id: string }) => x.id);
    expect(ids).toContain('update-tag-outside-server-action');
    expect(ids).toHaveLength(12);
  });

  it('has one result per diagnostic with ruleId, level, message and a relative location', () => {
    const results = s.runs[0].results;
    expect(results).toHaveLength(lint(fx('contexts'), '--format', 'json').json!.diagnostics.length);
    const res = results.find((x: { ruleId: string }) => x.ruleId === 'cache-tag-outside-use-cache');
    expect(res.level).toBe('error');
    expect(res.message.text.length).toBeGreaterThan(20);
    const loc = res.locations[0].physicalLocation;
    expect(loc.artifactLocation.uri).toMatch(/^app\//);
    expect(loc.region.startLine).toBeGreaterThanOrEqual(1);
    expect(loc.region.startColumn).toBeGreaterThanOrEqual(1);
    for (const x of results) expect(s.runs[0].tool.driver.rules[x.ruleIndex].id).toBe(x.ruleId);
  });

  it('maps warnings to "warning" and hints to "note"', () => {
    const m = JSON.parse(runCli(['lint', fx('matching'), '--format', 'sarif']).stdout);
    const levels = new Map(m.runs[0].results.map((x: { ruleId: string; level: string }) => [x.ruleId, x.level]));
    expect(levels.get('undeclared-tag')).toBe('warning');
    expect(levels.get('unused-tag')).toBe('note');
  });
});

describe('exit codes', () => {
  it('0 for a clean app', () => {
    expect(runCli(['lint', fx('clean'), '--max-warnings', '0']).status).toBe(0);
  });

  it('1 when there are errors', () => {
    expect(runCli(['lint', fx('contexts')]).status).toBe(1);
    expect(runCli(['lint', fx('contexts'), '--format', 'json']).status).toBe(1);
    expect(runCli(['lint', fx('contexts'), '--format', 'sarif']).status).toBe(1);
  });

  it('warnings alone: 0 by default, 1 over --max-warnings', () => {
    expect(runCli(['lint', fx('computed-config')]).status).toBe(0);
    expect(runCli(['lint', fx('computed-config'), '--max-warnings', '0']).status).toBe(1);
    expect(runCli(['lint', fx('computed-config'), '--max-warnings=1']).status).toBe(0);
  });

  it('hints never count as warnings', () => {
    const dir = copyFixture('matching', { 'tagscope.config.json': JSON.stringify({ rules: { 'undeclared-tag': 'off', 'dynamic-tag-mismatch': 'off' } }) });
    const r = lint(dir, '--format', 'json', '--max-warnings', '0');
    expect(r.json!.diagnostics.map((d) => d.severity)).toEqual(['hint', 'hint']);
    expect(r.status).toBe(0);
  });

  it('2 for usage errors: unknown option, bad dir, bad format, bad --max-warnings, unknown command', () => {
    for (const args of [
      ['lint', fx('clean'), '--fix'],
      ['lint', join(FIXTURES, 'does-not-exist')],
      ['lint', join(FIXTURES, 'clean', 'package.json')],
      ['lint', fx('clean'), '--format', 'xml'],
      ['tags', fx('clean'), '--format', 'sarif'],
      ['lint', fx('clean'), '--max-warnings', 'many'],
      ['lint', fx('clean'), '--format'],
      ['frobnicate'],
      [],
    ]) {
      const r = runCli(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr, args.join(' ')).toMatch(/tagscope:/);
    }
  });

  it('--help and --version exit 0', () => {
    const h = runCli(['--help']);
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(/tagscope lint/);
    const v = runCli(['--version']);
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('configuration', () => {
  it('tagscope.config.json: "off" removes a rule, "error" escalates one', () => {
    const dir = copyFixture('matching', {
      'tagscope.config.json': JSON.stringify({ rules: { 'unused-tag': 'off', 'undeclared-tag': 'error', 'dynamic-tag-mismatch': 'info' } }),
    });
    const base = lint(fx('matching'), '--format', 'json');
    const r = lint(dir, '--format', 'json');
    const codes = (j: LintJson, code: string) => j.diagnostics.filter((d) => d.code === code);
    expect(base.status).toBe(0);
    expect(r.status).toBe(1);
    expect(codes(r.json!, 'unused-tag')).toEqual([]);
    expect(codes(r.json!, 'undeclared-tag').length).toBe(codes(base.json!, 'undeclared-tag').length);
    expect(new Set(codes(r.json!, 'undeclared-tag').map((d) => d.severity))).toEqual(new Set(['error']));
    expect(new Set(codes(r.json!, 'dynamic-tag-mismatch').map((d) => d.severity))).toEqual(new Set(['info']));
    const sarif = JSON.parse(runCli(['lint', dir, '--format', 'sarif']).stdout);
    expect(sarif.runs[0].results.find((x: { ruleId: string }) => x.ruleId === 'undeclared-tag').level).toBe('error');
  });

  it('ignore globs drop files from the analysis', () => {
    const dir = copyFixture('contexts', { 'tagscope.config.json': JSON.stringify({ ignore: ['app/api/**', 'proxy.ts'] }) });
    const j = lint(dir, '--format', 'json').json!;
    const files = new Set(j.diagnostics.map((d) => d.file));
    expect([...files].filter((f) => f.startsWith('app/api/') || f === 'proxy.ts')).toEqual([]);
    expect(files).toContain('app/page.tsx');
    expect(files).toContain('pages/api/revalidate.ts');
    const base = lint(fx('contexts'), '--format', 'json').json!.diagnostics;
    expect(j.diagnostics.map((d) => `${d.file}:${d.line}:${d.code}`)).toEqual(base.filter((d) => !d.file.startsWith('app/api/') && d.file !== 'proxy.ts').map((d) => `${d.file}:${d.line}:${d.code}`));
  });

  it('package.json#tagscope is read when there is no tagscope.config.json', () => {
    const pkg = JSON.parse(readFileSync(join(fx('computed-config'), 'package.json'), 'utf8'));
    const dir = copyFixture('computed-config', { 'package.json': JSON.stringify({ ...pkg, tagscope: { rules: { 'revalidate-tag-missing-profile': 'off' } } }) });
    const r = lint(dir, '--format', 'json', '--max-warnings', '0');
    expect(r.json!.diagnostics).toEqual([]);
    expect(r.status).toBe(0);
    const escalated = copyFixture('computed-config', { 'package.json': JSON.stringify({ ...pkg, tagscope: { rules: { 'revalidate-tag-missing-profile': 'error' } } }) });
    expect(runCli(['lint', escalated]).status).toBe(1);
  });

  it('an invalid config is a usage error (2) that names the problem', () => {
    const unknownRule = copyFixture('clean', { 'tagscope.config.json': JSON.stringify({ rules: { 'no-such-rule': 'error' } }) });
    const r1 = runCli(['lint', unknownRule]);
    expect(r1.status).toBe(2);
    expect(r1.stderr).toMatch(/no-such-rule/);
    const badSeverity = copyFixture('clean', { 'tagscope.config.json': JSON.stringify({ rules: { 'unused-tag': 'loud' } }) });
    expect(runCli(['lint', badSeverity]).status).toBe(2);
    const badJson = copyFixture('clean', { 'tagscope.config.json': '{ "rules": ' });
    expect(runCli(['lint', badJson]).status).toBe(2);
  });
});

describe('robustness', () => {
  it('a folder without any Next app or source is clean, not a crash', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tagscope-cli-empty-'));
    temps.push(dir);
    const r = lint(dir, '--format', 'json');
    expect(r.status).toBe(0);
    expect(r.json!.diagnostics).toEqual([]);
  });

  it('syntax errors, half-typed calls and binary or oversized files do not stop the analysis', () => {
    const dir = copyFixture('clean', {
      'lib/broken.ts': 'export const = ;\nfunction (\n',
      'app/half.ts': "import { revalidateTag } from 'next/cache';\nexport async function x() {\n  revalidateTag('products'\n",
      'lib/blob.js': Buffer.alloc(3 * 1024 * 1024, 0).toString('latin1'),
    });
    const r = lint(dir, '--format', 'json');
    expect(r.status).toBe(0);
    expect(r.json!.diagnostics.map((d) => `${d.file}:${d.line} ${d.code}`)).toEqual(['app/half.ts:3 revalidate-tag-missing-profile']);
    expect(r.json!.stats.skippedFiles).toBe(1);
  });
});

describe('stderr', () => {
  it('prints no progress when stderr is not a TTY', () => {
    for (const args of [['lint', fx('contexts')], ['lint', fx('clean'), '--format', 'json'], ['tags', fx('matching')]]) {
      expect(runCli(args).stderr, args.join(' ')).toBe('');
    }
  });
});

describe('tags command', () => {
  it('text lists each tag with its declarations and invalidations, then a count', () => {
    const r = runCli(['tags', fx('clean')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^products$/m);
    expect(r.stdout).toMatch(/^product:\$\{id\}\s+\(pattern\)$/m);
    expect(r.stdout).toMatch(/^\s+declared\s+lib\/products\.ts:11:12\s+cacheTag$/m);
    expect(r.stdout).toMatch(/^\s+invalidated\s+app\/api\/revalidate\/route\.ts:5:17\s+revalidateTag$/m);
    expect(r.stdout).toMatch(/2 tag\(s\), 0 unresolved site\(s\)\./);
  });

  it('text lists unresolved sites separately', () => {
    const r = runCli(['tags', fx('tag-forms')]);
    expect(r.status).toBe(0);
    const [, unresolved = ''] = r.stdout.split('Unresolved (computed at run time):');
    expect(unresolved).toMatch(/^\s+src\/app\/api\/webhook\/route\.ts:6:17\s+revalidateTag$/m);
    expect(r.stdout).toMatch(/\d+ tag\(s\), [1-9]\d* unresolved site\(s\)\./);
  });

  it('JSON has version, tags (tag, kind, declarations, invalidations) and unresolved', () => {
    const r = runCli(['tags', fx('clean'), '--format', 'json']);
    const j = JSON.parse(r.stdout);
    expect(j.version).toBe(1);
    expect(j.unresolved).toEqual([]);
    expect(j.tags).toEqual([
      {
        tag: 'product:${id}',
        kind: 'pattern',
        declarations: [{ file: 'lib/products.ts', line: 17, column: 29, api: 'cacheTag' }],
        invalidations: [{ file: 'app/actions.ts', line: 8, column: 13, api: 'updateTag' }],
      },
      {
        tag: 'products',
        kind: 'static',
        declarations: [
          { file: 'lib/products.ts', line: 11, column: 12, api: 'cacheTag' },
          { file: 'lib/products.ts', line: 17, column: 12, api: 'cacheTag' },
        ],
        invalidations: [
          { file: 'app/actions.ts', line: 9, column: 13, api: 'updateTag' },
          { file: 'app/api/revalidate/route.ts', line: 5, column: 17, api: 'revalidateTag' },
        ],
      },
    ]);
  });
});
