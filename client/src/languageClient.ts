// The language client: starts dist/server.js over IPC, forwards the `tagscope` settings
// (initializationOptions, then workspace/didChangeConfiguration on changes) and logs to one LogOutputChannel.
import * as vscode from 'vscode';
import { DidChangeConfigurationNotification, LanguageClient, RevealOutputChannelOn, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';

export const CLIENT_ID = 'tagscope';

/** The `tagscope` section as a plain JSON object (what the server's readSettings expects). */
export function settingsSnapshot(): unknown {
  return JSON.parse(JSON.stringify(vscode.workspace.getConfiguration('tagscope')));
}

export function createLanguageClient(context: vscode.ExtensionContext, output: vscode.LogOutputChannel): LanguageClient {
  const module = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const languages = ['typescript', 'typescriptreact', 'javascript', 'javascriptreact'];
  const clientOptions: LanguageClientOptions = {
    documentSelector: languages.map((language) => ({ scheme: 'file', language })),
    outputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    progressOnInitialization: true,
    // workspaceTrusted: the server refuses tagscope/connectStore while it is false (defence in
    // depth: the client never sends one in Restricted Mode either).
    initializationOptions: () => ({ settings: settingsSnapshot(), workspaceTrusted: vscode.workspace.isTrusted }),
    // Settings changes are pushed by forwardSettingsChanges() below rather than through
    // `synchronize.configurationSection`: that option also sends the whole section once right
    // after `initialized`, which makes the server index the workspace twice at startup.
  };
  return new LanguageClient(CLIENT_ID, 'Tagscope', serverOptions, clientOptions);
}

/** Settings the server reads (trace.server is the client library's; keyPrefix is the store session's). */
const SERVER_SETTINGS = ['tagscope.rules', 'tagscope.maxFiles', 'tagscope.maxFileSizeKb'];

/** Pushes `workspace/didChangeConfiguration` with the `tagscope` section when a server setting changes. */
export function forwardSettingsChanges(client: () => LanguageClient | undefined): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (!SERVER_SETTINGS.some((s) => e.affectsConfiguration(s))) return;
    const c = client();
    if (c?.isRunning()) void c.sendNotification(DidChangeConfigurationNotification.type, { settings: { tagscope: settingsSnapshot() } }).catch(() => undefined);
  });
}
