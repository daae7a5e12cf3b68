// The fuzz case generator, shared by the CI fuzz tests (test/fuzz/*.test.ts) and the larger
// campaign of `node test/fuzz/report.mjs`. Deterministic: a case is a pure function of
// (seed, index, fixture), so any failure is reproduced from the seed and index it prints.
//
// Every case produces NEW files at fresh names that no unmutated file imports; copies of real
// files have their workspace imports pointed at a missing module and their tag strings moved to
// a private namespace (`fz<i>:`), so the rest of the app may only see them through the global
// matching rules (see `compareToBaseline`).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ts } from '../../server/src/core/ts';
import { sourceFiles as sourceFilesOf } from '../analyzer/helpers';

export const ROOT = join(__dirname, '../..');
export const FIXTURES = join(ROOT, 'test/fixtures');
/** The realistic apps the fuzz mutates: context rules (contexts) and matching rules (matching). */
export const FUZZ_FIXTURES = ['contexts', 'matching'];

export const KINDS = [
  'truncate',
  'token-delete',
  'token-insert',
  'deep-nesting',
  'huge-literal',
  'invalid-utf8',
  'binary',
  'nul-bom-crlf',
  'long-line',
  'circular-reexport',
  'self-reference',
  'recursive-helper',
  'tag-array-10k',
  'odd-syntax',
  'connected-hostile',
] as const;
export type Kind = (typeof KINDS)[number];

export interface FuzzFile {
  /** Path relative to the app root, `/` separators. */
  rel: string;
  /** Raw bytes on disk (invalid UTF-8 and binary content stay invalid). */
  data: Buffer;
}

export interface FuzzCase {
  seed: number;
  index: number;
  fixture: string;
  kind: Kind;
  /** What was done, enough to see the case without re-running it. */
  description: string;
  files: FuzzFile[];
  /** The new file imports and calls the app's own helpers (kind connected-hostile): then only the
   * context rules' diagnostics on unmutated files are judged (see compareToBaseline). */
  connected?: boolean;
}

// ---- deterministic randomness -----------------------------------------------------------

export type Rng = () => number;

/** mulberry32: small, fast, and the same sequence on every platform. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
export const int = (r: Rng, n: number) => Math.floor(r() * n);
export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)];
/** The seed of case `index` of a campaign seeded with `seed`. */
export const caseSeed = (seed: number, index: number) => (Math.imul(seed ^ 0x9e3779b9, 31) + Math.imul(index + 1, 0x85ebca6b)) >>> 0;

// ---- the realistic base ------------------------------------------------------------------

export { sourceFilesOf };

interface Base {
  files: Array<{ rel: string; text: string }>;
  /** Names the app's modules export: nasty files import them (from a missing module), so the
   * call graph visits the nasty file when it looks for callers of the real helpers. */
  exported: string[];
  /** Exported functions and the module (relative path) that declares them. */
  functions: Array<{ name: string; rel: string }>;
}

const bases = new Map<string, Base>();

function baseOf(fixture: string): Base {
  let b = bases.get(fixture);
  if (!b) {
    const dir = join(FIXTURES, fixture);
    const files = sourceFilesOf(dir)
      .filter((rel) => !/^next\.config\./.test(rel))
      .map((rel) => ({ rel, text: readFileSync(join(dir, rel), 'utf8') }));
    const exported = new Set<string>();
    const functions: Array<{ name: string; rel: string }> = [];
    for (const f of files) {
      for (const m of f.text.matchAll(/export\s+(?:async\s+)?(?:function\*?|const|let|class)\s+([\w$]+)/g)) exported.add(m[1]);
      for (const m of f.text.matchAll(/export\s+(?:async\s+)?function\s+([\w$]+)/g)) if (!/^(GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS|default)$/.test(m[1])) functions.push({ name: m[1], rel: f.rel });
    }
    b = { files, exported: [...exported].sort(), functions };
    bases.set(fixture, b);
  }
  return b;
}

/** Where a file derived from `rel` goes: beside it, under a name no route convention and no import uses. */
function freshName(rel: string, index: number, ext?: string): string {
  const dot = rel.lastIndexOf('.');
  let dir = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/') + 1) : '';
  // pages/ files are routes whatever their name: keep new files out of the route tree.
  if (dir.startsWith('pages/')) dir = 'lib/';
  const stem = rel.slice(dir.length ? rel.lastIndexOf('/') + 1 : 0, dot).replace(/[^\w-]/g, '_');
  return `${dir}${stem}.fuzz${index}${ext ?? rel.slice(dot)}`;
}

/**
 * A copy of a real file that cannot interact with the app by import: workspace imports point at
 * a missing module, and tag-like strings get the prefix `fz<i>:` (module specifiers and
 * directives are kept, so APIs are still recognised and 'use cache' still means something).
 */
