import type { ParseArgs } from '../args.js';
import { formatDiagnostic } from '../../lang/diagnostics.js';
import { loadModel } from '../../lang/load.js';
import { sourceTextOf } from '../../lang/readfile.js';
import { printProgram } from '../../ir/print.js';

/** `schedcheck parse MODEL [--ir]`: 0 when the model is valid, 2 with its diagnostics otherwise. */
export async function parseCommand(args: ParseArgs): Promise<number> {
  const { diagnostics, program } = loadModel(args.model, args.set);
  if (diagnostics.length > 0) {
    const text = sourceTextOf(args.model);
    process.stderr.write(diagnostics.map((d) => formatDiagnostic(d, text)).join('\n') + '\n');
  }
  if (!program) return 2;
  process.stdout.write(`${args.model}: ok (${program.threads.length} threads, ${program.units.length} units, ${program.layout.words} state words)\n`);
  if (args.ir) process.stdout.write(printProgram(program));
  return 0;
}
