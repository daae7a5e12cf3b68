// The panel's UI in the webview (browser). Every string from the store or the code is set
// with textContent — never parsed as HTML — because tag names in Redis can be hostile.
// Rows are virtualised so thousands of tags stay fast.
import type { HostToPanel, PanelRow, PanelTagState, PanelToHost, StoreStatus } from '../../../server/src/protocol';

declare function acquireVsCodeApi(): { postMessage(m: PanelToHost): void; getState(): unknown; setState(s: unknown): void };
const vscode = acquireVsCodeApi();

type SortKey = 'tag' | 'state' | 'last' | 'stale' | 'expired' | 'decl' | 'inv';
interface ViewState {
  filter: string;
  stateFilter: PanelTagState | 'all';
  sort: SortKey;
  desc: boolean;
  profile: string;
}

const saved = (vscode.getState() ?? {}) as Partial<ViewState>;
const view: ViewState = { filter: saved.filter ?? '', stateFilter: saved.stateFilter ?? 'all', sort: saved.sort ?? 'tag', desc: saved.desc ?? false, profile: saved.profile ?? 'max' };
let rows: PanelRow[] = [];
let shown: PanelRow[] = [];
let store: StoreStatus = { state: 'disconnected' };
let trusted = true;
let profiles: string[] = ['max'];
let clockSkew = 0; // host now - webview now
let focusIndex = 0;
const ROW_H = 28;

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> & { className?: string } = {}, ...children: (Node | string)[]) => {
  const e = document.createElement(tag);
  Object.assign(e, props);
  for (const c of children) e.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return e;
};
const icon = (name: string) => el('span', { className: `codicon codicon-${name}`, ariaHidden: 'true' } as Partial<HTMLSpanElement>);

// ---- layout --------------------------------------------------------------------------------
const app = document.getElementById('app')!;
const banner = el('div', { className: 'banner', role: 'status' } as Partial<HTMLDivElement>);
const filterInput = el('input', { type: 'search', placeholder: 'Filter tags', value: view.filter, ariaLabel: 'Filter tags' } as Partial<HTMLInputElement>);
const stateSelect = el('select', { ariaLabel: 'State' } as Partial<HTMLSelectElement>);
for (const [v, label] of [['all', 'All states'], ['fresh', 'Fresh'], ['stale', 'Stale'], ['expired', 'Expired'], ['never', 'Never invalidated']]) stateSelect.append(el('option', { value: v }, label));
stateSelect.value = view.stateFilter;
const profileSelect = el('select', { ariaLabel: 'Profile for stale invalidation', title: 'cacheLife profile used by "Mark stale"' } as Partial<HTMLSelectElement>);
const pathInput = el('input', { type: 'text', placeholder: '/blog/[slug]', ariaLabel: 'Path to invalidate' } as Partial<HTMLInputElement>);
const pathType = el('select', { ariaLabel: 'Path type' } as Partial<HTMLSelectElement>);
for (const [v, label] of [['', 'URL path'], ['page', 'page'], ['layout', 'layout']]) pathType.append(el('option', { value: v }, label));
const pathButton = el('button', { className: 'secondary', title: 'revalidatePath on every instance' } as Partial<HTMLButtonElement>, icon('debug-restart'), ' Invalidate path');
const refresh = el('button', { className: 'icon', title: 'Refresh', ariaLabel: 'Refresh' } as Partial<HTMLButtonElement>, icon('refresh'));
const count = el('span', { className: 'count' });
const toolbar = el('div', { className: 'toolbar' }, icon('search'), filterInput, stateSelect, el('label', { className: 'inline' }, 'Profile ', profileSelect), count, refresh);
const pathBar = el('div', { className: 'toolbar path' }, pathInput, pathType, pathButton);

