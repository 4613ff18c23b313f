// `schedcheck simulate MODEL --seed N --steps N`: one random path, printed as a trace, with the violations it
// meets. The same seed prints the same path.

import { randomWalk } from '../../checker/explicit/simulate.js';
import { traceOf } from '../../checker/view.js';
import { buildModel, ModelTooLarge } from '../../hw/build.js';
import { formatDiagnostic } from '../../lang/diagnostics.js';
import { loadModel } from '../../lang/load.js';
import { sourceTextOf } from '../../lang/readfile.js';
import { traceLines } from '../../report/text.js';
import type { SimulateArgs } from '../args.js';

export async function simulateCommand(args: SimulateArgs): Promise<number> {
  const loaded = loadModel(args.model, args.set);
  if (loaded.diagnostics.length > 0) {
    const text = sourceTextOf(args.model);
    for (const d of loaded.diagnostics) process.stderr.write(`${formatDiagnostic(d, text)}\n`);
  }
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
  const walk = randomWalk(model, args.seed, args.steps);
  const steps = traceOf(model, walk.states, walk.actions);
  const out = [`${args.model}: a random path (seed ${args.seed}, ${walk.actions.length} steps)`, ''];
  // One line at a time: spreading a long path's lines into push() overflowed the call stack.
  for (const line of traceLines({ property: 'assertions', message: '', length: walk.actions.length, steps, violationSpan: null }, program.arch, false)) out.push(line);
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
  return 0;
}
