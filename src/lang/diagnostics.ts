// Diagnostics: what every pass reports instead of throwing, and how the CLI prints them.

import type { Code } from './codes.js';
import { LineIndex, type SourceSpan } from './source.js';

export interface Diagnostic {
  code: string;
  severity: 'error' | 'warning';
  message: string;
  span: SourceSpan;
}

/** Reports past this many end the run with one E001 note: a 10 MB file of garbage must stay answerable. */
export const MAX_DIAGNOSTICS = 100;

/** Ends checking early; the pipeline catches it. The reason has already been reported (or is E001). */
export class StopChecking extends Error {}

/** Thrown by a sink that is full. */
export class TooManyDiagnostics extends StopChecking {
  constructor() {
    super('too many diagnostics');
  }
}

export class DiagnosticSink {
  readonly diagnostics: Diagnostic[] = [];
  private errors = 0;

  /** @param keep false: count errors only (a reader of names that shows no diagnostics), keeping none */
  constructor(
    private readonly limit = MAX_DIAGNOSTICS,
    private readonly keep = true,
  ) {}

  error(code: Code, message: string, span: SourceSpan): void {
    this.add({ code, severity: 'error', message, span });
  }

  warning(code: Code, message: string, span: SourceSpan): void {
    this.add({ code, severity: 'warning', message, span });
  }

  private add(d: Diagnostic): void {
    if (d.severity === 'error') this.errors++;
    if (!this.keep) return;
    if (this.diagnostics.length >= this.limit) throw new TooManyDiagnostics();
    this.diagnostics.push(d);
  }

  hasErrors(): boolean {
    return this.errors > 0;
  }
}

/** Diagnostics in source order (a stable sort keeps same-position reports in the order they were made). */
export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return [...list].sort((a, b) => a.span.line - b.span.line || a.span.col - b.span.col);
}

/** Longest stretch of a source line shown under a diagnostic; a minified or generated line is cut around the error. */
export const SHOWN_WIDTH = 160;

/**
 * Characters a terminal would act on instead of showing: C0 controls but the tab, DEL, C1 controls, and the
 * bidirectional overrides that reorder what follows them. A source excerpt shows them escaped (`\x1b`), as
 * messages do, so that a model (or a file named as one) cannot drive the terminal or CI log that prints it.
 */
const TERMINAL_CONTROLS = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function escapeControls(text: string): string {
  return text.replace(TERMINAL_CONTROLS, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * `file:line:col: error CODE: message`, then the source line and a caret underline of the span (to the end of the
 * line when the span runs on). Control characters in the line are shown escaped, the carets moved to match.
 */
export function formatDiagnostic(d: Diagnostic, sourceText: string): string {
  const full = LineIndex.of(sourceText).line(d.span.line);
  return formatDiagnosticExcerpt(d, { text: full, from: 0, length: full.length });
}

/**
 * Part of a source line: `text` is the line from column `from + 1` on; `length` is the whole line's length, or
 * null when the line runs on past the part. `formatDiagnosticExcerpt` shows the same as `formatDiagnostic` given
 * the whole line when the part covers the SHOWN_WIDTH characters either side of the span's first column.
 */
export interface LineExcerpt {
  text: string;
  from: number;
  length: number | null;
}

/** `formatDiagnostic` with only part of the span's line at hand (a line of a file too long to read whole). */
export function formatDiagnosticExcerpt(d: Diagnostic, line: LineExcerpt): string {
  const { span } = d;
  const header = `${escapeControls(span.file)}:${span.line}:${span.col}: ${d.severity} ${d.code}: ${escapeControls(d.message)}`;
  const length = line.length ?? Infinity;
  const slice = (a: number, b: number): string => line.text.slice(Math.max(0, a - line.from), Math.max(0, b - line.from));
  const startCol = Math.max(1, span.col);
  const endCol = span.endLine === span.line ? Math.max(span.endCol, startCol + 1) : Math.max(length + 1, startCol + 1);

  // Window the line so the caret stays visible on very long lines.
  let from = 0;
  if (length > SHOWN_WIDTH) from = Math.max(0, Math.min(startCol - 1 - SHOWN_WIDTH / 2, length - SHOWN_WIDTH));
  const to = Math.min(length, from + SHOWN_WIDTH);
  const shown = (from > 0 ? '...' : '') + escapeControls(slice(from, to)) + (to < length ? '...' : '');
  const lead = from > 0 ? 3 : 0;

  // Reuse the line's own tabs in the indent so the carets line up however tabs are displayed.
  const before = escapeControls(slice(from, Math.min(startCol - 1, to))).replace(/[^\t]/g, ' ');
  const rawWidth = Math.max(1, Math.min(endCol, to + 1) - startCol);
  const under = slice(startCol - 1, startCol - 1 + rawWidth);
  const width = rawWidth + escapeControls(under).length - under.length;
  return `${header}\n  ${shown}\n  ${' '.repeat(lead)}${before}${'^'.repeat(width)}`;
}
