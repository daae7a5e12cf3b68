// The status bar item: apps indexed, tags found and the store connection, from the server's
// tagscope/status notification. Clicking it opens a small menu of the Tagscope commands.
import * as vscode from 'vscode';
import type { ServerStatus } from '../../server/src/protocol';

export const MENU_COMMAND = 'tagscope.statusMenu';

const plural = (n: number, one: string, many = one + 's') => `${n} ${n === 1 ? one : many}`;

export class StatusItem implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private status?: ServerStatus;
  private clientState: 'starting' | 'running' | 'stopped' = 'starting';

  constructor(private readonly trusted: () => boolean) {
    this.item = vscode.window.createStatusBarItem('tagscope.status', vscode.StatusBarAlignment.Left, 10);
    this.item.name = 'Tagscope';
    this.item.command = MENU_COMMAND;
    this.render();
    this.item.show();
  }

  get current(): ServerStatus | undefined {
    return this.status;
  }

  update(status: ServerStatus): void {
    this.status = status;
    this.render();
  }

  setClientState(state: 'starting' | 'running' | 'stopped'): void {
    // A (re)started server knows nothing yet: drop the old figures until it reports.
    if (state !== 'running') this.status = undefined;
    this.clientState = state;
    this.render();
  }

  refresh(): void {
    this.render();
  }

  private render(): void {
    const s = this.status;
    const item = this.item;
    item.backgroundColor = undefined;
    item.accessibilityInformation = undefined;
    if (this.clientState === 'stopped') {
      item.text = '$(circle-slash) Tagscope';
      item.tooltip = 'The Tagscope language server is not running. Click for actions (restart, output).';
      item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
      return;
    }
    if (!s || s.state === 'starting' || s.state === 'indexing') {
      item.text = '$(sync~spin) Tagscope';
      item.tooltip = 'Tagscope: indexing cache tags…';
      return;
    }
    const store = s.store;
    const storeText =
      store.state === 'connected' ? '$(database) Redis' : store.state === 'connecting' ? '$(sync~spin) Redis' : store.state === 'error' ? '$(warning) Redis' : '';
    const index = `${plural(s.apps, 'app')} · ${plural(s.tags, 'tag')}`;
    item.text = s.state === 'error' ? `$(error) Tagscope` : `$(tag) Tagscope: ${index}${storeText ? ' · ' + storeText : ''}`;
    const storeWords = !this.trusted() ? 'tag store off in Restricted Mode' : store.state === 'connected' ? 'Redis connected' : store.state === 'error' ? 'Redis connection failed' : store.state === 'connecting' ? 'connecting to Redis' : 'Redis not connected';
    item.accessibilityInformation = { label: s.state === 'error' ? 'Tagscope: indexing failed' : `Tagscope: ${plural(s.apps, 'app')} indexed, ${plural(s.tags, 'tag')}, ${storeWords}` };
    if (s.state === 'error' || store.state === 'error') item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');

    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = { enabledCommands: ['tagscope.connectRedis', 'tagscope.disconnectRedis', 'tagscope.showOutput', 'tagscope.invalidateTag', 'tagscope.restartServer'] };
    md.appendMarkdown(`**Tagscope** — ${s.state === 'error' ? 'indexing failed' : 'ready'}\n\n`);
    if (s.message) md.appendText(s.message + '\n\n');
    md.appendMarkdown(`${plural(s.apps, 'Next app')} indexed, ${plural(s.files, 'file')}, ${plural(s.tags, 'tag')}${s.durationMs !== undefined ? ` (${s.durationMs} ms)` : ''}\n\n`);
    if (!this.trusted()) {
      md.appendMarkdown('Tag store: off in untrusted workspaces\n\n');
    } else if (store.state === 'connected') {
      md.appendMarkdown(`Tag store: connected to `);
      md.appendText(store.label ?? 'Redis');
      md.appendMarkdown(`${store.stale || store.expired ? ` — ${store.stale ?? 0} stale, ${store.expired ?? 0} expired` : ''}\n\n`);
      md.appendMarkdown('[Invalidate a tag…](command:tagscope.invalidateTag) · [Disconnect](command:tagscope.disconnectRedis)\n\n');
    } else if (store.state === 'error') {
      md.appendMarkdown('Tag store: **error** — ');
      md.appendText(`${store.label ? store.label + ': ' : ''}${store.error ?? 'unknown error'}`);
      md.appendMarkdown('\n\n[Connect to Redis…](command:tagscope.connectRedis)\n\n');
    } else if (store.state === 'connecting') {
      md.appendMarkdown('Tag store: connecting…\n\n');
    } else {
      md.appendMarkdown('Tag store: not connected — [Connect to Redis…](command:tagscope.connectRedis)\n\n');
    }
    md.appendMarkdown('[Show output](command:tagscope.showOutput)');
    item.tooltip = md;
  }

  dispose(): void {
    this.item.dispose();
  }
}
