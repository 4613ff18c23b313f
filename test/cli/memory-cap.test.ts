// A run under a memory cap (`ulimit -v`, a cgroup) keeps the promise of a run that reaches the memory limit:
// it ends inconclusive, exit 3, with its statistics; never E000 (the WebAssembly memory that cannot be
// reserved), exit 2, or V8's abort. The CLI runs from dist/ (built by `npm ci`): tsx itself cannot start under
// a small address-space limit.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { addressSpaceLimit, defaultMemoryLimit, memoryGauge, wasmMemoryMaximum } from '../../src/checker/explicit/memory.js';
import { NO_TRAP_HANDLER, z3StartProblem } from '../../src/checker/smt/z3.js';
import { needsRerun } from '../../src/cli/trapless.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const MAIN = join(ROOT, 'dist/src/cli/main.js');
const MB = 1024 * 1024;
const GB = 1024 * MB;

const WASM_REPORT = join(ROOT, 'test/fixtures/cli/report-wasm.mjs');

/** `schedcheck check ARGS` under `ulimit -v KB`; `command` (before the arguments) and Node's options may be given. */
function capped(kb: number, ...args: string[]): { code: number | null; out: string; err: string } {
  return cappedRun(kb, [], ['check', ...args]);
}

function cappedRun(kb: number, node: string[], args: string[]): { code: number | null; out: string; err: string } {
  const quoted = [...node, MAIN, ...args].map((a) => `'${a}'`).join(' ');
  const child = spawnSync('bash', ['-c', `ulimit -v ${kb}; exec node ${quoted}`], { cwd: ROOT, encoding: 'utf8' });
  return { code: child.status, out: child.stdout, err: child.stderr };
}

describe('the default memory bound', () => {
  it('is three quarters of the machine, within the cgroup and the address-space limit', () => {
    expect(defaultMemoryLimit(32 * GB, undefined, null, null)).toBe(24 * GB);
    expect(defaultMemoryLimit(4 * GB, undefined, null, null)).toBe(3 * GB);
    // Node answers 2^64 - 1 (or 0) when no cgroup limits the process.
    expect(defaultMemoryLimit(32 * GB, 2 ** 64, null, null)).toBe(24 * GB);
    expect(defaultMemoryLimit(32 * GB, 0, null, null)).toBe(24 * GB);
    expect(defaultMemoryLimit(32 * GB, 3 * GB, null, null)).toBe(2.25 * GB);
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
  it.each([2_000_000, 4_000_000, 8_000_000])('decides a seed model under %i KB', (kb) => {
    const r = capped(kb, 'models/aethelos-001/spin-mutex-loom.sched', '--property', 'no-deadlock');
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    expect(r.out).toContain('no-deadlock  VIOLATED  (expected violated: matches)');
    expect(r.out).toMatch(/^Explored: 59 states, 74 transitions, depth 8, /m);
  });

  it.each([2_000_000, 4_000_000, 8_000_000])('searches in WebAssembly under %i KB: the CLI runs again without the trap handler, and its memories fit', (kb) => {
    const r = cappedRun(kb, ['--import', WASM_REPORT], ['check', 'models/aethelos-001/spin-mutex-loom.sched', '--property', 'no-deadlock']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^Explored: 59 states, 74 transitions, depth 8, /m);
    // The run that searched (the second: the first only started it again) made the compiled model's instance
    // and the search's, and none failed.
    expect(r.err).toBe('wasm-instances made 2 failed 0 trap-handler off\nwasm-instances made 0 failed 0 trap-handler on\n');
  });

  it('runs both engines under ulimit -v 8000000, in check and in gate', () => {
    const both = capped(8_000_000, 'models/aethelos-001/spin-mutex-loom.sched', '--property', 'no-deadlock', '--engine', 'both');
    expect(both.err).toBe('');
    expect(both.code).toBe(1);
    expect(both.out).toContain('  no-deadlock  VIOLATED  (expected violated: matches)\n');
    expect(both.out).toContain('  no-deadlock  VIOLATED  [smt]  (expected violated: matches)\n');
    expect(both.out).not.toContain('cannot start');
    const gate = cappedRun(8_000_000, [], ['gate', 'test/fixtures/memory/engines.plan']);
    expect(gate.err).toBe('');
    expect(gate.code).toBe(0);
    expect(gate.out).toMatch(/^gate: 4 checks over 2 model configurations: 4 as expected, 0 FAILED, 0 not yet checkable/m);
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
  it('runs the CLI again without the trap handler under a limit too small for it, once, whatever the command', () => {
    const GiB = 1024 ** 3;
    expect(needsRerun(8 * GiB, [], undefined, true)).toBe(true);
    expect(needsRerun(null, [], undefined, true)).toBe(false);
    expect(needsRerun(64 * GiB, [], undefined, true)).toBe(false);
    expect(needsRerun(8 * GiB, ['--import', 'tsx', NO_TRAP_HANDLER], undefined, true)).toBe(false);
    expect(needsRerun(8 * GiB, [], `--max-old-space-size=900 ${NO_TRAP_HANDLER}`, true)).toBe(false);
    // A Node without the flag runs as it is.
    expect(needsRerun(8 * GiB, [], undefined, false)).toBe(false);
  });

  it('declares a maximum for the search memories under an address-space limit, an eighth of it', () => {
    expect(wasmMemoryMaximum(null)).toBeNull();
    expect(wasmMemoryMaximum(8_000_000 * 1024)).toBe(15625);
    expect(wasmMemoryMaximum(64 * GB)).toBe(65536);
    expect(wasmMemoryMaximum(1024)).toBe(1);
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
