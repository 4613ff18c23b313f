// A lock-order cycle has a half per context: the counterexample traces the acquire that closed the cycle, and
// the report traces each other half too, from the initial state to the acquire that first showed it.

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

  it('JSON carries the halves beside the counterexample', () => {
    const json = JSON.parse(cli(['check', ABBA, '--property', 'lock-order', '--format', 'json']).out) as {
      results: { counterexample: { length: number }; cycleTraces: { title: string; length: number; steps: { label: string }[] }[] }[];
    };
    const r = json.results[0]!;
    expect(r.counterexample.length).toBe(7);
    expect(r.cycleTraces.map((h) => [h.title.split(',')[0], h.length, h.steps.at(-1)!.label])).toEqual([['SCHED -> PROC', 5, 'acquire PROC']]);
  });
});