const COLUMNS: Array<{ key: SortKey; label: string; cls: string }> = [
  { key: 'tag', label: 'Tag', cls: 'c-tag' },
  { key: 'state', label: 'State', cls: 'c-state' },
  { key: 'last', label: 'Last invalidated', cls: 'c-time' },
  { key: 'stale', label: 'Stale since', cls: 'c-time' },
  { key: 'expired', label: 'Expires at', cls: 'c-time' },
  { key: 'decl', label: 'Decl.', cls: 'c-num' },
  { key: 'inv', label: 'Inv.', cls: 'c-num' },
];
const header = el('div', { className: 'row header', role: 'row' } as Partial<HTMLDivElement>);
for (const c of COLUMNS) {
  const h = el('div', { className: `cell ${c.cls} sortable`, role: 'columnheader', tabIndex: 0 } as Partial<HTMLDivElement>, c.label);
  h.dataset.key = c.key;
  header.append(h);
}
header.append(el('div', { className: 'cell c-actions', role: 'columnheader' } as Partial<HTMLDivElement>, 'Actions'));
const viewport = el('div', { className: 'viewport', role: 'rowgroup', tabIndex: 0 } as Partial<HTMLDivElement>);
const spacer = el('div', { className: 'spacer' });
const body = el('div', { className: 'body' });
viewport.append(spacer, body);
const table = el('div', { className: 'table', role: 'grid', ariaLabel: 'Cache tags' } as Partial<HTMLDivElement>, header, viewport);
const empty = el('div', { className: 'empty' });
const toast = el('div', { className: 'toast', role: 'alert' } as Partial<HTMLDivElement>);
app.append(banner, toolbar, pathBar, table, empty, toast);

// ---- formatting ------------------------------------------------------------------------------
const now = () => Date.now() + clockSkew;
function rel(ms: number): string {
  const d = Math.round((now() - ms) / 1000);
  const a = Math.abs(d);
  const t = a < 60 ? `${a} s` : a < 3600 ? `${Math.round(a / 60)} min` : a < 86400 ? `${Math.round(a / 3600)} h` : `${Math.round(a / 86400)} d`;
  return d >= 0 ? `${t} ago` : `in ${t}`;
}
function abs(ms: number): string {
  return new Date(ms).toLocaleString();
}
function lastOf(r: PanelRow): number | undefined {
  const past = [r.stale, r.expired].filter((x): x is number => x !== undefined && x <= now());
  return past.length ? Math.max(...past) : undefined;
}
function liveState(r: PanelRow): PanelTagState {
  if (r.state === 'never') return 'never';
  if (r.expired !== undefined && r.expired <= now()) return 'expired';
  if (r.stale !== undefined && r.stale <= now()) return 'stale';
  return 'fresh';
}
const STATE_LABEL: Record<PanelTagState, string> = { fresh: 'fresh', stale: 'stale', expired: 'expired', never: 'never invalidated' };

// ---- rendering --------------------------------------------------------------------------------
function timeCell(ms: number | undefined, cls: string): HTMLElement {
  const c = el('div', { className: `cell ${cls}`, role: 'gridcell' } as Partial<HTMLDivElement>);
  if (ms === undefined) c.textContent = '—';
  else {
    c.textContent = rel(ms);
    c.title = abs(ms);
  }
  return c;
}

function siteButton(r: PanelRow, which: 'declarations' | 'invalidations'): HTMLElement {
  const list = r[which];
  const c = el('div', { className: 'cell c-num', role: 'gridcell' } as Partial<HTMLDivElement>);
  const b = el('button', { className: 'link', title: list.length ? `Open the first of ${list.length} ${which}` : `No ${which} in code` } as Partial<HTMLButtonElement>, String(list.length));
  b.disabled = list.length === 0;
  b.addEventListener('click', () => {
    const s = list[0];
    if (s) vscode.postMessage({ type: 'open', uri: s.uri, line: s.line, character: s.character });
  });
  c.append(b);
  return c;
}

