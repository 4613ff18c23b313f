// `schedcheck merge FILE...`: put back together what jobs of one run wrote on several machines. The inputs are
// recognised by their content: the JUnit reports and SARIF logs of `gate --shard I/N` jobs are merged into the
// reports of one unsharded gate run (`--junit FILE`, `--sarif FILE`).

import { writeFileSync } from 'node:fs';
import type { Diagnostic } from '../../lang/diagnostics.js';
import { MAX_TRACE_BYTES, readRegularFile } from '../../lang/readfile.js';
import { pointSpan } from '../../lang/source.js';
import { isJunit, mergeJunit, mergeSarif, type MergeInput, type MergeResult } from '../../report/shard.js';
import type { MergeArgs } from '../args.js';
import { printDiagnostics } from '../diagnostics.js';

type Kind = 'junit' | 'sarif';

function error(file: string, code: string, message: string): Diagnostic {
  return { code, severity: 'error', message, span: pointSpan(file, 1, 1) };
}

/** What an input is, by its content; null when it is none of the things merge reads. */
function kindOf(text: string): Kind | null {
  if (isJunit(text)) return 'junit';
  try {
    const value = JSON.parse(text) as unknown;
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

const OPTION: Record<Kind, '--junit' | '--sarif'> = { junit: '--junit', sarif: '--sarif' };
const WHAT: Record<Kind, string> = { junit: 'JUnit reports of gate shards', sarif: 'SARIF logs of gate shards' };

/**
 * 0 when the merged reports are written (and the merged JUnit report has no failure or error), 1 when the merged
 * JUnit report has one (the unsharded gate would have exited 1), 2 on bad input.
 */
export async function mergeCommand(args: MergeArgs): Promise<number> {
  const diagnostics: Diagnostic[] = [];
  const byKind: Record<Kind, MergeInput[]> = { junit: [], sarif: [] };
  for (const file of args.files) {
    const read = readRegularFile(file, MAX_TRACE_BYTES);
    if (!read.ok) {
      diagnostics.push(error(file, 'M101', `cannot read the file (${read.why})`));
      continue;
    }
    const kind = kindOf(read.text);
    if (kind === null) {
      diagnostics.push(error(file, 'M102', 'not a file merge reads: a JUnit report or SARIF log of `gate --shard I/N`'));
      continue;
    }
    byKind[kind].push({ file, text: read.text });
  }
  const outputs: Record<Kind, string | undefined> = { junit: args.junit, sarif: args.sarif };
  for (const kind of ['junit', 'sarif'] as const) {
    const first = byKind[kind][0];
    if (first !== undefined && outputs[kind] === undefined) {
      diagnostics.push(error(first.file, 'M104', `${WHAT[kind]} given: name the merged report with ${OPTION[kind]} FILE`));
    }
    if (first === undefined && outputs[kind] !== undefined && diagnostics.length === 0) {
      diagnostics.push(error(outputs[kind]!, 'M104', `${OPTION[kind]} names the merged report, but no input is one of the ${WHAT[kind]}`));
    }
  }
  if (diagnostics.length > 0) {
    printDiagnostics(diagnostics);
    return 2;
  }
  const merged: { kind: Kind; result: MergeResult }[] = [];
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
