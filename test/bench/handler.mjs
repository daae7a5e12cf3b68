#!/usr/bin/env node
// Benchmark of @tagscope/handler (run after the build: `node test/bench/handler.mjs`).
// Starts its own redis-server on a free port, and reports for refreshTags → get → getExpiration
// (a 'use cache' hit, as Next calls it per request) against a raw GET of the same payload:
// Redis commands per request (INFO commandstats deltas), p50/p99 latency, with 10 and with 100,000
// tag states stored; get latency while Redis is down; propagation lag between two instances.
import { spawn } from 'node:child_process';
import { createServer, Socket } from 'node:net';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { createUseCacheHandler, createIncrementalCacheHandler, Keys } = require('@tagscope/handler');
const { createClient, RESP_TYPES } = require('redis');

const ITER = Number(process.env.BENCH_ITER || 2000);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.timeOrigin + performance.now();

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}
async function canConnect(port) {
  return new Promise((resolve) => {
    const s = new Socket();
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.connect(port, '127.0.0.1');
  });
}
function pct(arr, p) {
  const s = [...arr].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}
function commandStats(info) {
  let total = 0;
  const per = {};
  for (const line of info.split('\n')) {
    const m = line.match(/^cmdstat_([^:]+):calls=(\d+)/);
    if (m) {
      per[m[1]] = Number(m[2]);
      total += Number(m[2]);
    }
  }
  return { total, per };
}

const dir = mkdtempSync(join(tmpdir(), 'tagscope-bench-'));
const port = await freePort();
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
const url = `redis://127.0.0.1:${port}`;
// Never leave the server behind, whatever happens below (it is SIGCONT-ed first in case it is stopped).
process.on('exit', () => {
  try {
    process.kill(redis.pid, 'SIGCONT');
    process.kill(redis.pid, 'SIGKILL');
  } catch {}
});
process.on('uncaughtException', (e) => {
  console.error(e);
  process.exit(1);
});
while (!(await canConnect(port))) await sleep(50);

const raw = createClient({ url, RESP: 2 });
raw.on('error', () => {});
await raw.connect();
const stats = async () => commandStats(await raw.sendCommand(['INFO', 'commandstats']));

const payload = 'x'.repeat(4096);
const soft = ['_N_T_/layout', '_N_T_/blog/layout', '_N_T_/blog/[slug]/page', '_N_T_/blog/hello'];
const rows = [];

