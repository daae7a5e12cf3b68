// Analyzer benchmark: generates synthetic Next.js App Router workspaces of 1,000 and 5,000
// source files of realistic size (1–4 KB: components, utils, types, pages, with imports between
// them; ~5% touching cache tags in the forms real apps use) and measures, in the same run:
//   floor  = read + parse every file with TypeScript's createSourceFile (the TS the analyzer uses),
//   lint   = `node dist/cli.js lint <dir> --format json`, cold process, wall time,
//   their ratio, peak RSS, and the growth from 1,000 to 5,000 files.
// Targets (issue 2 §5): lint/floor ≤ 3 at 5,000 files, near-linear growth, peak RSS ≤ 600 MB.
//
//   node test/bench/analyzer.mjs            (after `npm run build`; `npm run bench` does both)
//   BENCH_SIZES=1000,5000 BENCH_RUNS=3      (defaults)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(here, '../..');
const CLI = join(ROOT, 'dist/cli.js');
const WORK = join(here, 'work');
const SIZES = (process.env.BENCH_SIZES ?? '1000,5000').split(',').map(Number);
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

// ---- deterministic generator ------------------------------------------------------------

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DOMAIN_WORDS = ['products', 'orders', 'customers', 'invoices', 'teams', 'projects', 'surveys', 'channels', 'articles', 'events', 'payments', 'reports', 'inventory', 'shipments', 'reviews', 'campaigns'];
const cap = (s) => s[0].toUpperCase() + s.slice(1);

/** TypeScript filler of the kinds real modules hold: types, pure helpers, data shaping. */
function tsBlock(r, name) {
  const k = Math.floor(r() * 1000);
  switch (Math.floor(r() * 4)) {
    case 0:
      return `
export interface ${name}Record {
  id: string;
  createdAt: Date;
  updatedAt: Date;
  status: 'draft' | 'active' | 'archived';
  owner: { id: string; name: string; email?: string };
  tags: string[];
  score: number;
}

export function normalize${name}(input: Partial<${name}Record>): ${name}Record {
  return {
    id: input.id ?? crypto.randomUUID(),
    createdAt: input.createdAt ?? new Date(),
    updatedAt: new Date(),
    status: input.status ?? 'draft',
    owner: input.owner ?? { id: 'system', name: 'System' },
    tags: [...new Set(input.tags ?? [])].sort(),
    score: Math.round((input.score ?? 0) * ${k % 100}) / 100,
  };
}
`;
    case 1:
      return `
export function summarize${name}(rows: Array<{ amount: number; currency: string; at: string }>) {
  const byCurrency = new Map<string, number>();
  for (const row of rows) {
    if (!Number.isFinite(row.amount)) continue;
    byCurrency.set(row.currency, (byCurrency.get(row.currency) ?? 0) + row.amount);
  }
  const total = [...byCurrency.values()].reduce((a, b) => a + b, 0);
  return {
    total,
    currencies: [...byCurrency.keys()],
    average: rows.length ? total / rows.length : 0,
    threshold: total > ${k} ? 'high' : 'normal',
  };
}
`;
    case 2:
      return `
export type ${name}Action =
  | { type: 'load'; page: number }
  | { type: 'select'; id: string }
  | { type: 'filter'; query: string; limit?: number };

export function reduce${name}(state: { page: number; selected?: string; query: string }, action: ${name}Action) {
  switch (action.type) {
    case 'load':
      return { ...state, page: Math.max(1, action.page) };
    case 'select':
      return { ...state, selected: action.id };
    case 'filter':
      return { ...state, query: action.query.trim().slice(0, ${20 + (k % 80)}), page: 1 };
    default:
      return state;
  }
}
`;
    default:
      return `
const ${name.toUpperCase()}_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: ${k % 4} });

export function format${name}(value: number | null | undefined, unit = 'items'): string {
  if (value === null || value === undefined) return '—';
  if (Math.abs(value) >= 1_000_000) return \`\${${name.toUpperCase()}_FORMAT.format(value / 1_000_000)}M \${unit}\`;
  if (Math.abs(value) >= 1_000) return \`\${${name.toUpperCase()}_FORMAT.format(value / 1_000)}k \${unit}\`;
  return \`\${${name.toUpperCase()}_FORMAT.format(value)} \${unit}\`;
}
`;
  }
}

