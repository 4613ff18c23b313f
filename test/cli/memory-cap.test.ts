// A run under a memory cap (`ulimit -v`, a cgroup) keeps the promise of a run that reaches the memory limit:
// it ends inconclusive, exit 3, with its statistics; never E000 (the WebAssembly memory that cannot be
// reserved), exit 2, or V8's abort. The CLI runs from dist/ (built by `npm ci`): tsx itself cannot start under
// a small address-space limit.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { addressSpaceLimit, defaultMemoryLimit, memoryGauge } from '../../src/checker/explicit/memory.js';
import { NO_TRAP_HANDLER, z3StartProblem } from '../../src/checker/smt/z3.js';
import { needsRerun } from '../../src/cli/trapless.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const MAIN = join(ROOT, 'dist/src/cli/main.js');
const MB = 1024 * 1024;
const GB = 1024 * MB;

function capped(kb: number, ...args: string[]): { code: number | null; out: string; err: string } {
  const quoted = args.map((a) => `'${a}'`).join(' ');
  const child = spawnSync('bash', ['-c', `ulimit -v ${kb}; exec node ${MAIN} check ${quoted}`], { cwd: ROOT, encoding: 'utf8' });
  return { code: child.status, out: child.stdout, err: child.stderr };
}

describe('the default memory bound', () => {
  it('is half the machine, at most 8 GB, within the cgroup and the address-space limit', () => {
    expect(defaultMemoryLimit(32 * GB, undefined, null, null)).toBe(8 * GB);
    expect(defaultMemoryLimit(4 * GB, undefined, null, null)).toBe(2 * GB);
    // Node answers 2^64 - 1 (or 0) when no cgroup limits the process.
    expect(defaultMemoryLimit(32 * GB, 2 ** 64, null, null)).toBe(8 * GB);
    expect(defaultMemoryLimit(32 * GB, 0, null, null)).toBe(8 * GB);
    expect(defaultMemoryLimit(32 * GB, 3 * GB, null, null)).toBe(1.5 * GB);
    // ulimit -v 4000000: half of what is left beyond the 700 MB already mapped.
    expect(defaultMemoryLimit(32 * GB, undefined, 4_096_000_000, 700 * MB)).toBe(Math.floor((4_096_000_000 - 700 * MB) / 2));
    expect(defaultMemoryLimit(32 * GB, undefined, 800 * MB, 790 * MB)).toBe(64 * MB);
  });

  it('reads the address-space limit from /proc/self/limits', () => {
    const limits = (as: string) => () => `Limit                     Soft Limit           Hard Limit           Units\nMax address space         ${as}            unlimited            bytes\n`;
    expect(addressSpaceLimit(limits('unlimited'))).toBeNull();
    expect(addressSpaceLimit(limits('4096000000'))).toBe(4_096_000_000);
    expect(addressSpaceLimit(() => { throw new Error('no /proc'); })).toBeNull();
  });

  it('refuses every allocation while the process is under pressure its resident size does not show', () => {
    let pressed = false;
    const gauge = memoryGauge(100 * MB, () => 10 * MB, () => 0, () => pressed);
    expect(gauge(MB)).toBe(true);
    pressed = true;
    expect(gauge(90 * MB)).toBe(false); // close to the limit: read again, and the pressure is seen
  });
});

