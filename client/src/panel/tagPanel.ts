// The live tag panel (webview host): one panel, restored after a reload, fed by the language
// server's inventory and the shared store's states, updated live from store notifications.
// Actions go through the same commands as the palette, after a confirmation here.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { InventoryRequest, StoreChangedNotification, StoreStatesRequest, type HostToPanel, type InventoryResult, type StoreStatus, type StoreTagState } from '../../../server/src/protocol';
import { plain, quoted } from '../text';
import { panelHtml } from './html';
import { parsePanelMessage } from './messages';
import { buildRows } from './rows';

export const PANEL_VIEW_TYPE = 'tagscope.panel';

export interface PanelDeps {
  client: () => LanguageClient | undefined;
  storeStatus: () => StoreStatus;
  log: vscode.LogOutputChannel;
}

export class TagPanel implements vscode.Disposable {
  private static current?: TagPanel;
  private readonly disposables: vscode.Disposable[] = [];
  private pending?: NodeJS.Timeout;
  private inventory?: InventoryResult;
  private inventoryAt = 0;

  static show(context: vscode.ExtensionContext, deps: PanelDeps): TagPanel {
    if (TagPanel.current) {
      TagPanel.current.panel.reveal();
      return TagPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, 'Cache Tags', vscode.ViewColumn.Active, webviewOptions(context));
    return (TagPanel.current = new TagPanel(panel, context, deps));
  }

  static restore(panel: vscode.WebviewPanel, context: vscode.ExtensionContext, deps: PanelDeps): TagPanel {
    panel.webview.options = webviewOptions(context);
    TagPanel.current?.dispose();
    return (TagPanel.current = new TagPanel(panel, context, deps));
  }

  /** Store or status changed: refresh soon (bursts of notifications are coalesced). */
  static notify(invalidateInventory = false): void {
    const p = TagPanel.current;
    if (!p) return;
    if (invalidateInventory) p.inventoryAt = 0;
    p.schedule();
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly context: vscode.ExtensionContext,
    private readonly deps: PanelDeps,
  ) {
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'icon.png');
    panel.webview.html = this.html();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((raw) => this.onMessage(raw)),
      panel.onDidChangeViewState(() => panel.visible && this.schedule()),
    );
    const client = deps.client();
    if (client) this.disposables.push(client.onNotification(StoreChangedNotification.type, () => this.schedule()));
    // Relative times and the polling fallback: a cheap refresh while visible.
    const ms = Math.max(500, vscode.workspace.getConfiguration('tagscope').get<number>('refreshIntervalMs', 2000));
    const timer = setInterval(() => this.panel.visible && this.schedule(), ms);
    this.disposables.push({ dispose: () => clearInterval(timer) });
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      void this.sendSnapshot();
    }, 50);
  }

  private async sendSnapshot(): Promise<void> {
    const client = this.deps.client();
    const trusted = vscode.workspace.isTrusted;
    let states: StoreTagState[] | undefined;
    try {
      if (client?.isRunning()) {
        if (!this.inventory || Date.now() - this.inventoryAt > 5000) {
          this.inventory = await client.sendRequest(InventoryRequest.type);
          this.inventoryAt = Date.now();
        }
        if (trusted) {
          const r = await client.sendRequest(StoreStatesRequest.type);
          states = r.connected ? r.states : undefined;
        }
      }
    } catch (e) {
      this.deps.log.warn(`panel refresh failed: ${plain((e as Error).message, 500)}`);
    }
    const now = Date.now();
    const msg: HostToPanel = {
      type: 'snapshot',
      rows: buildRows(this.inventory?.tags ?? [], states, now),
      store: trusted ? this.deps.storeStatus() : { state: 'disabled' },
      trusted,
      profiles: this.inventory?.profiles ?? ['max'],
      now,
    };
    await this.panel.webview.postMessage(msg);
  }

  private async onMessage(raw: unknown): Promise<void> {
    const m = parsePanelMessage(raw);
    if (!m) {
      this.deps.log.warn('panel: ignored an invalid message from the webview');
      return;
    }
    switch (m.type) {
      case 'ready':
      case 'refresh':
        this.inventoryAt = m.type === 'refresh' ? 0 : this.inventoryAt;
        return this.sendSnapshot();
      case 'connect':
        await vscode.commands.executeCommand('tagscope.connectRedis');
        return this.sendSnapshot();
      case 'open': {
        const pos = new vscode.Position(m.line, m.character);
        await vscode.window.showTextDocument(vscode.Uri.parse(m.uri), { selection: new vscode.Range(pos, pos), viewColumn: vscode.ViewColumn.Beside });
        return;
      }
      case 'invalidateTag': {
        const what = m.mode === 'expire' ? `Expire ${quoted(m.tag)} now (updateTag)?` : `Mark ${quoted(m.tag)} stale with profile '${m.profile ?? 'max'}' (revalidateTag)?`;
        const ok = await vscode.window.showWarningMessage(what, { modal: true, detail: 'Every Next.js instance using this store will see it on its next request.' }, 'Invalidate');
        if (ok !== 'Invalidate') return;
        await vscode.commands.executeCommand('tagscope.invalidateTag', m.tag, { mode: m.mode, profile: m.profile });
        return this.sendSnapshot();
      }
      case 'invalidatePath': {
        const ok = await vscode.window.showWarningMessage(`Invalidate path ${quoted(m.path)}${m.pathType ? ` (${m.pathType})` : ''}?`, { modal: true, detail: 'This expires the implicit tags Next.js computes for the path (revalidatePath).' }, 'Invalidate');
        if (ok !== 'Invalidate') return;
        await vscode.commands.executeCommand('tagscope.invalidatePath', m.path, m.pathType);
        return this.sendSnapshot();
      }
    }
  }

  private html(): string {
    const webview = this.panel.webview;
    return panelHtml({ cspSource: webview.cspSource, asset: (f) => webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'webview', f)).toString() });
  }

  dispose(): void {
    if (TagPanel.current === this) TagPanel.current = undefined;
    if (this.pending) clearTimeout(this.pending);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}

function webviewOptions(context: vscode.ExtensionContext): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return { enableScripts: true, retainContextWhenHidden: false, localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview')] };
}

/** Registers the command and the serializer that restores the panel after a window reload. */
export function registerTagPanel(context: vscode.ExtensionContext, deps: PanelDeps): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('tagscope.openPanel', () => TagPanel.show(context, deps)),
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel) => {
        TagPanel.restore(panel, context, deps);
      },
    }),
  );
}
