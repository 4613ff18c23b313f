// hlt/wfi and idle in the SMT engine, with the explicit engine's verdicts (test/checker/models.test.ts): an
// interrupt taken before hlt/wfi executes returns to it, and a CPU halted with nothing waiting on it is idle. The
// lost wake-ups are stuck states (a CPU spins on a lock the halted CPU holds), which the SMT engine finds with the
// explicit engine's shortest length; where no-deadlock holds, it proves that no stuck state with something
// waiting is reachable, and leaves "no progress reachable" to the explicit engine.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkWithSmt } from '../../../src/checker/smt/check.js';
import { load } from '../helpers.js';

async function noDeadlock(name: string): Promise<string> {
  const file = `test/checker/models/${name}.sched`;
  const [r] = (await checkWithSmt(load(readFileSync(file, 'utf8'), [], file), ['no-deadlock'], { timeoutSeconds: 60 }))!;
  if (r!.verdict === 'violated') return `violated ${r!.counterexample.length}`;
  if (r!.verdict === 'inconclusive') return `inconclusive ${r!.reason}: ${r!.detail.replace(/ \(k-induction.*?\)/, '').split(',')[0]}`;
  return r!.verdict;
}

describe('no-deadlock in the SMT engine: hlt, wfi and idle', () => {
  it.each([
    ['hlt-taken-before-halt', 'violated 9'],
    ['wfi-unmask-window', 'violated 11'],
    ['idle-ready-thread', 'violated 4'],
    ['hlt-sti-shadow', 'inconclusive not-checkable: the explicit result re-checked by SMT'],
    ['wfi-masked-wait', 'inconclusive not-checkable: the explicit result re-checked by SMT'],
    ['idle-not-deadlock', 'inconclusive not-checkable: the explicit result re-checked by SMT'],
    ['idle-wfi-not-deadlock', 'inconclusive not-checkable: the explicit result re-checked by SMT'],
  ])('%s: %s', async (name, verdict) => {
    expect(await noDeadlock(name)).toBe(verdict);
  }, 60_000);
});
