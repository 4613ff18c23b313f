// `schedcheck lsp` driven as an editor drives it: the real command in a child process, JSON-RPC messages with
// Content-Length headers on its stdin and stdout. One server for the file, one document opened, edited and
// asked about.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, loadModelFromText } from '../../src/lang/load.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const FILE = join(ROOT, 'test/lsp/broken.sched');
const URI = pathToFileURL(FILE).href;
const TEXT = readFileSync(FILE, 'utf8');

interface Message {
  id?: number;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: unknown;
}

/** A JSON-RPC client over a child's stdio, framed as the Language Server Protocol frames it. */
class Client {
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly replies = new Map<number, (m: Message) => void>();
  private readonly notifications: Message[] = [];
  private waiting: { method: string; resolve: (m: Message) => void } | null = null;

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
  }

  private drain(): void {
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/Content-Length: (\d+)/i.exec(this.buffer.subarray(0, end).toString('ascii'))?.[1]);
      if (this.buffer.length < end + 4 + length) return;
      const message = JSON.parse(this.buffer.subarray(end + 4, end + 4 + length).toString('utf8')) as Message;
      this.buffer = this.buffer.subarray(end + 4 + length);
      this.receive(message);
    }
  }

  private receive(m: Message): void {
    if (m.method !== undefined && m.id !== undefined) {
      this.write({ id: m.id, result: null }); // a request from the server (capability registration): agree
    } else if (m.method !== undefined) {
      if (this.waiting?.method === m.method) {
        const { resolve: done } = this.waiting;
        this.waiting = null;
        done(m);
      } else {
        this.notifications.push(m);
      }
    } else if (m.id !== undefined) {
      this.replies.get(m.id)?.(m);
      this.replies.delete(m.id);
    }
  }

  private write(m: Message): void {
    const body = JSON.stringify({ jsonrpc: '2.0', ...m });
    this.child.stdin.write(`Content-Length: ${Buffer.byteLength(body, 'utf8')}\r\n\r\n${body}`);
  }

  request(method: string, params: unknown): Promise<Message> {
    const id = this.nextId++;
    return new Promise((done) => {
      this.replies.set(id, done);
      this.write({ id, method, params });
    });
  }

  notify(method: string, params: unknown): void {
    this.write({ method, params });
  }

  /** The next notification `method` from the server (one already received first). */
  notification(method: string): Promise<Message> {
    const i = this.notifications.findIndex((m) => m.method === method);
    if (i >= 0) return Promise.resolve(this.notifications.splice(i, 1)[0]!);
    return new Promise((done) => {
      this.waiting = { method, resolve: done };
    });
  }
}

let client: Client;
let version = 1;

beforeAll(async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'lsp', '--stdio'], { cwd: ROOT });
  client = new Client(child);
}, 30_000);

afterAll(() => {
  if (client.child.exitCode === null) client.child.kill();
});

/** Replace the document's text; returns the diagnostics the server publishes for it. */
async function change(text: string): Promise<unknown> {
  version++;
  client.notify('textDocument/didChange', { textDocument: { uri: URI, version }, contentChanges: [{ text }] });
  const published = (await client.notification('textDocument/publishDiagnostics')).params as { version: number; diagnostics: unknown[] };
  expect(published.version).toBe(version);
  return published.diagnostics;
}

/** What `schedcheck parse` reports for a text, as the LSP ranges the server must publish. */
function parseDiagnostics(text: string) {
  return loadModelFromText(text, FILE, []).diagnostics.map((d) => ({
    range: { start: { line: d.span.line - 1, character: d.span.col - 1 }, end: { line: d.span.endLine - 1, character: d.span.endCol - 1 } },
    severity: d.severity === 'error' ? 1 : 2,
    code: d.code,
    source: 'schedcheck',
    message: d.message,
  }));
}

const at = (line: number, character: number) => ({ textDocument: { uri: URI }, position: { line: line - 1, character: character - 1 } });
const range = (line: number, from: number, to: number) => ({ start: { line: line - 1, character: from - 1 }, end: { line: line - 1, character: to - 1 } });