export function isolatedCopy(text: string, rel: string, index: number): string {
  const sf = ts.createSourceFile(rel, text, ts.ScriptTarget.Latest, true, rel.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const edits: Array<{ start: number; end: number; text: string }> = [];
  const prefix = `fz${index}:`;
  const visit = (n: ts.Node) => {
    const p = n.parent;
    if (ts.isStringLiteral(n) && p && (ts.isImportDeclaration(p) || ts.isExportDeclaration(p) || ts.isExternalModuleReference(p) || (ts.isCallExpression(p) && (p.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(p.expression) && p.expression.text === 'require'))))) {
      if (!/^(next|react|server-only|client-only)(\/|$)/.test(n.text)) edits.push({ start: n.getStart(sf), end: n.getEnd(), text: `'./__fz_missing${index}'` });
    } else if ((ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) && !(p && ts.isExpressionStatement(p) && /^use /.test(n.text)) && !(p && ts.isLiteralTypeNode(p))) {
      edits.push({ start: n.getStart(sf) + 1, end: n.getStart(sf) + 1, text: prefix });
    } else if (ts.isTemplateHead(n)) edits.push({ start: n.getStart(sf) + 1, end: n.getStart(sf) + 1, text: prefix });
    ts.forEachChild(n, visit);
  };
  visit(sf);
  let out = text;
  for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

const TOKEN = /\s+|[A-Za-z_$][\w$]*|\d+(?:\.\d+)?|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|\$\{|=>|\.\.\.|\?\?|&&|\|\||[^\sA-Za-z_$\d]/g;

export function tokens(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

/** Tokens worth inserting: structure breakers and the APIs the analyzer looks for. */
const VOCAB = ['{', '}', '(', ')', '[', ']', '<', '>', '</', '/>', '`', '${', "'", '"', '/*', '*/', '//', ';', ',', '...', '=>', '?', ':', '=', '.', '@', '#', '\\', '\n', '\r', '\u2028', '\u0000', '\uFEFF', 'export', 'import', 'default', 'async', 'function', 'const', 'return', 'await', 'class', 'new', 'this', 'yield', 'enum', 'declare', 'namespace', 'as', 'satisfies', 'typeof', 'keyof', "'use cache'", "'use server'", "'use client'", "'use cache: remote'", 'cacheTag', 'cacheLife', 'revalidateTag', 'updateTag', 'revalidatePath', 'unstable_cache', 'fetch', 'after', "'fz:t'", '`fz:${x}`', 'TAGS', 'undefined', 'null', '0', '1e309', '<div>', '</div>', '<>', '</>', '<!--', '-->', '<<<<<<< HEAD', '>>>>>>>', '#!'];

function truncate(r: Rng, text: string): { text: string; what: string } {
  const at = int(r, text.length + 1);
  return { text: text.slice(0, at), what: `truncated at ${at}/${text.length}` };
}

function tokenDelete(r: Rng, text: string): { text: string; what: string } {
  const toks = tokens(text);
  const n = 1 + int(r, Math.max(1, Math.floor(toks.length / 10)));
  const gone: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = int(r, toks.length);
    gone.push(k);
    toks[k] = '';
  }
  return { text: toks.join(''), what: `deleted ${n} tokens (first at ${gone.slice(0, 5).join(',')})` };
}

function tokenInsert(r: Rng, text: string): { text: string; what: string } {
  const toks = tokens(text);
  const n = 1 + int(r, 12);
  const ins: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = int(r, toks.length + 1);
    // Half the time insert vocabulary, else duplicate a token from elsewhere in the file.
    const t = r() < 0.5 ? pick(r, VOCAB) : toks[int(r, toks.length)] ?? '';
    ins.push(JSON.stringify(t));
    toks.splice(k, 0, t);
  }
  return { text: toks.join(''), what: `inserted ${n} tokens: ${ins.slice(0, 8).join(' ')}` };
}

const DEPTH = 5000;

function imports(base: Base, index: number, extra: string[] = []): string {
  const names = base.exported.slice(0, 12);
  return `import { cacheTag, cacheLife, revalidateTag, updateTag, revalidatePath } from 'next/cache';\nimport { ${[...names, ...extra].join(', ')} } from './__fz_missing${index}';\n`;
}

function deepNesting(r: Rng, base: Base, index: number): { text: string; what: string; tsx: boolean } {
  const form = pick(r, ['parens', 'blocks', 'ternaries', 'jsx', 'arrays', 'arrows', 'templates', 'calls', 'objects', 'binary', 'types'] as const);
  const d = DEPTH;
  const tag = `'fz${index}:deep'`;
  let body: string;
  switch (form) {
    case 'parens':
      body = `export async function deep() {\n  'use cache';\n  cacheTag(${'('.repeat(d)}${tag}${')'.repeat(d)});\n}\n`;
      break;
    case 'blocks':
      body = `export async function deep() {\n  'use cache';\n${'{'.repeat(d)} cacheTag(${tag}); ${'}'.repeat(d)}\n}\n`;
      break;
    case 'ternaries':
      body = `export async function deep(x: number) {\n  'use cache';\n  cacheTag(${Array.from({ length: d }, (_, i) => `x === ${i} ? 'fz${index}:t${i}' : `).join('')}${tag});\n}\n`;
      break;
    case 'jsx':
      body = `export default async function Deep() {\n  'use cache';\n  cacheTag(${tag});\n  return ${'<div>'.repeat(d)}{revalidateTag(${tag}, 'max')}${'</div>'.repeat(d)};\n}\n`;
      break;
    case 'arrays':
      body = `const TAGS = ${'['.repeat(d)}${tag}${']'.repeat(d)};\nexport async function deep() {\n  'use cache';\n  cacheTag(...TAGS.flat(Infinity));\n}\n`;
      break;
    case 'arrows':
      body = `export const deep = ${'() => '.repeat(d)}updateTag(${tag});\n`;
      break;
    case 'templates':
      body = `export async function deep(x: string) {\n  'use cache';\n  cacheTag(${'`a${'.repeat(d)}x${'}`'.repeat(d)});\n}\n`;
      break;
    case 'calls':
      body = `export async function deep() {\n  'use cache';\n  cacheTag(${'String('.repeat(d)}${tag}${')'.repeat(d)});\n}\n`;
      break;
    case 'objects':
      body = `const O = ${'{ a: '.repeat(d)}${tag}${' }'.repeat(d)};\nexport async function deep() {\n  'use cache';\n  cacheTag(O${'.a'.repeat(d)});\n}\n`;
      break;
    case 'binary':
      body = `export async function deep(x: string) {\n  'use cache';\n  cacheTag(${Array.from({ length: d }, (_, i) => `'fz${index}:${i}'`).join(' + x + ')});\n}\n`;
      break;
    case 'types':
      body = `type T = ${Array.from({ length: d }, (_, i) => `'fz${index}:u${i}'`).join(' | ')};\nexport async function deep(t: ${'Array<'.repeat(d)}T${'>'.repeat(d)}) {\n  'use cache';\n  cacheTag(t as unknown as T);\n}\n`;
      break;
  }
  return { text: imports(base, index) + body, what: `${d}-deep ${form}`, tsx: form === 'jsx' };
}

function hugeLiteral(r: Rng, index: number): { text: string; what: string } {
  // Both sides of the 1 MiB size limit: under it the file is parsed, over it skipped.
  const mb = pick(r, [0.3, 0.9, 2, 4]);
  const n = Math.floor(mb * 1024 * 1024);
  const form = pick(r, ['string', 'template', 'tag', 'invalidated', 'comment'] as const);
  const big = 'x'.repeat(n);
  const head = `import { cacheTag, revalidateTag, updateTag } from 'next/cache';\n`;
  let body: string;
  switch (form) {
    case 'string':
      body = `export const BIG = '${big}';\nexport async function huge() {\n  'use cache';\n  cacheTag('fz${index}:small', BIG);\n}\n`;
      break;
    case 'template':
      body = `export async function huge(id: string) {\n  'use cache';\n  cacheTag(\`fz${index}:\${id}${big}\${id}\`);\n}\n`;
      break;
    case 'tag':
      body = `export async function huge() {\n  'use cache';\n  cacheTag('${big}');\n}\nexport async function act() {\n  'use server';\n  updateTag('${'y'.repeat(200)}');\n}\n`;
      break;
    case 'invalidated':
      body = `export async function act() {\n  'use server';\n  revalidateTag('${big}', 'max');\n  updateTag(\`\${globalThis.x}${big}\`);\n}\n`;
      break;
    case 'comment':
      body = `/* ${big} */\nexport async function huge() {\n  'use cache';\n  cacheTag('fz${index}:c');\n}\n`;
      break;
  }
  return { text: head + body, what: `${mb} MiB ${form} literal` };
}

function invalidUtf8(r: Rng, base: Base, index: number): { data: Buffer; what: string } {
  const src = pick(r, base.files);
  const text = Buffer.from(isolatedCopy(src.text, src.rel, index), 'utf8');
  const bad = [Buffer.from([0xc3, 0x28]), Buffer.from([0xff, 0xfe]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]), Buffer.from([0xe2, 0x82]), Buffer.from([0x80]), Buffer.from([0xc0, 0xaf])];
  const parts: Buffer[] = [];
  let last = 0;
  const n = 1 + int(r, 8);
  const at = Array.from({ length: n }, () => int(r, text.length + 1)).sort((a, b) => a - b);
  for (const k of at) {
    parts.push(text.subarray(last, k), pick(r, bad));
    last = k;
  }
  parts.push(text.subarray(last));
  return { data: Buffer.concat(parts), what: `${n} invalid UTF-8 sequences in a copy of ${src.rel} at ${at.slice(0, 6).join(',')}` };
}