/** JSX filler: a small presentational component. */
function jsxBlock(r, name) {
  const k = Math.floor(r() * 100);
  return `
export function ${name}({ title, items, onSelect }: { title: string; items: Array<{ id: string; label: string }>; onSelect?: (id: string) => void }) {
  const visible = items.filter((item) => item.label.length > ${k % 5}).slice(0, ${10 + k});
  return (
    <section className="rounded-lg border p-4">
      <header className="flex items-center justify-between">
        <h2 className="text-lg font-semibold">{title}</h2>
        <span className="text-sm text-muted">{visible.length} of {items.length}</span>
      </header>
      <ul className="mt-2 divide-y">
        {visible.map((item) => (
          <li key={item.id} className="py-2" onClick={() => onSelect?.(item.id)}>
            {item.label}
          </li>
        ))}
      </ul>
    </section>
  );
}
`;
}

/** Pads a module with filler blocks until it reaches its target size (1–4 KB). */
function fill(r, head, name, jsx) {
  const target = 1024 + Math.floor(r() * 3072);
  let text = head;
  let n = 0;
  while (text.length < target) text += (jsx && n % 2 === 0 ? jsxBlock(r, `${name}Part${n}`) : tsBlock(r, `${name}${n}`)), n++;
  return text;
}

/** Writes a workspace of exactly `files` source files; returns counts by kind. */
export function generateWorkspace(dir, files, seed = 20261126) {
  const r = rng(seed);
  rmSync(dir, { recursive: true, force: true });
  const counts = { files: 0, bytes: 0, tagFiles: 0 };
  const write = (rel, text, touchesTags = false) => {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
    if (/\.(tsx?|mjs|js)$/.test(rel)) {
      counts.files++;
      counts.bytes += Buffer.byteLength(text);
      if (touchesTags) counts.tagFiles++;
    }
  };
  // ~1% of files are per-domain data modules; with the 4% below, ~5% of files touch tags.
  const domainCount = Math.max(8, Math.round(files / 100));
  const domains = Array.from({ length: domainCount }, (_, d) => `${DOMAIN_WORDS[d % DOMAIN_WORDS.length]}${d >= DOMAIN_WORDS.length ? Math.floor(d / DOMAIN_WORDS.length) : ''}`);

  write('package.json', JSON.stringify({ name: 'bench-app', private: true, scripts: { build: 'next build' }, dependencies: { next: '16.4.6', react: '19.3.1', 'react-dom': '19.3.1' } }, null, 2));
  write('tsconfig.json', JSON.stringify({ compilerOptions: { target: 'ES2022', strict: true, module: 'esnext', moduleResolution: 'bundler', jsx: 'preserve', paths: { '@/*': ['./*'] } }, include: ['**/*.ts', '**/*.tsx'] }, null, 2));
  write('next.config.ts', `import type { NextConfig } from 'next';\n\nconst nextConfig: NextConfig = {\n  cacheComponents: true,\n  cacheLife: { catalog: { stale: 300, revalidate: 3600, expire: 86400 } },\n};\n\nexport default nextConfig;\n`);
  write('lib/tags.ts', `// Every cache tag of the app.\nexport const TAGS = {\n${domains.map((d) => `  ${d}: '${d}',\n  ${d}Item: (id: string) => \`${d}-item-\${id}\`,`).join('\n')}\n} as const;\n`, true);
  write('app/layout.tsx', `export default function RootLayout({ children }: { children: React.ReactNode }) {\n  return (\n    <html lang="en">\n      <body>{children}</body>\n    </html>\n  );\n}\n`);
  write('app/page.tsx', `export default function Home() {\n  return <main>Home</main>;\n}\n`);
  // One data module and one index page per domain, so pages, actions and handlers have targets.
  for (const d of domains) {
    const D = cap(d);
    write(
      `lib/data/${d}.ts`,
      fill(
        r,
        `import { cacheLife, cacheTag } from 'next/cache';\nimport { TAGS } from '@/lib/tags';\n\nexport async function get${D}() {\n  'use cache';\n  cacheLife('catalog');\n  cacheTag(TAGS.${d});\n  const res = await fetch('https://api.example.com/${d}');\n  return (await res.json()) as Array<{ id: string; label: string }>;\n}\n\nexport async function get${D}Item(id: string) {\n  'use cache';\n  cacheTag(TAGS.${d}, TAGS.${d}Item(id));\n  const res = await fetch(\`https://api.example.com/${d}/\${id}\`);\n  return (await res.json()) as { id: string; label: string };\n}\n\nexport async function get${D}Page(page: number) {\n  'use cache';\n  cacheTag(\`${d}-page-\${page}\`);\n  return { page, rows: [] as string[] };\n}\n`,
        `${D}Data`,
        false,
      ),
      true,
    );
    write(`app/${d}/page.tsx`, `import { get${D} } from '@/lib/data/${d}';\n\nexport default async function ${D}Page() {\n  const rows = await get${D}();\n  return <main>{rows.length}</main>;\n}\n`);
    write(`app/${d}/[id]/page.tsx`, `import { get${D}Item } from '@/lib/data/${d}';\n\nexport default async function ${D}ItemPage({ params }: { params: Promise<{ id: string }> }) {\n  const { id } = await params;\n  const item = await get${D}Item(id);\n  return <main>{item.label}</main>;\n}\n`);
  }
  const components = [];
  const utils = [];
  let i = 0;
  while (counts.files < files) {
    const d = domains[Math.floor(r() * domains.length)];
    const D = cap(d);
    const slot = i % 100;
    const pick = (list) => (list.length ? list[Math.floor(r() * list.length)] : undefined);
    if (slot === 0) {
      // 'use cache' functions with tags, an unstable_cache wrapper, fetch with next.tags
      write(
        `lib/data/${d}-${i}.ts`,
        fill(
          r,
          `import { cacheLife, cacheTag, unstable_cache } from 'next/cache';\nimport { TAGS } from '@/lib/tags';\n\nexport async function list${D}${i}(page: number) {\n  'use cache';\n  cacheLife('hours');\n  cacheTag(TAGS.${d}, \`${d}-page-\${page}\`);\n  return { page, rows: [] as string[] };\n}\n\nexport const count${D}${i} = unstable_cache(async () => 0, ['${d}-count-${i}'], { tags: [TAGS.${d}] });\n\nexport async function remote${D}${i}(id: string) {\n  const res = await fetch(\`https://api.example.com/${d}/\${id}/stats\`, { next: { tags: [TAGS.${d}Item(id)] } });\n  return res.json();\n}\n`,
          `${D}Cache${i}`,
          false,
        ),
        true,
      );
    } else if (slot === 25) {
      write(
        `app/${d}/actions-${i}.ts`,
        fill(
          r,
          `'use server';\n\nimport { revalidatePath, revalidateTag, updateTag } from 'next/cache';\nimport { TAGS } from '@/lib/tags';\n\nexport async function save${D}${i}(formData: FormData) {\n  const id = String(formData.get('id'));\n  updateTag(TAGS.${d}Item(id));\n  updateTag(\`${d}-page-1\`);\n  revalidateTag(TAGS.${d}, 'max');\n  revalidatePath('/${d}');\n}\n`,
          `${D}Action${i}`,
          false,
        ),
        true,
      );
    } else if (slot === 75) {
      write(
        `app/api/${d}/hook-${i}/route.ts`,
        `import { revalidateTag } from 'next/cache';\nimport { TAGS } from '@/lib/tags';\n\nexport async function POST(request: Request) {\n  const body = (await request.json()) as { id?: string; secret?: string };\n  if (body.secret !== process.env.WEBHOOK_SECRET) return new Response('forbidden', { status: 403 });\n  if (body.id) revalidateTag(\`${d}-item-\${body.id}\`, 'max');\n  revalidateTag(TAGS.${d}, 'max');\n  return Response.json({ revalidated: true, now: Date.now() });\n}\n${tsBlock(r, `${D}Hook${i}`)}`,
        true,
      );
    } else if (slot === 90) {
      // a tag-factory module, as in real apps (`xCache.tag.byId(id)`)
      write(
        `lib/${d}/cache-${i}.ts`,
        fill(
          r,
          `import { revalidateTag } from 'next/cache';\n\nexport const ${d}Cache${i} = {\n  tag: {\n    byId: (id: string) => \`${d}-item-\${id}\`,\n    all: () => '${d}',\n  },\n  revalidate(id?: string) {\n    if (id) revalidateTag(this.tag.byId(id), 'max');\n    revalidateTag(this.tag.all(), 'max');\n  },\n};\n`,
          `${D}Factory${i}`,
          false,
        ),
        true,
      );
    } else if (slot < 25) {
      const comp = pick(components);
      const rel = `app/${d}/p${i}/page.tsx`;
      const head =
        `import { get${D} } from '@/lib/data/${d}';\n` +
        (comp ? `import { ${comp.name} } from '@/${comp.path}';\n` : '') +
        `\nexport default async function Page${i}() {\n  const rows = await get${D}();\n  return (\n    <main>\n      ${comp ? `<${comp.name} title="${D} ${i}" items={rows} />` : `<p>{rows.length}</p>`}\n    </main>\n  );\n}\n`;
      write(rel, fill(r, head, `Page${i}Helper`, false));
    } else if (slot < 65) {
      const name = `${D}Card${i}`;
      const path = `components/${d}/${name}`;
      const u = pick(utils);
      const client = r() < 0.3;
      const head = (client ? `'use client';\n\n` : '') + (u ? `import { ${u.name} } from '@/${u.path}';\n` : '') + `\n// uses ${u ? u.name : 'nothing'}\n`;
      write(`${path}.tsx`, fill(r, head + jsxBlock(r, name), name, true));
      components.push({ name, path });
    } else {
      const name = `format${D}${i}`;
      const path = `lib/utils/${d}/u${i}`;
      const u = pick(utils);
      const head = (u ? `import { ${u.name} } from '@/${u.path}';\n\nexport const ${name}Base = ${u.name};\n` : '') + tsBlock(r, `${D}${i}`).replace(`export function format${D}${i}(`, `export function ${name}(`);
      write(`${path}.ts`, fill(r, head.includes(`function ${name}(`) ? head : head + `\nexport function ${name}(value: number) {\n  return value.toFixed(2);\n}\n`, `${D}Util${i}`, false));
      utils.push({ name, path });
    }
    i++;
  }
  return counts;
}

