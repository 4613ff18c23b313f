// The commands `check`, `properties` and `simulate`: exit codes, the JSON shape of the CLI contract, the text a
// kernel developer reads, and bad input answered with a diagnostic and exit 2.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CheckArgs } from '../../src/cli/args.js';
import { checkCommand } from '../../src/cli/commands/check.js';
import { propertiesCommand } from '../../src/cli/commands/properties.js';
import { simulateCommand } from '../../src/cli/commands/simulate.js';

let out = '';
let err = '';
beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
});
afterEach(() => vi.restoreAllMocks());

const dir = mkdtempSync(join(tmpdir(), 'schedcheck-cli-'));
function modelFile(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const ABBA = modelFile(
  'abba.sched',
  `machine x86_64 { cpus 2 }
lock A : spin
lock B : spin
thread p on 0 { acquire A; acquire B; release B; release A }
thread q on 1 { acquire B; acquire A; release A; release B }
expect no-deadlock violated
expect lock-order holds
`,
);
const FINE = modelFile('fine.sched', `machine x86_64 { cpus 1 }\nthread t on 0 { work }\n`);
const BROKEN = modelFile('broken.sched', `machine x86_64 { cpus 1 }\nthread t on 0 { frobnicate }\n`);

const args = (models: string[], extra: Partial<CheckArgs> = {}): CheckArgs => ({ models, property: [], engine: 'explicit', set: [], format: 'text', ...extra });

describe('schedcheck check', () => {
  it('exits 0 when every checked property holds', async () => {
    expect(await checkCommand(args([FINE], { property: ['no-deadlock', 'assertions'] }))).toBe(0);
  });

  it('exits 1 on a violation, which wins over inconclusive', async () => {
    expect(await checkCommand(args([ABBA]))).toBe(1); // no-starvation is inconclusive here
  });

  it('exits 0 for a correct design without a latency bound: irq-latency is not run', async () => {
    expect(await checkCommand(args([FINE]))).toBe(0);
  });

  it('exits 3 when a result is inconclusive and none is violated', async () => {
    expect(await checkCommand(args([FINE], { property: ['irq-latency'] }))).toBe(3);
    expect(await checkCommand(args([ABBA], { property: ['no-deadlock'], maxStates: 2 }))).toBe(3);
  });

  it('exits 2 with a diagnostic for an unknown property id', async () => {
    expect(await checkCommand(args([FINE], { property: ['no-such-thing'] }))).toBe(2);
    expect(err).toBe("schedcheck: unknown property 'no-such-thing'; 'schedcheck properties' lists the ids\n");
  });

  it('exits 2 with file:line:col diagnostics for a model that does not load', async () => {
    expect(await checkCommand(args([BROKEN]))).toBe(2);
    expect(err.startsWith(`${BROKEN}:2:28: error E202: Expect ':=' after assignment target, found '}'.\n`)).toBe(true);
  });

  it('prints the JSON object of the CLI contract', async () => {
    expect(await checkCommand(args([ABBA], { property: ['no-deadlock', 'lock-order'], format: 'json' }))).toBe(1);
    const json = JSON.parse(out);
    expect(Object.keys(json)).toEqual(['model', 'results']);
    expect(json.model).toBe(ABBA);
    const [deadlock, order] = json.results;
    expect(Object.keys(deadlock)).toEqual(['property', 'verdict', 'engine', 'complete', 'stats', 'counterexample', 'expected', 'matchesExpectation']);
    expect(deadlock).toMatchObject({ property: 'no-deadlock', verdict: 'violated', engine: 'explicit', complete: true, stats: { states: 5, transitions: 4, depth: 2 }, expected: 'violated', matchesExpectation: true });
    expect(Object.keys(deadlock.stats)).toEqual(['states', 'transitions', 'depth', 'seconds']);
    expect(deadlock.counterexample).toMatchObject({ length: 2, message: expect.stringMatching(/^deadlock: no CPU can make progress/) });
    expect(deadlock.counterexample.steps).toHaveLength(3);
    expect(order).toMatchObject({ property: 'lock-order', verdict: 'violated', expected: 'holds', matchesExpectation: false });
  });

  it('prints a text report a kernel developer can follow', async () => {
    await checkCommand(args([ABBA], { property: ['no-deadlock'] }));
    const lines = out.split('\n');
    expect(lines.slice(0, 4)).toEqual([`${ABBA} (x86_64, 2 CPUs)`, '', '  no-deadlock  VIOLATED  (expected violated: matches)', '']);
    expect(out).toContain(
      `  deadlock: no CPU can make progress: CPU0: thread p spins on B at ${ABBA}:4, held by q (running on CPU 1); CPU1: thread q spins on A at ${ABBA}:5, held by p (running on CPU 0)`,
    );
    expect(out).toContain('  A is held by p (taken in thread context; running on CPU 0)');
    // The file once in the trace's header, `line N` on its steps, and the instruction the deadlock is stuck at.
    expect(out).toContain(`  Trace (2 steps, a shortest one; lines of ${ABBA}):\n`);
    expect(out).toContain('  1  CPU0  thread p  line 4  acquire A\n     | locks held: A\n');
    expect(out).toContain('  2  CPU1  thread q  line 5  acquire B\n     | locks held: B\n     then stuck at line 4: acquire B   <-- here\n');
  });

  it('prints the lockdep scenario for a lock-order cycle', async () => {
    await checkCommand(args([ABBA], { property: ['lock-order'] }));
    expect(out).toContain(
      [
        '   Possible unsafe locking scenario:',
        '',
        '         CPU0                            CPU1',
        '         ----                            ----',
        '    lock(B);',
        '                                         lock(A);',
        '                                         lock(B);',
        '    lock(A);',
        '',
        '   *** DEADLOCK ***',
      ].join('\n'),
    );
  });

  it('writes the report to --output and the counterexample to --trace', async () => {
    const output = join(dir, 'report.json');
    const trace = join(dir, 'cex.itf.json');
    expect(await checkCommand(args([ABBA], { property: ['no-deadlock'], format: 'json', output, trace }))).toBe(1);
    expect(out).toBe('');
    expect(JSON.parse(readFileSync(output, 'utf8')).results[0].verdict).toBe('violated');
    expect(JSON.parse(readFileSync(trace, 'utf8')).states).toHaveLength(3);
  });

  it('prints one JSON array for several models', async () => {
    await checkCommand(args([FINE, ABBA], { property: ['no-deadlock'], format: 'json' }));
    expect(JSON.parse(out).map((r: { model: string }) => r.model)).toEqual([FINE, ABBA]);
  });
});

describe('schedcheck properties', () => {
  it('lists every property id, one per line, with its meaning', async () => {
    expect(await propertiesCommand()).toBe(0);
    expect(out.split('\n').map((l) => l.split(/\s+/)[0])).toEqual([
      'no-deadlock',
      'stack-integrity',
      'lock-order',
      'irq-lock-safety',
      'eoi-discipline',
      'atomic-sleep',
      'no-starvation',
      'irq-latency',
      'assertions',
      '',
    ]);
  });
});

describe('schedcheck simulate', () => {
  it('prints the same path for the same seed, and a different one for another seed', async () => {
    const file = modelFile('sim.sched', `machine x86_64 { cpus 2 }\nvar n : 0..9 = 0\nthread a on 0 { loop { work } }\nthread b on 1 { loop { work } }\n`);
    expect(await simulateCommand({ model: file, set: [], seed: 7, steps: 20 })).toBe(0);
    const first = out;
    out = '';
    await simulateCommand({ model: file, set: [], seed: 7, steps: 20 });
    expect(out).toBe(first);
    out = '';
    await simulateCommand({ model: file, set: [], seed: 8, steps: 20 });
    expect(out).not.toBe(first);
    expect(first).toMatch(/^.*: a random fair path \(seed 7, 20 steps\)\n/);
  });

  it('stops where the machine is corrupted and names the violation', async () => {
    const file = modelFile('crash.sched', `machine x86_64 { cpus 1 }\nproc p { iret }\nthread t on 0 { call p }\n`);
    await simulateCommand({ model: file, set: [], seed: 1, steps: 10 });
    expect(out).toContain('End: the machine is corrupted: the path ends here.');
    expect(out).toContain('  step 2: stack-integrity: iret pops a call frame, not an interrupt frame');
  });
});
