// The invalidation commands. Writes go through the language server's TagStore, so running Next
// instances that use @tagscope/handler see them at once.
//   tagscope.invalidateTag(tag?: string | string[], options?: { mode: 'stale' | 'expire', profile?: string })
//   tagscope.invalidatePath(path?: string, type?: 'page' | 'layout')
// With arguments nothing is asked (for keybindings, tasks and tests); without, the tag under the
// cursor, else a pick of the tags in code and in the store, then the mode and a confirmation.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import {
  InvalidatePathRequest,
  InvalidateTagRequest,
  InventoryRequest,
  StoreStatesRequest,
  TagAtRequest,
  type InvalidateTagParams,
  type OperationResult,
  type StoreTagState,
} from '../../server/src/protocol';
import { plain, quoted } from './text';

type Mode = InvalidateTagParams['mode'];
const LANGS = new Set(['typescript', 'typescriptreact', 'javascript', 'javascriptreact']);

export interface InvalidationDeps {
  client: () => LanguageClient | undefined;
  storeConnected: () => boolean;
  connect: () => Promise<OperationResult>;
  log: vscode.LogOutputChannel;
}

function running(deps: InvalidationDeps): LanguageClient | undefined {
  const c = deps.client();
  if (c?.isRunning()) return c;
  void vscode.window.showErrorMessage('Tagscope: the language server is not running. Run "Tagscope: Restart Language Server".');
  return undefined;
}

function describeState(s: StoreTagState | undefined, now = Date.now()): string {
  if (!s || (s.stale === undefined && s.expired === undefined)) return 'never invalidated';
  if (s.expired !== undefined && s.expired <= now) return `expired ${new Date(s.expired).toLocaleString()}`;
  if (s.stale !== undefined && s.stale <= now) return `stale since ${new Date(s.stale).toLocaleString()}${s.expired !== undefined ? `, expires ${new Date(s.expired).toLocaleString()}` : ''}`;
  return `expires ${new Date((s.expired ?? s.stale)!).toLocaleString()}`;
}

/** Makes sure the store is connected, offering to connect when it is not. */
async function ensureStore(deps: InvalidationDeps): Promise<boolean> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('Tagscope: invalidation is off in untrusted workspaces. Trust this workspace to connect to Redis.');
    return false;
  }
  if (deps.storeConnected()) return true;
  const choice = await vscode.window.showWarningMessage('Tagscope: no tag store is connected.', 'Connect to Redis…');
  if (choice !== 'Connect to Redis…') return false;
  return (await deps.connect()).ok;
}

async function tagsAtCursor(client: LanguageClient): Promise<string[]> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.uri.scheme !== 'file' || !LANGS.has(editor.document.languageId)) return [];
  const pos = editor.selection.active;
  const r = await client.sendRequest(TagAtRequest.type, { uri: client.code2ProtocolConverter.asUri(editor.document.uri), line: pos.line, character: pos.character }).catch(() => undefined);
  return r?.tags ?? [];
}

interface TagItem extends vscode.QuickPickItem {
  tag?: string;
}

async function pickTag(client: LanguageClient, atCursor: string[]): Promise<string | undefined> {
  if (atCursor.length === 1) return atCursor[0];
  const items: TagItem[] = [];
  if (atCursor.length > 1) {
    items.push({ label: 'At the cursor', kind: vscode.QuickPickItemKind.Separator });
    for (const t of atCursor) items.push({ label: plain(t), tag: t, iconPath: new vscode.ThemeIcon('tag') });
  }
  const [inventory, store] = await Promise.all([
    client.sendRequest(InventoryRequest.type).catch(() => ({ tags: [], profiles: [] })),
    client.sendRequest(StoreStatesRequest.type).catch(() => ({ connected: false, states: [] as StoreTagState[] })),
  ]);
  const storeStates = new Map(store.states.map((s) => [s.tag, s]));
  const inCode = new Set<string>();
  const codeItems: TagItem[] = [];
  for (const t of [...inventory.tags].sort((a, b) => a.tag.localeCompare(b.tag))) {
    if (t.kind !== 'static' || inCode.has(t.tag)) continue;
    inCode.add(t.tag);
    const where = t.declarations[0] ?? t.invalidations[0];
    codeItems.push({
      label: plain(t.tag),
      tag: t.tag,
      iconPath: new vscode.ThemeIcon('tag'),
      description: `${t.declarations.length} declared · ${t.invalidations.length} invalidated${t.profiles.length ? ` · cacheLife ${t.profiles.join(', ')}` : ''}`,
      detail: plain([where ? vscode.workspace.asRelativePath(vscode.Uri.parse(where.uri)) + `:${where.line + 1}` : undefined, store.connected ? `store: ${describeState(storeStates.get(t.tag))}` : undefined].filter(Boolean).join(' — ')) || undefined,
    });
  }
  if (codeItems.length) items.push({ label: 'In code', kind: vscode.QuickPickItemKind.Separator }, ...codeItems);
  const storeOnly = store.states.filter((s) => !inCode.has(s.tag)).sort((a, b) => a.tag.localeCompare(b.tag));
  if (storeOnly.length) {
    items.push({ label: 'In the store only', kind: vscode.QuickPickItemKind.Separator });
    for (const s of storeOnly) items.push({ label: plain(s.tag), tag: s.tag, iconPath: new vscode.ThemeIcon('database'), description: describeState(s) });
  }
  if (!codeItems.length && !storeOnly.length && !atCursor.length) {
    const typed = await vscode.window.showInputBox({ title: 'Tagscope: Invalidate Cache Tag', prompt: 'No tags found in code or in the store. Tag to invalidate:', validateInput: (v) => (v.trim() ? undefined : 'Enter a tag') });
    return typed?.trim() || undefined;
  }
  const picked = await vscode.window.showQuickPick(items, { title: 'Tagscope: Invalidate Cache Tag', placeHolder: 'Tag to invalidate', matchOnDescription: true, matchOnDetail: true });
  return picked?.tag;
}

