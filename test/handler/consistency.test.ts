/**
 * Randomized cross-instance consistency: two processes, concurrent batches of set / get /
 * updateTag / revalidateTag(profile). Checked on every get, with the test's clock (one machine):
 * - read-your-writes: an entry whose set finished before an updateTag started is never served
 *   by a get that started after that updateTag finished (on either instance);
 * - stale-while-revalidate: such an entry after a revalidateTag(profile) is served stale
 *   (revalidate -1) or not at all, never as fresh.
 */
import { describe, it as base, expect, beforeAll, afterAll } from 'vitest';
import { Worker } from './worker';
import { cleanupPrefix, randomPrefix, SHARED_REDIS } from './helpers';

const it = (name: string, fn: () => Promise<void>) => base(name, fn, 120_000);

interface SetRec { value: string; key: string; tags: string[]; sent: number; done: number }
interface UpdRec { tag: string; hard: boolean; sent: number; done: number }

function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

describe('randomized consistency across two instances', () => {
  const prefix = randomPrefix('consist');
  let W: Worker[] = [];
  beforeAll(async () => {
    W = await Promise.all([Worker.start({ url: SHARED_REDIS, prefix }), Worker.start({ url: SHARED_REDIS, prefix, skewMs: 3000 })]);
  });
  afterAll(async () => {
    await Promise.all(W.map((w) => w.stop()));
    await cleanupPrefix(6379, prefix);
  });

  it('400 operations in concurrent batches: no read-your-writes or SWR violation', async () => {
    const rand = rng(42);
    const keys = ['k0', 'k1', 'k2', 'k3'];
    const tagsOf: Record<string, string[]> = { k0: ['t0'], k1: ['t1'], k2: ['t0', 't2'], k3: ['t1', 't2'] };
    const sets = new Map<string, SetRec>();
    const upds: UpdRec[] = [];
    let n = 0;
    let gets = 0;
    let hits = 0;
    const violations: string[] = [];
    const now = () => performance.timeOrigin + performance.now();

    for (let batch = 0; batch < 80; batch++) {
      const ops: Promise<void>[] = [];
      for (let j = 0; j < 5; j++) {
        const w = W[Math.floor(rand() * 2)];
        const r = rand();
        const key = keys[Math.floor(rand() * keys.length)];
        if (r < 0.35) {
          const value = `v${++n}`;
          const rec: SetRec = { value, key, tags: tagsOf[key], sent: now(), done: 0 };
          sets.set(value, rec);
          ops.push(w.call('set', { key, tags: rec.tags, value }).then(() => void (rec.done = now())));
        } else if (r < 0.5) {
          const tag = ['t0', 't1', 't2'][Math.floor(rand() * 3)];
          const hard = rand() < 0.5;
          const rec: UpdRec = { tag, hard, sent: now(), done: 0 };
          upds.push(rec);
          ops.push(w.call('update', hard ? { tags: [tag] } : { tags: [tag], durations: { expire: 3600 } }).then(() => void (rec.done = now())));
        } else {
          const started = now();
          ops.push(
            w.call('get', { key }).then((res) => {
              gets++;
              if (res.miss) return;
              hits++;
              const s = sets.get(res.value);
              if (!s) return void violations.push(`unknown value ${res.value}`);
              for (const u of upds) {
                if (!u.done || u.done >= started || !s.done || s.done >= u.sent || !s.tags.includes(u.tag)) continue;
                // As in Next, a later revalidateTag(tag, profile) overwrites an updateTag's expiry
                // (the tag is then stale with a future expiry): the entry may be served, but stale.
                const softAfter = upds.some((v) => !v.hard && v.tag === u.tag && (v.done === 0 || v.done > u.sent));
                if (u.hard && !softAfter) violations.push(`${res.value} (set done ${s.done.toFixed(1)}) served (revalidate ${res.revalidate}) after updateTag(${u.tag}) sent ${u.sent.toFixed(1)} done ${u.done.toFixed(1)}; get started ${started.toFixed(1)}`);
                else if (res.revalidate !== -1) violations.push(`${res.value} served fresh after ${u.hard ? 'updateTag' : 'revalidateTag'}(${u.tag})`);
              }
            }),
          );
        }
      }
      await Promise.all(ops);
    }
    expect(violations).toEqual([]);
    expect(gets).toBeGreaterThan(100);
    expect(hits).toBeGreaterThan(10);
  });
});
