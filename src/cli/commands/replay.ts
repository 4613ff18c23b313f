import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatReplay, replayExitCode } from '../../conform/replayreport.js';
import { replay } from '../../conform/replay.js';
import { buildModel, ModelTooLarge } from '../../hw/build.js';
import { DESIGNS } from '../../kernel/designs/index.js';
import { formatDiagnostic } from '../../lang/diagnostics.js';
import { loadModel } from '../../lang/load.js';
import { fromItf } from '../../report/itf.js';
import { parseJson } from '../../report/jsonpos.js';
import type { ReplayArgs } from '../args.js';

/**
 * `schedcheck replay MODEL CEX`: 1 when the kernel faults or hangs as the counterexample predicts, 0 when it
 * survives it, 2 bad input, 3 when the kernel could not be made to follow the counterexample.
 */
export async function replayCommand(args: ReplayArgs): Promise<number> {
  const { diagnostics, program } = loadModel(args.model, args.set);
  if (program === null) {
    let text = '';
    try {
      text = readFileSync(args.model, 'utf8');
    } catch {
      // unreadable: the diagnostic says so
    }
    process.stderr.write(`${diagnostics.map((d) => formatDiagnostic(d, text)).join('\n')}\n`);
    return 2;
  }
  const design = DESIGNS.find((d) => resolve(d.model) === resolve(args.model));
  if (design === undefined) {
    const list = DESIGNS.map((d) => `  ${d.model} (${d.name})`).join('\n');
    process.stderr.write(`${args.model}:1:1: error R003: no reference kernel design runs this model; these do:\n${list}\n`);
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(args.cex, 'utf8');
  } catch (error) {
    process.stderr.write(`${args.cex}:1:1: error R001: the counterexample cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})\n`);
    return 2;
  }
  const parsed = parseJson(text);
  if (!parsed.ok) {
    process.stderr.write(`${args.cex}:${parsed.position.line}:${parsed.position.col}: error R001: ${parsed.message}\n`);
    return 2;
  }
  const read = fromItf(parsed.value);
  if (!read.ok) {
    const at = parsed.positionOf(read.problem.path);
    process.stderr.write(`${args.cex}:${at.line}:${at.col}: error ${read.problem.code}: ${read.problem.message}\n`);
    return 2;
  }
  let model;
  try {
    model = buildModel(program);
  } catch (error) {
    if (!(error instanceof ModelTooLarge)) throw error;
    process.stderr.write(`${args.model}:1:1: error E520: ${error.message}\n`);
    return 2;
  }
  const result = replay(model, read.counterexample, design, { hold: args.hold ?? 0 });
  if (result.kind === 'not-replayable') {
    process.stderr.write(`${args.cex}:1:1: error R002: the counterexample does not replay on ${args.model}: ${result.message}\n`);
    return 2;
  }
  process.stdout.write(`${formatReplay(result, read.counterexample, design, args.cex)}\n`);
  return replayExitCode(result);
}