function binary(r: Rng): { data: Buffer; what: string } {
  const form = pick(r, ['random', 'random-no-nul', 'png', 'utf16'] as const);
  const n = 1 + int(r, 64 * 1024);
  let data: Buffer;
  if (form === 'png') data = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from(Array.from({ length: n }, () => int(r, 256)))]);
  else if (form === 'utf16') data = Buffer.from("\uFEFFimport { cacheTag } from 'next/cache';\nexport async function f() { 'use cache'; cacheTag('fz:u16'); }\n", 'utf16le');
  else data = Buffer.from(Array.from({ length: n }, () => (form === 'random' ? int(r, 256) : 1 + int(r, 255))));
  return { data, what: `${form} binary, ${data.length} bytes` };
}

function nulBomCrlf(r: Rng, base: Base, index: number): { text: string; what: string } {
  const src = pick(r, base.files);
  let text = isolatedCopy(src.text, src.rel, index);
  const form = pick(r, ['nul', 'bom', 'crlf-mix', 'lone-cr', 'separators', 'all'] as const);
  const bomOrNot = (t: string) => '\uFEFF' + t;
  const mix = (t: string) => t.split('\n').map((l) => l + pick(r, ['\r\n', '\n', '\r', '\r\r\n', '\u2028', '\u2029'])).join('');
  if (form === 'nul' || form === 'all') {
    const k = int(r, text.length + 1);
    text = text.slice(0, k) + '\0' + text.slice(k);
  }
  if (form === 'bom' || form === 'all') text = bomOrNot(bomOrNot(text));
  if (form === 'crlf-mix' || form === 'all') text = mix(text);
  if (form === 'lone-cr') text = text.replace(/\n/g, '\r');
  if (form === 'separators') text = text.replace(/\n/g, '\u2028');
  return { text, what: `${form} in a copy of ${src.rel}` };
}