async function scenario(nTags) {
  const prefix = `bench${nTags}`;
  const keys = new Keys(prefix);
  // Store nTags tag states directly (as invalidations would have left them).
  const t = Math.round(now());
  for (let i = 0; i < nTags; i += 1000) {
    const batch = [];
    for (let j = i; j < Math.min(nTags, i + 1000); j++) batch.push(raw.sendCommand(['SET', keys.tag(`tag-${j}`), `${t - 60000}|${t - 60000}|${t - 60000}`, 'PX', '3600000']));
    await Promise.all(batch);
  }
  const t0 = performance.now();
  const h = createUseCacheHandler({ url, keyPrefix: prefix });
  await h.core.ensureInit();
  const initMs = performance.now() - t0;
  await h.set('bench-key', Promise.resolve({ value: new Response(payload).body, tags: ['tag-1', 'tag-2', 'post-1'], stale: 300, timestamp: now(), revalidate: 900, expire: 86400 }));
  const entryKey = keys.useCacheEntry('bench-key');

  const request = async () => {
    await h.refreshTags();
    const e = await h.get('bench-key', soft);
    if (!e) throw new Error('expected a hit');
    await new Response(e.value).arrayBuffer();
    await h.getExpiration(soft);
  };
  const rawGet = async () => {
    const b = await raw.sendCommand(['GET', entryKey], { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } });
    if (!b) throw new Error('expected a value');
  };
  for (let i = 0; i < 200; i++) await request();
  for (let i = 0; i < 200; i++) await rawGet();

  const measure = async (fn) => {
    const s0 = await stats();
    const lat = [];
    for (let i = 0; i < ITER; i++) {
      const a = performance.now();
      await fn();
      lat.push(performance.now() - a);
    }
    const s1 = await stats();
    const cmds = (s1.total - s0.total - 1) / ITER; // minus the INFO call itself
    const per = Object.fromEntries(Object.keys(s1.per).filter((k) => (s1.per[k] - (s0.per[k] ?? 0)) / ITER >= 0.005 && k !== 'info').map((k) => [k, +((s1.per[k] - (s0.per[k] ?? 0)) / ITER).toFixed(2)]));
    return { p50: pct(lat, 50), p99: pct(lat, 99), cmds, per };
  };
  const logKey = keys.log();
  const rawPair = async () => {
    // The same two commands the handler sends, pipelined by hand, with no handler logic.
    const [b] = await Promise.all([raw.sendCommand(['GET', entryKey], { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } }), raw.sendCommand(['XRANGE', logKey, '-', '+', 'COUNT', '1'])]);
    if (!b) throw new Error('expected a value');
  };
  for (let i = 0; i < 200; i++) await rawPair();
  const base = await measure(rawGet);
  const pair = await measure(rawPair);
  const ours = await measure(request);

  // The incremental handler (static page / PPR shell): one get per request, no refreshTags.
  const Inc = createIncrementalCacheHandler({ url, keyPrefix: prefix });
  const inc = new Inc({});
  const html = 'h'.repeat(4096);
  await inc.set('/bench', { kind: 'APP_PAGE', html, rscData: Buffer.from(html), headers: { 'x-next-cache-tags': '_N_T_/layout,_N_T_/bench,tag-1' }, status: 200 }, { cacheControl: { revalidate: 900, expire: 86400 } });
  const incKey = keys.incrementalEntry('/bench');
  const incRequest = async () => {
    const e = await inc.get('/bench', { kind: 'APP_PAGE' });
    if (!e) throw new Error('expected an incremental hit');
  };
  const rawIncGet = async () => {
    const b = await raw.sendCommand(['GET', incKey], { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } });
    if (!b) throw new Error('expected a value');
  };
  for (let i = 0; i < 200; i++) await incRequest();
  const incBase = await measure(rawIncGet);
  const incOurs = await measure(incRequest);
  rows.push({ tags: nTags, initMs, base, pair, ours, incBase, incOurs });
  await h.core.close();
}

for (const n of (process.env.BENCH_TAGS || '10,100000').split(',').map(Number)) await scenario(n);

// Propagation lag: A invalidates, B polls as continuous requests would (refreshTags + sync), two separate cores.
const { Core } = require('../../handler/dist/core.js');
const { resolveOptions } = require('../../handler/dist/config.js');
const A = new Core(resolveOptions({ url, keyPrefix: 'benchlag' }));
const B = new Core(resolveOptions({ url, keyPrefix: 'benchlag' }));
await A.ensureInit();
await B.ensureInit();
const lags = [];
const writes = [];
for (let i = 0; i < 200; i++) {
  const tag = `lag-${i}`;
  const w0 = performance.now();
  let seen = -1;
  const poll = (async () => {
    while (seen < 0) {
      await B.requestSync();
      if (B.mirror.has(tag)) seen = performance.now();
    }
  })();
  await A.updateTags([tag]);
  writes.push(performance.now() - w0);
  await poll;
  lags.push(seen - w0);
}
await A.close();
await B.close();

// Redis down: SIGSTOP (a hung server, the worst case) then a crash.
const hd = createUseCacheHandler({ url, keyPrefix: 'benchdown', timeoutMs: 250 });
await hd.core.ensureInit();
const downLat = async (n) => {
  const lat = [];
  for (let i = 0; i < n; i++) {
    const a = performance.now();
    await hd.refreshTags();
    await hd.get('bench-key', soft);
    lat.push(performance.now() - a);
  }
  return lat;
};
process.kill(redis.pid, 'SIGSTOP');
const hang = await downLat(500);
process.kill(redis.pid, 'SIGCONT');
await sleep(1500);
redis.kill('SIGKILL');
await sleep(200);
const dead = await downLat(500);
await hd.core.close();
await raw.destroy?.();
rmSync(dir, { recursive: true, force: true });

