// Commands that could run without end get bounds: `simulate --steps` has a maximum, and `kernel run` stops at
// its time limit (`--timeout`, 300 s by default) with what it ran so far, exit 3.

import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findDesign, runDesign } from '../../src/kernel/run.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const MAIN = join(ROOT, 'src/cli/main.ts');
const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, encoding: 'utf8' });

describe('bounds on simulate and kernel run', () => {
  it('stops a kernel run at its time limit, with the cycles it ran', () => {
    const summary = runDesign(findDesign('001-option2')!, { cycles: 1e12, timeoutSeconds: 0 });
    expect(summary.stopped).toBe('timeout');
    expect(summary.cycles).toBe(2 ** 20);
    expect(summary.outcome).toEqual({ kind: 'ok' });
    // A run that ends within its limit is not marked.
    expect(runDesign(findDesign('001-option2')!, { cycles: 1000, timeoutSeconds: 60 }).stopped).toBeUndefined();
  });

  it('ends `kernel run --cycles 1e12` inconclusive (exit 3), and refuses `simulate --steps 99999999999` (exit 2)', () => {
    const kernel = cli('kernel', 'run', '001-option2', '--cycles', '1e12', '--timeout', '0');
    expect(kernel.status).toBe(3);
    expect(kernel.stdout).toContain('inconclusive: stopped at the time limit (0 s, --timeout) after 1048576 of 1000000000000 cycles\n');
    const simulate = cli('simulate', 'models/aethelos-001/option2-yield-pending.sched', '--steps', '99999999999');
    expect(simulate.status).toBe(2);
    expect(simulate.stderr).toBe("schedcheck: --steps is at most 100000\nRun 'schedcheck --help' for usage.\n");
  });
});
