// Fuzz: the analysis core over a realistic app with mutated and hostile files beside the real
// ones (test/fuzz/fuzzer.ts lists the mutations). Deterministic: seed TAGSCOPE_FUZZ_SEED (default
// below); a failure prints the seed, index and mutation. The larger campaign is `node test/fuzz/report.mjs`.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildWorker, CoreRunner, runAnalyzerCampaign } from './campaign';
import { compareToBaseline, FIXTURES, FUZZ_FIXTURES, KINDS, makeCase, sourceFilesOf, type Diag } from './fuzzer';

const SEED = Number(process.env.TAGSCOPE_FUZZ_SEED ?? 20261126);
const PER_KIND = 3;
/** Bounds, generous on purpose: the machine is shared. A case is the whole app (scan, every file, rules). */
const CASE_TIMEOUT_MS = 60_000;
const FILE_BOUND_MS = 15_000;

beforeAll(async () => {
  await buildWorker();
}, 60_000);

describe('fuzz: the analysis core', () => {
  it(`runs ${PER_KIND * KINDS.length} mutated cases (seed ${SEED}): no crash, no hang, unmutated files keep their diagnostics`, async () => {
    const stats = await runAnalyzerCampaign({ seed: SEED, count: PER_KIND * KINDS.length, caseTimeoutMs: CASE_TIMEOUT_MS, fileBoundMs: FILE_BOUND_MS });
    expect(stats.failures, stats.failures.join('\n\n')).toEqual([]);
    expect(stats.cases).toBe(PER_KIND * KINDS.length);
    for (const k of KINDS) expect(stats.byKind[k], k).toBe(PER_KIND);
    expect(stats.crashes + stats.hangs + stats.threw + stats.oracleFailures).toBe(0);
    expect(Math.max(...stats.fileTimesMs)).toBeLessThan(FILE_BOUND_MS);
  }, 180_000);
});

/**
 * Cases that found bugs (each failed on the core before its fix): pinned by seed, index,
 * fixture and kind so they run on every CI run whatever the campaign seed.
 */
const REGRESSIONS = [
  // 0.3 MiB invalidated literal: the glob of a long tag was built with push(...text): stack overflow in the rules
  { seed: 1, index: 18, fixture: 'contexts', kind: 'huge-literal' },
  // 5,000-deep `'a' + x + …` importing the app's helper names: the call graph's recursive walk
  // overflowed while another file's facts were computed, so that file lost its declarations
  { seed: 2, index: 31, fixture: 'matching', kind: 'deep-nesting' },
  // a token inserted after `from`: an import without a string specifier threw in name resolution, failing the whole app
  { seed: 2, index: 100, fixture: 'contexts', kind: 'token-insert' },
  // a 370 KB line (minified-like) entering the type checker's project: ts-morph scanned to the line end per node, 25 s
  { seed: 1, index: 23, fixture: 'matching', kind: 'long-line' },
  // a 0.3 MiB template tag: V8 refused the pattern's regular expression (too large) and the rules threw
  { seed: 1, index: 319, fixture: 'matching', kind: 'huge-literal' },
  // a broken copy importing an unrelated `client` and reading `client.fetch` as a value: the app's
  // own client.fetch wrapper was taken to escape, and its 'authors' declaration was lost
  { seed: 1, index: 511, fixture: 'matching', kind: 'token-delete' },
] as const;

describe('fuzz: regressions', () => {
  it('the cases that found bugs still pass', async () => {
    const stats = await runAnalyzerCampaign({ seed: 0, count: 0, pinned: [...REGRESSIONS], caseTimeoutMs: CASE_TIMEOUT_MS, fileBoundMs: FILE_BOUND_MS });
    expect(stats.failures, stats.failures.join('\n\n')).toEqual([]);
    expect(stats.cases).toBe(REGRESSIONS.length);
  }, 120_000);
});

