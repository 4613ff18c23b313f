// The lexer: .sched text to tokens, one at a time, so a 10 MB file is never held as a token array. Lexical
// errors go to the sink and the offending text is skipped; the parser never sees an error token.

import { escapeControls, StopChecking, type DiagnosticSink } from './diagnostics.js';
import type { SourceSpan } from './source.js';

export type TokenKind = 'ident' | 'keyword' | 'int' | 'string' | 'property' | 'punct' | 'eof';

export interface Token {
  kind: TokenKind;
  /** The lexeme; for strings, the contents without quotes. */
  text: string;
  /** Value of an `int` token. */
  value: number;
  span: SourceSpan;
  /** The first token on its line (used by the parser to resynchronise on assignments). */
  lineStart: boolean;
}

/** Reserved words: never identifiers. Other words of the grammar (`line`, `on`, `stack`, ...) are contextual. */
export const KEYWORDS: ReadonlySet<string> = new Set([
  // declarations
  'const', 'machine', 'lock', 'wq', 'runqueue', 'enum', 'var', 'percpu', 'perthread', 'thread', 'proc', 'handler', 'invariant', 'expect',
  // statements
  'work', 'skip', 'if', 'else', 'while', 'loop', 'break', 'continue', 'call', 'ret', 'assert', 'cli', 'sti',
  'irqsave', 'irqrestore', 'eoi', 'ack', 'unpend', 'iret', 'eret', 'hlt', 'wfi', 'irq_exit', 'raise', 'save_elr',
  'restore_elr', 'acquire', 'release', 'try_acquire', 'enqueue', 'pick', 'wake', 'spawn', 'switch_to',
  'restore_context', 'exit', 'free_stack', 'dequeue', 'tpr', 'pmr', 'either', 'or', 'any',
  'sleep', 'prepare_to_wait', 'finish_wait', 'wake_one', 'wake_all', 'preempt_disable', 'preempt_enable', 'local_bh_disable', 'local_bh_enable',
  'save_sp', 'load_sp',
  // expressions and types
  'true', 'false', 'none', 'current', 'cpu', 'self', 'state', 'holder', 'rq_len', 'bool',
  'irqs_enabled', 'preempt_count', 'softirq_count', 'hardirq_count',
  // privilege levels
  'user', 'syscall', 'sysret', 'svc', 'int', 'from_user',
]);

const TWO_CHAR = new Set([':=', '..', '==', '!=', '<=', '>=', '&&', '||', '<<', '>>']);
const ONE_CHAR = new Set(['{', '}', '[', ']', '(', ')', ',', ':', ';', '=', '@', '+', '-', '*', '/', '%', '!', '<', '>', '&', '|', '^']);

/**
 * Most tokens a model may have. Syntax trees grow with the token count, so this bounds the memory a file can
 * make the front end use; comments and blanks are free. Real models have a few thousand.
 */
export const MAX_TOKENS = 200_000;

/** Largest integer literal: values and all constant arithmetic stay well inside exact doubles. */
export const MAX_INT_LITERAL = 2 ** 31 - 1;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isIdentStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isIdentPart = (c: number): boolean => isIdentStart(c) || isDigit(c);
const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;
/** Characters that start some token (or a comment), so they end a run of garbage. */
const startsToken = (c: number): boolean =>
  isIdentPart(c) || ONE_CHAR.has(String.fromCharCode(c)) || c === 34 || c === 46 || c === 38 || c === 124;

