// `schedcheck simulate MODEL --seed N --steps N`: one random path, printed as a trace, with the violations it
// meets. The same seed prints the same path.

import { randomWalk } from '../../checker/explicit/simulate.js';
import { traceOf } from '../../checker/view.js';
import { buildModel, ModelTooLarge } from '../../hw/build.js';
import { printDiagnostics } from '../diagnostics.js';
import { loadModel } from '../../lang/load.js';
import { traceLines } from '../../report/text.js';
import type { SimulateArgs } from '../args.js';

/** Steps times values of state (slots) a printed path may have: 100,000 steps of 100 values, about 400 MB decoded. */
const SIMULATE_VALUES = 10_000_000;

export async function simulateCommand(args: SimulateArgs): Promise<number> {
  const loaded = loadModel(args.model, args.set);
  printDiagnostics(loaded.diagnostics);
  const program = loaded.program;
  if (program === null) return 2;
  let model;
  try {
    model = buildModel(program);
  } catch (error) {
    if (!(error instanceof ModelTooLarge)) throw error;
    process.stderr.write(`schedcheck: ${args.model}: the model is too large: ${error.message}\n`);
    return 2;
  }
  // The path is printed whole, every state decoded: tens of bytes a value of state and step.
  const values = model.layout.slots.length;
  const most = Math.floor(SIMULATE_VALUES / values);
  if (args.steps > most) {
    process.stderr.write(
      `schedcheck: ${args.model}: --steps ${args.steps} is too many for a state of ${values} values: at most ${most} steps of it are printed (the path is printed whole)\n`,
    );
    return 2;
  }
  const walk = randomWalk(model, args.seed, args.steps, { storms: args.storms === true });
  const steps = traceOf(model, walk.states, walk.actions);
  const kind = args.storms === true ? 'a random path, interrupts arriving at any step' : 'a random fair path';
  const out = [`${args.model}: ${kind} (seed ${args.seed}, ${walk.actions.length} steps)`, ''];
  // One line at a time: spreading a long path's lines into push() overflowed the call stack.
  for (const line of traceLines({ property: 'assertions', message: '', length: walk.actions.length, steps, violationSpan: null }, program.arch, false, program)) out.push(line);
  const ending = {
    steps: `stopped after ${args.steps} steps`,
    stuck: 'no CPU can do anything any more (deadlock)',
    exited: 'every thread has exited',
    fatal: 'the machine is corrupted: the path ends here',
  }[walk.ended];
  out.push('', `End: ${ending}.`);
  if (walk.violations.length > 0) {
    out.push('', 'Violations on this path:');
    for (const v of walk.violations) out.push(`  step ${v.step}: ${v.property}: ${v.message}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
  // A path that breaks a property (or deadlocks) is a failure, as a counterexample from `check` is.
  return walk.violations.length > 0 || walk.ended === 'stuck' ? 1 : 0;
}
