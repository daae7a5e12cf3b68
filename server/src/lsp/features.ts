// Editor features over a FolderIndex: hover, definition, references, rename, completion,
// code actions and symbols. Plain functions from index + position to LSP results.
import { pathToFileURL } from 'node:url';
import { relative } from 'node:path';
import {
  CodeAction,
  CodeActionKind,
  CompletionItem,
  CompletionItemKind,
  DocumentSymbol,
  Hover,
  Location as LspLocation,
  MarkupKind,
  ResponseError,
  SymbolInformation,
  SymbolKind,
  TextEdit,
  WorkspaceEdit,
  type Diagnostic as LspDiagnostic,
  type Range,
} from 'vscode-languageserver';
import { apiOfCallee } from '../core/apis';
import { BUILTIN_HANDLERS, BUILTIN_PROFILES } from '../core/nextConfig';
import { ts, walk } from '../core/ts';
import { displayTag, isString } from '../core/tagValue';
import type { Diagnostic, Location } from '../core/types';
import type { FolderIndex, Site } from './folderIndex';
import type { StoreTagState } from '../protocol';
import { spellOutInvisible } from '../invisible';

export const uriOf = (file: string) => pathToFileURL(file).toString();

export function toLsp(l: Location): LspLocation {
  return LspLocation.create(uriOf(l.file), l.range);
}