async function pickMode(client: LanguageClient, tag: string): Promise<{ mode: Mode; profile?: string } | undefined> {
  const modes: (vscode.QuickPickItem & { mode: Mode })[] = [
    { mode: 'stale', label: '$(history) Stale (revalidateTag with profile)', detail: "Serve the cached content once more while it revalidates in the background; expires after the profile's expire time." },
    { mode: 'expire', label: '$(flame) Expire now (updateTag)', detail: 'The next request waits for fresh content.' },
  ];
  const m = await vscode.window.showQuickPick(modes, { title: `Tagscope: Invalidate ${quoted(tag)}`, placeHolder: 'How to invalidate' });
  if (!m) return undefined;
  if (m.mode === 'expire') return { mode: 'expire' };
  const inventory = await client.sendRequest(InventoryRequest.type).catch(() => ({ tags: [], profiles: ['max'] }));
  const declared = new Set(inventory.tags.filter((t) => t.tag === tag).flatMap((t) => t.profiles));
  const names = [...new Set(['max', ...inventory.profiles])];
  const p = await vscode.window.showQuickPick(
    names.map((name) => ({ label: name, description: [name === 'max' ? 'recommended' : '', declared.has(name) ? "the declaring function's cacheLife" : ''].filter(Boolean).join(' · ') || undefined })),
    { title: `Tagscope: Invalidate ${quoted(tag)} (stale)`, placeHolder: 'cacheLife profile (its expire time applies)' },
  );
  return p ? { mode: 'stale', profile: p.label } : undefined;
}

function parseTagArgs(arg: unknown): string[] | undefined {
  if (typeof arg === 'string' && arg) return [arg];
  if (Array.isArray(arg) && arg.length && arg.every((t) => typeof t === 'string' && t)) return arg as string[];
  return undefined; // e.g. a Uri from a context menu
}

export async function invalidateTag(deps: InvalidationDeps, tagArg?: unknown, optionsArg?: unknown): Promise<OperationResult> {
  const client = running(deps);
  if (!client) return { ok: false, error: 'server not running' };
  const given = parseTagArgs(tagArg);
  const opts = optionsArg && typeof optionsArg === 'object' ? (optionsArg as { mode?: Mode; profile?: string }) : undefined;
  if (given && opts?.mode) {
    // Programmatic: no questions asked.
    if (!vscode.workspace.isTrusted) return { ok: false, error: 'Store access is off in untrusted workspaces.' };
    return send(deps, client, { tags: given, mode: opts.mode, profile: opts.profile }, false);
  }
  if (!(await ensureStore(deps))) return { ok: false, error: 'no store' };
  const tag = given ? given[0] : await pickTag(client, await tagsAtCursor(client));
  if (!tag) return { ok: false, error: 'cancelled' };
  const tags = given ?? [tag];
  const how = opts?.mode ? { mode: opts.mode, profile: opts.profile } : await pickMode(client, tag);
  if (!how) return { ok: false, error: 'cancelled' };
  const what = how.mode === 'expire' ? 'expire now (updateTag)' : `mark stale (revalidateTag with profile '${how.profile ?? 'max'}')`;
  const confirm = await vscode.window.showWarningMessage(
    `Invalidate ${tags.map(quoted).join(', ')}?`,
    { modal: true, detail: `This will ${what} in the shared tag store; every running Next.js instance using @tagscope/handler sees it.` },
    'Invalidate',
  );
  if (confirm !== 'Invalidate') return { ok: false, error: 'cancelled' };
  return send(deps, client, { tags, mode: how.mode, profile: how.profile }, true);
}

