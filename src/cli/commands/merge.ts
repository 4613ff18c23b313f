// `schedcheck merge FILE...`: put back together what jobs of one run wrote on several machines. The inputs are
// recognised by their content: the JUnit reports and SARIF logs of `gate --shard I/N` jobs are merged into the
// reports of one unsharded gate run (`--junit FILE`, `--sarif FILE`); the results of `check --swarm I/N` jobs
// into one verdict per property (text or JSON, and `--trace FILE` for the shortest counterexample).

import { writeFileSync } from 'node:fs';
import type { Diagnostic } from '../../lang/diagnostics.js';
import { MAX_TRACE_BYTES, readRegularFile } from '../../lang/readfile.js';
import { pointSpan } from '../../lang/source.js';
import { isJunit, mergeJunit, mergeSarif, type MergeInput, type MergeResult } from '../../report/shard.js';
import { formatSwarmJson, formatSwarmText, isSwarmResult, mergeSwarm, swarmExitCode } from '../../report/swarm.js';
import { replayOnModel } from '../swarm.js';
import type { MergeArgs } from '../args.js';
import { printDiagnostics } from '../diagnostics.js';

type Kind = 'junit' | 'sarif' | 'swarm';

function error(file: string, code: string, message: string): Diagnostic {
  return { code, severity: 'error', message, span: pointSpan(file, 1, 1) };
}

/** What an input is, by its content; null when it is none of the things merge reads. */
function kindOf(text: string): Kind | null {
  if (isJunit(text)) return 'junit';
  try {
    const value = JSON.parse(text) as unknown;
    if (isSwarmResult(value)) return 'swarm';
    if (typeof value === 'object' && value !== null && 'runs' in value) return 'sarif';
  } catch {
    return null;
  }
  return null;
}

function write(path: string, text: string): boolean {
  try {
    writeFileSync(path, text);
    return true;
  } catch (e) {
    process.stderr.write(`schedcheck: cannot write '${path}': ${(e as NodeJS.ErrnoException).code ?? String(e)}\n`);
    return false;
  }
}

const OPTION = { junit: '--junit', sarif: '--sarif' } as const;
const WHAT = { junit: 'JUnit reports of gate shards', sarif: 'SARIF logs of gate shards' } as const;

/**
 * 0 when the merged reports are written (and the merged JUnit report has no failure or error), 1 when the merged
 * JUnit report has one (the unsharded gate would have exited 1), 2 on bad input.
 */
export async function mergeCommand(args: MergeArgs): Promise<number> {
  const diagnostics: Diagnostic[] = [];
  const byKind: Record<Kind, MergeInput[]> = { junit: [], sarif: [], swarm: [] };
  for (const file of args.files) {
    const read = readRegularFile(file, MAX_TRACE_BYTES);
    if (!read.ok) {
      diagnostics.push(error(file, 'M101', `cannot read the file (${read.why})`));
      continue;
    }
    const kind = kindOf(read.text);
    if (kind === null) {
      diagnostics.push(error(file, 'M102', 'not a file merge reads: a JUnit report or SARIF log of `gate --shard I/N`, or the result of `check --swarm I/N`'));
      continue;
    }
    byKind[kind].push({ file, text: read.text });
  }
  if (diagnostics.length === 0 && byKind.swarm.length > 0) {
    const other = [...byKind.junit, ...byKind.sarif][0];
    if (other !== undefined) diagnostics.push(error(other.file, 'M104', "a gate shard's report among swarm jobs' results: merge one run at a time"));
    else if (args.junit !== undefined || args.sarif !== undefined) diagnostics.push(error(byKind.swarm[0]!.file, 'M104', "swarm jobs' results merge into verdicts (--format, --output, --trace), not into --junit or --sarif"));
    if (diagnostics.length > 0) {
      printDiagnostics(diagnostics);
      return 2;
    }
    return mergeSwarmJobs(byKind.swarm, args);
  }
  const outputs: Record<'junit' | 'sarif', string | undefined> = { junit: args.junit, sarif: args.sarif };
  for (const kind of ['junit', 'sarif'] as const) {
    const first = byKind[kind][0];
    if (first !== undefined && outputs[kind] === undefined) {
      diagnostics.push(error(first.file, 'M104', `${WHAT[kind]} given: name the merged report with ${OPTION[kind]} FILE`));
    }
    if (first === undefined && outputs[kind] !== undefined && diagnostics.length === 0) {
      // Said of the inputs: the output file may not exist, or be an older report whose first line says nothing.
      const input = [...byKind.junit, ...byKind.sarif][0]!;
      diagnostics.push(error(input.file, 'M104', `${OPTION[kind]} names the merged report, but no input is one of the ${WHAT[kind]}`));
    }
  }
  if (diagnostics.length > 0) {
    printDiagnostics(diagnostics);
    return 2;
  }
  if (diagnostics.length === 0 && (args.output !== undefined || args.trace !== undefined || args.format === 'json')) {
    const first = [...byKind.junit, ...byKind.sarif][0]!;
    diagnostics.push(error(first.file, 'M104', "--output, --trace and --format are for swarm jobs' results; gate shards' reports merge into --junit and --sarif"));
  }
  if (diagnostics.length > 0) {
    printDiagnostics(diagnostics);
    return 2;
  }
  const merged: { kind: 'junit' | 'sarif'; result: MergeResult }[] = [];
  if (byKind.junit.length > 0) merged.push({ kind: 'junit', result: mergeJunit(byKind.junit) });
  if (byKind.sarif.length > 0) merged.push({ kind: 'sarif', result: mergeSarif(byKind.sarif) });
  const bad = merged.flatMap(({ result }) => (result.ok ? [] : result.diagnostics));
  if (bad.length > 0) {
    printDiagnostics(bad);
    return 2;
  }
  let written = true;
  let failed = false;
  for (const { kind, result } of merged) {
    if (!result.ok) continue;
    written = write(outputs[kind]!, result.text) && written;
    failed = failed || result.failed === true;
  }
  if (!written) return 2;
  return failed ? 1 : 0;
}

/** Swarm jobs' results: one verdict per property, the shortest counterexample replayed on the model first. */
function mergeSwarmJobs(inputs: MergeInput[], args: MergeArgs): number {
  const merged = mergeSwarm(
    inputs.map(({ file, text }) => ({ file, value: JSON.parse(text) as unknown })),
    replayOnModel,
  );
  if (!merged.ok) {
    printDiagnostics(merged.diagnostics);
    return 2;
  }
  const m = merged.merged;
  const text = args.format === 'json' ? formatSwarmJson(m) : formatSwarmText(m);
  let written = args.output === undefined ? (process.stdout.write(text), true) : write(args.output, text);
  if (args.trace !== undefined) {
    const shortest = m.results.flatMap((r) => (r.verdict === 'violated' ? [r] : [])).sort((a, b) => a.length - b.length)[0];
    if (shortest === undefined) process.stderr.write('schedcheck: no property is violated: no counterexample to write\n');
    else written = write(args.trace, `${JSON.stringify(shortest.itf, null, 2)}\n`) && written;
  }
  return written ? swarmExitCode(m) : 2;
}
