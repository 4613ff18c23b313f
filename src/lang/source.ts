// Source positions. Spans are the IR's `SourceSpan` (1-based line and column, exclusive end), so a span made
// here can go straight into `Program.spans` and into a diagnostic.

import type { SourceSpan } from '../ir/ir.js';

export type { SourceSpan };

/** The span from the start of `a` to the end of `b`. */
export function spanJoin(a: SourceSpan, b: SourceSpan): SourceSpan {
  return { file: a.file, line: a.line, col: a.col, endLine: b.endLine, endCol: b.endCol };
}

/** A one-character span, for positions that belong to no token (the top of a file, its end). */
export function pointSpan(file: string, line: number, col: number): SourceSpan {
  return { file, line, col, endLine: line, endCol: col + 1 };
}

/**
 * Offsets of line starts, built once per text. A diagnostic printer asks for many lines of the same (possibly
 * very large) text, so the index is kept for the last text seen rather than rebuilt per question.
 */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(private readonly text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  get lineCount(): number {
    return this.starts.length;
  }

  /** The text of a 1-based line without its line break, or '' past the end. */
  line(n: number): string {
    if (n < 1 || n > this.starts.length) return '';
    const start = this.starts[n - 1]!;
    let end = n < this.starts.length ? this.starts[n]! - 1 : this.text.length;
    if (end > start && this.text.charCodeAt(end - 1) === 13) end--; // CRLF
    return this.text.slice(start, end);
  }

  private static cached: { text: string; index: LineIndex } | null = null;

  static of(text: string): LineIndex {
    if (LineIndex.cached?.text !== text) LineIndex.cached = { text, index: new LineIndex(text) };
    return LineIndex.cached.index;
  }
}
