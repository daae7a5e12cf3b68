// Deterministic synthetic Next.js workspaces for benchmarks: realistic file sizes (1–4 KB),
// imports between modules, and ~5% of files touching cache tags in the forms real apps use.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

const FILLER = (r, name, n) => {
  let out = '';
  for (let i = 0; i < n; i++) {
    const k = Math.floor(r() * 1000);
    out += `
export function ${name}Helper${i}(input: { id: string; count: number; label?: string }) {
  const total = input.count * ${k} + input.id.length;
  const label = input.label ?? \`item-\${input.id}\`;
  if (total > ${k % 97}) {
    return { label: label.toUpperCase(), total, ratio: total / ${1 + (k % 13)} };
  }
  return { label, total, ratio: 0 };
}
`;
  }
  return out;
};

/** Writes a workspace of `files` source files under `dir`; returns the list of tag-touching files. */
export function generateWorkspace(dir, files, seed = 42) {
  const r = rng(seed);
  rmSync(dir, { recursive: true, force: true });
  const write = (rel, text) => {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  };
  write('package.json', JSON.stringify({ name: 'synthetic-app', private: true, dependencies: { next: '16.4.6', react: '19.3.1' } }, null, 2));
  write('tsconfig.json', JSON.stringify({ compilerOptions: { strict: true, jsx: 'preserve', paths: { '@/*': ['./*'] } } }, null, 2));
  write('next.config.ts', `const nextConfig = { cacheComponents: true, cacheLife: { catalog: { stale: 300, revalidate: 3600, expire: 86400 } } };\nexport default nextConfig;\n`);
  const domains = Math.max(4, Math.floor(files / 100));
  write('lib/tags.ts', `export const TAGS = {\n${Array.from({ length: domains }, (_, d) => `  d${d}: 'domain-${d}',\n  d${d}Item: (id: string) => \`d${d}-item-\${id}\`,`).join('\n')}\n} as const;\n`);
  let written = 3;
  const tagFiles = [];
  let i = 0;
  while (written < files) {
    const d = i % domains;
    const kind = i % 20; // 1 in 20 files touches tags (5%)
    if (kind === 0) {
      const rel = `lib/data/d${d}-${i}.ts`;
      write(rel, `import { cacheLife, cacheTag } from 'next/cache';\nimport { TAGS } from '@/lib/tags';\n\nexport async function getD${d}List${i}() {\n  'use cache';\n  cacheTag(TAGS.d${d});\n  cacheLife('catalog');\n  return [];\n}\n\nexport async function getD${d}Item${i}(id: string) {\n  'use cache';\n  cacheTag(TAGS.d${d}Item(id), TAGS.d${d});\n  return { id };\n}\n${FILLER(r, 'data' + i, 2)}`);
      tagFiles.push(rel);
    } else if (kind === 10) {
      const rel = `app/(shop)/d${d}/actions-${i}.ts`;
      write(rel, `'use server';\nimport { revalidateTag, updateTag } from 'next/cache';\nimport { TAGS } from '@/lib/tags';\n\nexport async function saveD${d}_${i}(id: string) {\n  updateTag(TAGS.d${d}Item(id));\n  revalidateTag(TAGS.d${d}, 'max');\n}\n${FILLER(r, 'act' + i, 1)}`);
      tagFiles.push(rel);
    } else if (kind === 5 && i % 40 === 5) {
      const rel = `app/api/d${d}-${i}/route.ts`;
      write(rel, `import { revalidatePath, revalidateTag } from 'next/cache';\n\nexport async function POST(req: Request) {\n  const { id } = await req.json();\n  revalidateTag(\`d${d}-item-\${id}\`, 'max');\n  revalidatePath('/d${d}');\n  return Response.json({ ok: true });\n}\n`);
      tagFiles.push(rel);
    } else if (kind % 7 === 1) {
      write(`app/(shop)/d${d}/p${i}/page.tsx`, `import { Card${i - 1 > 0 ? i - 1 : 0} } from '@/components/c${d}/card-${i - 1 > 0 ? i - 1 : 0}';\n\nexport default async function Page() {\n  return <main><h1>Page ${i}</h1></main>;\n}\n${FILLER(r, 'page' + i, 1)}`);
    } else {
      const rel = `components/c${d}/card-${i}.tsx`;
      write(rel, `import { useMemo } from 'react';\n\nexport function Card${i}({ title, items }: { title: string; items: string[] }) {\n  const sorted = useMemo(() => [...items].sort(), [items]);\n  return (\n    <section className="card">\n      <h2>{title}</h2>\n      <ul>{sorted.map((x) => <li key={x}>{x}</li>)}</ul>\n    </section>\n  );\n}\n${FILLER(r, 'card' + i, 1 + Math.floor(r() * 4))}`);
    }
    written++;
    i++;
  }
  // the page each route revalidates
  for (let d = 0; d < domains; d++) write(`app/(shop)/d${d}/page.tsx`, `export default function Page() {\n  return <main>Domain ${d}</main>;\n}\n`);
  return tagFiles;
}
