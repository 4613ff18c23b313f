import type { ExportArgs } from '../args.js';
import { escapeControls, formatDiagnostic } from '../../lang/diagnostics.js';
import { MAX_TRACE_BYTES, readRegularFile } from '../../lang/readfile.js';
import { renderCounterexampleDot } from '../../report/dot.js';
import { fromItf } from '../../report/itf.js';
import { writeHtmlReport } from '../../report/html.js';
import { parseJson, type Position } from '../../report/jsonpos.js';
import { writeCounterexampleGraphs } from '../../report/svg.js';

function diagnostic(file: string, text: string, code: string, message: string, at: Position): string {
  const span = { file, line: at.line, col: at.col, endLine: at.line, endCol: at.col + 1 };
  return `${formatDiagnostic({ code, severity: 'error', message, span }, text)}\n`;
}

/**
 * `schedcheck export CEX.itf.json [--dot FILE] [--svg FILE] [--html FILE]`: draw a saved counterexample again,
 * exactly as `check` drew it. A lock-order trace also gets its lock graph, next to the named files
 * (`x.locks.svg`). `--html` writes the interactive report, with the source files the trace names if they can
 * still be read. Without --dot, --svg or --html the counterexample graph goes to stdout as DOT.
 */
export async function exportCommand(args: ExportArgs): Promise<number> {
  const file = readRegularFile(args.trace, MAX_TRACE_BYTES);
  if (!file.ok) {
    process.stderr.write(`${escapeControls(args.trace)}:1:1: error ITF000: cannot read the trace (${file.why})\n`);
    return 2;
  }
  const text = file.text;
  const parsed = parseJson(text);
  if (!parsed.ok) {
    process.stderr.write(diagnostic(args.trace, text, 'ITF001', `not valid JSON: ${parsed.message}`, parsed.position));
    return 2;
  }
  const read = fromItf(parsed.value);
  if (!read.ok) {
    const { code, message, path } = read.problem;
    const where = path.length === 0 ? '' : ` (at ${path.join('.')})`;
    const what = code === 'ITF002' ? 'not an ITF trace' : code === 'ITF003' ? 'not a schedcheck counterexample' : 'unsupported trace';
    process.stderr.write(diagnostic(args.trace, text, code, `${what}: ${message}${where}`, parsed.positionOf(path)));
    return 2;
  }

  const { counterexample, model } = read;
  if (args.dot === undefined && args.svg === undefined && args.html === undefined) {
    process.stdout.write(renderCounterexampleDot(counterexample, model));
    return 0;
  }
  const problems = args.dot === undefined && args.svg === undefined ? [] : await writeCounterexampleGraphs(counterexample, model, { dot: args.dot, svg: args.svg });
  if (args.html !== undefined) problems.push(...(await writeHtmlReport(counterexample, model, args.html)));
  for (const problem of problems) process.stderr.write(`schedcheck: ${problem}\n`);
  return problems.length > 0 ? 2 : 0;
}
