// The Redis URL: typed once per workspace, kept in SecretStorage (never in settings, argv, env or
// logs) and handed to the language server, which holds the only connection (ConnectStoreRequest).
import { createHash } from 'node:crypto';
import * as vscode from 'vscode';
import { Trace, type LanguageClient } from 'vscode-languageclient/node';
import { validateRedisUrl } from './redisUrl';
import { plain } from './text';
import { ConnectStoreRequest, DisconnectStoreRequest, WorkspaceTrustedNotification, type OperationResult } from '../../server/src/protocol';

/**
 * One URL per workspace (a window of project A must never auto-connect to project B's store and
 * invalidate tags there): the secret key carries a hash of the workspace's identity.
 */
export function secretKey(): string {
  const id = vscode.workspace.workspaceFile?.toString() ?? vscode.workspace.workspaceFolders?.[0]?.uri.toString() ?? 'no-workspace';
  return `tagscope.redis.url/${createHash('sha256').update(id).digest('hex').slice(0, 16)}`;
}
const UNTRUSTED = 'Tagscope: the tag store is off in untrusted workspaces. Trust this workspace to connect to Redis.';


/**
 * Runs fn with the LSP message trace off. A verbose (or JSON-format) trace — `tagscope.trace.server`
 * with the output's log level at Trace — logs request params, and ConnectStoreRequest's params are
 * the Redis URL. The client library keeps the current level in a private field; it is restored after.
 */
async function untraced<T>(client: LanguageClient, fn: () => Promise<T>): Promise<T> {
  const saved = (client as unknown as { _trace?: unknown })._trace;
  // Should the private field ever move, fall back to the setting rather than trace the URL.
  const configured = vscode.workspace.getConfiguration('tagscope').get<string>('trace.server', 'off');
  const restore = typeof saved === 'number' ? (saved as Trace) : Trace.fromString(configured);
  const tracing = restore !== Trace.Off;
  if (tracing) await client.setTrace(Trace.Off);
  try {
    return await fn();
  } finally {
    if (tracing) await client.setTrace(restore).catch(() => undefined);
  }
}

export class StoreSession implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  /** The URL last sent to the running server (to skip duplicate connects); memory only. */
  private sent?: { url: string; keyPrefix: string };

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly client: () => LanguageClient | undefined,
    private readonly log: vscode.LogOutputChannel,
  ) {
    // Another window connected or disconnected: follow it.
    this.disposables.push(
      secrets.onDidChange((e) => {
        if (e.key === secretKey()) void this.syncFromSecret();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => void this.trustGranted()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('tagscope.redis.keyPrefix') && this.sent) void this.syncFromSecret(true);
      }),
    );
  }

  private keyPrefix(): string {
    return vscode.workspace.getConfiguration('tagscope').get<string>('redis.keyPrefix') || 'tagscope';
  }

  /** Trust granted: the server learns it first (it refuses connectStore until then), then connect. */
  private async trustGranted(): Promise<void> {
    const client = this.client();
    if (client?.isRunning()) await client.sendNotification(WorkspaceTrustedNotification.type).catch(() => undefined);
    await this.syncFromSecret();
  }

  /** The server (re)started: it has no connection, so send the stored URL again. */
  serverStarted(): void {
    this.sent = undefined;
    void this.syncFromSecret();
  }

  /** Connects with the stored URL when there is one and the workspace is trusted. */
  async syncFromSecret(force = false): Promise<void> {
    if (!vscode.workspace.isTrusted) return;
    const client = this.client();
    if (!client?.isRunning()) return;
    const url = await this.secrets.get(secretKey());
    if (!url) {
      if (this.sent) {
        this.sent = undefined;
        await client.sendRequest(DisconnectStoreRequest.type).catch(() => undefined);
      }
      return;
    }
    const keyPrefix = this.keyPrefix();
    if (!force && this.sent && this.sent.url === url && this.sent.keyPrefix === keyPrefix) return;
    const result = await this.send(url, keyPrefix);
    if (!result.ok) this.log.warn(`Could not reconnect to the tag store: ${plain(result.error ?? 'unknown error', 500)}`);
  }

  private async send(url: string, keyPrefix: string): Promise<OperationResult> {
    const client = this.client();
    if (!client?.isRunning()) return { ok: false, error: 'The Tagscope language server is not running.' };
    this.sent = { url, keyPrefix };
    try {
      const result = await untraced(client, () => client.sendRequest(ConnectStoreRequest.type, { url, keyPrefix }));
      if (!result.ok) this.sent = undefined;
      return result;
    } catch (e) {
      this.sent = undefined;
      return { ok: false, error: (e as Error).message };
    }
  }

  /** Command: ask for the URL (masked), connect, and keep it in SecretStorage once it works. */
  async connectInteractive(): Promise<OperationResult> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(UNTRUSTED);
      return { ok: false, error: 'untrusted workspace' };
    }
    const url = await vscode.window.showInputBox({
      title: 'Tagscope: Connect to Redis',
      prompt: `Redis URL of the tag store (key prefix "${this.keyPrefix()}", setting tagscope.redis.keyPrefix). Kept in VS Code's secret storage, never in settings.`,
      placeHolder: 'redis://user:password@host:6379',
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) => validateRedisUrl(v),
    });
    if (url === undefined) return { ok: false, error: 'cancelled' };
    const trimmed = url.trim();
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Tagscope: connecting to Redis…' }, () => this.send(trimmed, this.keyPrefix()));
    if (result.ok) {
      await this.secrets.store(secretKey(), trimmed);
      void vscode.window.showInformationMessage('Tagscope: connected to the tag store. The URL is kept in secret storage; this workspace reconnects automatically.');
    } else {
      const again = await vscode.window.showErrorMessage(`Tagscope: could not connect to Redis: ${plain(result.error ?? 'unknown error', 500)}`, 'Try Again');
      if (again) return this.connectInteractive();
    }
    return result;
  }

  /** Command: forget the URL and drop the server's connection. */
  async disconnect(): Promise<OperationResult> {
    await this.secrets.delete(secretKey());
    this.sent = undefined;
    const client = this.client();
    const result = client?.isRunning() ? await client.sendRequest(DisconnectStoreRequest.type).catch((e: Error) => ({ ok: false, error: e.message })) : { ok: true };
    void vscode.window.showInformationMessage('Tagscope: disconnected from the tag store; the Redis URL was removed from secret storage.');
    return result;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
