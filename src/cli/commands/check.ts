// `schedcheck check MODEL...`: load, check, report. Exit 0 when every property holds, 1 when one is violated,
// 3 when one is inconclusive (a violation wins over inconclusive, inconclusive over holds), 2 on bad input.

import { accessSync, constants, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { CheckpointRefused, readCheckpoint } from '../../checker/explicit/checkpoint.js';
import { checkModelFile, combinedVerdicts, type CheckOptions } from '../../checker/check.js';
import { isPropertyId } from '../../checker/properties/index.js';
import type { CheckReport, Counterexample } from '../../checker/verdict.js';
import { PROPERTY_IDS, type Program, type PropertyId } from '../../ir/ir.js';
import { readRegularFile, sourceTextOf } from '../../lang/readfile.js';
import { renderCounterexampleDot } from '../../report/dot.js';
import { toItf } from '../../report/itf.js';
import { writeHtmlReport } from '../../report/html.js';
import { formatJson } from '../../report/json.js';
import { formatJunit } from '../../report/junit.js';
import { cycleHalvesOf, renderLockGraphDot } from '../../report/lockgraph.js';
import { formatSarif } from '../../report/sarif.js';
import { companionPath, writeGraph } from '../../report/svg.js';
import { formatText } from '../../report/text.js';
import type { CheckArgs } from '../args.js';
import { printDiagnostics } from '../diagnostics.js';
import { painter } from '../colour.js';
import { parsePartition } from '../partition.js';
import { quotedWithGuess } from '../suggest.js';
import { digestOf, swarmResultText } from '../swarm.js';

export const EXIT = { holds: 0, violated: 1, badInput: 2, inconclusive: 3 } as const;

/**
 * `check --expect`: the model is its own test. Each property's verdict is held to the model's `expect` line
 * (a property without one is expected to hold): 0 when every verdict matches, 1 when one does not, 3 when one
 * was not decided (and none mismatched).
 */
export function expectExitCodeOf(checked: { report: CheckReport; program: Program }[]): number {
  let code: number = EXIT.holds;
  for (const { report, program } of checked) {
    const properties = [...new Set(report.results.map((r) => r.property))];
    for (const property of properties) {
      const [verdict] = combinedVerdicts(report.results.filter((r) => r.property === property));
      const expected = program.expectations.find((e) => e.property === property)?.verdict ?? 'holds';
      if (verdict === 'inconclusive') code = code === EXIT.violated ? code : EXIT.inconclusive;
      else if (verdict !== expected) code = EXIT.violated;
    }
  }
  return code;
}

export function exitCodeOf(reports: CheckReport[]): number {
  const verdicts = reports.flatMap((r) => combinedVerdicts(r.results));
  if (verdicts.includes('violated')) return EXIT.violated;
  if (verdicts.includes('inconclusive')) return EXIT.inconclusive;
  return EXIT.holds;
}

function write(path: string | undefined, text: string): boolean {
  if (path === undefined) {
    process.stdout.write(text);
    return true;
  }
  try {
    writeFileSync(path, text, 'utf8');
    return true;
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? String(error);
    process.stderr.write(`schedcheck: cannot write ${path}: ${why}\n`);
    return false;
  }
}

/** --trace, --dot, --svg, --html: the first counterexample of the run (say which, when there are several). */
async function writeCounterexample(args: CheckArgs, found: { cex: Counterexample; program: Program }[]): Promise<boolean> {
  if (args.trace === undefined && args.dot === undefined && args.svg === undefined && args.html === undefined) return true;
  const first = found[0];
  if (first === undefined) {
    process.stderr.write('schedcheck: no property is violated: no counterexample to write\n');
    return true;
  }
  if (found.length > 1) {
    process.stderr.write(`schedcheck: writing the counterexample of ${first.cex.property} (${first.program.file}); choose another with --property\n`);
  }
  let ok = true;
  if (args.trace !== undefined) ok = write(args.trace, `${JSON.stringify(toItf(first.cex, first.program), null, 2)}\n`) && ok;
  if (args.dot !== undefined || args.svg !== undefined) {
    const problems = await writeGraph(renderCounterexampleDot(first.cex, first.program), { dot: args.dot, svg: args.svg });
    if (first.cex.lockGraph !== undefined && first.cex.lockGraph.length > 0) {
      const locks = renderLockGraphDot(first.cex.lockGraph, first.program, cycleHalvesOf(first.cex));
      problems.push(
        ...(await writeGraph(locks, {
          dot: args.dot === undefined ? undefined : companionPath(args.dot, 'locks'),
          svg: args.svg === undefined ? undefined : companionPath(args.svg, 'locks'),
        })),
      );
    }
    for (const p of problems) process.stderr.write(`schedcheck: ${p}\n`);
    ok = ok && problems.length === 0;
  }
  if (args.html !== undefined) {
    const problems = await writeHtmlReport(first.cex, first.program, args.html);
    for (const p of problems) process.stderr.write(`schedcheck: ${p}\n`);
    ok = ok && problems.length === 0;
  }
  return ok;
}

/** `--swarm I/N` with what it cannot go with: a message (M002), or null. */
function swarmMisuse(args: CheckArgs): string | null {
  if (args.swarm === undefined) return null;
  if (args.models.length !== 1) return `--swarm runs one job of one model's search; ${args.models.length} models are given`;
  if (args.engine !== 'explicit') return '--swarm runs the explicit engine; --engine is not taken with it';
  if (args.format !== 'text') return "--swarm writes the job's result (JSON) to stdout or --output; --format is not taken with it";
  return null;
}

/** The default of `--checkpoint-every`, in seconds. */
const CHECKPOINT_EVERY = 300;

/**
 * What `--checkpoint` and `--resume` add to the options: the search the checkpoint is of, and the checkpoint
 * read back; or why they cannot be used (M003).
 */
function checkpointOptions(args: CheckArgs, properties: PropertyId[] | undefined): Pick<CheckOptions, 'checkpoint' | 'resume'> | string {
  if (args.checkpoint === undefined && args.resume === undefined) return {};
  if (args.models.length !== 1) return `--checkpoint and --resume take one model; ${args.models.length} are given`;
  if (args.engine !== 'explicit') return '--checkpoint and --resume are for the explicit engine; --engine is not taken with them';
  if (args.swarm !== undefined) return '--checkpoint and --resume do not go with --swarm';
  if (properties === undefined) return '--checkpoint and --resume need the properties named (--property), each decided by one state or one transition (stack-integrity, atomic-sleep, assertions, irq-latency)';
  const file = args.models[0]!;
  const read = readRegularFile(file);
  if (!read.ok) return `${file}: ${read.why}`;
  const of = { model: file, digest: digestOf(`${read.text}\0${args.set.join('\0')}`), properties };
  try {
    return {
      ...(args.checkpoint === undefined ? {} : { checkpoint: { dir: args.checkpoint, of, everySeconds: args.checkpointEvery ?? CHECKPOINT_EVERY } }),
      ...(args.resume === undefined ? {} : { resume: readCheckpoint(args.resume, of) }),
    };
  } catch (error) {
    if (error instanceof CheckpointRefused) return error.message;
    throw error;
  }
}

/** Why `--spill-dir DIR` cannot be used (M004): DIR must be a directory this process may write in. */
function spillDirMisuse(dir: string | undefined): string | null {
  if (dir === undefined) return null;
  try {
    if (!statSync(dir).isDirectory()) return `--spill-dir ${dir}: not a directory`;
    accessSync(dir, constants.W_OK);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return `--spill-dir ${dir}: ${code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'not writable' : (error as Error).message}`;
  }
}

export async function checkCommand(args: CheckArgs): Promise<number> {
  const misuse = swarmMisuse(args);
  if (misuse !== null) {
    process.stderr.write(`schedcheck: error M002: ${misuse}\n`);
    return EXIT.badInput;
  }
  const swarm = args.swarm === undefined ? null : parsePartition(args.swarm);
  const unknown = args.property.filter((p) => !isPropertyId(p));
  if (unknown.length > 0) {
    const named = unknown.map((p) => quotedWithGuess(p, PROPERTY_IDS));
    process.stderr.write(`schedcheck: unknown property ${named.join(', ')}; 'schedcheck properties' lists the ids\n`);
    return EXIT.badInput;
  }
  const properties = args.property.length === 0 ? undefined : ([...new Set(args.property)] as PropertyId[]);
  const checkpoints = checkpointOptions(args, properties);
  if (typeof checkpoints === 'string') {
    process.stderr.write(`schedcheck: error M003: ${checkpoints}\n`);
    return EXIT.badInput;
  }
  const spill = spillDirMisuse(args.spillDir);
  if (spill !== null) {
    process.stderr.write(`schedcheck: error M004: ${spill}\n`);
    return EXIT.badInput;
  }
  const options: CheckOptions = {
    properties,
    engine: args.engine,
    spillDir: args.spillDir,
    maxDepth: args.maxDepth,
    maxStates: args.maxStates,
    maxMemoryMb: args.maxMemory,
    timeoutSeconds: args.timeout,
    hashCompaction: args.hashCompaction === true,
    symmetry: args.symmetry === true,
    workers: args.workers ?? availableParallelism(),
    // Asked for by name, workers that could not be used say why (not the default's, on every check).
    ...(args.workers !== undefined && args.workers > 1 ? { note: (text: string) => process.stderr.write(`schedcheck: note: ${text}\n`) } : {}),
    pdr: args.pdr === true,
    ...(swarm === null ? {} : { swarm: { job: swarm.index, of: swarm.of }, hashCompaction: true }),
    ...checkpoints,
  };

  let badInput = false;
  const checked: { report: CheckReport; program: Program }[] = [];
  for (const file of args.models) {
    const learnFrom = (args.learnFrom ?? []).map((config) => config.split(',').filter((s) => s !== ''));
    let checkedFile: Awaited<ReturnType<typeof checkModelFile>>;
    try {
      checkedFile = await checkModelFile(file, args.set, options, learnFrom);
    } catch (error) {
      if (!(error instanceof CheckpointRefused)) throw error;
      process.stderr.write(`schedcheck: error M003: ${error.message}\n`);
      return EXIT.badInput;
    }
    const { diagnostics, program, report } = checkedFile;
    printDiagnostics(diagnostics);
    if (program === null || report === null) {
      badInput = true;
      continue;
    }
    checked.push({ report, program });
  }

  const reports = checked.map((c) => c.report);
  // A swarm job's report is its result for `schedcheck merge` (the format is refused with --swarm).
  const job = checked[0];
  const format = swarm !== null && job !== undefined ? 'swarm' : args.format;
  let text: string;
  switch (format) {
    case 'swarm':
      text = swarmResultText(args, swarm!, args.models[0]!, job!.program, job!.report);
      break;
    case 'text':
      text = checked.map(({ report, program }) => formatText(report, program, { paint: args.output === undefined ? painter('stdout') : undefined, sourceLine })).join('\n');
      break;
    case 'json':
      // Given several models, an array of the reports of those that loaded (docs/outputs.md).
      text = args.models.length === 1 && checked.length === 0 ? '' : formatJson(checked, args.models.length > 1);
      break;
    case 'junit':
      text = formatJunit(reports, { expected: expectedOf(checked) });
      break;
    case 'sarif':
      text = formatSarif(reports, checked.map((c) => c.program), { expected: expectedOf(checked) });
      break;
  }
  let ok = text === '' || write(args.output, text);
  // One run, every report CI wants: `--junit FILE` and `--sarif FILE` besides the one on stdout.
  if (args.junit !== undefined) ok = write(args.junit, formatJunit(reports, { expected: expectedOf(checked) })) && ok;
  if (args.sarif !== undefined) ok = write(args.sarif, formatSarif(reports, checked.map((c) => c.program), { expected: expectedOf(checked) })) && ok;
  const found = checked.flatMap(({ report, program }) =>
    report.results.flatMap((r) => (r.verdict === 'violated' ? [{ cex: r.counterexample, program }] : [])),
  );
  ok = (await writeCounterexample(args, found)) && ok;
  if (badInput || !ok) return EXIT.badInput;
  return args.expect === true ? expectExitCodeOf(checked) : exitCodeOf(reports);
}

const sourceTexts = new Map<string, string[] | null>();

/** A line of a model file, for the text report (null when it cannot be read). */
function sourceLine(file: string, line: number): string | null {
  if (!sourceTexts.has(file)) {
    const text = sourceTextOf(file);
    sourceTexts.set(file, text === '' ? null : text.split(/\r?\n/));
  }
  return sourceTexts.get(file)?.[line - 1] ?? null;
}

/** The model's own `expect` lines, for formats that mark results that match them. */
function expectedOf(checked: { program: Program }[]) {
  return (model: string, property: string): 'holds' | 'violated' | undefined =>
    checked.find((c) => c.program.file === model)?.program.expectations.find((e) => e.property === property)?.verdict;
}
