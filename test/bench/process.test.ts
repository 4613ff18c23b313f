// The bench's whole-process time: `schedcheck check` spawned as a user runs it, timed from spawn to exit.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliCommand, timeCheckProcess } from '../../bench/schedcheck.js';

describe('bench: process time', () => {
  it('times the CLI as a child process, start-up included, and tells a finished check from a stopped one', () => {
    const loom = { model: 'models/aethelos-001/spin-mutex-loom.sched', promela: 'aethelos-001/spin-mutex-loom.pml', sets: {} };
    const done = timeCheckProcess(loom, { timeoutSeconds: 60 });
    expect(done).toEqual({ seconds: expect.any(Number), complete: true });
    // Node's start-up alone is more than 20 ms; the check of 207 states far less than a minute.
    expect((done as { seconds: number }).seconds).toBeGreaterThan(0.02);
    expect((done as { seconds: number }).seconds).toBeLessThan(60);
    // A check its timeout stops (exit 3) is timed as well, and flagged.
    const big = { model: 'models/forkexec-004/redesign-need-resched.sched', promela: '', sets: { CPUS: 2, THREADS: 2 } };
    expect(timeCheckProcess(big, { timeoutSeconds: 0 })).toEqual({ seconds: expect.any(Number), complete: false });
    expect(cliCommand().what).toMatch(/^(dist\/src\/cli\/main\.js \(built\)|src\/cli\/main\.ts through tsx)/);
  }, 60_000);

  it('reports a command that fails on its input as an error, with its exit code', () => {
    const dir = mkdtempSync(join(tmpdir(), 'schedcheck-bench-'));
    try {
      const model = join(dir, 'bad.sched');
      writeFileSync(model, 'machine x86_64 { cpus 1 }\nthread t on 0 { frobnicate }\n');
      const r = timeCheckProcess({ model, sets: {} }, { timeoutSeconds: 60 });
      expect(r).toEqual({ error: expect.stringMatching(/^exit 2: .*bad\.sched:2:/) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
