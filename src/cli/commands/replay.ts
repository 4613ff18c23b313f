import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatReplay, replayExitCode } from '../../kernel/replayreport.js';
import { replay } from '../../kernel/replay.js';
import { buildModel, ModelTooLarge } from '../../hw/build.js';
import { DESIGNS } from '../../kernel/designs/index.js';
import { loadModel } from '../../lang/load.js';
import { escapeControls } from '../../lang/diagnostics.js';
import { printDiagnostics } from '../diagnostics.js';
import { readItfFile } from '../itffile.js';
import type { ReplayArgs } from '../args.js';

/** The package's own folder (where `models/` is), from this file: src/cli/commands or dist/src/cli/commands. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'models'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}
const PACKAGE_ROOT = packageRoot();

function text(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/**
 * The reference kernel design a model file describes, wherever it is run from: the design's model in the package
 * (`models/...`, found from the package, not the working directory), or a copy of it with the same text.
 */
export function designOf(model: string): (typeof DESIGNS)[number] | undefined {
  const path = real(model);
  const own = text(model);
  return DESIGNS.find((d) => {
    const shipped = join(PACKAGE_ROOT, d.model);
    return real(shipped) === path || (own !== null && text(shipped) === own);
  });
}

/**
 * `schedcheck replay MODEL CEX`: 1 when the kernel faults or hangs as the counterexample predicts, 0 when it
 * survives it, 2 bad input, 3 when the kernel could not be made to follow the counterexample.
 */
export async function replayCommand(args: ReplayArgs): Promise<number> {
  const { diagnostics, program } = loadModel(args.model, args.set);
  if (program === null) {
    printDiagnostics(diagnostics);
    return 2;
  }
  const design = designOf(args.model);
  if (design === undefined) {
    const list = DESIGNS.map((d) => `  ${join(PACKAGE_ROOT, d.model)} (${d.name})`).join('\n');
    process.stderr.write(`${args.model}:1:1: error R003: no reference kernel design runs this model; these do:\n${list}\n`);
    return 2;
  }
  const read = readItfFile(args.cex);
  if (!read.ok) {
    const at = read.kind === 'unreadable' ? { line: 1, col: 1 } : read.position;
    const error =
      read.kind === 'unreadable'
        ? `R001: the counterexample cannot be read (${read.why})`
        : read.kind === 'json'
          ? `R001: ${read.message}`
          : `${read.problem.code}: ${read.problem.message}`;
    process.stderr.write(`${safe(`${args.cex}:${at.line}:${at.col}: error ${error}`)}\n`);
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
    process.stderr.write(`${safe(`${args.cex}:1:1: error R002: the counterexample does not replay on ${args.model}: ${result.message}`)}\n`);
    return 2;
  }
  process.stdout.write(`${safe(formatReplay(result, read.counterexample, design, args.cex))}\n`);
  return replayExitCode(result);
}

/**
 * What the counterexample file says (its message, its steps' labels, a key of its JSON) printed as text: a control
 * character or terminal escape in it is shown escaped (`\x1b`), line by line, as diagnostics show a model's text.
 */
function safe(text: string): string {
  return text.split('\n').map(escapeControls).join('\n');
}
