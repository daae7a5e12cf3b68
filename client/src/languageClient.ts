// The language client: starts dist/server.js over IPC, forwards the `tagscope` settings
// (initializationOptions + workspace/didChangeConfiguration) and logs to one LogOutputChannel.
import * as vscode from 'vscode';
import { LanguageClient, RevealOutputChannelOn, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';

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
    initializationOptions: () => ({ settings: settingsSnapshot() }),
    synchronize: { configurationSection: 'tagscope' },
  };
  return new LanguageClient(CLIENT_ID, 'Tagscope', serverOptions, clientOptions);
}
