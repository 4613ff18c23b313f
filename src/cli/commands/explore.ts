import type { ExploreArgs } from '../args.js';
import { checkProgram } from '../../checker/check.js';
import { buildModel, ModelTooLarge } from '../../hw/build.js';
import { PROPERTY_IDS, type PropertyId } from '../../ir/ir.js';
import { formatDiagnostic } from '../../lang/diagnostics.js';
import { loadModel } from '../../lang/load.js';
import { sourceTextOf } from '../../lang/readfile.js';
import { DEFAULT_NODE_LIMIT, exploreStateGraph, matchPath, renderStateGraphDot } from '../../report/stategraph.js';
import { writeGraph } from '../../report/svg.js';

function fail(message: string): number {
  process.stderr.write(`schedcheck: ${message}\n`);
  return 2;
}

/**
 * `schedcheck explore MODEL [--dot FILE] [--svg FILE] [--property ID] [--max-states N]`: the whole state graph,
 * with the counterexample of `--property` in colour. DOT goes to stdout when no file is named. Refuses (exit 2)
 * a graph above the node limit rather than write one nobody can read.
 */
export async function exploreCommand(args: ExploreArgs): Promise<number> {
  if (args.property !== undefined && !(PROPERTY_IDS as readonly string[]).includes(args.property)) {
    return fail(`unknown property '${args.property}'; 'schedcheck properties' lists them`);
  }
  const { diagnostics, program } = loadModel(args.model, args.set);
  if (diagnostics.length > 0) {
    const text = sourceTextOf(args.model);
    process.stderr.write(diagnostics.map((d) => formatDiagnostic(d, text)).join('\n') + '\n');
  }
  if (program === null) return 2;

  let model;
  try {
    model = buildModel(program);
  } catch (error) {
    if (error instanceof ModelTooLarge) return fail(`${args.model}: the model is too large to explore: ${error.message}`);
    throw error;
  }
  const limit = args.maxStates ?? DEFAULT_NODE_LIMIT;
  const built = exploreStateGraph(model, limit);
  if (!built.ok) {
    return fail(
      `${args.model}: the state graph has more than ${limit} states; a graph that large cannot be read. ` +
        `Shrink the model (--set its constants lower) or raise the limit with --max-states.`,
    );
  }
  const graph = built.graph;

  let path: number[] | null = null;
  let pathNote: string | undefined;
  if (args.property !== undefined) {
    const property = args.property as PropertyId;
    const report = await checkProgram(program, { properties: [property], progress: false });
    const result = report.results[0]!;
    if (result.verdict === 'violated') {
      path = matchPath(graph, result.counterexample);
      pathNote =
        path === null
          ? `${property} violated; its counterexample could not be traced in this graph`
          : `${property} violated: ${result.counterexample.message} (path in orange)`;
      if (path === null) process.stderr.write(`schedcheck: warning: the ${property} counterexample is not a path of the drawn graph\n`);
    } else {
      pathNote = result.verdict === 'holds' ? `${property} holds` : `${property} inconclusive (${result.reason}): ${result.detail}`;
    }
  }

  const dot = renderStateGraphDot(graph, { title: `${args.model}: state graph`, arch: program.arch, path, pathNote });
  if (args.dot === undefined && args.svg === undefined) {
    process.stdout.write(dot);
    return 0;
  }
  const problems = await writeGraph(dot, { dot: args.dot, svg: args.svg });
  for (const problem of problems) process.stderr.write(`schedcheck: ${problem}\n`);
  if (problems.length > 0) return 2;
  process.stderr.write(`schedcheck: ${args.model}: ${graph.nodes.length} states, ${graph.edges.length} transitions\n`);
  return 0;
}