/** A file name as markdown text: no markup, HTML or bidi reordering from the name (`<img …>.ts`, backticks, U+202E). */
const mdText = (s: string) => spellOutInvisible(s).replace(/[\\`*_{}[\]()#+!|<>~&$]/g, '\\$&');

function siteLink(index: FolderIndex, s: Site): string {
  const rel = mdText(relative(index.root, s.location.file));
  const line = s.location.range.start.line + 1;
  return `[${rel}:${line}](${uriOf(s.location.file)}#L${line})`;
}

/** "stale since 14:02:11, 3 min ago · expires in 1 year", "expired at …", "never invalidated". */
export function describeState(state: StoreTagState | undefined, now = Date.now()): string {
  if (!state || (state.stale === undefined && state.expired === undefined)) return 'never invalidated';
  const clock = (ms: number) => {
    const d = new Date(ms);
    const sameDay = Math.abs(now - ms) < 86_400_000;
    return sameDay ? d.toISOString().slice(11, 19) + ' UTC' : d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  };
  if (state.expired !== undefined && state.expired <= now) return `expired at ${clock(state.expired)}, ${span(now - state.expired)} ago`;
  const parts: string[] = [];
  if (state.stale !== undefined && state.stale <= now) parts.push(`stale since ${clock(state.stale)}, ${span(now - state.stale)} ago`);
  if (state.expired !== undefined) parts.push(`expires in ${span(state.expired - now)}`);
  return parts.join(' · ') || 'never invalidated';
}

function span(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  const unit = (n: number, u: string) => `${n} ${u}${n === 1 ? '' : 's'}`;
  if (s < 60) return unit(s, 'second');
  if (s < 3600) return unit(Math.round(s / 60), 'min').replace('mins', 'min');
  if (s < 86400) return unit(Math.round(s / 3600), 'hour');
  if (s < 86400 * 60) return unit(Math.round(s / 86400), 'day');
  if (s < 86400 * 365) return unit(Math.round(s / (86400 * 30)), 'month');
  return unit(Math.round(s / (86400 * 365)), 'year');
}

/** A tag as inline code: a fence longer than any backtick run in it (a tag can't break out), controls spelled out. */
function code(tag: string): string {
  const t = spellOutInvisible(tag);
  const longest = Math.max(0, ...(t.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  return longest ? `${fence} ${t} ${fence}` : `${fence}${t}${fence}`;
}

export function hover(index: FolderIndex, file: string, offset: number, store: { connected: boolean; stateOf(tag: string): StoreTagState | undefined }): Hover | null {
  const site = index.siteAt(file, offset);
  if (!site) return null;
  const lines: string[] = [];
  for (const v of site.values) {
    if (!isString(v)) {
      lines.push(`**Cache tag** — computed at run time (${v.kind === 'unknown' ? v.reason : 'not a string'})`);
      continue;
    }
    lines.push(`**Cache tag** ${code(displayTag(v))}${v.kind === 'pattern' ? ' (pattern)' : ''}`);
  }
  const decls = index.related(site.values, 'declaration');
  const invs = index.related(site.values, 'invalidation');
  const profiles = [...new Set(decls.flatMap((d) => d.profiles))];
  lines.push('');
  lines.push(`Declared (${decls.length}): ${decls.slice(0, 8).map((d) => `${siteLink(index, d)} \`${d.api}\``).join(', ') || 'nowhere'}${decls.length > 8 ? ', …' : ''}`);
  lines.push('');
  lines.push(`Invalidated (${invs.length}): ${invs.slice(0, 8).map((d) => `${siteLink(index, d)} \`${d.api}\``).join(', ') || 'nowhere'}${invs.length > 8 ? ', …' : ''}`);
  if (profiles.length) lines.push('', `cacheLife: ${profiles.map((p) => `\`${p}\``).join(', ')}`);
  if (store.connected) {
    const statics = site.values.filter((v) => v.kind === 'static').map((v) => (v as { value: string }).value);
    for (const t of statics) lines.push('', `Store: ${code(t)} — ${describeState(store.stateOf(t))}`);
  }
  return { contents: { kind: MarkupKind.Markdown, value: lines.join('\n') }, range: site.location.range };
}

export function definition(index: FolderIndex, file: string, offset: number): LspLocation[] {
  const site = index.siteAt(file, offset);
  if (!site) return [];
  const decls = index.related(site.values, 'declaration').filter((d) => d !== site);
  const targets = decls.map((d) => d.renameTarget ?? d.location);
  if (site.role === 'declaration' && site.renameTarget && (site.renameTarget.file !== file || offset < site.renameTarget.start || offset > site.renameTarget.end)) targets.unshift(site.renameTarget);
  const seen = new Set<string>();
  return targets.filter((t) => !seen.has(t.file + t.start) && seen.add(t.file + t.start)).map(toLsp);
}

export function references(index: FolderIndex, file: string, offset: number, includeDeclaration: boolean): LspLocation[] {
  const site = index.siteAt(file, offset);
  if (!site) return [];
  return index
    .related(site.values)
    .filter((s) => includeDeclaration || s.role === 'invalidation')
    .map((s) => toLsp(s.location));
}

/** Rename a static tag everywhere it is written as a literal; refuse when a site can't be rewritten. */
export function prepareRename(index: FolderIndex, file: string, offset: number): { range: Range; placeholder: string } {
  const site = index.siteAt(file, offset);
  if (!site) throw new ResponseError(0, 'Not a cache tag.');
  const statics = site.values.filter((v) => v.kind === 'static');
  if (statics.length !== 1 || site.values.length !== 1) throw new ResponseError(0, `Only a tag written as one string can be renamed; this one is ${site.values.map(displayTag).join(' | ')}.`);
  const tag = (statics[0] as { value: string }).value;
  const blockers = index.exact(tag).filter((s) => !s.renameTarget || s.values.length !== 1);
  if (blockers.length) {
    const b = blockers[0];
    throw new ResponseError(0, `Cannot rename '${tag}': it is also produced at ${relative(index.root, b.location.file)}:${b.location.range.start.line + 1} by an expression that can't be rewritten.`);
  }
  const target = site.renameTarget!;
  const inFile = target.file === file ? target : site.location;
  return { range: shrinkQuotes(inFile.range), placeholder: tag };
}

export function rename(index: FolderIndex, file: string, offset: number, newName: string): WorkspaceEdit {
  const { placeholder: tag } = prepareRename(index, file, offset);
  if (!newName || newName.length > 256) throw new ResponseError(0, 'A tag must be 1 to 256 characters long.');
  const changes: Record<string, TextEdit[]> = {};
  const seen = new Set<string>();
  for (const s of index.exact(tag)) {
    const t = s.renameTarget!;
    const key = t.file + ':' + t.start;
    if (seen.has(key)) continue;
    seen.add(key);
    (changes[uriOf(t.file)] ??= []).push(TextEdit.replace(shrinkQuotes(t.range), escapeFor(newName)));
  }
  return { changes };
}

function shrinkQuotes(r: Range): Range {
  return { start: { line: r.start.line, character: r.start.character + 1 }, end: { line: r.end.line, character: r.end.character - 1 } };
}

function escapeFor(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/"/g, '\\"').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
}

/** The string literal token at an offset, if any. */
function stringAt(sf: ts.SourceFile, offset: number): ts.StringLiteralLike | undefined {
  let found: ts.StringLiteralLike | undefined;
  walk(sf, (n) => {
    if (offset < n.getStart(sf) || offset > n.getEnd()) return false;
    if ((ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) && offset > n.getStart(sf) && offset < n.getEnd()) found = n;
  });
  return found;
}

export function completion(index: FolderIndex, file: string, offset: number): CompletionItem[] {
  const sf = index.session.host.sourceFile(file);
  if (!sf) return [];
  const lit = stringAt(sf, offset);
  if (!lit) return [];
  const app = index.apps.find((a) => file.startsWith(a.app.root + '/')) ?? index.apps[0];
  const profiles = [...BUILTIN_PROFILES, ...(app?.app.cacheLifeProfiles ?? [])];
  // 'use cache: |'
  if (ts.isExpressionStatement(lit.parent) && /^use cache:?/.test(lit.text)) {
    const handlers = [...BUILTIN_HANDLERS, ...(app?.app.cacheHandlers ?? [])];
    return handlers.map((h) => ({ label: `use cache: ${h}`, kind: CompletionItemKind.Value, filterText: `use cache: ${h}`, textEdit: TextEdit.replace(rangeInside(sf, lit), `use cache: ${h}`) }));
  }
  const call = lit.parent;
  if (!ts.isCallExpression(call)) return [];
  const api = apiOfCallee(call.expression, index.session.resolver);
  const argIndex = call.arguments.indexOf(lit);
  if ((api === 'cacheLife' && argIndex === 0) || (api === 'revalidateTag' && argIndex === 1)) {
    return profiles.map((p, i) => ({ label: p, kind: CompletionItemKind.EnumMember, sortText: String(i).padStart(3, '0'), detail: BUILTIN_PROFILES.includes(p) ? 'built-in cacheLife profile' : 'next.config cacheLife', textEdit: TextEdit.replace(rangeInside(sf, lit), p) }));
  }
  if ((api === 'revalidateTag' || api === 'updateTag' || api === 'expireTag') && argIndex === 0 || api === 'cacheTag') {
    const seen = new Set<string>();
    const out: CompletionItem[] = [];
    for (const t of index.inventory()) {
      if (t.kind !== 'static' || seen.has(t.tag)) continue;
      const declared = t.sites.filter((s) => s.role === 'declaration').length;
      if (api !== 'cacheTag' && declared === 0) continue;
      seen.add(t.tag);
      out.push({ label: t.tag, kind: CompletionItemKind.Constant, detail: `declared ${declared}×, invalidated ${t.sites.length - declared}×`, textEdit: TextEdit.replace(rangeInside(sf, lit), t.tag) });
    }
    return out;
  }
  return [];
}

function rangeInside(sf: ts.SourceFile, lit: ts.Node): Range {
  const s = sf.getLineAndCharacterOfPosition(lit.getStart(sf) + 1);
  const e = sf.getLineAndCharacterOfPosition(lit.getEnd() - 1);
  return { start: s, end: e };
}

export function codeActions(diags: Diagnostic[], requested: LspDiagnostic[]): CodeAction[] {
  const out: CodeAction[] = [];
  for (const r of requested) {
    const d = diags.find((x) => x.code === r.code && x.location.range.start.line === r.range.start.line && x.location.range.start.character === r.range.start.character);
    if (!d) continue;
    for (const f of d.fixes) {
      const changes: Record<string, TextEdit[]> = {};
      for (const e of f.edits) (changes[uriOf(e.file)] ??= []).push(TextEdit.replace(e.range, e.newText));
      out.push({ title: f.title, kind: CodeActionKind.QuickFix, diagnostics: [r], isPreferred: f.preferred, edit: { changes } });
    }
  }
  return out;
}

export function documentSymbols(index: FolderIndex, file: string): DocumentSymbol[] {
  return index.sitesIn(file).map((s) => {
    const name = s.values.map(displayTag).join(' | ');
    return DocumentSymbol.create(name, `${s.role === 'declaration' ? 'declares' : 'invalidates'} · ${s.api}`, s.role === 'declaration' ? SymbolKind.Key : SymbolKind.Event, s.location.range, s.location.range);
  });
}

export function workspaceSymbols(indexes: FolderIndex[], query: string): SymbolInformation[] {
  const q = query.toLowerCase();
  const out: SymbolInformation[] = [];
  for (const index of indexes)
    for (const t of index.inventory()) {
      if (q && !t.tag.toLowerCase().includes(q)) continue;
      for (const s of t.sites) out.push(SymbolInformation.create(t.tag, s.role === 'declaration' ? SymbolKind.Key : SymbolKind.Event, s.location.range, uriOf(s.location.file), s.api));
      if (out.length > 2000) return out;
    }
  return out;
}