describe('schedcheck lsp', () => {
  it('answers initialize with what it serves', async () => {
    const reply = await client.request('initialize', { processId: null, rootUri: null, capabilities: {} });
    expect(reply.result).toEqual({
      capabilities: { textDocumentSync: 2, hoverProvider: true, definitionProvider: true, completionProvider: { triggerCharacters: [' ', '('] } },
      serverInfo: { name: 'schedcheck' },
    });
    client.notify('initialized', {});
  });

  it('publishes the diagnostic parse reports for a broken model, with its code and range', async () => {
    client.notify('textDocument/didOpen', { textDocument: { uri: URI, languageId: 'sched', version, text: TEXT } });
    const published = (await client.notification('textDocument/publishDiagnostics')).params;
    expect(published).toEqual({
      uri: URI,
      version: 1,
      diagnostics: [{ range: range(21, 11, 15), severity: 1, code: 'E301', source: 'schedcheck', message: "Unknown name 'LOMO'." }],
    });
    // The same code and span as `schedcheck parse test/lsp/broken.sched`.
    const [parsed] = loadModel(FILE, []).diagnostics;
    expect([parsed!.code, parsed!.span.line, parsed!.span.col, parsed!.span.endCol]).toEqual(['E301', 21, 11, 15]);
  });

  it('publishes again as the text changes: none once fixed, a syntax error as parse reports it', async () => {
    expect(await change(TEXT.replace('acquire LOMO', 'acquire LOOM'))).toEqual([]);
    const unclosed = TEXT.replace('acquire LOMO', 'acquire LOOM').replace('    ticks := ticks + 1\n', '    ticks := (ticks + 1\n');
    const diagnostics = await change(unclosed);
    expect(diagnostics).toEqual(parseDiagnostics(unclosed));
    expect(diagnostics).toMatchObject([{ code: 'E202', range: range(15, 5, 12) }]);
    await change(TEXT);
  });

  it('hovers a name with its declaration', async () => {
    const lock = await client.request('textDocument/hover', at(13, 13));
    expect(lock.result).toEqual({ contents: { kind: 'markdown', value: '(lock) **LOOM**, line 7\n\n```sched\nlock LOOM : spin\n```' }, range: range(13, 13, 17) });
    const variable = await client.request('textDocument/hover', at(14, 15));
    expect(variable.result).toEqual({ contents: { kind: 'markdown', value: '(var) **ticks**, line 8\n\n```sched\nvar ticks : 0..3 = 0\n```' }, range: range(14, 14, 19) });
    const proc = await client.request('textDocument/hover', at(20, 7));
    expect(proc.result).toEqual({ contents: { kind: 'markdown', value: '(proc) **tick**, line 20\n\n```sched\nproc tick\n```' }, range: range(20, 6, 10) });
    expect((await client.request('textDocument/hover', at(12, 3))).result).toBeNull(); // `loop`: a keyword
    const property = await client.request('textDocument/hover', at(31, 10));
    expect(property.result).toEqual({
      contents: { kind: 'markdown', value: '(property) **no-deadlock**: no CPU or thread waits for what can never come (a lock, a flag, a CPU, an interrupt); an idle CPU is not a deadlock' },
      range: range(31, 8, 19),
    });
  });

  it('goes to the definition of locks, threads, procedures, variables, and a line\'s handler', async () => {
    const definition = async (line: number, col: number): Promise<unknown> => (await client.request('textDocument/definition', at(line, col))).result;
    expect(await definition(15, 13)).toEqual([{ uri: URI, range: range(7, 6, 10) }]); // release LOOM -> lock LOOM
    expect(await definition(16, 10)).toEqual([{ uri: URI, range: range(20, 6, 10) }]); // call tick -> proc tick
    expect(await definition(14, 5)).toEqual([{ uri: URI, range: range(8, 5, 10) }]); // ticks := ... -> var ticks
    expect(await definition(9, 22)).toEqual([{ uri: URI, range: range(11, 8, 14) }]); // = worker -> thread worker
    expect(await definition(27, 8)).toEqual([
      { uri: URI, range: range(4, 7, 12) }, // eoi timer -> irq timer line 0
      { uri: URI, range: range(26, 9, 14) }, // and handler timer
    ]);
    expect(await definition(21, 12)).toEqual([]); // LOMO is declared nowhere
  });

  it('completes what the grammar wants: locks after acquire, procedures after call, properties after expect, else keywords and names', async () => {
    const labels = async (line: number, col: number, text: string): Promise<string[]> => {
      await change(TEXT.replace(/\n/g, (nl, offset: number) => (TEXT.slice(0, offset).split('\n').length === line - 1 ? `\n${text}` : nl)));
      const reply = await client.request('textDocument/completion', at(line, col));
      return (reply.result as { label: string }[]).map((i) => i.label);
    };
    expect(await labels(13, 13, '    acquire \n')).toEqual(['LOOM']);
    expect(await labels(13, 10, '    call \n')).toEqual(['tick']);
    expect(await labels(30, 8, 'expect \n')).toEqual([
      'no-deadlock', 'stack-integrity', 'lock-order', 'irq-lock-safety', 'eoi-discipline', 'atomic-sleep', 'no-starvation', 'irq-latency', 'assertions',
    ]);
    const anywhere = await labels(13, 5, '    \n');
    expect(anywhere).toEqual(expect.arrayContaining(['acquire', 'switch_to', 'loop', 'priority', 'ticks', 'owner', 'worker']));
    expect(anywhere).not.toContain('LOOM');
    await change(TEXT);
  });

  it('reads a lone carriage return as a line end, as LSP does', async () => {
    const diagnostics = (await change('machine x86_64 { cpus 1 }\rlock LOOM : spin\rthread t on 0 { acquire LOMO }\r')) as { code: string; range: unknown }[];
    expect(diagnostics.map((d) => [d.code, d.range])).toEqual([['E301', range(3, 25, 29)]]);
    expect((await client.request('textDocument/definition', at(3, 26))).result).toEqual([]);
    await change('machine x86_64 { cpus 1 }\rlock LOOM : spin\rthread t on 0 { acquire LOOM }\r');
    expect((await client.request('textDocument/definition', at(3, 26))).result).toEqual([{ uri: URI, range: range(2, 6, 10) }]);
    await change(TEXT);
  });

  it('shuts down and exits when asked, refusing requests in between', async () => {
    const exited = new Promise<number | null>((done) => client.child.on('exit', (code) => done(code)));
    expect((await client.request('shutdown', null)).result).toBeNull();
    expect((await client.request('textDocument/hover', at(13, 13))).error).toMatchObject({ code: -32600 });
    client.notify('exit', null);
    expect(await exited).toBe(0);
  });
});