function longLine(r: Rng, base: Base, index: number): { text: string; what: string } {
  const src = pick(r, base.files);
  // Every line of a copy joined into one (comments become block comments first), then padded.
  const one = isolatedCopy(src.text, src.rel, index)
    .split('\n')
    .map((l) => l.replace(/\/\/(.*)$/, '/*$1*/'))
    .join(' ');
  const pad = ' '.repeat(int(r, 200_000)) + ';'.repeat(int(r, 100_000));
  return { text: one + pad + `\nexport const fz${index} = [${Array.from({ length: 20_000 }, (_, i) => `'fz${index}:${i}'`).join(',')}];`, what: `copy of ${src.rel} on one line + ${pad.length} chars + a 20,000-item line` };
}

function circular(r: Rng, index: number): { files: Array<{ suffix: string; text: string }>; what: string } {
  const form = pick(r, ['star-pair', 'named-pair', 'self', 'triangle', 'namespace'] as const);
  const a = `cycA${index}`;
  const b = `cycB${index}`;
  const c = `cycC${index}`;
  const user = (from: string) => `import { cacheTag, revalidateTag } from 'next/cache';\nimport { T, helper } from './${from}';\nimport * as ns from './${from}';\nexport async function get() {\n  'use cache';\n  cacheTag(T, helper(), ns.T, ns.missing, ns.ns?.T);\n}\nexport async function act() {\n  'use server';\n  revalidateTag(T, 'max');\n}\n`;
  let files: Array<{ suffix: string; text: string }>;
  switch (form) {
    case 'star-pair':
      files = [
        { suffix: a, text: `export * from './${b}';\nexport const T = 'fz${index}:a';\n` },
        { suffix: b, text: `export * from './${a}';\nexport function helper() { return T2; }\nconst T2 = 'fz${index}:b';\n` },
        { suffix: c, text: user(a) },
      ];
      break;
    case 'named-pair':
      files = [
        { suffix: a, text: `export { T, helper } from './${b}';\n` },
        { suffix: b, text: `export { T, helper } from './${a}';\n` },
        { suffix: c, text: user(b) },
      ];
      break;
    case 'self':
      files = [
        { suffix: a, text: `export * from './${a}';\nexport { T as T } from './${a}';\nexport * as ns from './${a}';\nexport default T;\n` },
        { suffix: c, text: user(a) },
      ];
      break;
    case 'triangle':
      files = [
        { suffix: a, text: `export * from './${b}';\n` },
        { suffix: b, text: `export * from './${c}';\nexport { default as helper } from './${a}';\n` },
        { suffix: c, text: `export * from './${a}';\nimport { cacheTag } from 'next/cache';\nimport { T } from './${a}';\nexport async function get() { 'use cache'; cacheTag(T); }\n` },
      ];
      break;
    case 'namespace':
      files = [
        { suffix: a, text: `import * as me from './${a}';\nexport * as ns from './${b}';\nexport const T = me.T;\nexport const helper = () => me.helper();\n` },
        { suffix: b, text: `import * as other from './${a}';\nexport const T = other.ns.T;\n` },
        { suffix: c, text: user(a) },
      ];
      break;
  }
  return { files, what: `circular re-exports (${form})` };
}

function selfReference(r: Rng, base: Base, index: number): { text: string; what: string } {
  const forms = {
    'plus-self': `const T = T + 'x';\nexport async function f() { 'use cache'; cacheTag(T); }\nexport async function g() { 'use server'; updateTag(T); }`,
    'pair': `const A = B;\nconst B = A;\nexport async function f() { 'use cache'; cacheTag(A, B); }\nexport async function g() { 'use server'; revalidateTag(B, 'max'); }`,
    'template-self': 'const T: string = `fz' + index + ':${T}`;\nexport async function f() { \'use cache\'; cacheTag(T, `${T}-${T}`); }',
    'object-self': `const O = { a: O.b, b: O.a, c: O };\nexport async function f() { 'use cache'; cacheTag(O.a, O.c.c.c.b); }\nexport async function g() { 'use server'; updateTag(O.b); }`,
    'array-self': `const L: string[] = [...L, 'fz${index}:x'];\nexport async function f() { 'use cache'; cacheTag(...L); }\nexport async function g() { 'use server'; for (const t of L) revalidateTag(t, 'max'); }`,
    'join-self': `const P = [P, P].join('-');\nexport async function f() { 'use cache'; cacheTag(P, [P, P, P].join(P)); }`,
    'destructure-self': `const { a = a, b: [c] = [c] } = { a: 'fz${index}:d' } as any;\nexport async function f() { 'use cache'; cacheTag(a, c); }`,
    'let-reassign': `let t = 'fz${index}:l';\nt = t + t;\nt += t;\nexport async function f() { 'use cache'; cacheTag(t); }`,
    'enum-self': `enum E { A = E.B, B = E.A }\nexport async function f() { 'use cache'; cacheTag(E.A as unknown as string); }`,
    'param-default-self': `export async function f(t: string = t) { 'use cache'; cacheTag(t); }\nexport async function g() { 'use server'; f(); f(f as any); }`,
    'this-self': `export const tags = { get a(): string { return this.a; }, b() { return this.b(); }, c: () => tags.c() };\nexport async function f() { 'use cache'; cacheTag(tags.a, tags.b(), tags.c()); }`,
    'chain-64': Array.from({ length: 64 }, (_, i) => `const C${i} = C${(i + 1) % 64};`).join('\n') + `\nexport async function f() { 'use cache'; cacheTag(C0); }`,
  };
  const form = pick(r, Object.keys(forms) as Array<keyof typeof forms>);
  return { text: imports(base, index) + forms[form] + '\n', what: `self-referential constant (${form})` };
}