const f = (n) => n.toFixed(3);
console.log(`\n@tagscope/handler benchmark — ${ITER} sequential requests per row, loopback redis-server ${process.version}\n`);
console.log('| tag states stored | what | Redis cmds/request | p50 ms | p99 ms | p50 ratio | p99 ratio |');
console.log('|---:|---|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.tags.toLocaleString('en')} | raw GET (baseline) | ${r.base.cmds.toFixed(2)} | ${f(r.base.p50)} | ${f(r.base.p99)} | 1.00× | 1.00× |`);
  console.log(`| ${r.tags.toLocaleString('en')} | raw GET + XRANGE pipelined, no handler logic | ${r.pair.cmds.toFixed(2)} | ${f(r.pair.p50)} | ${f(r.pair.p99)} | ${(r.pair.p50 / r.base.p50).toFixed(2)}× | ${(r.pair.p99 / r.base.p99).toFixed(2)}× |`);
  console.log(
    `| ${r.tags.toLocaleString('en')} | use-cache: refreshTags → get → getExpiration (hit, 4 KB) | ${r.ours.cmds.toFixed(2)} (${Object.entries(r.ours.per).map(([k, v]) => `${k} ${v}`).join(', ')}) | ${f(r.ours.p50)} | ${f(r.ours.p99)} | ${(r.ours.p50 / r.base.p50).toFixed(2)}× | ${(r.ours.p99 / r.base.p99).toFixed(2)}× |`,
  );
  console.log(`| ${r.tags.toLocaleString('en')} | raw GET of the page entry (baseline) | ${r.incBase.cmds.toFixed(2)} | ${f(r.incBase.p50)} | ${f(r.incBase.p99)} | 1.00× | 1.00× |`);
  console.log(
    `| ${r.tags.toLocaleString('en')} | incremental: get (static page hit, 2×4 KB) | ${r.incOurs.cmds.toFixed(2)} (${Object.entries(r.incOurs.per).map(([k, v]) => `${k} ${v}`).join(', ')}) | ${f(r.incOurs.p50)} | ${f(r.incOurs.p99)} | ${(r.incOurs.p50 / r.incBase.p50).toFixed(2)}× | ${(r.incOurs.p99 / r.incBase.p99).toFixed(2)}× |`,
  );
}
console.log(`\nStartup full load of tag state: ${rows.map((r) => `${r.tags.toLocaleString('en')} tags ${r.initMs.toFixed(0)} ms`).join('; ')} (once per process, and after a log gap).`);
console.log(`\nRedis down (refreshTags → get, 500 calls each; first calls wait for the 250 ms timeout until the breaker opens):`);
console.log(`| state | p50 ms | p99 ms | max ms | calls > 50 ms |`);
console.log(`|---|---:|---:|---:|---:|`);
for (const [name, lat] of [['hung (SIGSTOP)', hang], ['killed (connection refused)', dead]]) {
  console.log(`| ${name} | ${f(pct(lat, 50))} | ${f(pct(lat, 99))} | ${f(Math.max(...lat))} | ${lat.filter((x) => x > 50).length} |`);
}
console.log(`\nPropagation lag A.updateTags → visible on B (200 tags, B polling like continuous requests): p50 ${f(pct(lags, 50))} ms, p99 ${f(pct(lags, 99))} ms; updateTags itself p50 ${f(pct(writes, 50))} ms, p99 ${f(pct(writes, 99))} ms.`);
console.log(`Ratio lag / raw GET p50: ${(pct(lags, 50) / rows[0].base.p50).toFixed(2)}×\n`);
process.exit(0);