describe('fuzz: the generator and the oracle', () => {
  it('a case is a pure function of (seed, index): same bytes, fresh names nothing imports', () => {
    for (let i = 0; i < KINDS.length * 2; i++) {
      const a = makeCase(SEED, i);
      const b = makeCase(SEED, i);
      expect(a.files.map((f) => [f.rel, f.data.toString('base64')])).toEqual(b.files.map((f) => [f.rel, f.data.toString('base64')]));
      expect(a.kind).toBe(KINDS[i % KINDS.length]);
      const existing = new Set(sourceFilesOf(join(FIXTURES, a.fixture)));
      for (const f of a.files) {
        expect(existing.has(f.rel), f.rel).toBe(false);
        expect(f.rel.startsWith('pages/'), f.rel).toBe(false);
        expect(f.rel, 'no route file name').not.toMatch(/(^|\/)(page|layout|route|middleware|proxy)\.[jt]sx?$/);
      }
    }
    expect(makeCase(SEED + 1, 3).files[0].data.equals(makeCase(SEED, 3).files[0].data)).toBe(false);
  });

  it('the oracle reports a lost, an added and a changed diagnostic, and excuses only global matching', () => {
    const d = (file: string, line: number, code: string, message = 'm'): Diag => ({ file, line, column: 1, endLine: line, endColumn: 5, code, message, severity: 'warning' });
    const base = [d('a.ts', 1, 'invalid-tag'), d('a.ts', 2, 'undeclared-tag'), d('b.ts', 3, 'unused-tag')];
    const none = { declarations: 0, invalidations: 0 };
    expect(compareToBaseline(base, base, new Set(), none).ok).toBe(true);
    expect(compareToBaseline(base, base.slice(1), new Set(), none).problems.join()).toMatch(/lost .*invalid-tag/);
    expect(compareToBaseline(base, [...base, d('b.ts', 9, 'invalid-tag')], new Set(), none).problems.join()).toMatch(/added .*b\.ts:9/);
    expect(compareToBaseline(base, [d('a.ts', 1, 'invalid-tag', 'other'), ...base.slice(1)], new Set(), none).ok).toBe(false);
    // a new file that declares tags may take an undeclared-tag away; one that invalidates, an unused-tag
    expect(compareToBaseline(base, [base[0], base[2]], new Set(), { declarations: 1, invalidations: 0 })).toMatchObject({ ok: true, excused: 1 });
    expect(compareToBaseline(base, [base[0], base[2]], new Set(), { declarations: 0, invalidations: 1 }).ok).toBe(false);
    expect(compareToBaseline(base, [base[0], base[1]], new Set(), { declarations: 0, invalidations: 1 })).toMatchObject({ ok: true, excused: 1 });
    // diagnostics on the new files themselves are not judged
    expect(compareToBaseline(base, [...base, d('new.ts', 1, 'invalid-tag')], new Set(['new.ts']), none).ok).toBe(true);
  });

  it('the oracle catches a real change on an unmutated file end to end', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tagscope-fuzz-oracle-'));
    const runner = new CoreRunner();
    try {
      cpSync(join(FIXTURES, FUZZ_FIXTURES[1]), dir, { recursive: true });
      const before = await runner.analyze(dir, [], CASE_TIMEOUT_MS);
      if (before.kind !== 'ok') throw new Error(JSON.stringify(before));
      const actions = join(dir, 'app/actions.ts');
      writeFileSync(actions, readFileSync(actions, 'utf8').replace("revalidateTag('prodcts', 'max');", "revalidateTag('products', 'max');"));
      const after = await runner.analyze(dir, [], CASE_TIMEOUT_MS);
      if (after.kind !== 'ok') throw new Error(JSON.stringify(after));
      const verdict = compareToBaseline(before.reply.diagnostics, after.reply.diagnostics, new Set(), after.reply.newFacts);
      expect(verdict.ok).toBe(false);
      expect(verdict.problems.join('\n')).toMatch(/lost on an unmutated file: app\/actions\.ts:\d+.*undeclared-tag/);
    } finally {
      runner.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

