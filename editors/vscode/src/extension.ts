// The VS Code client: starts `schedcheck lsp` for .sched files and lets vscode-languageclient speak to it
// over stdio. Everything the editor shows (diagnostics, hover, definitions, completion) comes from the server.

import { workspace, type ExtensionContext } from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';

let client: LanguageClient | undefined;

export async function activate(context: ExtensionContext): Promise<void> {
  const command = workspace.getConfiguration('schedcheck').get<string>('path', 'schedcheck');
  const run = { command, args: ['lsp'], transport: TransportKind.stdio };
  const serverOptions: ServerOptions = { run, debug: run };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: 'sched' }],
    synchronize: { fileEvents: workspace.createFileSystemWatcher('**/*.sched') },
  };
  client = new LanguageClient('schedcheck', 'schedcheck', serverOptions, clientOptions);
  context.subscriptions.push(client);
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