describe.skipIf(!existsSync(MAIN))('check under ulimit -v', () => {
  it.each([2_000_000, 4_000_000, 8_000_000])('decides a seed model under %i KB, in JavaScript when WebAssembly cannot be reserved', (kb) => {
    const r = capped(kb, 'models/aethelos-001/spin-mutex-loom.sched', '--property', 'no-deadlock');
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    expect(r.out).toContain('no-deadlock  VIOLATED  (expected violated: matches)');
    expect(r.out).toMatch(/^Explored: 59 states, 74 transitions, depth 8, /m);
  });

  it('ends inconclusive (exit 3) with statistics when the store cannot grow under the cap', () => {
    const r = capped(1_500_000, 'test/fixtures/memory/wide-state.sched', '--property', 'assertions');
    expect(r.err).toBe('');
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/assertions {2}inconclusive: stopped at the memory limit \(\d+ MB\) with \d+ states/);
    expect(r.out).toMatch(/^Explored: \d+ states, \d+ transitions, depth \d+, /m);
  });

  it('runs the SMT engine under ulimit -v 8000000: the CLI runs again without the WebAssembly trap handler', () => {
    const r = capped(8_000_000, 'test/report/fixtures/tiny.sched', '--property', 'stack-integrity', '--engine', 'smt');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('  stack-integrity  holds: the explicit result re-checked by SMT  [smt]\n');
    expect(r.out).toMatch(/^SMT engine, time to each verdict:\n  stack-integrity  k = 1, \d+\.\d\d s$/m);
  });

  it('ends the SMT engine inconclusive at the memory limit, saying why, when the limit leaves Z3 too little', () => {
    const r = capped(2_000_000, 'models/aethelos-001/spin-mutex-loom.sched', '--property', 'no-deadlock', '--engine', 'smt');
    expect(r.err).toBe('');
    expect(r.code).toBe(3);
    expect(r.out).toMatch(
      /no-deadlock {2}inconclusive: Z3 cannot start under the address-space limit \(ulimit -v\): it needs about 4608 MB of address space, and the limit leaves \d+ MB {2}\[smt\]/,
    );
  });
});

describe('Z3 and the address-space limit', () => {
  it('runs `check --engine smt` again without the trap handler under a limit too small for it, once', () => {
    const GiB = 1024 ** 3;
    const smt = ['check', 'm.sched', '--engine', 'smt'];
    expect(needsRerun(smt, 8 * GiB, [], undefined, true)).toBe(true);
    expect(needsRerun(['--color', 'never', 'check', '--engine=smt', 'm.sched'], 8 * GiB, [], undefined, true)).toBe(true);
    expect(needsRerun(smt, null, [], undefined, true)).toBe(false);
    expect(needsRerun(smt, 64 * GiB, [], undefined, true)).toBe(false);
    expect(needsRerun(smt, 8 * GiB, ['--import', 'tsx', NO_TRAP_HANDLER], undefined, true)).toBe(false);
    expect(needsRerun(smt, 8 * GiB, [], `--max-old-space-size=900 ${NO_TRAP_HANDLER}`, true)).toBe(false);
    // A Node without the flag runs as it is; so do the explicit engine, both engines, and other commands.
    expect(needsRerun(smt, 8 * GiB, [], undefined, false)).toBe(false);
    expect(needsRerun(['check', 'm.sched'], 8 * GiB, [], undefined, true)).toBe(false);
    expect(needsRerun(['check', 'm.sched', '--engine', 'smt', '--engine', 'both'], 8 * GiB, [], undefined, true)).toBe(false);
    expect(needsRerun(['gate', 'p.plan'], 8 * GiB, [], undefined, true)).toBe(false);
    expect(needsRerun(['explore', 'check', '--engine', 'smt'], 8 * GiB, [], undefined, true)).toBe(false);
  });

  it('does not start Z3 without the address space it needs, and says how much is left', () => {
    expect(z3StartProblem(null, 700 * MB, false)).toBeNull();
    expect(z3StartProblem(8_000_000 * 1024, 800 * MB, true)).toBeNull();
    expect(z3StartProblem(5_000_000 * 1024, 1000 * MB, true)).toBe(
      'Z3 cannot start under the address-space limit (ulimit -v): it needs about 4608 MB of address space, and the limit leaves 3882 MB',
    );
    expect(z3StartProblem(8_000_000 * 1024, 800 * MB, false)).toBe(
      'Z3 cannot start under the address-space limit (ulimit -v): it needs about 13312 MB of address space, with the 10 GiB V8 reserves for the WebAssembly trap handler, and the limit leaves 7012 MB',
    );
  });
});
