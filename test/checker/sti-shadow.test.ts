// The x86 sti shadow holds interrupt delivery off until the CPU has executed one more instruction, and so only
// while the CPU has an instruction step to take (docs/semantics.md, "Deliverable"). A spin on a held lock is no
// step in the model, but on hardware the spin loop executes and ends the shadow: a spin right after `sti` must
// let interrupts in, or a spinner whose lock holder was preempted could never take the timer that resumes it.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkProgram } from '../../src/checker/check.js';
import { compileModel, maxActions } from '../../src/checker/explicit/compile.js';
import type { Action, Model } from '../../src/ir/model.js';
import { buildModel, machineOf } from '../../src/hw/build.js';
import { enabled, load, modelOf, summary, walk } from './helpers.js';

/** The compiled scan lists the reference model's actions for `state`, in order. */
function compiledActions(model: Model, state: Uint32Array): Action[] {
  const compiled = compileModel(model);
  if (compiled === null) throw new Error('the model was not compiled');
  const out = new Int32Array(maxActions(model.program));
  return Array.from(out.subarray(0, compiled.actions(state, out)));
}

async function verdicts(file: string): Promise<string[]> {
  const program = load(readFileSync(file, 'utf8'), [], file);
  const properties = program.expectations.map((e) => e.property);
  const report = await checkProgram(program, { properties, progress: false });
  return properties.map((p) => `${p} ${summary(report, p)}`);
}

/** CPU 1 runs `cli; sti` and then acquires M while CPU 0 holds it. */
const TWO_CPUS = (kind: string): string => `machine x86_64 { cpus 2; irq timer line 0 }
lock M : ${kind}
thread a on 0 { acquire M; loop { work } }
thread b on 1 { cli; sti; acquire M; loop { work } }
handler timer { eoi timer; iret }`;

describe('the sti shadow and a spin right after sti', () => {
  it('lets the timer in at a spin on a held spin lock: the spin ends the shadow', () => {
    const model = modelOf(TWO_CPUS('spin'));
    const spinning = walk(model, 'acquire M', ['cli', 1], ['sti', 1]);
    const m = machineOf(model);
    expect([m.shadow(spinning, 1), m.ie(spinning, 1), m.stepKind(spinning, 1)]).toEqual([1, 1, null]);
    // CPU 1 has no step, so the timer arriving on it is taken at once, as on CPU 0 (IF=1, no shadow).
    expect(enabled(model, spinning)).toEqual([
      '0: work',
      '0: interrupt timer arrives and is taken',
      '1: interrupt timer arrives and is taken',
    ]);
    expect(compiledActions(model, spinning)).toEqual(model.actions(spinning));
  });

  it('still holds the timer off while the acquire can step: a free lock, and an irqsave masked wait', () => {
    // A free lock: the acquire is the instruction that ends the shadow.
    const free = modelOf(TWO_CPUS('spin'));
    const atFree = walk(free, ['cli', 1], ['sti', 1]);
    expect(enabled(free, atFree)).toEqual(['0: acquire M', '1: acquire M', '0: interrupt timer arrives and is taken', '1: timer becomes pending']);
    expect(compiledActions(free, atFree)).toEqual(free.actions(atFree));
    // A held irqsave lock with interrupts on: masking them is the instruction, and the timer stays pending.
    const irqsave = modelOf(TWO_CPUS('irqsave'));
    const atHeld = walk(irqsave, 'acquire M', ['cli', 1], ['sti', 1]);
    expect(machineOf(irqsave).shadow(atHeld, 1)).toBe(1);
    expect(enabled(irqsave, atHeld)).toEqual([
      '0: work',
      '1: acquire M (masks interrupts, then spins)',
      '0: timer becomes pending', // CPU 0 holds M: IF=0
      '1: timer becomes pending',
    ]);
    expect(compiledActions(irqsave, atHeld)).toEqual(irqsave.actions(atHeld));
    const pending = walk(irqsave, 'acquire M', ['cli', 1], ['sti', 1], ['timer becomes pending', 1]);
    expect(enabled(irqsave, pending)).toEqual(['0: work', '1: acquire M (masks interrupts, then spins)', '0: timer becomes pending']);
  });

  it('finds no deadlock where the spinner must take the timer that resumes the preempted lock holder', async () => {
    // Before the rule, the spinner sat in its shadow forever: no-deadlock was violated after 9 steps.
    expect(await verdicts('test/checker/models/deadlock-sti-spin.sched')).toEqual(['no-deadlock holds 275']);
  });
});

describe('the sti shadow lasts exactly one instruction', () => {
  it('takes an interrupt pending at sti after the next instruction, and before the one after it', async () => {
    const file = 'test/checker/models/sti-shadow-one-instruction.sched';
    const model = buildModel(load(readFileSync(file, 'utf8'), [], file));
    const afterSti = walk(model, 'cli', 'raise kick to 0', 'sti');
    expect(enabled(model, afterSti)).toEqual(['0: x := 1']);
    const afterOne = walk(model, 'cli', 'raise kick to 0', 'sti', 'x := 1');
    expect(enabled(model, afterOne)).toEqual(['0: interrupt kick taken']);
    expect(compiledActions(model, afterSti)).toEqual(model.actions(afterSti));
    // The handler asserts it sees x = 1: neither inside the shadow (x = 0) nor one instruction late (x = 2).
    expect(await verdicts(file)).toEqual(['assertions holds 10']);
  });
});
