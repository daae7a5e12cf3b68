// Fuzz: the language server (dist/server.js --stdio) with mutated documents opened, edited,
// written to disk and deleted, and hover/definition/completion/references/rename/codeAction/
// symbol requests at random positions in them. After every batch the server must answer a hover
// on a good file as before and keep that file's diagnostics; after cleanup every unmutated file's
// diagnostics are the baseline again. Seed TAGSCOPE_FUZZ_SEED; needs `npm run build`.
import { describe, expect, it } from 'vitest';
import { runLspCampaign } from './campaign';
import { KINDS } from './fuzzer';

const SEED = Number(process.env.TAGSCOPE_FUZZ_SEED ?? 20261126);
const BATCHES = KINDS.length; // one batch per mutation kind
const RESPONSE_BOUND_MS = 20_000;

describe('fuzz: the language server', () => {
  it(`survives ${BATCHES} batches of mutated buffers and random requests (seed ${SEED})`, async () => {
    const stats = await runLspCampaign({ seed: SEED, batches: BATCHES, requestsPerBatch: 12, responseBoundMs: RESPONSE_BOUND_MS });
    expect(stats.failures, stats.failures.join('\n\n')).toEqual([]);
    expect(stats.batches).toBe(BATCHES);
    expect(stats.requests).toBeGreaterThan(BATCHES * 5);
    expect(Math.max(...stats.responseTimesMs)).toBeLessThan(RESPONSE_BOUND_MS);
  }, 180_000);
});
