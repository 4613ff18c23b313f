// A lock-order cycle has a half per context: the counterexample traces the acquire that closed the cycle, and
// the report traces each other half too, from the initial state to the acquire that first showed it.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './run.js';

const ABBA = 'models/forkexec-004/old-handler-abba.sched';

describe('both halves of a lock-order cycle', () => {
  const text = cli(['check', ABBA, '--property', 'lock-order']);

  it('the text report traces the other half in its own context', () => {
    expect(text.code).toBe(1);
    expect(text.out).toContain('  7  CPU0  thread boot[0]  line 58  acquire SCHED   <-- here\n');
    const half = text.out.slice(text.out.indexOf('  The other half of the cycle, '));
    expect(half.split('\n')[0]).toBe(
      `  The other half of the cycle, SCHED -> PROC, first seen in handler timer (on boot[0]) on CPU 0 at ${ABBA}:69 (acquire PROC) (5 steps):`,
    );
    expect(half).toContain('  1  CPU0  thread boot[0]  interrupt timer arrives and is taken\n');
    expect(half).toContain('  2  CPU0  handler timer (on boot[0])  line 66  acquire SCHED\n');
    expect(half).toContain('  5  CPU0  handler timer (on boot[0])  line 69  acquire PROC   <-- here\n     | locks held: SCHED, PROC\n');
  });

  it('JSON carries the other halves in the counterexample', () => {
    const json = JSON.parse(cli(['check', ABBA, '--property', 'lock-order', '--format', 'json']).out) as {
      results: { counterexample: { length: number; cycleTraces: { title: string; length: number; steps: { label: string }[] }[] } }[];
    };
    const cex = json.results[0]!.counterexample;
    expect(cex.length).toBe(7);
    expect(cex.cycleTraces.map((h) => [h.title.split(',')[0], h.length, h.steps.at(-1)!.label])).toEqual([['SCHED -> PROC', 5, 'acquire PROC']]);
  });

  it('the lock graph draws each half as a trace beside the lock it acquires, and export draws it again identically', () => {
    const dir = mkdtempSync(join(tmpdir(), 'schedcheck-halves-'));
    expect(cli(['check', ABBA, '--property', 'lock-order', '--dot', join(dir, 'c.dot'), '--trace', join(dir, 'c.itf.json')]).code).toBe(1);
    const dot = readFileSync(join(dir, 'c.locks.dot'), 'utf8');
    expect(dot).toContain('half 1: PROC -&gt; SCHED, first seen in thread boot[0] on CPU 0 at old-handler-abba.sched:58 (acquire SCHED)');
    expect(dot).toContain('#7 cpu0 thread boot[0]: acquire SCHED');
    expect(dot).toContain('half 2: SCHED -&gt; PROC, first seen in handler timer (on boot[0]) on CPU 0 at old-handler-abba.sched:69 (acquire PROC)');
    expect(dot).toContain('#5 cpu0 handler timer (on boot[0]): acquire PROC');
    expect(dot).toContain('"half 1" -> "lock SCHED" [style="dashed"');
    expect(dot).toContain('"half 2" -> "lock PROC" [style="dashed"');
    expect(cli(['export', join(dir, 'c.itf.json'), '--dot', join(dir, 'e.dot')]).code).toBe(0);
    expect(readFileSync(join(dir, 'e.locks.dot'), 'utf8')).toBe(dot);
  });
});
