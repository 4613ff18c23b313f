// ITF traces are read streamed: in chunks, checked as they are read, each state decoded as it comes. A problem
// near the start of a large file is answered after reading the chunk it is in (and, for a value found wrong,
// reading again up to it), whatever follows; the bytes read say so, not a clock.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { exportCommand } from '../../src/cli/commands/export.js';
import { excerptAt, readItfFile } from '../../src/cli/itffile.js';
import type { Counterexample } from '../../src/checker/verdict.js';
import { formatDiagnostic, formatDiagnosticExcerpt } from '../../src/lang/diagnostics.js';
import { CHUNK_BYTES } from '../../src/lang/readfile.js';
import { formatItf, fromItf, readItf, toItf } from '../../src/report/itf.js';
import { JsonReader, JsonSyntaxError, parseJson } from '../../src/report/jsonpos.js';
import { FIXTURES, timerDeadlock } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'schedcheck-itf-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function put(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** The timer-deadlock counterexample stretched to `n` states (its last state repeated), a trace of any size. */
function long(n: number): { cex: Counterexample; program: ReturnType<typeof timerDeadlock>['program'] } {
  const { cex, program } = timerDeadlock();
  const steps = Array.from({ length: n }, (_, i) => ({ ...cex.steps[Math.min(i, cex.steps.length - 1)]!, index: i }));
  return { cex: { ...cex, steps, length: n - 1 }, program };
}

describe('the streaming JSON reader', () => {
  it('reads the same values and the same errors whatever the chunks', () => {
    const texts = [
      ...FIXTURES.map((make) => formatItf(make().cex, make().program)),
      '{"a": "x\\"y\\\\z\\n\\u00e9\\ud83d", "b": [1, -2.5e3, true, false, null, []], "c": {}, "\u00e9\u1234": "\u00e9"}',
    ];
    for (const text of texts) {
      for (const size of [1, 2, 3, 7, 64]) {
        const reader = JsonReader.ofText(text, size);
        const value = reader.value();
        reader.end();
        expect(value).toEqual(JSON.parse(text));
      }
    }
    const bad: [string, string, number, number][] = [
      ['{"a": 1,\n "b" 2}', "expected ':'", 2, 6],
      ['[1, 2', "expected ']' but the file ends", 1, 6],
      ['{"a": tru}', "unexpected character 't'", 1, 7],
      ['"\\q"', 'bad escape in string', 1, 2],
      ['"ab\\u12"', 'bad escape in string', 1, 4],
      ['["a\u0001"]', 'control character in string', 1, 4],
      ['"abc', 'unterminated string', 1, 5],
      ['1 2', 'unexpected text after the JSON value', 1, 3],
      ['{"x": 1,\n  "x": 2}', 'the key "x" is given twice', 2, 3],
    ];
    for (const [text, message, line, col] of bad) {
      for (const size of [1, 3, 1000]) {
        const reader = JsonReader.ofText(text, size);
        expect(() => {
          reader.value();
          reader.end();
        }, text).toThrow(new JsonSyntaxError(message, { line, col }));
        expect(parseJson(text)).toEqual({ ok: false, message, position: { line, col } });
      }
    }
  });

  it('keeps a "__proto__" key as a field, as JSON.parse does', () => {
    const reader = JsonReader.ofText('{"__proto__": {"polluted": true}}');
    const value = reader.value() as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });

  it('decodes a trace read in chunks as one parsed whole', () => {
    for (const make of FIXTURES) {
      const { cex, program } = make();
      const text = formatItf(cex, program);
      const read = readItf(JsonReader.ofText(text, 5));
      expect(read).toEqual(fromItf(JSON.parse(text)));
      expect(read).toMatchObject({ ok: true, counterexample: cex });
    }
  });
});

