// `schedcheck check --engine smt|both`, run as a user runs it (the real yargs declarations in a child process):
// the SMT engine's verdicts and counterexample, its figures in the report, the two engines side by side with
// the exit code of the stronger answer, and --timeout ending the run as inconclusive.

import { describe, expect, it } from 'vitest';
import { combinedVerdicts, disagreement } from '../../src/checker/check.js';
import type { PropertyResult } from '../../src/checker/verdict.js';
import { schedcheck, untimed } from './run.js';

const LOOM = 'models/aethelos-001/spin-mutex-loom.sched';
const OPTION2 = 'models/aethelos-001/option2-yield-pending.sched';
const REDESIGN = 'models/forkexec-004/redesign-need-resched.sched';

describe('check --engine smt', () => {
  it('finds the shortest deadlock of the spin::Mutex design, replayed and told as the explicit engine tells it', () => {
    const r = schedcheck(LOOM, '--engine', 'smt', '--property', 'no-deadlock', '--property', 'stack-integrity');
    expect([r.code, r.err]).toEqual([1, '']);
    const lines = untimed(r.out).split('\n');
    expect(lines.slice(0, 10)).toEqual([
      `${LOOM} (x86_64, 1 CPU)`,
      '',
      '  no-deadlock      VIOLATED  [smt]  (expected violated: matches)',
      '  stack-integrity  holds: the explicit result re-checked by SMT  [smt]  (expected holds: matches)',
      '',
      "(expected ...) compares a verdict with the model's own `expect` line; `check --expect` exits 0 when all match.",
      '',
      'no-deadlock [smt]:',
      `  deadlock: no CPU can make progress: CPU0: handler timer (on worker) spins on LOOM at ${LOOM}:54 with interrupts masked, which worker already holds (recursive locking)`,
      '',
    ]);
    expect(lines).toContain(`  Trace (8 steps, a shortest one; lines of ${LOOM}):`);
    expect(lines).toContain('  8  CPU0  handler timer (on worker)  line 53  work');
    expect(lines).toContain('     then stuck at line 54: acquire LOOM   <-- here');
    // Each property's own time to its verdict.
    expect(lines.slice(-5)).toEqual(['', 'SMT engine, time to each verdict:', '  no-deadlock      a path of 8 steps, T s', '  stack-integrity  k = 1, T s', '']);
  }, 120_000);

  it('proves the fixed design by k-induction: JSON says engine smt, complete, k as the depth, and what the proof rests on', () => {
    const r = schedcheck(OPTION2, '--engine', 'smt', '--property', 'stack-integrity', '--property', 'lock-order', '--property', 'no-starvation', '--format', 'json');
    // no-starvation is left to the explicit engine: not decided here, exit 3.
    expect([r.code, r.err]).toEqual([3, '']);
    const report = JSON.parse(r.out) as { model: string; results: PropertyResult[] };
    expect(report.results.map((x) => [x.property, x.engine, x.verdict, x.verdict === 'holds' && x.complete, x.stats.states, x.stats.depth, x.proof, x.decidableBy])).toEqual([
      ['stack-integrity', 'smt', 'holds', true, 0, 1, { method: 'explicit-recheck', k: 1, configuration: { THREADS: 2 } }, undefined],
      ['lock-order', 'smt', 'holds', true, 0, 1, { method: 'explicit-recheck', k: 1, configuration: { THREADS: 2 } }, undefined],
      ['no-starvation', 'smt', 'inconclusive', false, 0, 0, undefined, 'explicit'],
    ]);
    for (const x of report.results) expect(x.stats.seconds).toBeGreaterThan(0);
  }, 120_000);

  it('--timeout is a hard stop: inconclusive (timeout), exit 3, no stack trace', () => {
    const r = schedcheck(REDESIGN, '--engine', 'smt', '--property', 'stack-integrity', '--timeout', '1', '--format', 'json');
    expect([r.code, r.err]).toEqual([3, '']);
    const [result] = (JSON.parse(r.out) as { results: PropertyResult[] }).results;
    expect(result).toMatchObject({ property: 'stack-integrity', engine: 'smt', verdict: 'inconclusive', reason: 'timeout' });
    expect(result!.stats.seconds).toBeLessThan(10);
  }, 120_000);
});