function renderRow(r: PanelRow, index: number): HTMLElement {
  const state = liveState(r);
  const row = el('div', { className: `row state-${state}${index === focusIndex ? ' focused' : ''}`, role: 'row', tabIndex: -1 } as Partial<HTMLDivElement>);
  row.style.top = `${index * ROW_H}px`;
  row.dataset.index = String(index);
  const tag = el('div', { className: 'cell c-tag', role: 'gridcell', title: r.tag } as Partial<HTMLDivElement>);
  tag.append(icon(r.kind === 'pattern' ? 'symbol-variable' : r.route ? 'file' : 'tag'), el('span', { className: 'tagtext' }, r.tag));
  if (r.route) tag.append(el('span', { className: 'route' }, ` route ${r.route}`));
  const badge = el('div', { className: 'cell c-state', role: 'gridcell' } as Partial<HTMLDivElement>, el('span', { className: `badge ${state}` }, STATE_LABEL[state]));
  const actions = el('div', { className: 'cell c-actions', role: 'gridcell' } as Partial<HTMLDivElement>);
  const canAct = r.kind === 'static' && trusted && store.state === 'connected';
  const stale = el('button', { className: 'icon', title: `Mark stale (revalidateTag with '${view.profile}')`, ariaLabel: `Mark ${r.tag} stale` } as Partial<HTMLButtonElement>, icon('history'));
  const expire = el('button', { className: 'icon', title: 'Expire now (updateTag)', ariaLabel: `Expire ${r.tag} now` } as Partial<HTMLButtonElement>, icon('trash'));
  stale.disabled = expire.disabled = !canAct;
  stale.addEventListener('click', () => vscode.postMessage({ type: 'invalidateTag', tag: r.tag, mode: 'stale', profile: view.profile }));
  expire.addEventListener('click', () => vscode.postMessage({ type: 'invalidateTag', tag: r.tag, mode: 'expire' }));
  actions.append(stale, expire);
  row.append(tag, badge, timeCell(lastOf(r), 'c-time'), timeCell(r.stale, 'c-time'), timeCell(r.expired, 'c-time'), siteButton(r, 'declarations'), siteButton(r, 'invalidations'), actions);
  return row;
}

function renderVisible(): void {
  const top = viewport.scrollTop;
  const height = viewport.clientHeight || 600;
  const first = Math.max(0, Math.floor(top / ROW_H) - 10);
  const last = Math.min(shown.length, Math.ceil((top + height) / ROW_H) + 10);
  body.replaceChildren(...shown.slice(first, last).map((r, i) => renderRow(r, first + i)));
}

function sortValue(r: PanelRow, k: SortKey): string | number {
  switch (k) {
    case 'tag':
      return r.tag;
    case 'state':
      return ['expired', 'stale', 'fresh', 'never'].indexOf(liveState(r));
    case 'last':
      return lastOf(r) ?? -1;
    case 'stale':
      return r.stale ?? -1;
    case 'expired':
      return r.expired ?? -1;
    case 'decl':
      return r.declarations.length;
    case 'inv':
      return r.invalidations.length;
  }
}

function render(): void {
  vscode.setState(view);
  const q = view.filter.toLowerCase();
  shown = rows.filter((r) => (!q || r.tag.toLowerCase().includes(q) || (r.route ?? '').toLowerCase().includes(q)) && (view.stateFilter === 'all' || liveState(r) === view.stateFilter));
  shown.sort((a, b) => {
    const x = sortValue(a, view.sort);
    const y = sortValue(b, view.sort);
    const c = x < y ? -1 : x > y ? 1 : a.tag < b.tag ? -1 : 1;
    return view.desc ? -c : c;
  });
  focusIndex = Math.min(focusIndex, Math.max(0, shown.length - 1));
  for (const h of header.querySelectorAll<HTMLElement>('.sortable')) {
    h.ariaSort = h.dataset.key === view.sort ? (view.desc ? 'descending' : 'ascending') : 'none';
    h.classList.toggle('sorted', h.dataset.key === view.sort);
  }
  spacer.style.height = `${shown.length * ROW_H}px`;
  count.textContent = `${shown.length} of ${rows.length}`;
  // Connection state and errors, always visible.
  banner.className = `banner ${store.state}`;
  banner.replaceChildren();
  if (!trusted) banner.append(icon('shield'), ' Restricted mode: the tag store is off in untrusted workspaces. Code tags are still shown.');
  else if (store.state === 'connected') banner.append(icon('database'), ` Connected to ${store.label ?? 'the tag store'}`, el('span', { className: 'muted' }, ` · ${store.stale ?? 0} stale · ${store.expired ?? 0} expired`));
  else if (store.state === 'error') banner.append(icon('error'), ` Store error: ${store.error ?? 'unknown'} `, connectButton('Reconnect'));
  else if (store.state === 'connecting') banner.append(icon('loading'), ' Connecting…');
  else banner.append(icon('debug-disconnect'), ' No store connected: tag states are unknown. ', connectButton('Connect to Redis'));
  // Empty states say what to do.
  empty.replaceChildren();
  table.hidden = shown.length === 0;
  if (rows.length === 0) empty.append(el('p', {}, 'No cache tags found. Tags appear here when code calls cacheTag(), fetch(…, { next: { tags } }) or unstable_cache, or when a connected store knows them.'));
  else if (shown.length === 0) empty.append(el('p', {}, 'No tag matches the filter.'));
  pathButton.disabled = !(trusted && store.state === 'connected');
  renderVisible();
}

