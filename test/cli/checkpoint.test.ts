// `check --checkpoint DIR` and `--resume DIR` on the command line: a resumed run reports what a run without
// checkpoints reports, and what a checkpoint cannot do is bad usage (M003, exit 2).

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkProgram } from '../../src/checker/check.js';
import type { PropertyId } from '../../src/ir/ir.js';
import { loadModel } from '../../src/lang/load.js';
import { digestOf } from '../../src/cli/swarm.js';
import { cli } from './run.js';

const MODEL = 'models/forkexec-004/old-handler-abba.sched';
const PROPERTIES: PropertyId[] = ['stack-integrity', 'atomic-sleep'];
const dir = mkdtempSync(join(tmpdir(), 'schedcheck-cli-checkpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const untimed = (out: string) =>
  (JSON.parse(out) as { results: { stats: object }[] }).results.map((r) => ({ ...r, stats: { ...r.stats, seconds: 0 } }));

describe('check --checkpoint and --resume', () => {
  it('a resumed run reports what a run without checkpoints reports', async () => {
    // The checkpoint of a run of the same search, as the command line names it (model text and constants).
    const program = loadModel(MODEL, []).program!;
    const of = { model: MODEL, digest: digestOf(`${readFileSync(MODEL, 'utf8')}\0`), properties: PROPERTIES };
    await checkProgram(program, { properties: PROPERTIES, progress: false, checkpoint: { dir, of, everySeconds: 0 } });
    const args = [MODEL, '--property', 'stack-integrity', '--property', 'atomic-sleep', '--format', 'json'];
    const plain = cli(['check', ...args]);
    const resumed = cli(['check', ...args, '--resume', dir]);
    expect([plain.code, resumed.code]).toEqual([1, 1]);
    expect(untimed(resumed.out)).toEqual(untimed(plain.out));
  });

  it('is bad usage where a checkpoint cannot be used: M003, exit 2', () => {
    const cases: [string[], string][] = [
      [[MODEL, '--resume', dir, '--set', 'THREADS=3', '--property', 'stack-integrity', '--property', 'atomic-sleep'], `the checkpoint in ${dir} is of another model text or other constants (--set) than ${MODEL}`],
      [[MODEL, '--checkpoint', dir], '--checkpoint and --resume need the properties named (--property)'],
      [[MODEL, '--checkpoint', join(dir, 'x'), '--property', 'no-deadlock'], 'checkpoints are written and resumed only for an exact search whose properties are each decided by one state or one transition'],
    ];
    for (const [args, message] of cases) {
      const r = cli(['check', ...args]);
      expect(r.code).toBe(2);
      expect(r.err).toContain(`schedcheck: error M003: ${message}`);
    }
  });
});
