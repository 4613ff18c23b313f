import { describe, expect, it } from 'vitest';
import { loadModelFromText } from '../../src/lang/load.js';

const MODEL = `const THREADS = 2
const QUANTUM = 3
machine x86_64 { cpus 1; irq timer line 0 }
handler timer { eoi timer }
var quantum : 0..QUANTUM = QUANTUM
thread main on 0 { work }
thread worker[THREADS] { quantum := QUANTUM - 1 }
`;

const found = (sets: string[]): string[] =>
  loadModelFromText(MODEL, 's.sched', sets).diagnostics.map((d) => `${d.code} at ${d.span.line}:${d.span.col}: ${d.message}`);

describe('--set', () => {
  it('leaves the declared values without overrides', () => {
    const { program } = loadModelFromText(MODEL, 's.sched', []);
    expect(program!.constants).toEqual({ THREADS: 2, QUANTUM: 3 });
    expect(program!.threads).toHaveLength(3);
  });

  it('overrides constants everywhere they are used: array sizes, ranges, initial values, expressions', () => {
    const { diagnostics, program } = loadModelFromText(MODEL, 's.sched', ['THREADS=4', 'QUANTUM=5']);
    expect(diagnostics).toEqual([]);
    expect(program!.constants).toEqual({ THREADS: 4, QUANTUM: 5 });
    expect(program!.threads.map((t) => t.name)).toEqual(['main', 'worker[0]', 'worker[1]', 'worker[2]', 'worker[3]']);
    expect(program!.vars[0]).toMatchObject({ type: { kind: 'int', min: 0, max: 5 }, init: 5 });
    const assign = program!.units[1]!.code[0]!;
    expect(assign.op === 'assign' && assign.value).toEqual({ kind: 'const', value: 4, type: { kind: 'int', min: 4, max: 4 } });
  });

  it('refuses two settings of one constant (E602), even of one value', () => {
    expect(found(['THREADS=2', 'THREADS=3'])).toEqual(["E602 at 1:1: --set 'THREADS' is given more than once; give each constant one value."]);
    expect(found(['THREADS=2', 'THREADS=2']).map((d) => d.slice(0, 4))).toEqual(['E602']);
  });

  it('reports unknown names and non-constants at 1:1 (E601)', () => {
    expect(found(['NOPE=1', 'quantum=1'])).toEqual([
      "E601 at 1:1: --set NOPE: no constant 'NOPE' is declared.",
      "E601 at 1:1: --set quantum: no constant 'quantum' is declared.",
    ]);
  });

  it('reports malformed settings at 1:1 (E602)', () => {
    expect(found(['THREADS', 'THREADS=x', 'THREADS=-1', '=2', 'THREADS=99999999999']).map((d) => d.slice(0, 12))).toEqual([
      'E602 at 1:1:',
      'E602 at 1:1:',
      'E602 at 1:1:',
      'E602 at 1:1:',
      'E602 at 1:1:',
    ]);
  });

  it('checks the model under the overridden values', () => {
    expect(found(['THREADS=0'])).toEqual(['E511 at 7:15: Thread array size must be at least 1, found 0.']);
    expect(found(['QUANTUM=0'])).toEqual(['E402 at 7:37: Value -1 is out of range 0..0.']);
  });
});