describe('reading an ITF file', () => {
  it('stops at a syntax error near the start of a 20 MB file, having read one chunk', () => {
    const { cex, program } = long(24_000);
    const text = JSON.stringify(toItf(cex, program));
    expect(text.length).toBeGreaterThan(20_000_000);
    // The first colon from byte 10,691 on (the file is ASCII) replaced by a character that cannot be there.
    const at = text.indexOf(':', 10_690);
    const file = put('syntax.itf.json', `${text.slice(0, at)}x${text.slice(at + 1)}`);
    const read = readItfFile(file);
    expect(read).toEqual({ ok: false, kind: 'json', message: "expected ':'", position: { line: 1, col: at + 1 }, bytesRead: CHUNK_BYTES });
  });

  it('stops at a bad state near the start of a 20 MB file, reading only up to it, twice', () => {
    const { cex, program } = long(14_000);
    const itf = toItf(cex, program) as unknown as { states: { cpus: { ie: unknown }[] }[] };
    itf.states[2]!.cpus[0]!.ie = 'yes';
    const text = JSON.stringify(itf, null, 1);
    expect(text.length).toBeGreaterThan(20_000_000);
    const lines = text.split('\n');
    const line = lines.findIndex((l) => l.includes('"ie": "yes"'));
    const read = readItfFile(put('shape.itf.json', text));
    expect(read).toEqual({
      ok: false,
      kind: 'trace',
      problem: { code: 'ITF003', message: 'expected true or false', path: ['states', 2, 'cpus', 0, 'ie'] },
      position: { line: line + 1, col: lines[line]!.indexOf('"yes"') + 1 },
      // Read once to the bad state, and once more to locate it: a chunk each.
      bytesRead: 2 * CHUNK_BYTES,
    });
  });

  it('reads a valid trace whole, and answers a file larger than the limit without reading it', () => {
    const { cex, program } = long(2000);
    const text = formatItf(cex, program);
    const file = put('valid.itf.json', text);
    const read = readItfFile(file);
    if (!read.ok) throw new Error(JSON.stringify(read));
    expect(read.counterexample).toStrictEqual(cex);
    expect(read.bytesRead).toBe(Buffer.byteLength(text));
    expect(readItfFile(file, 1000)).toEqual({ ok: false, kind: 'unreadable', why: 'larger than 1000 bytes', bytesRead: 0 });
  });

  it('shows the part of a long line around a problem exactly as the whole line would show it', () => {
    const line = `{"a": [${'1, '.repeat(5000)}"\t\x1b", 2]}`;
    const text = `[\r\n${line}\r\n]\n`;
    const file = put('long-line.json', text);
    for (const col of [1, 5, 100, 161, 162, 500, 7000, line.length - 100, line.length - 1, line.length + 1]) {
      const span = { file, line: 2, col, endLine: 2, endCol: col + 1 };
      const d = { code: 'ITF001', severity: 'error' as const, message: 'here', span };
      expect(formatDiagnosticExcerpt(d, excerptAt(file, { line: 2, col })), String(col)).toBe(formatDiagnostic(d, text));
    }
    const d = { code: 'ITF001', severity: 'error' as const, message: 'here', span: { file, line: 3, col: 1, endLine: 3, endCol: 2 } };
    expect(formatDiagnosticExcerpt(d, excerptAt(file, { line: 3, col: 1 }))).toBe(formatDiagnostic(d, text));
  });
});

describe('schedcheck export on a large bad trace', () => {
  let err = '';
  beforeEach(() => {
    err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      err += String(chunk);
      return true;
    });
  });
  afterEach(() => vi.restoreAllMocks());

  it('prints the diagnostic with the excerpt around the error on a 20 MB line', async () => {
    const { cex, program } = long(24_000);
    const text = JSON.stringify(toItf(cex, program));
    expect(text.length).toBeGreaterThan(20_000_000);
    const at = text.indexOf('"ie":', 10_000) + 5;
    const state = [...text.slice(0, at).matchAll(/"#meta":\{"index":(\d+)\}/g)].pop()![1];
    const file = put('export.itf.json', `${text.slice(0, at)}"yes"${text.slice(at + 5)}`);
    expect(await exportCommand({ trace: file })).toBe(2);
    const col = at + 1;
    const shown = text.slice(col - 81, col - 1) + `"yes"` + text.slice(at + 5, at + 5 + 75);
    expect(err).toBe(
      `${file}:1:${col}: error ITF003: not a schedcheck counterexample: expected true or false (at states.${state}.cpus.0.ie)\n` +
        `  ...${shown}...\n` +
        `  ${' '.repeat(3 + 80)}^\n`,
    );
  });
});