function recursiveHelper(r: Rng, base: Base, index: number): { text: string; what: string } {
  const forms = {
    'factory-self': `export function tag(n: number): string { return tag(n + 1); }\nexport async function f() { 'use cache'; cacheTag(tag(0)); }\nexport async function g() { 'use server'; updateTag(tag(1)); }`,
    'factory-mutual': `function a(x: string): string { return b(x) + 'a'; }\nfunction b(x: string): string { return a(x) + 'b'; }\nexport async function f(id: string) { 'use cache'; cacheTag(a(id), b(id)); }`,
    'wrapper-mutual': `export function inv(t: string) { revalidateTag(t, 'max'); inv2(t); }\nexport function inv2(t: string) { updateTag(t); inv(t); }\nexport function decl(t: string) { cacheTag(t); decl2(t); }\nexport function decl2(t: string) { decl(t); }\nexport async function act(id: string) { 'use server'; inv('fz${index}:' + id); }\nexport async function get() { 'use cache'; decl('fz${index}:g'); }`,
    'wrapper-self': `export function inv(t: string | string[]) { for (const x of Array.isArray(t) ? t : [t]) { revalidateTag(x, 'max'); inv(x); } }\nexport async function act() { 'use server'; inv(['fz${index}:a', 'fz${index}:b']); }`,
    'action-self': `export async function act(n: number): Promise<void> { 'use server'; updateTag('fz${index}:' + n); await act(n + 1); }\nexport default async function Page() { await act(0); return null; }`,
    'component-self': `export default async function Page(): Promise<any> { revalidatePath('/'); return <Page />; }\nexport async function Tagged() { 'use cache'; cacheTag('fz${index}:c'); return <Tagged />; }`,
    'method-self': `export const T = { a(id: string): string { return T.b(id); }, b(id: string): string { return T.a(id); }, c: (id: string): string => T.c(id) + '' };\nexport async function f(id: string) { 'use cache'; cacheTag(T.a(id), T.c(id)); }\nexport async function g(id: string) { 'use server'; updateTag(T.b(id)); }`,
    'y-combinator': `const Y = (f: any) => ((x: any) => f((v: any) => x(x)(v)))((x: any) => f((v: any) => x(x)(v)));\nconst tag = Y((self: any) => (n: number) => self(n + 1));\nexport async function f() { 'use cache'; cacheTag(tag(0)); }`,
    'chain-40': Array.from({ length: 40 }, (_, i) => `function w${i}(t: string) { ${i === 39 ? 'updateTag(t);' : `w${i + 1}(t);`} w0(t); }`).join('\n') + `\nexport async function act() { 'use server'; w0('fz${index}:w'); }\nexport async function GET() { w0('fz${index}:r'); }`,
    'callback-self': `export function each(tags: string[], f: (t: string) => void): void { tags.forEach((t) => { f(t); each([t], f); }); }\nexport async function act() { 'use server'; each(['fz${index}:e'], (t) => updateTag(t)); each(['fz${index}:f'], each as any); }`,
  };
  const form = pick(r, Object.keys(forms) as Array<keyof typeof forms>);
  return { text: imports(base, index) + forms[form] + '\n', what: `recursive helper (${form})` };
}

