// The one runner for test/fixtures/bad: every fixture states its expected diagnostics in comments,
//   // expect: E301 at 4:9
// and may pass command-line overrides with `// set: NAME=VALUE`. The runner asserts the exact multiset of
// (code, line, col), that no program is produced, and that no internal error (E000) hides among them. Two
// inputs are generated here instead of committed: an empty file and a 10 MB file.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModelFromText } from '../../src/lang/load.js';

const DIR = join(import.meta.dirname, '../fixtures/bad');

function expectations(text: string): string[] {
  return [...text.matchAll(/^\/\/ expect: (E\d{3}) at (\d+):(\d+)\s*$/gm)].map((m) => `${m[1]} at ${m[2]}:${m[3]}`).sort();
}

function actual(text: string, file: string, sets: string[] = []): { found: string[]; program: unknown } {
  const { diagnostics, program } = loadModelFromText(text, file, sets);
  return { found: diagnostics.map((d) => `${d.code} at ${d.span.line}:${d.span.col}`).sort(), program };
}

describe('malformed models', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.sched')).sort();

  it('has at least 40 fixtures', () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
  });

  it.each(files)('%s', (file) => {
    const text = readFileSync(join(DIR, file), 'utf8');
    const want = expectations(text);
    expect(want.length, 'a fixture states at least one expected diagnostic').toBeGreaterThan(0);
    const sets = [...text.matchAll(/^\/\/ set: (.*)$/gm)].map((m) => m[1]!);
    const { found, program } = actual(text, file, sets);
    expect(found).toEqual(want);
    expect(program).toBeNull();
  });

  it('3000 chained `else if` are a nesting error, not a stack overflow (E000)', () => {
    const text = `machine x86_64 { cpus 1 }\nvar x : 0..3 = 0\nthread t on 0 { if x == 0 { work }\n${' else if x == 1 { work }\n'.repeat(3000)} loop { work } }\n`;
    const { found, program } = actual(text, 'chain.sched');
    expect(program).toBeNull();
    expect(found.filter((d) => !d.startsWith('E206 '))).toEqual([]);
    expect(found).toContain('E206 at 66:17');
  });

  it('an empty file lacks a machine declaration', () => {
    expect(actual('', 'empty.sched').found).toEqual(['E517 at 1:1']);
  });

  it('a 10 MB model is cut off at the token limit within seconds', () => {
    const head = 'machine x86_64 { cpus 1; irq timer line 0 }\nhandler timer { eoi timer }\nthread main on 0 { work }\nproc big {\n';
    const text = head + 'work\n'.repeat(2_000_000) + '}\n';
    expect(text.length).toBeGreaterThan(10_000_000);
    const start = performance.now();
    const { diagnostics, program } = loadModelFromText(text, 'big.sched', []);
    expect(performance.now() - start).toBeLessThan(5000);
    // 27 tokens up to `proc big {`; token 200 001 is the `work` on body line 199 974, file line 199 978.
    expect(diagnostics.map((d) => `${d.code} at ${d.span.line}:${d.span.col}`)).toEqual(['E520 at 199978:1']);
    expect(program).toBeNull();
  });

  it('10 MB of garbage gives 100 diagnostics and one E001 note', () => {
    const junk = ['é', '$', '€', 'ü', '#', ' ', '\n', '~'];
    let seed = 7;
    const parts: string[] = [];
    for (let i = 0; i < 10_000_000; i++) {
      seed = (seed * 48271) % 2147483647; // MINSTD: exact in doubles
      parts.push(junk[Math.floor(seed / 65536) % junk.length]!);
    }
    const text = parts.join('');
    const start = performance.now();
    const { diagnostics, program } = loadModelFromText(text, 'garbage.sched', []);
    expect(performance.now() - start).toBeLessThan(5000);
    expect(diagnostics).toHaveLength(101);
    expect(diagnostics.at(-1)!.code).toBe('E001');
    expect(diagnostics.slice(0, 100).every((d) => d.code === 'E101' || d.code === 'E102')).toBe(true);
    expect(program).toBeNull();
  });
});