// ---- measurements ---------------------------------------------------------------------------

const FLOOR_SCRIPT = `
const { createRequire } = require('node:module');
const { readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const req = createRequire(${JSON.stringify(join(ROOT, 'package.json'))});
const { ts } = req('ts-morph');
const dir = process.argv[1];
const t0 = performance.now();
let files = 0, bytes = 0;
const walk = (d) => {
  for (const e of readdirSync(d, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = join(d, e.name);
    if (e.isDirectory()) walk(p);
    else if (/\\.(tsx?|jsx?|mjs|cjs|mts|cts)$/.test(e.name)) {
      const text = readFileSync(p, 'utf8');
      const kind = p.endsWith('.tsx') ? ts.ScriptKind.TSX : p.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS;
      ts.createSourceFile(p, text, ts.ScriptTarget.Latest, true, kind);
      files++; bytes += text.length;
    }
  }
};
walk(dir);
process.stdout.write(JSON.stringify({ ms: performance.now() - t0, files, bytes }));
`;

/** Read + parse every file in a fresh process (TypeScript already loaded when timing starts). */
function floor(dir) {
  const r = spawnSync(process.execPath, ['-e', FLOOR_SCRIPT, dir], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`floor failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** `tagscope lint` in a fresh process: wall time, its JSON stats, peak RSS. */
function lint(dir) {
  const args = [CLI, 'lint', dir, '--format', 'json'];
  const t0 = performance.now();
  const r = TIME ? spawnSync(TIME, ['-v', process.execPath, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }) : spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const ms = performance.now() - t0;
  if (r.status !== 0 && r.status !== 1) throw new Error(`tagscope lint exited ${r.status}: ${r.stderr.slice(-2000)}`);
  const json = JSON.parse(r.stdout);
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr ?? '');
  const rss = m ? Number(m[1]) * 1024 : json.stats.peakRssBytes;
  return { ms, rss, stats: json.stats, diagnostics: json.diagnostics.length };
}

/** Fixed cost of a CLI process (node start + loading the bundle), for reading the lint column. */
function startup() {
  const t0 = performance.now();
  spawnSync(process.execPath, [CLI, '--version'], { encoding: 'utf8' });
  return performance.now() - t0;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (b) => (b / 1024 / 1024).toFixed(0);
const pad = (s, n) => String(s).padStart(n);

export function benchAnalyzer() {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  console.log(`tagscope lint benchmark — node ${process.version}, ${cpus().length} CPU(s), ${RUNS} run(s) per size, median shown${TIME ? '; peak RSS from /usr/bin/time -v' : '; peak RSS from stats.peakRssBytes'}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const start = median([startup(), startup(), startup()]);
  console.log(`CLI start-up (node + bundle, \`tagscope --version\`): ${start.toFixed(0)} ms, included in every lint time below`);
  const rows = [];
  for (const size of SIZES) {
    const dir = join(WORK, `analyzer-${size}`);
    const gen = generateWorkspace(dir, size);
    const floors = [];
    const lints = [];
    for (let k = 0; k < RUNS; k++) {
      floors.push(floor(dir));
      lints.push(lint(dir));
    }
    const row = {
      files: gen.files,
      bytes: gen.bytes,
      tagFiles: gen.tagFiles,
      floorMs: median(floors.map((f) => f.ms)),
      lintMs: median(lints.map((l) => l.ms)),
      analyzerMs: median(lints.map((l) => l.stats.durationMs)),
      peakRss: Math.max(...lints.map((l) => l.rss)),
      diagnostics: lints[0].diagnostics,
      filesParsed: lints[0].stats.filesParsed,
      usedTypeChecker: lints[0].stats.usedTypeChecker,
    };
    row.ratio = row.lintMs / row.floorMs;
    rows.push(row);
  }
  console.log('');
  console.log(' files  size(MB)  tag files  floor(ms)  lint(ms)  lint/floor  analyzer(ms)  parsed  checker  peak RSS(MB)  diagnostics');
  for (const r of rows) {
    console.log(
      `${pad(r.files, 6)}  ${pad((r.bytes / 1024 / 1024).toFixed(1), 8)}  ${pad(`${r.tagFiles} (${((100 * r.tagFiles) / r.files).toFixed(1)}%)`, 9)}  ${pad(r.floorMs.toFixed(0), 9)}  ${pad(r.lintMs.toFixed(0), 8)}  ${pad(r.ratio.toFixed(2), 10)}  ${pad(r.analyzerMs, 12)}  ${pad(r.filesParsed, 6)}  ${pad(r.usedTypeChecker ? 'yes' : 'no', 7)}  ${pad(mb(r.peakRss), 12)}  ${pad(r.diagnostics, 11)}`,
    );
  }
  const big = rows.find((r) => r.files >= 5000) ?? rows[rows.length - 1];
  const small = rows[0];
  const verdicts = [];
  if (rows.length > 1) {
    const fileGrowth = big.files / small.files;
    const lintGrowth = big.lintMs / small.lintMs;
    const floorGrowth = big.floorMs / small.floorMs;
    console.log('');
    console.log(`growth ${big.files}/${small.files} files (x${fileGrowth.toFixed(1)}): floor x${floorGrowth.toFixed(2)}, lint x${lintGrowth.toFixed(2)}, analyzer x${(big.analyzerMs / small.analyzerMs).toFixed(2)}, peak RSS x${(big.peakRss / small.peakRss).toFixed(2)}`);
    verdicts.push([`near-linear growth (lint x${lintGrowth.toFixed(2)} for x${fileGrowth.toFixed(1)} files, allowing 1.25x of linear)`, lintGrowth <= fileGrowth * 1.25]);
  }
  verdicts.unshift([`lint/floor ≤ 3 at ${big.files} files (${big.ratio.toFixed(2)})`, big.ratio <= 3]);
  verdicts.push([`peak RSS ≤ 600 MB (${mb(Math.max(...rows.map((r) => r.peakRss)))} MB)`, rows.every((r) => r.peakRss <= 600 * 1024 * 1024)]);
  console.log('');
  for (const [text, ok] of verdicts) console.log(`${ok ? 'PASS' : 'FAIL'}  ${text}`);
  mkdirSync(WORK, { recursive: true });
  writeFileSync(join(WORK, 'analyzer-results.json'), JSON.stringify({ node: process.version, cpus: cpus().length, loadavg: loadavg(), runs: RUNS, startupMs: start, rows, verdicts }, null, 2));
  return { rows, ok: verdicts.every(([, ok]) => ok) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { ok } = benchAnalyzer();
  if (process.env.BENCH_STRICT && !ok) process.exitCode = 1;
}
