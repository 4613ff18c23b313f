// The text report: each verdict and the statistics once, trace lines that name their file once, the fairness
// paragraph once and only beside a no-starvation verdict, "(expected ...)" explained once, the latency figure
// with its number, and a deadlock's trace ending at the instruction the CPU is stuck at.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, untimed } from './run.js';

const LOOM = 'models/aethelos-001/spin-mutex-loom.sched';
const FIXED = 'models/aethelos-001/spin-mutex-fixed.sched';
const count = (text: string, part: string): number => text.split(part).length - 1;

describe('the text report', () => {
  const r = cli(['check', LOOM, '--property', 'no-deadlock', '--property', 'eoi-discipline']);

  it('prints each verdict and the statistics once', () => {
    expect(r.code).toBe(1);
    expect(count(r.out, 'VIOLATED')).toBe(2);
    expect(r.out).toContain('\nno-deadlock:\n  deadlock: no CPU can make progress');
    expect(r.out).not.toMatch(/\(\d+ states/);
    expect(count(r.out, ' states, ')).toBe(1);
    expect(untimed(r.out)).toMatch(/\nExplored: 207 states, 303 transitions, depth 23, T s\n$/);
  });

  it('names the model file once per trace, and its steps by line', () => {
    const trace = r.out.split('\n').filter((l) => /^ {2}\d+ {2}CPU0/.test(l));
    expect(trace.length).toBe(15);
    for (const line of trace) expect(line).not.toContain(LOOM);
    expect(r.out).toContain(`  Trace (8 steps, a shortest one; lines of ${LOOM}):\n`);
    expect(r.out).toContain('  6  CPU0  thread worker  line 45  acquire LOOM\n');
  });

  it('ends a deadlock trace at the instruction the CPU is stuck at', () => {
    expect(r.out).toContain(
      '  8  CPU0  handler timer (on worker)  line 53  work\n     then stuck at line 54: acquire LOOM   <-- here\n',
    );
  });

  it('explains "(expected ...)" once', () => {
    expect(count(r.out, "(expected ...) compares a verdict with the model's own `expect` line; `check --expect` exits 0 when all match.")).toBe(1);
    expect(count(r.out, '(expected violated: matches)')).toBe(2);
  });

  it('states the fairness assumption once, and only beside a no-starvation verdict', () => {
    expect(r.out).not.toContain('assumes fairness');
    const both = cli(['check', FIXED, '--property', 'no-starvation', '--engine', 'both']);
    expect(both.code).toBe(0);
    expect(count(both.out, 'no-starvation assumes fairness: ')).toBe(1);
    const unchecked = cli(['check', FIXED, '--property', 'no-starvation', '--hash-compaction']);
    expect(unchecked.out).not.toContain('assumes fairness');
  }, 60_000);

  it('gives the latency figure its number', () => {
    const dir = mkdtempSync(join(tmpdir(), 'schedcheck-text-'));
    const model = (name: string, bound: number, works: number): string => {
      const file = join(dir, name);
      writeFileSync(file, `machine x86_64 { cpus 1; latency ${bound} }\nthread t on 0 { cli; ${'work; '.repeat(works)}sti }\n`);
      return file;
    };
    expect(cli(['check', model('over.sched', 2, 3)]).out).toContain('\nLongest window with interrupts masked: more than 2 steps (CPU0; the declared latency bound is 2)\n');
    expect(cli(['check', model('under.sched', 5, 2)]).out).toContain('\nLongest window with interrupts masked: 3 steps (CPU0; the declared latency bound is 5)\n');
  });
});
