import { describe, expect, it } from 'vitest';
import { formatDiagnostic, type Diagnostic } from '../../src/lang/diagnostics.js';

const at = (line: number, col: number, endLine: number, endCol: number): Diagnostic => ({
  code: 'E301',
  severity: 'error',
  message: "Unknown name 'quantm'.",
  span: { file: 'm.sched', line, col, endLine, endCol },
});

describe('formatDiagnostic', () => {
  it('prints file:line:col, the code, the line and a caret underline of the span', () => {
    const text = 'proc p {\n  quantm := quantm - 1\n}\n';
    expect(formatDiagnostic(at(2, 3, 2, 9), text)).toBe(
      "m.sched:2:3: error E301: Unknown name 'quantm'.\n" + '    quantm := quantm - 1\n' + '    ^^^^^^',
    );
  });

  it('shows control characters of the line escaped, as messages do, with the carets moved to match', () => {
    const text = 'x := 1 // \x1b]0;title\x07 \x1b[31m\nquantm := 2 \u202e\x9b\n';
    expect(formatDiagnostic(at(1, 1, 1, 2), text).split('\n').slice(1)).toEqual(['  x := 1 // \\x1b]0;title\\x07 \\x1b[31m', '  ^']);
    // The span covers an escaped character: the carets cover its escape.
    expect(formatDiagnostic(at(1, 10, 1, 12), text).split('\n')[2]).toBe('           ^^^^^');
    expect(formatDiagnostic(at(1, 25, 1, 26), text).split('\n')[2]).toBe(`  ${' '.repeat(33)}^`);
    expect(formatDiagnostic(at(2, 13, 2, 15), text).split('\n').slice(1)).toEqual(['  quantm := 2 \\u202e\\x9b', '              ^^^^^^^^^^']);
    expect(formatDiagnostic(at(1, 1, 1, 2), text)).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]/);
  });

  it('keeps tabs in the indent so the carets line up', () => {
    expect(formatDiagnostic(at(1, 3, 1, 4), '\t\tx')).toBe("m.sched:1:3: error E301: Unknown name 'quantm'.\n  \t\tx\n  \t\t^");
  });

  it('underlines to the end of the line when the span runs on, and one caret at the end of a line or file', () => {
    expect(formatDiagnostic(at(1, 4, 3, 2), 'if cond {\n}\n').split('\n')[2]).toBe('     ^^^^^^');
    expect(formatDiagnostic(at(1, 4, 1, 4), 'abc').split('\n').slice(1)).toEqual(['  abc', '     ^']);
    expect(formatDiagnostic(at(1, 1, 1, 2), '').split('\n').slice(1)).toEqual(['  ', '  ^']);
  });

  it('strips a carriage return and shows a window of a very long line around the span', () => {
    expect(formatDiagnostic(at(1, 1, 1, 2), 'ab\r\ncd').split('\n')[1]).toBe('  ab');
    const long = 'x'.repeat(500) + 'HERE' + 'y'.repeat(500);
    const [, shown, carets] = formatDiagnostic(at(1, 501, 1, 505), long).split('\n');
    expect(shown).toBe(`  ...${'x'.repeat(80)}HERE${'y'.repeat(76)}...`);
    expect(carets).toBe(`  ${' '.repeat(83)}^^^^`);
  });
});
