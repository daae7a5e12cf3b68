// Protocol robustness of dist/server.js over stdio: malformed JSON-RPC and headers, unknown
// methods, wrong param shapes, positions out of range, requests before initialize and after
// shutdown, a second initialize, unknown files and URIs, a cancellation storm, and the workspace
// deleted under the server and recreated. Needs `npm run build`. Cases: test/fuzz/protocol.ts.
import { describe, expect, it } from 'vitest';
import { runProtocolCases } from './protocol';

describe('protocol robustness', () => {
  it('answers or errors cleanly, never crashes, and keeps serving', async () => {
    const stats = await runProtocolCases({ stormSize: 300 });
    expect(stats.failures, stats.failures.join('\n\n')).toEqual([]);
    expect(stats.cases).toBeGreaterThanOrEqual(39);
    expect(stats.requests).toBeGreaterThan(500);
    // Cancelled requests are answered RequestCancelled instead of being worked on, so a storm on
    // a 10,000-tag workspace does not hold up the next answer.
    expect(stats.stormCancelledAnswers).toBeGreaterThan(stats.stormRequests / 2);
    expect(stats.stormMs).toBeLessThan(10_000);
  }, 120_000);
});