function connectButton(label: string): HTMLElement {
  const b = el('button', { className: 'secondary' }, label);
  b.addEventListener('click', () => vscode.postMessage({ type: 'connect' }));
  return b;
}

// ---- events ----------------------------------------------------------------------------------
filterInput.addEventListener('input', () => {
  view.filter = filterInput.value;
  render();
});
stateSelect.addEventListener('change', () => {
  view.stateFilter = stateSelect.value as ViewState['stateFilter'];
  render();
});
profileSelect.addEventListener('change', () => {
  view.profile = profileSelect.value;
  render();
});
refresh.addEventListener('click', () => vscode.postMessage({ type: 'refresh' }));
pathButton.addEventListener('click', () => {
  const p = pathInput.value.trim();
  if (!p.startsWith('/')) return showToast('A path starts with "/".');
  vscode.postMessage({ type: 'invalidatePath', path: p, pathType: (pathType.value || undefined) as 'page' | 'layout' | undefined });
});
header.addEventListener('click', (e) => sortBy((e.target as HTMLElement).closest<HTMLElement>('.sortable')));
header.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault();
    sortBy((e.target as HTMLElement).closest<HTMLElement>('.sortable'));
  }
});
function sortBy(h: HTMLElement | null) {
  const key = h?.dataset.key as SortKey | undefined;
  if (!key) return;
  view.desc = view.sort === key ? !view.desc : false;
  view.sort = key;
  render();
}
viewport.addEventListener('scroll', () => renderVisible());
viewport.addEventListener('keydown', (e) => {
  if (!shown.length) return;
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp' || e.key === 'Home' || e.key === 'End' || e.key === 'PageDown' || e.key === 'PageUp') {
    e.preventDefault();
    const page = Math.max(1, Math.floor(viewport.clientHeight / ROW_H) - 1);
    focusIndex = e.key === 'Home' ? 0 : e.key === 'End' ? shown.length - 1 : Math.max(0, Math.min(shown.length - 1, focusIndex + (e.key === 'ArrowDown' ? 1 : e.key === 'ArrowUp' ? -1 : e.key === 'PageDown' ? page : -page)));
    const top = focusIndex * ROW_H;
    if (top < viewport.scrollTop) viewport.scrollTop = top;
    else if (top + ROW_H > viewport.scrollTop + viewport.clientHeight) viewport.scrollTop = top + ROW_H - viewport.clientHeight;
    renderVisible();
  } else if (e.key === 'Enter') {
    const s = shown[focusIndex]?.declarations[0] ?? shown[focusIndex]?.invalidations[0];
    if (s) vscode.postMessage({ type: 'open', uri: s.uri, line: s.line, character: s.character });
  }
});

let toastTimer: ReturnType<typeof setTimeout> | undefined;
function showToast(text: string) {
  toast.textContent = text;
  toast.classList.add('visible');
  if (toastTimer) clearTimeout(toastTimer);
  toastTimer = setTimeout(() => toast.classList.remove('visible'), 4000);
}

window.addEventListener('message', (e: MessageEvent<HostToPanel>) => {
  const m = e.data;
  if (!m || typeof m !== 'object') return;
  if (m.type === 'snapshot') {
    rows = Array.isArray(m.rows) ? m.rows : [];
    store = m.store;
    trusted = m.trusted;
    clockSkew = m.now - Date.now();
    profiles = m.profiles?.length ? m.profiles : ['max'];
    if (!profiles.includes(view.profile)) view.profile = profiles.includes('max') ? 'max' : profiles[0];
    profileSelect.replaceChildren(...profiles.map((p) => el('option', { value: p }, p)));
    profileSelect.value = view.profile;
    render();
  } else if (m.type === 'result') showToast(m.message);
});

setInterval(() => renderVisible(), 1000); // relative times stay current
render();
vscode.postMessage({ type: 'ready' });
