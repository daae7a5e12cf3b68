// Every fixture app under test/fixtures is linted with the built CLI; the (file, line, rule)
// triples it reports must equal the `// expect: <rule-id>[, <rule-id>…]` markers exactly.
// Lines marked `// fix: <text>` must also carry a fix whose edits turn that line into one
// containing <text>.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyEdits, FIXTURES, fixtureNames, lintJson, markers, setDiff, type LintJson } from './helpers';
import { LINT_BUGS, staleEntries } from './known-bugs';

const fixtures = fixtureNames();
const results = new Map<string, LintJson>();

beforeAll(() => {
  for (const f of fixtures) results.set(f, lintJson(join(FIXTURES, f)));
}, 300_000);

function expectedKeys(fixture: string): string[] {
  const out: string[] = [];
  for (const m of markers(join(FIXTURES, fixture), 'expect')) {
    for (const code of m.value.split(',').map((s) => s.trim()).filter(Boolean)) out.push(`${fixture} ${m.file}:${m.line} ${code}`);
  }
  return out;
}

function actualKeys(fixture: string): string[] {
  return results.get(fixture)!.diagnostics.map((d) => `${fixture} ${d.file}:${d.line} ${d.code}`);
}

function describeDiff(fixture: string, missing: string[], extra: string[]): string {
  const diags = results.get(fixture)!.diagnostics;
  const msg = (k: string) => {
    const d = diags.find((x) => `${fixture} ${x.file}:${x.line} ${x.code}` === k);
    return d ? `\n      ${d.severity}: ${d.message}` : '';
  };
  return [
    ...missing.map((k) => `  missing (marked, not reported): ${k}`),
    ...extra.map((k) => `  extra (reported, not marked):   ${k}${msg(k)}`),
  ].join('\n');
}

const known = (kind: 'missing' | 'extra') => new Set(LINT_BUGS.filter((b) => b.kind === kind).map((b) => b.key));

describe('fixture apps: diagnostics equal the // expect: markers', () => {
  it('has fixtures with markers for every rule', () => {
    const rules = new Set(fixtures.flatMap(expectedKeys).map((k) => k.split(' ').pop()));
    for (const id of [
      'cache-tag-outside-use-cache',
      'update-tag-outside-server-action',
      'invalidate-during-render',
      'undeclared-tag',
      'dynamic-tag-mismatch',
      'unused-tag',
      'revalidate-tag-missing-profile',
      'unknown-cache-life-profile',
      'unknown-cache-handler',
      'invalid-tag',
      'too-many-tags',
      'revalidate-path-no-route',
    ]) {
      expect(rules, `no fixture marks ${id}`).toContain(id);
    }
  });

  for (const fixture of fixtures) {
    it(fixture, () => {
      const { missing, extra } = setDiff(expectedKeys(fixture), actualKeys(fixture));
      const m = missing.filter((k) => !known('missing').has(k));
      const x = extra.filter((k) => !known('extra').has(k));
      if (m.length || x.length) expect.fail(`tagscope lint test/fixtures/${fixture} differs from the markers:\n${describeDiff(fixture, m, x)}`);
    });
  }

  it('every diagnostic uses the JSON contract (relative file, 1-based range, severity, code, message, fixes)', () => {
    for (const fixture of fixtures) {
      for (const d of results.get(fixture)!.diagnostics) {
        expect(d.file).not.toMatch(/^\/|\\/);
        expect(d.line).toBeGreaterThanOrEqual(1);
        expect(d.column).toBeGreaterThanOrEqual(1);
        expect(d.endLine * 100000 + d.endColumn).toBeGreaterThanOrEqual(d.line * 100000 + d.column);
        expect(['error', 'warning', 'info', 'hint']).toContain(d.severity);
        expect(d.message.length).toBeGreaterThan(20);
        expect(Array.isArray(d.fixes)).toBe(true);
      }
    }
  });

  it('default severities follow DESIGN.md', () => {
    const defaults: Record<string, string> = {
      'cache-tag-outside-use-cache': 'error',
      'update-tag-outside-server-action': 'error',
      'invalidate-during-render': 'error',
      'undeclared-tag': 'warning',
      'dynamic-tag-mismatch': 'warning',
      'unused-tag': 'hint',
      'revalidate-tag-missing-profile': 'warning',
      'unknown-cache-life-profile': 'error',
      'unknown-cache-handler': 'error',
      'invalid-tag': 'error',
      'too-many-tags': 'warning',
      'revalidate-path-no-route': 'warning',
    };
    for (const fixture of fixtures) for (const d of results.get(fixture)!.diagnostics) expect(d.severity, `${d.code} at ${fixture}/${d.file}:${d.line}`).toBe(defaults[d.code]);
  });
});

