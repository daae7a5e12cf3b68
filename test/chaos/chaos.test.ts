/**
 * Handler chaos, short schedule (a couple of each fault, ≤ ~120 s on a 2-core machine): two real
 * `next start` instances under a bounded load while their Redis is killed (empty and with its data),
 * frozen, slowed above and below the handler timeout, and fed hostile values. The harness and its
 * oracles are in harness.ts (shared with `node test/chaos/report.mjs`, the long schedule).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { ChaosHarness, formatFigures, type Figures } from './harness';

const h = new ChaosHarness({
  warmupMs: 2000,
  gapMs: 1200,
  schedule: [
    { kind: 'kill-empty', ms: 2500 },
    { kind: 'freeze', ms: 2500 },
    { kind: 'kill-keep', ms: 2500 },
    { kind: 'slow-above', ms: 2500 },
    { kind: 'hostile', ms: 3000 },
    { kind: 'slow-below', ms: 2000 },
    { kind: 'freeze', ms: 2000 },
    { kind: 'kill-keep', ms: 2000 },
  ],
  log: (l) => console.log(l),
});
let f: Figures;

describe('handler chaos: two next start instances, Redis killed/frozen/slowed/garbled under load', () => {
  beforeAll(async () => {
    await h.setup();
    f = await h.run();
    console.log(formatFigures(f));
  }, 300_000);
  afterAll(() => h.teardown(), 60_000);

  it('served a real load through every fault kind', () => {
    expect(f.requests).toBeGreaterThan(300);
    // The cache is really exercised: some reads were served from cached entries older than the DB.
    expect(f.behindDb).toBeGreaterThan(0);
    for (const kind of ['kill-empty', 'kill-keep', 'freeze', 'slow-above', 'slow-below', 'hostile']) expect(f.byKind[kind]?.requests ?? 0).toBeGreaterThan(10);
  });

  it('zero 5xx and zero failed requests (reads, Server Actions, route handlers)', () => {
    expect(f.fiveXx).toBe(0);
    expect(f.failed).toBe(0);
    expect(f.invalidationFailures).toEqual([]);
  });

  it('every invalidation issued during an outage is visible on both instances after recovery', () => {
    expect(f.outageIssued).toBeGreaterThanOrEqual(f.faults.length); // at least one per fault
    expect(f.faults.filter((x) => x.recoveryMs === undefined)).toEqual([]);
    expect(f.outageVisible).toBe(f.outageIssued);
  });

  it('no stale read after an acknowledged updateTag (same instance always; other instance while Redis is up)', () => {
    expect(f.acked).toBeGreaterThan(10);
    expect(f.staleSame).toEqual([]);
    expect(f.staleOther).toEqual([]);
  });

  it('latency stays bounded (generous: shared 2-core machine)', () => {
    expect(f.p99).toBeLessThan(10_000);
    for (const [kind, v] of Object.entries(f.byKind)) expect({ kind, max: v.max < 20_000 }).toEqual({ kind, max: true });
  });

  it('hostile values: logged by the handler; a wrong-typed value left in place of the invalidation log is replaced by a stream again', () => {
    expect(f.hostileWarnings).toBeGreaterThan(0);
    expect(f.logType).toBe('stream');
  });

  it('no unhandled rejections or handler errors in either server log', () => {
    expect(f.serverErrors).toEqual([]);
  });
});
