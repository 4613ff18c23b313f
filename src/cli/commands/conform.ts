import { accessSync, constants } from 'node:fs';
import { conformFile } from '../../conform/check.js';
import { conformExitCode, formatConform } from '../../conform/report.js';
import { buildModel, ModelTooLarge } from '../../hw/build.js';
import { loadModel } from '../../lang/load.js';
import { printDiagnostics } from '../diagnostics.js';
import type { ConformArgs } from '../args.js';

/** `schedcheck conform MODEL TRACE`: 0 conforms, 1 an event the model does not allow, 2 bad input, 3 inconclusive. */
export async function conformCommand(args: ConformArgs): Promise<number> {
  const { diagnostics, program } = loadModel(args.model, args.set);
  if (program === null) {
    printDiagnostics(diagnostics);
    return 2;
  }
  try {
    accessSync(args.trace, constants.R_OK);
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    process.stderr.write(`${args.trace}:1:1: error T003: the trace file cannot be read (${why})\n`);
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
  const result = await conformFile(model, args.trace, { complete: args.complete === true });
  const text = formatConform(result, args.model, args.trace);
  (result.verdict === 'bad-input' ? process.stderr : process.stdout).write(`${text}\n`);
  return conformExitCode(result);
}