function tagArray10k(r: Rng, index: number): { text: string; what: string } {
  const n = 10_000;
  const form = pick(r, ['spread-static', 'spread-patterns', 'loop', 'map', 'literal-args', 'unstable_cache', 'fetch', 'mixed'] as const);
  const statics = `export const TAGS = [${Array.from({ length: n }, (_, i) => `'fz${index}:t${i}'`).join(', ')}] as const;\n`;
  const patterns = `export const PATTERNS = (id: string) => [${Array.from({ length: n }, (_, i) => `\`fz${index}:p${i}-\${id}\``).join(', ')}];\n`;
  const head = `import { cacheTag, revalidateTag, updateTag, unstable_cache } from 'next/cache';\n`;
  let body: string;
  switch (form) {
    case 'spread-static':
      body = statics + `export async function get() { 'use cache'; cacheTag(...TAGS); }\nexport async function act() { 'use server'; updateTag(TAGS[9999]); }\n`;
      break;
    case 'spread-patterns':
      body = patterns + `export async function get(id: string) { 'use cache'; cacheTag(...PATTERNS(id)); }\nexport async function act(slug: string) { 'use server'; for (const t of PATTERNS(slug)) updateTag(t); }\n`;
      break;
    case 'loop':
      body = statics + `export async function act() { 'use server'; for (const t of TAGS) revalidateTag(t, 'max'); }\nexport async function get() { 'use cache'; for (const t of TAGS) cacheTag(t); }\n`;
      break;
    case 'map':
      body = statics + `export async function act() { 'use server'; TAGS.map((t) => revalidateTag(t, 'max')); TAGS.forEach((t) => updateTag(t)); }\nexport async function get() { 'use cache'; cacheTag(...TAGS.map((t) => t + '-x')); }\n`;
      break;
    case 'literal-args':
      body = `export async function get() { 'use cache'; cacheTag(${Array.from({ length: n }, (_, i) => `'fz${index}:a${i}'`).join(', ')}); }\nexport async function act() { 'use server'; revalidateTag(${Array.from({ length: n }, (_, i) => `'fz${index}:a${i}'`).join(', ')}); }\n`;
      break;
    case 'unstable_cache':
      body = statics + `export const load = unstable_cache(async () => 1, ['k'], { tags: [...TAGS] });\nexport async function act() { 'use server'; for (const t of TAGS) updateTag(t); }\n`;
      break;
    case 'fetch':
      body = statics + `export async function load() { return fetch('https://x', { next: { tags: [...TAGS, ...TAGS] } }); }\n`;
      break;
    case 'mixed':
      body = statics + patterns + `export async function get(id: string) { 'use cache'; cacheTag(...TAGS, ...PATTERNS(id)); }\nexport async function act(id: string) { 'use server'; for (const t of [...TAGS, ...PATTERNS(id)]) revalidateTag(t, 'max'); }\n`;
      break;
  }
  return { text: head + body, what: `10,000-element tag array (${form})` };
}

function oddSyntax(r: Rng, base: Base, index: number): { text: string; what: string; tsx?: boolean } {
  const forms: Record<string, string> = {
    'export-equals': `const fn = async () => { 'use cache'; cacheTag('fz${index}:e'); };\nexport = fn;`,
    'import-equals': `import nc = require('next/cache');\nimport x = nc.cacheTag;\nexport async function f() { 'use cache'; x('fz${index}:i'); nc.cacheTag('fz${index}:j'); }`,
    'decorators': `function d(...a: any[]): any { return a[0]; }\n@d class C { @d static async m() { 'use cache'; cacheTag('fz${index}:d'); } @d accessor x = updateTag('fz${index}:y'); constructor(@d p: string) { revalidateTag(p, 'max'); } }\nexport default C;`,
    'unterminated-template': 'export async function f(id: string) { \'use cache\'; cacheTag(`fz' + index + ':${id}',
    'unterminated-string': `export async function f() { 'use cache'; cacheTag('fz${index}:s`,
    'unterminated-comment': `export async function f() { 'use cache'; /* cacheTag('fz${index}:c');`,
    'unterminated-regex': `export async function f() { 'use cache'; const re = /[a-z; cacheTag('fz${index}:r'); }`,
    'conflict-markers': `<<<<<<< HEAD\nexport async function f() { 'use cache'; cacheTag('fz${index}:a'); }\n=======\nexport async function f() { 'use cache'; cacheTag('fz${index}:b'); }\n>>>>>>> branch`,
    'namespace-module': `declare module 'next/cache' { export function cacheTag(...t: string[]): void; }\nnamespace N { export const T = 'fz${index}:n'; export namespace M { export const U = N.T; } }\nexport async function f() { 'use cache'; cacheTag(N.T, N.M.U); }`,
    'with-labels': `export async function f(o: any) { 'use cache'; a: b: c: { with (o) { cacheTag(tag); } break a; } }`,
    'html-comments': `<!-- cacheTag('x') -->\nexport async function f() { 'use cache'; cacheTag('fz${index}:h'); }`,
    'shebang-middle': `export const a = 1;\n#!/usr/bin/env node\nexport async function f() { 'use cache'; cacheTag('fz${index}:s'); }`,
    'computed-everything': `const k = 'cacheTag';\nconst api = { [k]: cacheTag } as any;\nexport async function f() { 'use cache'; api[k]('fz${index}:k'); (0, cacheTag)('fz${index}:z'); cacheTag?.('fz${index}:o'); cacheTag\`fz${index}:tt\`; new (cacheTag as any)('n'); }`,
    'directive-soup': `'use cache'; 'use server'; 'use client'; 'use cache: '; 'use cache:'; 'use cache: \\u0000'; 'use cache: ${'a'.repeat(5000)}';\nexport async function f() { 'use cache: '; 'use cache: fz${index}'; cacheTag('fz${index}:d'); }`,
    'unicode-names': `const \\u0063acheTag = cacheTag;\nconst 𝒯 = 'fz${index}:\\u{1F600}\\uD800';\nexport async function f() { 'use cache'; \\u0063acheTag(𝒯, 'fz${index}:\\uDFFF', '\\u{10FFFF}'); }`,
    'generators-classes': `export class K { static #t = 'fz${index}:p'; static async *g() { 'use cache'; cacheTag(K.#t); yield* K.g(); } get [Symbol.iterator]() { return revalidateTag(this as any, 'max'); } }`,
    'jsx-soup': `export default function P() { return <div a={cacheTag('fz${index}:j')} {...revalidatePath('/')}><>{'use cache'}</><P.x y="\${z}" /></div>; }`,
    'getters-proxies': `export const T = new Proxy({}, { get: (_, k) => 'fz${index}:' + String(k) }) as any;\nexport async function f() { 'use cache'; cacheTag(T.a, T['b'], T[Symbol.iterator]); }`,
    'numbers-and-nonstrings': `export async function f() { 'use cache'; cacheTag(1e309, -0, 0x1F, 10n, NaN, null, undefined, true, {}, [], () => 1, Symbol('x') as any, /re/ as any); }\nexport async function g() { 'use server'; revalidateTag(1e309 as any, 1e309 as any); revalidatePath(null as any, 'nope' as any); }`,
    'type-only': `import type { cacheTag as CT } from 'next/cache';\ntype X = typeof cacheTag;\ndeclare const c: X;\nexport async function f() { 'use cache'; c('fz${index}:c'); (cacheTag satisfies X)('fz${index}:s'); }`,
  };
  const form = pick(r, Object.keys(forms));
  return { text: imports(base, index) + forms[form] + '\n', what: `odd syntax (${form})`, tsx: form === 'jsx-soup' || form === 'decorators' };
}

