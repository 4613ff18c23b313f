import { startStdioServer } from '../../lsp/server.js';

/** `schedcheck lsp`: the language server on stdin and stdout; it runs until the client sends `exit`. */
export async function lspCommand(): Promise<number> {
  startStdioServer();
  return new Promise<number>(() => {
    // never settles: the server ends the process when the client says exit
  });
}
