import type { ExportArgs } from '../args.js';
import { escapeControls, formatDiagnosticExcerpt } from '../../lang/diagnostics.js';
import { renderCounterexampleDot } from '../../report/dot.js';
import { writeHtmlReport } from '../../report/html.js';
import type { Position } from '../../report/jsonpos.js';
import { writeCounterexampleGraphs } from '../../report/svg.js';
import { excerptAt, readItfFile } from '../itffile.js';

function diagnostic(file: string, code: string, message: string, at: Position): string {
  const span = { file, line: at.line, col: at.col, endLine: at.line, endCol: at.col + 1 };
  return `${formatDiagnosticExcerpt({ code, severity: 'error', message, span }, excerptAt(file, at))}\n`;
}

/**
 * `schedcheck export CEX.itf.json [--dot FILE] [--svg FILE] [--html FILE]`: draw a saved counterexample again,
 * exactly as `check` drew it. A lock-order trace also gets its lock graph, next to the named files
 * (`x.locks.svg`). `--html` writes the interactive report, with the source files the trace names if they can
 * still be read. Without --dot, --svg or --html the counterexample graph goes to stdout as DOT.
 */
export async function exportCommand(args: ExportArgs): Promise<number> {
  const read = readItfFile(args.trace);
  if (!read.ok) {
    if (read.kind === 'unreadable') {
      process.stderr.write(`${escapeControls(args.trace)}:1:1: error ITF000: cannot read the trace (${read.why})\n`);
    } else if (read.kind === 'json') {
      process.stderr.write(diagnostic(args.trace, 'ITF001', `not valid JSON: ${read.message}`, read.position));
    } else {
      const { code, message, path } = read.problem;
      const where = path.length === 0 ? '' : ` (at ${path.join('.')})`;
      const what = code === 'ITF002' ? 'not an ITF trace' : code === 'ITF003' ? 'not a schedcheck counterexample' : 'unsupported trace';
      process.stderr.write(diagnostic(args.trace, code, `${what}: ${message}${where}`, read.position));
    }
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
