import { describe, expect, it } from 'vitest';
import { DiagnosticSink } from '../../src/lang/diagnostics.js';
import { Lexer, MAX_INT_LITERAL, type Token } from '../../src/lang/lexer.js';

function lex(text: string): { tokens: Token[]; sink: DiagnosticSink } {
  const sink = new DiagnosticSink();
  const lexer = new Lexer(text, 'l.sched', sink);
  const tokens: Token[] = [];
  for (let t = lexer.next(); ; t = lexer.next()) {
    tokens.push(t);
    if (t.kind === 'eof') break;
  }
  return { tokens, sink };
}

const brief = (t: Token): string => `${t.kind}:${t.text}@${t.span.line}:${t.span.col}-${t.span.endLine}:${t.span.endCol}`;
const codes = (sink: DiagnosticSink): string[] => sink.diagnostics.map((d) => `${d.code}@${d.span.line}:${d.span.col}`);

describe('lexer', () => {
  it('keeps control characters of a string as text, and its span as written', () => {
    const { tokens, sink } = lex('"a\x1b[31m\x07\\\\b"');
    expect(codes(sink)).toEqual([]);
    expect(brief(tokens[0]!)).toBe('string:a\\x1b[31m\\x07\\\\b@1:1-1:13');
  });

  it('reads keywords, contextual words, integers, ranges and two-character operators with exact spans', () => {
    const { tokens, sink } = lex('var q : 0..QUANTUM = 2\nx := a <= b && !c');
    expect(tokens.map(brief)).toEqual([
      'keyword:var@1:1-1:4',
      'ident:q@1:5-1:6',
      'punct::@1:7-1:8',
      'int:0@1:9-1:10',
      'punct:..@1:10-1:12',
      'ident:QUANTUM@1:12-1:19',
      'punct:=@1:20-1:21',
      'int:2@1:22-1:23',
      'ident:x@2:1-2:2',
      'punct::=@2:3-2:5',
      'ident:a@2:6-2:7',
      'punct:<=@2:8-2:10',
      'ident:b@2:11-2:12',
      'punct:&&@2:13-2:15',
      'punct:!@2:16-2:17',
      'ident:c@2:17-2:18',
      'eof:@2:18-2:18',
    ]);
    expect(sink.diagnostics).toEqual([]);
  });

  it('treats grammar words such as line, on and stack as identifiers, and statement words as keywords', () => {
    const { tokens } = lex('irq timer line 0 on 1 stack iret switch_to');
    expect(tokens.map((t) => t.kind)).toEqual(['ident', 'ident', 'ident', 'int', 'ident', 'int', 'ident', 'keyword', 'keyword', 'eof']);
  });

  it('reads a property id with dashes as one token only after expect', () => {
    const { tokens } = lex('expect no-deadlock holds\nno-deadlock');
    expect(tokens.map(brief)).toEqual([
      'keyword:expect@1:1-1:7',
      'property:no-deadlock@1:8-1:19',
      'ident:holds@1:20-1:25',
      'ident:no@2:1-2:3',
      'punct:-@2:3-2:4',
      'ident:deadlock@2:4-2:12',
      'eof:@2:12-2:12',
    ]);
  });

  it('skips line and block comments, which may hold any text, and marks the first token of each line', () => {
    const { tokens, sink } = lex('a // é garbage $\n/* multi\n line ü */ b c\r\nd');
    expect(tokens.map((t) => `${t.text}@${t.span.line}:${t.span.col}${t.lineStart ? '^' : ''}`)).toEqual(['a@1:1^', 'b@3:12^', 'c@3:14', 'd@4:1^', '@4:2']);
    expect(sink.diagnostics).toEqual([]);
  });

  it('reads strings on one line and reports an unterminated one at its quote', () => {
    const ok = lex('"a message é"');
    expect(ok.tokens[0]).toMatchObject({ kind: 'string', text: 'a message é' });
    const bad = lex('assert x "open\ny');
    expect(codes(bad.sink)).toEqual(['E104@1:10']);
    expect(bad.tokens.map((t) => t.text)).toEqual(['assert', 'x', 'y', '']);
  });

  it('reports an unterminated block comment at its start', () => {
    const { tokens, sink } = lex('a\n  /* never closed\n b');
    expect(codes(sink)).toEqual(['E103@2:3']);
    expect(tokens.map((t) => t.kind)).toEqual(['ident', 'eof']);
  });

  it('reports one E102 per run of non-ASCII text, including letters glued to it and blanks within a line', () => {
    const { tokens, sink } = lex('a héllo wörld b\nüber\n€ c');
    expect(codes(sink)).toEqual(['E102@1:3', 'E102@2:1', 'E102@3:1']);
    expect(sink.diagnostics[0]!.span).toMatchObject({ col: 3, endCol: 14 });
    expect(tokens.map((t) => t.text)).toEqual(['a', 'b', 'c', '']);
  });

  it('reports stray ASCII as one E101 per run, with control characters escaped', () => {
    const { sink } = lex('a $# b \x01\x02 c 12ab');
    expect(sink.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([
      "E101 Unexpected characters '$#'.",
      "E101 Unexpected characters '\\x01\\x02'.",
      "E101 Unexpected character 'a' in number.",
    ]);
  });

  it('reports a lone character that only starts a longer operator once, and moves past it', () => {
    const { tokens, sink } = lex('a . b ~ c');
    expect(sink.diagnostics.map((d) => `${d.code}@${d.span.col} ${d.message}`)).toEqual([
      "E101@3 Unexpected character '.'.",
      "E101@7 Unexpected character '~'.",
    ]);
    expect(tokens.map((t) => t.text)).toEqual(['a', 'b', 'c', '']);
  });

  it('reads the bitwise operators, the two-character ones first', () => {
    const { tokens, sink } = lex('a & b | c ^ d << 1 >> 2 && e || f');
    expect(sink.diagnostics).toEqual([]);
    expect(tokens.map((t) => t.text)).toEqual(['a', '&', 'b', '|', 'c', '^', 'd', '<<', '1', '>>', '2', '&&', 'e', '||', 'f', '']);
  });

  it('caps integer literals', () => {
    const { tokens, sink } = lex(`${MAX_INT_LITERAL} ${MAX_INT_LITERAL + 1}`);
    expect(tokens.slice(0, 2).map((t) => t.value)).toEqual([MAX_INT_LITERAL, MAX_INT_LITERAL]);
    expect(codes(sink)).toEqual(['E105@1:12']);
  });
});
