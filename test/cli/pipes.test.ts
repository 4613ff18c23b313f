// Output into a pipe whose reader stops early ends quietly with exit 0.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { MAIN, ROOT, TSX } from './run.js';

describe('a closed pipe', () => {
  it('schedcheck explore M | head -1: the first line, no stack trace, exit 0', () => {
    // 190 kB of DOT: far more than a pipe holds, so writes go on after head has gone.
    const line = `set -o pipefail; '${process.execPath}' --import '${TSX}' '${MAIN}' explore models/aethelos-001/spin-mutex-fixed.sched | head -1`;
    const r = spawnSync('bash', ['-c', line], { cwd: ROOT, encoding: 'utf8' });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'digraph states {\n', '']);
  });
});
