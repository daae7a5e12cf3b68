// A handler instance in its own process, driven by JSON lines on stdin (used by the two-process tests).
// env: WORKER_URL, WORKER_PREFIX, WORKER_SKEW_MS (fake local clock offset), WORKER_KIND (use-cache|incremental)
const { createUseCacheHandler, createIncrementalCacheHandler } = require('@tagscope/handler');
const readline = require('node:readline');

const skew = Number(process.env.WORKER_SKEW_MS || 0);
const localClock = () => performance.timeOrigin + performance.now() + skew;
const opts = {
  url: process.env.WORKER_URL,
  keyPrefix: process.env.WORKER_PREFIX,
  localClock,
  timeoutMs: Number(process.env.WORKER_TIMEOUT_MS || 250),
  breakerCooldownMs: Number(process.env.WORKER_COOLDOWN_MS || 1000),
  journalDir: process.env.WORKER_JOURNAL_DIR || false,
  logMaxLen: Number(process.env.WORKER_LOG_MAXLEN || 10000),
};
const metrics = [];
opts.onMetric = (e) => metrics.push({ type: e.type, reason: e.reason, ms: e.ms });
const h = createUseCacheHandler(opts);
const Inc = createIncrementalCacheHandler(opts);
const inc = new Inc({});

function reviveBuffers(_k, v) {
  return v && v.type === 'Buffer' && Array.isArray(v.data) ? Buffer.from(v.data) : v;
}

function stream(s) {
  return new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode(s)); c.close(); } });
}

const ops = {
  async now() { return localClock(); },
  async set({ key, tags, value, ageMs = 0, revalidate = 900, expire = 4294967294 }) {
    await h.set(key, Promise.resolve({ value: stream(value), tags, stale: 300, timestamp: localClock() - ageMs, revalidate, expire }));
    return true;
  },
  async get({ key, soft = [] }) {
    const t0 = performance.now();
    await h.refreshTags();
    const e = await h.get(key, soft);
    const ms = performance.now() - t0;
    if (!e) return { miss: true, ms };
    return { value: await new Response(e.value).text(), revalidate: e.revalidate, timestamp: e.timestamp, ms };
  },
  async getExpiration({ tags }) { await h.refreshTags(); return h.getExpiration(tags); },
  async update({ tags, durations }) { const t0 = performance.now(); await h.updateTags(tags, durations); return { ms: performance.now() - t0 }; },
  // JSON lines carry Buffers as {type:'Buffer', data}: revive them, as Next hands the handler Buffers.
  async incSet({ key, data, ctx }) { await inc.set(key, JSON.parse(JSON.stringify(data), reviveBuffers), ctx); return true; },
  async incGet({ key, ctx }) { const r = await inc.get(key, ctx); return r; },
  async incRevalidate({ tags, durations }) { await inc.revalidateTag(tags, durations); return true; },
  async sync() { await h.core.ensureInit(); return h.core.requestSync(); },
  async mirror({ tags }) { return tags.map((t) => h.core.mirror.get(t) || null); },
  async counters() { return h.core.counters; },
  async metrics() { return metrics.splice(0); },
  async state() { await h.core.ensureInit(); return { pending: h.core.pendingReplay(), up: h.core.conn.isUp, offset: h.core.offset, rtt: h.core.clockRtt }; },
  async exit() { await h.core.close(); setTimeout(() => process.exit(0), 10); return true; },
};

process.on('unhandledRejection', (err) => {
  process.stdout.write(JSON.stringify({ id: -1, unhandled: String(err && err.stack || err) }) + '\n');
});

readline.createInterface({ input: process.stdin }).on('line', async (line) => {
  const { id, op, args } = JSON.parse(line);
  try {
    const result = await ops[op](args || {});
    process.stdout.write(JSON.stringify({ id, result: result === undefined ? null : result }) + '\n');
  } catch (err) {
    process.stdout.write(JSON.stringify({ id, error: String(err && err.stack || err) }) + '\n');
  }
});
process.stdout.write(JSON.stringify({ id: 0, ready: true }) + '\n');