describe('quick fixes', () => {
  for (const fixture of fixtures) {
    const fixMarkers = markers(join(FIXTURES, fixture), 'fix');
    if (fixMarkers.length === 0) continue;
    it(`${fixture}: // fix: markers`, () => {
      for (const m of fixMarkers) {
        const where = `${fixture}/${m.file}:${m.line}`;
        const diags = results.get(fixture)!.diagnostics.filter((d) => d.file === m.file && d.line === m.line);
        expect(diags.length, `no diagnostic at ${where} to carry the fix`).toBeGreaterThan(0);
        const text = readFileSync(join(FIXTURES, fixture, m.file), 'utf8');
        const lines = diags.flatMap((d) => d.fixes.map((f) => applyEdits(text, f.edits.filter((e) => e.file === m.file)).split('\n')[m.line - 1]));
        expect(lines.some((l) => l.includes(m.value)), `no fix at ${where} produces "${m.value}"; fixed lines: ${JSON.stringify(lines)}`).toBe(true);
      }
    });
  }

  it("every one-argument revalidateTag gets the fix that adds 'max'", () => {
    let seen = 0;
    for (const fixture of fixtures) {
      for (const d of results.get(fixture)!.diagnostics.filter((x) => x.code === 'revalidate-tag-missing-profile')) {
        seen++;
        const text = readFileSync(join(FIXTURES, fixture, d.file), 'utf8');
        const fixed = d.fixes.map((f) => applyEdits(text, f.edits).split('\n')[d.line - 1]);
        expect(fixed.some((l) => /revalidateTag\([^)]*, 'max'\)/.test(l)), `${fixture}/${d.file}:${d.line}: ${JSON.stringify(fixed)}`).toBe(true);
      }
    }
    expect(seen).toBeGreaterThanOrEqual(2);
  });

  it('updateTag in a Route Handler is fixed to revalidateTag(tag, \'max\') with revalidateTag imported', () => {
    const fixture = 'contexts';
    const file = 'app/api/webhook/route.ts';
    const d = results.get(fixture)!.diagnostics.find((x) => x.file === file && x.code === 'update-tag-outside-server-action' && x.fixes.length > 0);
    expect(d).toBeDefined();
    const fixed = applyEdits(readFileSync(join(FIXTURES, fixture, file), 'utf8'), d!.fixes[0].edits);
    expect(fixed).toMatch(/import \{[^}]*\brevalidateTag\b[^}]*\} from 'next\/cache'/);
    expect(fixed.split('\n')[d!.line - 1]).toContain("revalidateTag(TAGS.posts, 'max')");
  });
});

describe('known analyzer bugs (test/analyzer/known-bugs.ts)', () => {
  it('lists the entries that no longer reproduce (fixed: delete them to enforce the fix)', () => {
    const all = fixtures.map((f) => setDiff(expectedKeys(f), actualKeys(f)));
    const stale = staleEntries(LINT_BUGS, all.flatMap((x) => x.missing), all.flatMap((x) => x.extra));
    for (const b of stale) console.warn(`known-bugs.ts: fixed, delete this LINT_BUGS entry: ${b.kind} ${b.key}`);
    expect(Array.isArray(stale)).toBe(true);
  });
});
