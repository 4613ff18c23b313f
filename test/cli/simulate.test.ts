// `simulate` walks a fair path (interrupts arrive now and then, every CPU gets its turn) unless storms are asked
// for, and exits 1 when its path breaks a property or deadlocks.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'schedcheck-simulate-'));
const TICKS = join(dir, 'ticks.sched');
writeFileSync(TICKS, 'machine x86_64 { cpus 1; irq timer line 0 }\nthread t on 0 { sti; loop { work } }\nhandler timer { work; eoi timer; iret }\n');
const count = (text: string, part: string): number => text.split(part).length - 1;

describe('simulate', () => {
  it('walks a fair path by default: the thread runs, the timer arrives now and then', () => {
    const r = cli(['simulate', TICKS, '--steps', '200']);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe(`${TICKS}: a random fair path (seed 1, 200 steps)`);
    expect([count(r.out, 'interrupt timer arrives'), count(r.out, 'thread t  line 2  work')]).toEqual([9, 138]);
  });

  it('refuses more steps than a large state can print (exit 2), instead of running out of memory', () => {
    const big = join(dir, 'big.sched');
    writeFileSync(big, 'machine x86_64 { cpus 1 }\nvar a : bool[1024]\nthread t on 0 { loop { work } }\n');
    const r = cli(['simulate', big, '--steps', '100000']);
    expect([r.code, r.out, r.err]).toEqual([
      2,
      '',
      `schedcheck: ${big}: --steps 100000 is too many for a state of 1045 values: at most 9569 steps of it are printed (the path is printed whole)\n`,
    ]);
  });

  it('--storms lets the timer arrive at any step, as asked', () => {
    const r = cli(['simulate', TICKS, '--steps', '200', '--storms']);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe(`${TICKS}: a random path, interrupts arriving at any step (seed 1, 200 steps)`);
    expect(count(r.out, 'thread t  line 2  work')).toBe(9);
  });

  it('exits 1 when the path breaks a property, 0 when it does not', () => {
    const loom = cli(['simulate', 'models/aethelos-001/spin-mutex-loom.sched', '--steps', '300']);
    expect(loom.code).toBe(1);
    expect(loom.out).toContain('End: no CPU can do anything any more (deadlock).');
    expect(loom.out).toContain('  step 60: lock-order: recursive locking: handler timer (on worker) acquires LOOM');
    const fixed = cli(['simulate', 'models/aethelos-001/spin-mutex-fixed.sched', '--steps', '300']);
    expect([fixed.code, fixed.out.trimEnd().split('\n').at(-1)]).toEqual([0, 'End: stopped after 300 steps.']);
  });

  it('exits 1 on an assertion that fails on the way', () => {
    const file = join(dir, 'assert.sched');
    writeFileSync(file, 'machine x86_64 { cpus 1 }\nvar n : 0..3 = 0\nthread t on 0 { n := 1; assert n == 0 "n moved" }\n');
    const r = cli(['simulate', file]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('  step 2: assertions: assertion failed: n moved\n');
  });
});
