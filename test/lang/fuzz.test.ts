// Property: the front end answers every input with diagnostics or a program, never a throw, never an
// internal error (E000), never the same report twice, and every program it returns is well formed.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DiagnosticSink, formatDiagnostic } from '../../src/lang/diagnostics.js';
import { Lexer, KEYWORDS } from '../../src/lang/lexer.js';
import { loadModelFromText } from '../../src/lang/load.js';
import { assertWellFormed } from '../ir/well-formed.js';

const GOLDEN = join(import.meta.dirname, '../golden/ir');
const VALID = readdirSync(GOLDEN)
  .filter((f) => f.endsWith('.sched'))
  .map((f) => readFileSync(join(GOLDEN, f), 'utf8'));

/** The token texts of a model, as the lexer reads them. */
function tokens(text: string): string[] {
  const lexer = new Lexer(text, 'm', new DiagnosticSink());
  const out: string[] = [];
  for (let t = lexer.next(); t.kind !== 'eof'; t = lexer.next()) out.push(t.kind === 'string' ? JSON.stringify(t.text) : t.text);
  return out;
}

const VALID_TOKENS = VALID.map(tokens);

function answers(text: string): void {
  const { diagnostics, program } = loadModelFromText(text, 'fuzz.sched', []);
  expect(diagnostics.filter((d) => d.code === 'E000')).toEqual([]);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  expect(program === null).toBe(errors.length > 0);
  for (const d of diagnostics) {
    expect(d.code).toMatch(/^E\d{3}$/);
    expect(d.span.line).toBeGreaterThanOrEqual(1);
    expect(d.span.col).toBeGreaterThanOrEqual(1);
    expect(formatDiagnostic(d, text)).toContain(`${d.code}: `);
  }
  // A report made twice at one place means a pass that did not advance (a stuck lexer still ends, at E001).
  const keys = diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.col} ${d.message}`);
  expect(new Set(keys).size).toBe(keys.length);
  if (program) assertWellFormed(program);
}

type Mutation = { op: 'delete' | 'duplicate' | 'swap'; a: number; b: number };

function mutate(toks: string[], mutations: Mutation[]): string {
  const out = [...toks];
  for (const { op, a, b } of mutations) {
    if (out.length === 0) break;
    const i = a % out.length;
    const j = b % out.length;
    if (op === 'delete') out.splice(i, 1);
    else if (op === 'duplicate') out.splice(i, 0, out[i]!);
    else [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out.join(' ');
}

const mutation = fc.record({ op: fc.constantFrom('delete', 'duplicate', 'swap'), a: fc.nat(), b: fc.nat() }) as fc.Arbitrary<Mutation>;
const SOUP = [...KEYWORDS, '{', '}', '(', ')', '[', ']', ':=', '..', '@', ';', ':', '=', '+', '==', '&&', '!', '0', '1', '2', 'x', 'timer', 'on', 'line', 'irq', 'cpus', 'x86_64', 'aarch64', 'no-deadlock', 'holds', '"s"', '//', '/*', '*/', '\n', 'é', '.', '&', '|', '$'];

describe('the front end never throws', () => {
  it('on the valid models themselves', () => {
    for (const text of VALID) answers(text);
    for (const toks of VALID_TOKENS) answers(toks.join(' '));
  });

  it('on random text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), answers), { numRuns: 300 });
    fc.assert(fc.property(fc.string({ unit: 'grapheme-ascii', maxLength: 400 }), answers), { numRuns: 300 });
  });

  it('on random token soup', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...SOUP), { maxLength: 200 }), (toks) => answers(toks.join(' '))), { numRuns: Number(process.env.FUZZ_RUNS ?? 400) });
  });

  it('on mutated valid models', () => {
    fc.assert(
      fc.property(fc.nat(VALID_TOKENS.length - 1), fc.array(mutation, { minLength: 1, maxLength: 6 }), (which, mutations) =>
        answers(mutate(VALID_TOKENS[which]!, mutations)),
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 600) },
    );
  });
});