async function send(deps: InvalidationDeps, client: LanguageClient, params: InvalidateTagParams, interactive: boolean): Promise<OperationResult> {
  const result = await client.sendRequest(InvalidateTagRequest.type, params).catch((e: Error) => ({ ok: false, error: e.message }));
  const names = params.tags.map(quoted).join(', ');
  if (result.ok) {
    deps.log.info(`Invalidated ${names} (${params.mode === 'expire' ? 'expired now' : `stale, profile ${params.profile ?? 'max'}`}).`);
    void vscode.window.showInformationMessage(`Tagscope: ${names} ${params.mode === 'expire' ? 'expired now' : `marked stale (profile '${params.profile ?? 'max'}')`}.`);
  } else {
    const error = plain(result.error ?? 'unknown error', 500);
    deps.log.warn(`Invalidating ${names} failed: ${error}`);
    if (interactive || result.error) void vscode.window.showErrorMessage(`Tagscope: could not invalidate ${names}: ${error}`);
  }
  return result;
}

export async function invalidatePath(deps: InvalidationDeps, pathArg?: unknown, typeArg?: unknown): Promise<OperationResult> {
  const client = running(deps);
  if (!client) return { ok: false, error: 'server not running' };
  const type = typeArg === 'page' || typeArg === 'layout' ? typeArg : undefined;
  if (typeof pathArg === 'string' && pathArg) {
    if (!vscode.workspace.isTrusted) return { ok: false, error: 'Store access is off in untrusted workspaces.' };
    return sendPath(deps, client, pathArg, type, false);
  }
  if (!(await ensureStore(deps))) return { ok: false, error: 'no store' };
  const path = await vscode.window.showInputBox({
    title: 'Tagscope: Invalidate Path',
    prompt: 'Path as revalidatePath takes it, e.g. /blog/hello or the route /blog/[slug]',
    placeHolder: '/blog/[slug]',
    validateInput: (v) => (v.trim().startsWith('/') ? undefined : 'A path starts with "/"'),
  });
  if (!path) return { ok: false, error: 'cancelled' };
  const types: (vscode.QuickPickItem & { type?: 'page' | 'layout' })[] = [
    { label: 'This exact path', description: "revalidatePath(path)", type: undefined },
    { label: 'page', description: "revalidatePath(route, 'page') — every page matching a dynamic route", type: 'page' },
    { label: 'layout', description: "revalidatePath(route, 'layout') — the layout and everything below it", type: 'layout' },
  ];
  const t = await vscode.window.showQuickPick(types, { title: `Tagscope: Invalidate ${plain(path.trim())}`, placeHolder: 'Type' });
  if (!t) return { ok: false, error: 'cancelled' };
  const confirm = await vscode.window.showWarningMessage(`Invalidate path ${quoted(path.trim())}${t.type ? ` (${t.type})` : ''}?`, { modal: true, detail: 'Entries under it expire in the shared tag store for every running Next.js instance.' }, 'Invalidate');
  if (confirm !== 'Invalidate') return { ok: false, error: 'cancelled' };
  return sendPath(deps, client, path.trim(), t.type, true);
}

async function sendPath(deps: InvalidationDeps, client: LanguageClient, path: string, type: 'page' | 'layout' | undefined, interactive: boolean): Promise<OperationResult> {
  const result = await client.sendRequest(InvalidatePathRequest.type, { path, type }).catch((e: Error) => ({ ok: false, error: e.message }));
  const shown = quoted(path);
  if (result.ok) {
    deps.log.info(`Invalidated path ${shown}${type ? ` (${type})` : ''}.`);
    void vscode.window.showInformationMessage(`Tagscope: path ${shown}${type ? ` (${type})` : ''} invalidated.`);
  } else {
    const error = plain(result.error ?? 'unknown error', 500);
    deps.log.warn(`Invalidating path ${shown} failed: ${error}`);
    if (interactive || result.error) void vscode.window.showErrorMessage(`Tagscope: could not invalidate ${shown}: ${error}`);
  }
  return result;
}