describe('check --engine smt --max-memory', () => {
  it('stops Z3 at the memory limit: inconclusive (max-memory), exit 3, never an abort', () => {
    const r = schedcheck(REDESIGN, '--engine', 'smt', '--property', 'stack-integrity', '--max-memory', '1', '--format', 'json');
    expect([r.code, r.err]).toEqual([3, '']);
    const [result] = (JSON.parse(r.out) as { results: PropertyResult[] }).results;
    expect(result).toMatchObject({ property: 'stack-integrity', engine: 'smt', verdict: 'inconclusive', reason: 'max-memory' });
    expect(result!.verdict === 'inconclusive' && result!.detail).toMatch(/^stopped at the memory limit \(1 MB\)/);
  }, 120_000);
});

describe('check --engine both', () => {
  it('prints both engines\' results; the exit code takes the stronger answer for each property', () => {
    const r = schedcheck(OPTION2, '--engine', 'both', '--property', 'stack-integrity', '--property', 'no-starvation');
    expect([r.code, r.err]).toEqual([0, '']);
    const lines = untimed(r.out).split('\n');
    expect(lines.slice(0, 7)).toEqual([
      `${OPTION2} (x86_64, 1 CPU)`,
      '',
      '  stack-integrity  holds  (expected holds: matches)',
      '  no-starvation    holds  (expected holds: matches)',
      '  stack-integrity  holds: the explicit result re-checked by SMT  [smt]  (expected holds: matches)',
      '  no-starvation    inconclusive: no-starvation is a liveness property: bounded model checking and k-induction only see safety properties; the explicit engine decides it  [smt]  (expected holds: not decided)',
      '',
    ]);
    expect(lines.slice(-5)).toEqual([
      'Explored: 630 states, 946 transitions, depth 73, T s',
      'SMT engine (THREADS=2), time to each verdict:',
      '  stack-integrity  k = 1, T s',
      '  no-starvation    not decided, T s',
      '',
    ]);
  }, 120_000);
});

const stats = { states: 0, transitions: 0, depth: 3, seconds: 0 };
const holds = (engine: 'explicit' | 'smt', complete = true): PropertyResult => ({ property: 'stack-integrity', engine, verdict: 'holds', complete, stats });
const violated = (engine: 'explicit' | 'smt', length: number, property: PropertyResult['property'] = 'stack-integrity'): PropertyResult => ({
  property,
  engine,
  verdict: 'violated',
  counterexample: { property, message: 'm', length, steps: [], violationSpan: null },
  stats,
} as unknown as PropertyResult);
const bounded = (engine: 'explicit' | 'smt'): PropertyResult => ({ property: 'stack-integrity', engine, verdict: 'inconclusive', reason: 'max-depth', detail: 'd', stats });

describe('two engines never disagree silently', () => {
  it('a proof against a violation, either way round, is a disagreement', () => {
    expect(disagreement(violated('explicit', 4), holds('smt'))).toBe('stack-integrity: the explicit engine found a violation in 4 steps, the SMT engine proved it holds');
    expect(disagreement(holds('explicit'), violated('smt', 5))).toBe(
      'stack-integrity: the SMT engine found a violation in 5 steps, the explicit engine explored every state and found none',
    );
  });

  it('shortest counterexamples of different lengths disagree, except where the explicit engine sees more (livelocks)', () => {
    expect(disagreement(violated('explicit', 4), violated('smt', 6))).toBe('stack-integrity: shortest counterexamples of 4 steps (explicit) and 6 steps (SMT)');
    expect(disagreement(violated('explicit', 4, 'no-deadlock'), violated('smt', 6, 'no-deadlock'))).toBeNull();
    expect(disagreement(violated('explicit', 4), violated('smt', 4))).toBeNull();
  });

  it('a bound reached contradicts nothing', () => {
    expect(disagreement(violated('explicit', 40), bounded('smt'))).toBeNull();
    expect(disagreement(bounded('explicit'), holds('smt'))).toBeNull();
  });

  it('the combined verdict of a property: violated over holds over inconclusive', () => {
    expect(combinedVerdicts([holds('explicit'), bounded('smt')])).toEqual(['holds']);
    expect(combinedVerdicts([bounded('explicit'), bounded('smt')])).toEqual(['inconclusive']);
    expect(combinedVerdicts([violated('explicit', 3), bounded('smt'), { ...bounded('explicit'), property: 'lock-order' }])).toEqual(['violated', 'inconclusive']);
  });
});
