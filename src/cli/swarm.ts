// The command line's side of swarm verification: a job's result written by `check --swarm I/N`, and the replay
// that `schedcheck merge` holds a job's counterexample to before it reports it.

import { createHash } from 'node:crypto';
import { configLabel } from '../checker/gate.js';
import { actionsOf, stateViewOf } from '../checker/view.js';
import { swarmSalt } from '../checker/explicit/swarmorder.js';
import type { CheckReport, Counterexample } from '../checker/verdict.js';
import { buildModel, machineOf } from '../hw/build.js';
import type { Program } from '../ir/ir.js';
import { loadModelFromText } from '../lang/load.js';
import { readRegularFile } from '../lang/readfile.js';
import { swarmJobResult, type SwarmJobResult } from '../report/swarm.js';
import type { CheckArgs } from './args.js';
import type { Partition } from './partition.js';

export function digestOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The JSON result of swarm job `swarm` on `file`. */
export function swarmResultText(args: CheckArgs, swarm: Partition, file: string, program: Program, report: CheckReport): string {
  const read = readRegularFile(file);
  const spec = {
    job: swarm.index,
    of: swarm.of,
    model: file,
    sets: args.set,
    config: configLabel(program),
    modelDigest: read.ok ? digestOf(read.text) : '',
    salt: swarmSalt(swarm.index),
    bounds: { maxStates: args.maxStates, maxDepth: args.maxDepth, timeoutSeconds: args.timeout },
  };
  return `${JSON.stringify(swarmJobResult(spec, report, program), null, 2)}\n`;
}

/**
 * Replays a job's counterexample on the model's reference semantics: the model file must be the text the job
 * checked (its digest), every step an action the model allows there, and every state shown the state the
 * model reaches. Null when it is, else why not.
 */
export function replayOnModel(job: SwarmJobResult, cex: Counterexample): string | null {
  const read = readRegularFile(job.model);
  if (!read.ok) return `the model cannot be read (${read.why})`;
  if (digestOf(read.text) !== job.modelDigest) return 'the model file is not the text the job checked';
  const loaded = loadModelFromText(read.text, job.model, job.sets);
  if (loaded.program === null) return 'the model does not load with the job\'s constants';
  let model;
  try {
    model = buildModel(loaded.program);
  } catch (error) {
    return `the model cannot be built (${error instanceof Error ? error.message : String(error)})`;
  }
  const path = actionsOf(model, cex);
  if ('message' in path) return path.message;
  const machine = machineOf(model);
  for (const [i, state] of path.states.entries()) {
    if (JSON.stringify(stateViewOf(machine, state)) !== JSON.stringify(cex.steps[i]!.state)) return `the state after step ${i} is not the one the model reaches`;
  }
  return null;
}
