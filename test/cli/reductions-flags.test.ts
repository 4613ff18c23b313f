// `schedcheck check --hash-compaction` and `--symmetry`, run as a user runs them (the real yargs declarations in
// a child process): the flags reach the engine, the text report adds exactly the reduction lines (the collision
// probability, the folded thread groups) and nothing else, verdicts and counterexamples stay those of the exact
// search, JSON carries `reductions`, and the exit codes follow the verdicts.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { schedcheck, untimed } from './run.js';

const RACY = 'models/aethelos-001/lock-contention-racy.sched';
const CONTENTION = 'models/aethelos-001/lock-contention.sched';
const REAPS = 'models/aarch64-003/next-task-reaps.sched';

const HC_RACY =
  "Hash compaction: 64-bit fingerprints, 7.5 bytes per state; a 'holds' is complete except with probability 1.9e-12 (a fingerprint collision hiding a state)";

describe('check --hash-compaction', () => {
  it('adds the collision probability and leaves verdicts, counterexample and counts as they were', () => {
    const props = ['--property', 'assertions', '--property', 'lock-order'];
    const exact = schedcheck(RACY, ...props);
    const compacted = schedcheck(RACY, ...props, '--hash-compaction');
    expect([exact.code, exact.err]).toEqual([1, '']);
    expect([compacted.code, compacted.err]).toEqual([1, '']);
    const lines = untimed(compacted.out).split('\n');
    expect(lines.slice(0, 9)).toEqual([
      `${RACY} (x86_64, 1 CPU)`,
      '',
      '  assertions  VIOLATED  (expected violated: matches)',
      '  lock-order  holds  (expected holds: matches)',
      '',
      "(expected ...) compares a verdict with the model's own `expect` line; `check --expect` exits 0 when all match.",
      '',
      HC_RACY,
      '',
    ]);
    expect(lines).toContain('Explored: 8474 states, 12715 transitions, depth 97, T s');
    // Nothing but the reduction line (and its blank line) differs from the exact search's report.
    expect(untimed(compacted.out)).toBe(untimed(exact.out).replace('all match.\n\n', `all match.\n\n${HC_RACY}\n\n`));
  });

  it('exits 0 when every property holds, with the same state count as the exact search', () => {
    const r = schedcheck(CONTENTION, '--set', 'THREADS=3', '--property', 'assertions', '--property', 'lock-order', '--hash-compaction');
    expect([r.code, r.err]).toEqual([0, '']);
    expect(untimed(r.out)).toBe(
      [
        `${CONTENTION} (x86_64, 1 CPU)`,
        '',
        '  assertions  holds  (expected holds: matches)',
        '  lock-order  holds  (expected holds: matches)',
        '',
        "(expected ...) compares a verdict with the model's own `expect` line; `check --expect` exits 0 when all match.",
        '',
        "Hash compaction: 64-bit fingerprints, 7.7 bytes per state; a 'holds' is complete except with probability 8.8e-12 (a fingerprint collision hiding a state)",
        '',
        'Worst stack depth over all interleavings (frames used/declared): first 5/8, other[0] 5/8, other[1] 5/8',
        '',
        'Explored: 18019 states, 27038 transitions, depth 125, T s',
        '',
      ].join('\n'),
    );
  });

  it('exits 3 when a property that needs the state graph can only be checked for violations', () => {
    const r = schedcheck(CONTENTION, '--set', 'THREADS=2', '--property', 'no-deadlock', '--property', 'assertions', '--hash-compaction');
    expect([r.code, r.err]).toEqual([3, '']);
    expect(r.out).toContain(
      '  no-deadlock  inconclusive: not checked: it needs the explored state graph, which hash compaction does not keep  (expected holds: not decided)\n',
    );
    expect(r.out).toContain('  assertions   holds  (expected holds: matches)\n');
    expect(schedcheck(CONTENTION, '--set', 'THREADS=2', '--property', 'no-deadlock', '--property', 'assertions').code).toBe(0);
  });
});

describe('check --symmetry', () => {
  it('folds renumbered tasks, names the group, and keeps the verdicts', () => {
    const props = ['--set', 'CPUS=2', '--set', 'THREADS=4', '--property', 'assertions', '--property', 'stack-integrity'];
    const exact = schedcheck(REAPS, ...props);
    const folded = schedcheck(REAPS, ...props, '--symmetry');
    expect([exact.code, folded.code, folded.err]).toEqual([0, 0, '']);
    expect(exact.out).toContain('Explored: 2811 states, 5318 transitions, depth 80,');
    expect(exact.out).not.toContain('Symmetry');
    expect(untimed(folded.out)).toBe(
      [
        `${REAPS} (aarch64, 2 CPUs)`,
        '',
        '  assertions       holds  (expected holds: matches)',
        '  stack-integrity  holds  (expected holds: matches)',
        '',
        "(expected ...) compares a verdict with the model's own `expect` line; `check --expect` exits 0 when all match.",
        '',
        'Symmetry reduction: one state per renumbering of task[0..1]',
        '',
        'Worst stack depth over all interleavings (frames used/declared): boot[0] 2/6, boot[1] 2/6, task[0] 2/6, task[1] 2/6',
        '',
        'Explored: 2139 states, 4042 transitions, depth 80, T s',
        '',
      ].join('\n'),
    );
  });

  it('says so when no threads are interchangeable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'schedcheck-reductions-'));
    const file = join(dir, 'one.sched');
    writeFileSync(file, 'machine x86_64 { cpus 1 }\nthread t on 0 { work }\n');
    const r = schedcheck(file, '--property', 'assertions', '--symmetry');
    expect([r.code, r.err]).toEqual([0, '']);
    expect(r.out).toContain('\n\nSymmetry reduction: no interchangeable threads, nothing reduced\n\n');
  });
});

describe('check --format json with reductions', () => {
  it('carries `reductions` beside the results; without the flags the object has no such key', () => {
    const props = ['--set', 'THREADS=3', '--property', 'assertions', '--format', 'json'];
    const r = schedcheck(CONTENTION, ...props, '--hash-compaction', '--symmetry');
    expect([r.code, r.err]).toEqual([0, '']);
    const json = JSON.parse(r.out);
    expect(Object.keys(json)).toEqual(['model', 'results', 'figures', 'reductions']);
    expect(json.results[0]).toMatchObject({ property: 'assertions', verdict: 'holds', complete: true, stats: { states: 18019, transitions: 27038, depth: 125 } });
    expect(Object.keys(json.reductions)).toEqual(['hashCompaction', 'symmetry']);
    expect(json.reductions.symmetry).toEqual({ groups: ['other[0..1]'] });
    expect(Object.keys(json.reductions.hashCompaction)).toEqual(['fingerprintBits', 'bytesPerState', 'collisionProbability']);
    expect(json.reductions.hashCompaction.fingerprintBits).toBe(64);
    expect(json.reductions.hashCompaction.bytesPerState.toFixed(2)).toBe('7.66');
    expect(json.reductions.hashCompaction.collisionProbability.toExponential(3)).toBe('8.811e-12');

    const plain = JSON.parse(schedcheck(CONTENTION, ...props).out);
    expect(Object.keys(plain)).toEqual(['model', 'results', 'figures']);
  });

  it('rejects a misspelt flag as bad usage (exit 2), as every unknown option is', () => {
    const r = schedcheck(CONTENTION, '--hash-compact');
    expect(r.code).toBe(2);
    expect(r.err).toBe("schedcheck: Unknown argument: --hash-compact; did you mean '--hash-compaction'?\nRun 'schedcheck --help' for usage.\n");
  });
});