/**
 * A hostile file wired to the app: it imports the app's real helpers and calls them from deep
 * nesting, recursion, huge argument lists, escapes and a cut-off end, so the call graph and the
 * context analysis of the unmutated files walk through it.
 */
function connectedHostile(r: Rng, base: Base, index: number, rel: string): { text: string; what: string } {
  const dir = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
  const helpers = Array.from({ length: 1 + int(r, 3) }, () => pick(r, base.functions)).filter((h, i, xs) => xs.findIndex((x) => x.name === h.name) === i);
  const relImport = (to: string) => {
    const up = dir ? dir.split('/').map(() => '..').join('/') : '.';
    return `${up}/${to.replace(/\.[jt]sx?$/, '')}`;
  };
  const head = `import { cacheTag, revalidateTag, updateTag } from 'next/cache';\n` + helpers.map((h) => `import { ${h.name} } from '${relImport(h.rel)}';`).join('\n') + '\n';
  const call = (arg: string) => helpers.map((h) => `${h.name}(${arg} as any)`).join(', ');
  const d = DEPTH;
  const forms: Record<string, string> = {
    'deep-call': `export async function deep() { return ${'('.repeat(d)}[${call(`'fz${index}:d'`)}]${')'.repeat(d)}; }`,
    'deep-blocks': `export async function act() { 'use server'; ${'{ if (Math.random()) '.repeat(d)}{ ${call(`'fz${index}:b'`)}; }${' }'.repeat(d)} }`,
    'deep-jsx': `export default function Page() { return ${'<section>'.repeat(d)}{${call(`'fz${index}:j'`)}}${'</section>'.repeat(d)}; }`,
    'deep-arg': `export async function act(x: string) { 'use server'; ${call(Array.from({ length: d }, (_, i) => `'fz${index}:${i}'`).join(' + x + '))}; }`,
    'recursive': `export async function a(n: number): Promise<unknown> { 'use server'; ${call(`'fz${index}:' + n`)}; return b(n + 1); }\nexport async function b(n: number): Promise<unknown> { return a(n); }\nexport function Loop(): any { return Loop(); }`,
    'client': `'use client';\nexport function Button() { return <button onClick={() => { ${call(`'fz${index}:c'`)}; }} />; }`,
    'escape': `export const all = [${helpers.map((h) => h.name).join(', ')}];\nexport default { ${helpers.map((h) => h.name).join(', ')} };\nexport function twice(f: any) { return f(f); }\ntwice(${helpers[0].name});`,
    'array-10k': `const TAGS = [${Array.from({ length: 10_000 }, (_, i) => `'fz${index}:a${i}'`).join(', ')}];\nexport async function act() { 'use server'; for (const t of TAGS) { ${call('t')}; } }`,
    'truncated': `export async function act(id: string) { 'use server'; ${call('`fz' + index + ':${id}`')}; if (id) { ${call("'x'")}`,
    'self-ref': `const T: any = T;\nconst A: any = B, B: any = A;\nexport async function act() { 'use server'; ${call('T + A')}; }`,
  };
  const form = pick(r, Object.keys(forms));
  return { text: head + forms[form] + '\n', what: `hostile file wired to ${helpers.map((h) => `${h.name} (${h.rel})`).join(', ')}: ${form}` };
}

/** Case `index` of a campaign: deterministic in (seed, index, fixture); kinds rotate so counts stay balanced. */
export function makeCase(seed: number, index: number, fixture = FUZZ_FIXTURES[index % FUZZ_FIXTURES.length], kind: Kind = KINDS[index % KINDS.length]): FuzzCase {
  const s = caseSeed(seed, index);
  const r = rng(s);
  const base = baseOf(fixture);
  const src = pick(r, base.files);
  const one = (rel: string, text: string | Buffer) => [{ rel, data: typeof text === 'string' ? Buffer.from(text, 'utf8') : text }];
  let files: FuzzFile[];
  let what: string;
  switch (kind) {
    case 'truncate':
    case 'token-delete':
    case 'token-insert': {
      const copy = isolatedCopy(src.text, src.rel, index);
      const m = kind === 'truncate' ? truncate(r, copy) : kind === 'token-delete' ? tokenDelete(r, copy) : tokenInsert(r, copy);
      files = one(freshName(src.rel, index), m.text);
      what = `${m.what} of a copy of ${src.rel}`;
      break;
    }
    case 'deep-nesting': {
      const m = deepNesting(r, base, index);
      files = one(freshName(src.rel, index, m.tsx ? '.tsx' : '.ts'), m.text);
      what = m.what;
      break;
    }
    case 'huge-literal': {
      const m = hugeLiteral(r, index);
      files = one(freshName(src.rel, index, '.ts'), m.text);
      what = m.what;
      break;
    }
    case 'invalid-utf8': {
      const m = invalidUtf8(r, base, index);
      files = one(freshName(src.rel, index), m.data);
      what = m.what;
      break;
    }
    case 'binary': {
      const m = binary(r);
      files = one(freshName(src.rel, index, pick(r, ['.ts', '.tsx', '.js', '.mjs'])), m.data);
      what = m.what;
      break;
    }
    case 'nul-bom-crlf': {
      const m = nulBomCrlf(r, base, index);
      files = one(freshName(src.rel, index), m.text);
      what = m.what;
      break;
    }
    case 'long-line': {
      const m = longLine(r, base, index);
      files = one(freshName(src.rel, index), m.text);
      what = m.what;
      break;
    }
    case 'circular-reexport': {
      const m = circular(r, index);
      const dir = src.rel.startsWith('pages/') || !src.rel.includes('/') ? 'lib/' : src.rel.slice(0, src.rel.lastIndexOf('/') + 1);
      files = m.files.map((f) => ({ rel: `${dir}${f.suffix}.ts`, data: Buffer.from(f.text, 'utf8') }));
      what = m.what;
      break;
    }
    case 'self-reference': {
      const m = selfReference(r, base, index);
      files = one(freshName(src.rel, index, '.ts'), m.text);
      what = m.what;
      break;
    }
    case 'recursive-helper': {
      const m = recursiveHelper(r, base, index);
      files = one(freshName(src.rel, index, '.tsx'), m.text);
      what = m.what;
      break;
    }
    case 'tag-array-10k': {
      const m = tagArray10k(r, index);
      files = one(freshName(src.rel, index, '.ts'), m.text);
      what = m.what;
      break;
    }
    case 'connected-hostile': {
      const rel = freshName(src.rel, index, '.tsx');
      const m = connectedHostile(r, base, index, rel);
      return { seed, index, fixture, kind, description: m.what, files: one(rel, m.text), connected: true };
    }
    case 'odd-syntax': {
      const m = oddSyntax(r, base, index);
      files = one(freshName(src.rel, index, m.tsx ? '.tsx' : '.ts'), m.text);
      what = m.what;
      break;
    }
  }
  return { seed, index, fixture, kind, description: what, files };
}

