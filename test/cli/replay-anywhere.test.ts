// `replay` finds the reference kernel design by the model, not by a path relative to the working directory:
// from any directory, and for a copy of the model.

import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findDesign } from '../../src/kernel/run.js';
import { cli, ROOT } from './run.js';

describe('replay from any directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'schedcheck-replay-'));
  const model = join(ROOT, findDesign('001-naive')!.model);
  const cex = join(dir, 'cex.itf.json');
  const checked = cli(['check', model, '--property', 'no-deadlock', '--trace', cex]);

  it('replays with the model named by an absolute path from another directory', () => {
    expect(checked.code).toBe(1);
    const r = cli(['replay', model, 'cex.itf.json'], { cwd: dir });
    expect([r.code, r.err]).toEqual([1, '']);
    expect(r.out).toContain('HANG: the watchdog saw no progress on cpu0 (deadlocked CPUs)\n');
  });

  it('replays a copy of the model, named relative to that directory', () => {
    copyFileSync(model, join(dir, 'copy.sched'));
    const r = cli(['replay', 'copy.sched', 'cex.itf.json'], { cwd: dir });
    expect([r.code, r.err]).toEqual([1, '']);
    expect(r.out).toContain('HANG: the watchdog saw no progress on cpu0 (deadlocked CPUs)\n');
  });
});
