// Tagscope for VS Code: the language client, the status item, the store connection and the
// commands. Analysis runs in the language server (dist/server.js); the server also holds the
// only Redis connection. Store access needs a trusted workspace.
import * as vscode from 'vscode';
import { State, type LanguageClient } from 'vscode-languageclient/node';
import { StatusNotification, StoreChangedNotification, type ServerStatus } from '../../server/src/protocol';
import { invalidatePath, invalidateTag, type InvalidationDeps } from './invalidate';
import { createLanguageClient, forwardSettingsChanges } from './languageClient';
import { MENU_COMMAND, StatusItem } from './statusItem';
import { StoreSession } from './store';
import { registerTagPanel, TagPanel } from './panel/tagPanel';

let client: LanguageClient | undefined;

/** What `vscode.extensions.getExtension('tagscope.tagscope').exports` offers other extensions and tests. */
export interface TagscopeApi {
  /** The language server's last status (index figures and store connection; never the URL). */
  status(): ServerStatus | undefined;
}

export async function activate(context: vscode.ExtensionContext): Promise<TagscopeApi> {
  const output = vscode.window.createOutputChannel('Tagscope', { log: true });
  const status = new StatusItem(() => vscode.workspace.isTrusted);
  const store = new StoreSession(context.secrets, () => client, output);
  context.subscriptions.push(output, status, store);

  client = createLanguageClient(context, output);
  context.subscriptions.push(
    client.onDidChangeState((e) => {
      if (e.newState === State.Running) {
        status.setClientState('running');
        store.serverStarted();
      } else if (e.newState === State.Stopped) status.setClientState('stopped');
      else status.setClientState('starting');
    }),
    client.onNotification(StatusNotification.type, (s) => {
      status.update(s);
      // A status follows every re-index and every applied edit: the inventory may have changed.
      TagPanel.notify(s.state === 'ready');
    }),
    client.onNotification(StoreChangedNotification.type, () => {
      status.refresh();
      TagPanel.notify();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      status.refresh();
      TagPanel.notify();
    }),
    forwardSettingsChanges(() => client),
  );

  const deps: InvalidationDeps = {
    client: () => client,
    storeConnected: () => status.current?.store.state === 'connected',
    connect: () => store.connectInteractive(),
    log: output,
  };
  const register = (id: string, fn: (...args: unknown[]) => unknown) => context.subscriptions.push(vscode.commands.registerCommand(id, fn));
  register('tagscope.connectRedis', () => store.connectInteractive());
  register('tagscope.disconnectRedis', () => store.disconnect());
  register('tagscope.invalidateTag', (tag?: unknown, options?: unknown) => invalidateTag(deps, tag, options));
  register('tagscope.invalidatePath', (path?: unknown, type?: unknown) => invalidatePath(deps, path, type));
  register('tagscope.showOutput', () => output.show(true));
  registerTagPanel(context, { client: () => client, storeStatus: () => status.current?.store ?? { state: 'disconnected' }, log: output });
  register('tagscope.restartServer', async () => {
    output.info('Restarting the language server…');
    if (!client) return;
    status.setClientState('starting');
    if (client.needsStart()) await client.start();
    else await client.restart();
  });
  register(MENU_COMMAND, async () => {
    const connected = status.current?.store.state === 'connected';
    const items: (vscode.QuickPickItem & { command: string })[] = [
      ...(vscode.workspace.isTrusted
        ? connected
          ? [
              { label: '$(debug-restart) Invalidate Cache Tag…', command: 'tagscope.invalidateTag' },
              { label: '$(debug-restart) Invalidate Path…', command: 'tagscope.invalidatePath' },
              { label: '$(debug-disconnect) Disconnect from Redis', command: 'tagscope.disconnectRedis' },
            ]
          : [{ label: '$(plug) Connect to Redis…', command: 'tagscope.connectRedis' }]
        : []),
      { label: '$(table) Open Cache Tags Panel', command: 'tagscope.openPanel' },
      { label: '$(output) Show Output', command: 'tagscope.showOutput' },
      { label: '$(refresh) Restart Language Server', command: 'tagscope.restartServer' },
    ];
    const picked = await vscode.window.showQuickPick(items, { title: 'Tagscope' });
    if (picked) await vscode.commands.executeCommand(picked.command);
  });

  output.info(`Tagscope ${context.extension.packageJSON.version} activating (workspace ${vscode.workspace.isTrusted ? 'trusted' : 'untrusted: tag store off'}).`);
  try {
    await client.start();
  } catch (e) {
    output.error(`The language server failed to start: ${(e as Error).message}`);
    status.setClientState('stopped');
  }
  return { status: () => status.current };
}

export async function deactivate(): Promise<void> {
  const c = client;
  client = undefined;
  if (c?.needsStop()) await c.stop(5000).catch(() => undefined);
}