/** How to reproduce a case, printed with every failure. */
export function caseLabel(c: FuzzCase): string {
  return `seed=${c.seed} index=${c.index} fixture=${c.fixture} kind=${c.kind}: ${c.description} → ${c.files.map((f) => `${f.rel} (${f.data.length} B)`).join(', ')}`;
}

// ---- the oracle --------------------------------------------------------------------------

export interface Diag {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  code: string;
  message: string;
  severity: string;
}

/** Rules whose verdict on a site depends on every tag of the app (and of other apps): a new file
 * may legitimately take such a diagnostic away from an unmutated file, never add one. */
export const GLOBAL_MATCHING = new Set(['undeclared-tag', 'unused-tag', 'dynamic-tag-mismatch']);

/** Rules about where code runs: a call site's verdict depends on its own unit and callers only. */
export const CONTEXT_RULES = new Set(['cache-tag-outside-use-cache', 'update-tag-outside-server-action', 'invalidate-during-render']);

const siteKey = (d: Diag) => `${d.file}:${d.line}:${d.column}-${d.endLine}:${d.endColumn} ${d.code}`;
/** The typo suggestion comes from every declared tag: a new declaration may change it. */
const stableMessage = (d: Diag) => d.message.replace(/ Did you mean '[^']*'\?$/, '');

export interface OracleResult {
  ok: boolean;
  problems: string[];
  /** Diagnostics of unmutated files the new files legitimately took away (global matching). */
  excused: number;
}

/**
 * Diagnostics on the unmutated files must be exactly those of the app without the new files
 * (the baseline). The only allowed difference: a global-matching diagnostic that disappears
 * because the new files declare (undeclared-tag, dynamic-tag-mismatch) or invalidate
 * (unused-tag) something, or an undeclared-tag that becomes a dynamic-tag-mismatch at the same
 * site for the same reason. Everything else — a lost, added or changed diagnostic — is a bug.
 */
export function compareToBaseline(baseline: Diag[], actual: Diag[], newFiles: Set<string>, newFacts: { declarations: number; invalidations: number }, contextOnly = false): OracleResult {
  const problems: string[] = [];
  let excused = 0;
  // A new file wired to the app's helpers may change tag sites (a wrapper that now escapes) but
  // never where code runs: the context rules' diagnostics on unmutated files stay exact.
  if (contextOnly) {
    baseline = baseline.filter((d) => CONTEXT_RULES.has(d.code));
    actual = actual.filter((d) => CONTEXT_RULES.has(d.code));
  }
  const mine = actual.filter((d) => !newFiles.has(d.file));
  const count = (xs: Diag[], key: (d: Diag) => string) => {
    const m = new Map<string, number>();
    for (const d of xs) m.set(key(d), (m.get(key(d)) ?? 0) + 1);
    return m;
  };
  const full = (d: Diag) => `${siteKey(d)} [${d.severity}] ${stableMessage(d)}`;
  const base = count(baseline, full);
  const got = count(mine, full);
  const baseSites = new Set(baseline.map(siteKey));
  for (const [k, n] of got) {
    const b = base.get(k) ?? 0;
    if (n <= b) continue;
    const d = mine.find((x) => full(x) === k)!;
    const undeclaredBefore = d.code === 'dynamic-tag-mismatch' && baseSites.has(siteKey({ ...d, code: 'undeclared-tag' }));
    if (undeclaredBefore && newFacts.declarations > 0) excused += n - b;
    else problems.push(`added on an unmutated file: ${k}`);
  }
  for (const [k, b] of base) {
    const n = got.get(k) ?? 0;
    if (n >= b) continue;
    const d = baseline.find((x) => full(x) === k)!;
    const ok = GLOBAL_MATCHING.has(d.code) && (d.code === 'unused-tag' ? newFacts.invalidations > 0 : newFacts.declarations > 0);
    if (ok) excused += b - n;
    else problems.push(`lost on an unmutated file: ${k}`);
  }
  return { ok: problems.length === 0, problems, excused };
}

/** p-th percentile (0..100) of a list of numbers. */
export function percentile(xs: number[], p: number): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
