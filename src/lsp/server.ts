// `schedcheck lsp`: a language server for .sched models over stdin and stdout (vscode-languageserver). It
// publishes the front end's own diagnostics as the text changes (the codes and spans `schedcheck parse`
// prints, from src/lang/load.ts), and answers hover, go to definition and completion from the names of the
// model (symbols.ts).

import { fileURLToPath } from 'node:url';
import {
  CompletionItemKind,
  DiagnosticSeverity,
  ErrorCodes,
  MarkupKind,
  ProposedFeatures,
  ResponseError,
  TextDocumentSyncKind,
  TextDocuments,
  createConnection,
  type CompletionItem,
  type Connection,
  type Diagnostic as LspDiagnostic,
  type Location,
  type Position,
  type Range,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { PROPERTIES, isPropertyId } from '../checker/properties/index.js';
import { PROPERTY_IDS } from '../ir/ir.js';
import type { Diagnostic } from '../lang/diagnostics.js';
import { KEYWORDS } from '../lang/lexer.js';
import { loadModelFromText } from '../lang/load.js';
import type { SourceSpan } from '../lang/source.js';
import { declarationsOf, nameAt, symbolsOf, type DeclKind, type Namespace, type Symbols } from './symbols.js';

/** Words of the grammar that are not reserved (docs/language.md, "Lexical structure"): names elsewhere. */
export const CONTEXTUAL_WORDS = [
  'x86_64', 'aarch64', 'cpus', 'irq', 'line', 'priority', 'gate', 'interrupt', 'trap', 'ipi', 'periodic', 'once', 'at',
  'most', 'on', 'each', 'scheduler', 'controller', 'lapic', 'i8259', 'gic', 'vector', 'eoimode', 'deactivate',
  'latency', 'preempt_offset', 'spin', 'mutex', 'handoff', 'ready', 'dormant', 'stack', 'forged', 'waits', 'for', 'defers', 'boot', 'masked', 'pending', 'in_service', 'wq_len', 'switch', 'entry', 'to', 'from', 'where', 'holds',
  'violated',
] as const;

/** A source span as an LSP range: 0-based lines and UTF-16 columns, the end exclusive, as both are. */
export function rangeOf(span: SourceSpan): Range {
  return { start: { line: span.line - 1, character: span.col - 1 }, end: { line: span.endLine - 1, character: span.endCol - 1 } };
}

export function lspDiagnostic(d: Diagnostic): LspDiagnostic {
  return {
    range: rangeOf(d.span),
    severity: d.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    code: d.code,
    source: 'schedcheck',
    message: d.message,
  };
}

/** The file name diagnostics are made with: the path of a file: URI, else the URI itself. */
function fileOf(uri: string): string {
  try {
    return uri.startsWith('file:') ? fileURLToPath(uri) : uri;
  } catch {
    return uri;
  }
}

const KIND: Record<DeclKind, CompletionItemKind> = {
  const: CompletionItemKind.Constant,
  lock: CompletionItemKind.Variable,
  'wait queue': CompletionItemKind.Variable,
  'run queue': CompletionItemKind.Variable,
  enum: CompletionItemKind.Enum,
  'enum member': CompletionItemKind.EnumMember,
  var: CompletionItemKind.Variable,
  thread: CompletionItemKind.Class,
  proc: CompletionItemKind.Function,
  handler: CompletionItemKind.Event,
  'irq line': CompletionItemKind.Event,
  invariant: CompletionItemKind.Property,
};

/** What the word before the cursor asks for: `acquire ` a lock, `call ` a procedure, `expect ` a property. */
function wanted(lineBefore: string): Namespace | 'property' | null {
  const m = /(?:^|[^A-Za-z0-9_])([a-z_]+)\s+(?:[A-Za-z0-9_-]*)$/.exec(lineBefore) ?? /(holder)\s*\(\s*[A-Za-z0-9_]*$/.exec(lineBefore);
  switch (m?.[1]) {
    case 'acquire':
    case 'release':
    case 'try_acquire':
    case 'holder':
      return 'lock';
    case 'sleep':
    case 'prepare_to_wait':
    case 'finish_wait':
    case 'wake_one':
    case 'wake_all':
      return 'wq';
    case 'call':
    case 'scheduler':
    case 'syscall':
    case 'entry':
      return 'proc';
    case 'eoi':
    case 'ack':
    case 'unpend':
    case 'raise':
    case 'int':
      return 'line';
    case 'expect':
      return 'property';
    default:
      return null;
  }
}

/** Completion at a position: the names the grammar wants there, else every keyword and value name. */
export function completions(symbols: Symbols, lineBefore: string): CompletionItem[] {
  const want = wanted(lineBefore);
  if (want === 'property') return PROPERTY_IDS.map((id) => ({ label: id, kind: CompletionItemKind.Property, detail: PROPERTIES[id].meaning }));
  const names = (filter: (ns: Namespace) => boolean): CompletionItem[] => {
    const seen = new Set<string>();
    return symbols.declarations
      .filter((d) => filter(d.namespace) && d.kind !== 'invariant' && !seen.has(`${d.kind} ${d.name}`) && seen.add(`${d.kind} ${d.name}`))
      .map((d) => ({ label: d.name, kind: KIND[d.kind], detail: `${d.kind}: ${d.detail}` }));
  };
  if (want !== null) return names((ns) => ns === want);
  return [
    ...[...KEYWORDS].map((k) => ({ label: k, kind: CompletionItemKind.Keyword })),
    ...CONTEXTUAL_WORDS.map((k) => ({ label: k, kind: CompletionItemKind.Keyword })),
    ...names((ns) => ns === 'value' || ns === 'type'),
  ];
}

/** The hover text of the name at a position, as Markdown: each declaration it may mean, as declared. */
export function hoverText(symbols: Symbols, line: number, col: number): { text: string; range: Range } | null {
  const at = nameAt(symbols, line, col);
  if (at?.namespace === 'property') {
    if (!isPropertyId(at.name)) return null;
    return { text: `(property) **${at.name}**: ${PROPERTIES[at.name].meaning}`, range: rangeOf(at.span) };
  }
  if (at === null || at.declarations.length === 0) return null;
  const text = at.declarations.map((d) => `(${d.kind}) **${d.name}**, line ${d.span.line}\n\n\`\`\`sched\n${d.detail}\n\`\`\``).join('\n\n---\n\n');
  return { text, range: rangeOf(at.span) };
}

/** Where the name at a position is declared. */
export function definitionOf(symbols: Symbols, uri: string, line: number, col: number): Location[] {
  const at = nameAt(symbols, line, col);
  if (at === null) return [];
  return declarationsOf(symbols, at.name, at.namespace).map((d) => ({ uri, range: rangeOf(d.span) }));
}

/**
 * A document's text as the language reads it: a lone `\r` ends a line for LSP (3.17, "Position") but not for
 * the lexer, so it is read as `\n`; every offset stays the same.
 */
function textOf(doc: TextDocument): string {
  return doc.getText().replace(/\r(?!\n)/g, '\n');
}

/** Serve one connection until the client says exit. */
export function serve(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  const symbols = new Map<string, Symbols>();

  const symbolsFor = (doc: TextDocument): Symbols => {
    let s = symbols.get(doc.uri);
    if (s === undefined) {
      try {
        s = symbolsOf(textOf(doc), fileOf(doc.uri));
      } catch {
        // A text the reader of names cannot read has none: the document's other features go on.
        s = { declarations: [], references: [] };
      }
      symbols.set(doc.uri, s);
    }
    return s;
  };
  // After `shutdown` the client may only say `exit` (LSP 3.17): requests are refused.
  let shutDown = false;
  connection.onShutdown(() => {
    shutDown = true;
  });
  const refuseAfterShutdown = (): void => {
    if (shutDown) throw new ResponseError(ErrorCodes.InvalidRequest, 'the server is shut down');
  };

  connection.onInitialize(() => ({
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      hoverProvider: true,
      definitionProvider: true,
      completionProvider: { triggerCharacters: [' ', '('] },
    },
    serverInfo: { name: 'schedcheck' },
  }));

  documents.onDidChangeContent(({ document }) => {
    symbols.delete(document.uri);
    if (shutDown) return;
    const { diagnostics } = loadModelFromText(textOf(document), fileOf(document.uri), []);
    void connection.sendDiagnostics({ uri: document.uri, version: document.version, diagnostics: diagnostics.map(lspDiagnostic) });
  });

  documents.onDidClose(({ document }) => {
    symbols.delete(document.uri);
    void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
  });

  const position = (p: Position): { line: number; col: number } => ({ line: p.line + 1, col: p.character + 1 });

  connection.onHover(({ textDocument, position: p }) => {
    refuseAfterShutdown();
    const doc = documents.get(textDocument.uri);
    if (doc === undefined) return null;
    const { line, col } = position(p);
    const hover = hoverText(symbolsFor(doc), line, col);
    return hover === null ? null : { contents: { kind: MarkupKind.Markdown, value: hover.text }, range: hover.range };
  });

  connection.onDefinition(({ textDocument, position: p }) => {
    refuseAfterShutdown();
    const doc = documents.get(textDocument.uri);
    if (doc === undefined) return [];
    const { line, col } = position(p);
    return definitionOf(symbolsFor(doc), doc.uri, line, col);
  });

  connection.onCompletion(({ textDocument, position: p }) => {
    refuseAfterShutdown();
    const doc = documents.get(textDocument.uri);
    if (doc === undefined) return [];
    const lineBefore = doc.getText({ start: { line: p.line, character: 0 }, end: p });
    return completions(symbolsFor(doc), lineBefore);
  });

  documents.listen(connection);
  connection.listen();
}

/** `schedcheck lsp`: the server on stdin and stdout. */
export function startStdioServer(): void {
  serve(createConnection(ProposedFeatures.all, process.stdin, process.stdout));
}