/** Control characters written as `\xNN`, so a message never carries them to the terminal. */
function printable(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export class Lexer {
  private pos = 0;
  private line = 1;
  private col = 1;
  private sawNewline = true;
  /** Set after `expect`: the next word is a property id such as `no-deadlock`. */
  private propertyNext = false;
  private tokens = 0;

  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly sink: DiagnosticSink,
  ) {
    // A UTF-8 byte order mark (as some Windows editors save) is not part of the text, nor a column.
    if (text.charCodeAt(0) === 0xfeff) this.pos = 1;
  }

  private span(line: number, col: number): SourceSpan {
    return { file: this.file, line, col, endLine: this.line, endCol: this.col };
  }

  /** Advance one character, keeping line and column. */
  private bump(): void {
    if (this.text.charCodeAt(this.pos) === 10) {
      this.line++;
      this.col = 1;
      this.sawNewline = true;
    } else {
      this.col++;
    }
    this.pos++;
  }

  private skipTrivia(): void {
    const { text } = this;
    for (;;) {
      const c = text.charCodeAt(this.pos);
      if (isSpace(c)) {
        this.bump();
      } else if (c === 47 && text.charCodeAt(this.pos + 1) === 47) {
        while (this.pos < text.length && text.charCodeAt(this.pos) !== 10) this.bump();
      } else if (c === 47 && text.charCodeAt(this.pos + 1) === 42) {
        const line = this.line;
        const col = this.col;
        this.bump();
        this.bump();
        const close = text.indexOf('*/', this.pos);
        const stop = close === -1 ? text.length : close + 2;
        while (this.pos < stop) this.bump();
        if (close === -1) {
          this.sink.error('E103', 'Unterminated block comment.', { file: this.file, line, col, endLine: line, endCol: col + 2 });
        }
      } else {
        return;
      }
    }
  }

  next(): Token {
    for (;;) {
      this.skipTrivia();
      const lineStart = this.sawNewline;
      this.sawNewline = false;
      const token = this.scan(lineStart);
      if (!token) continue;
      if (++this.tokens > MAX_TOKENS) {
        this.sink.error('E520', `Model too large: more than ${MAX_TOKENS} tokens.`, token.span);
        throw new StopChecking('too many tokens');
      }
      return token;
    }
  }

  /** One token, or null after skipping text that is not one (already reported). */
  private scan(lineStart: boolean): Token | null {
    const { text } = this;
    const line = this.line;
    const col = this.col;
    const start = this.pos;
    const make = (kind: TokenKind, lexeme: string, value = 0): Token => ({
      kind,
      text: lexeme,
      value,
      span: this.span(line, col),
      lineStart,
    });
    if (start >= text.length) return make('eof', '');
    const c = text.charCodeAt(start);

    if (this.propertyNext) {
      this.propertyNext = false;
      if (isIdentPart(c)) {
        while (this.pos < text.length && (isIdentPart(text.charCodeAt(this.pos)) || text.charCodeAt(this.pos) === 45)) this.bump();
        return make('property', text.slice(start, this.pos));
      }
    }

    if (isIdentStart(c) || isDigit(c)) {
      while (this.pos < text.length && isIdentPart(text.charCodeAt(this.pos))) this.bump();
      if (this.pos < text.length && text.charCodeAt(this.pos) > 127) return this.garbage(line, col, start);
      const word = text.slice(start, this.pos);
      if (isDigit(c)) {
        if (!/^[0-9]+$/.test(word)) {
          this.sink.error('E101', `Unexpected character '${word[word.search(/[^0-9]/)]}' in number.`, this.span(line, col));
          return null;
        }
        const value = Number(word);
        if (value > MAX_INT_LITERAL) {
          this.sink.error('E105', `Integer literal too large (the limit is ${MAX_INT_LITERAL}).`, this.span(line, col));
          return make('int', word, MAX_INT_LITERAL);
        }
        return make('int', word, value);
      }
      if (KEYWORDS.has(word)) {
        if (word === 'expect') this.propertyNext = true;
        return make('keyword', word);
      }
      return make('ident', word);
    }

    if (c === 34) return this.string(line, col, lineStart);

    const two = text.slice(start, start + 2);
    if (TWO_CHAR.has(two)) {
      this.bump();
      this.bump();
      return make('punct', two);
    }
    const one = text[start]!;
    if (ONE_CHAR.has(one)) {
      this.bump();
      return make('punct', one);
    }
    return this.garbage(line, col, start);
  }

  /**
   * Skip a run of text that is no token: non-ASCII characters, stray ASCII such as `$` or `#`, and any letters
   * glued to them (so `héllo` is one report, not an identifier, a report and another identifier).
   */
  private garbage(line: number, col: number, start: number): null {
    const { text } = this;
    let nonAscii = text.charCodeAt(this.pos) > 127;
    if (this.pos === start) this.bump(); // the character that started the run is always part of it
    while (this.pos < text.length) {
      const c = text.charCodeAt(this.pos);
      if (isSpace(c)) {
        // A run goes on across blanks on the same line: a pasted sentence is one report.
        let ahead = this.pos;
        while (text.charCodeAt(ahead) === 32 || text.charCodeAt(ahead) === 9) ahead++;
        if (ahead === this.pos || !this.garbageWordAt(ahead)) break;
        while (this.pos < ahead) this.bump();
        continue;
      }
      if (c > 127) nonAscii = true;
      else if (startsToken(c) && !isIdentPart(c)) break;
      this.bump();
    }
    const lexeme = text.slice(start, this.pos);
    const span = this.span(line, col);
    if (nonAscii) this.sink.error('E102', 'Non-ASCII text outside a comment or string.', span);
    else this.sink.error('E101', `Unexpected character${lexeme.length > 1 ? 's' : ''} '${printable(lexeme.slice(0, 20))}'.`, span);
    return null;
  }

  /** Whether the blank-delimited word at `pos` is garbage too: it holds non-ASCII or starts with a stray character. */
  private garbageWordAt(pos: number): boolean {
    const { text } = this;
    const first = text.charCodeAt(pos);
    if (pos >= text.length || isSpace(first)) return false;
    if (!startsToken(first)) return true;
    for (let p = pos; p < text.length && !isSpace(text.charCodeAt(p)); p++) if (text.charCodeAt(p) > 127) return true;
    return false;
  }

  private string(line: number, col: number, lineStart: boolean): Token | null {
    const { text } = this;
    this.bump();
    const from = this.pos;
    while (this.pos < text.length && text.charCodeAt(this.pos) !== 34 && text.charCodeAt(this.pos) !== 10) this.bump();
    if (text.charCodeAt(this.pos) !== 34) {
      this.sink.error('E104', 'Unterminated string.', { file: this.file, line, col, endLine: line, endCol: col + 1 });
      return null;
    }
    // A message is printed to terminals and CI logs: control characters in it are kept as text (`\x1b`).
    const contents = escapeControls(text.slice(from, this.pos));
    this.bump();
    return { kind: 'string', text: contents, value: 0, span: this.span(line, col), lineStart };
  }
}
