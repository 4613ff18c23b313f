// DOT to SVG in-process with @viz-js/viz (Graphviz compiled to WebAssembly). The instance is created once
// and reused: creating it compiles the WebAssembly module, rendering is then synchronous. Graphviz's
// warnings come back as data; they are handed to the caller, never dropped.

import { writeFile } from 'node:fs/promises';
import { instance, type Viz } from '@viz-js/viz';
import type { Counterexample } from '../checker/verdict.js';
import { renderCounterexampleDot, type ModelInfo } from './dot.js';
import { SANS } from './dotlabel.js';
import { cycleHalvesOf, renderLockGraphDot } from './lockgraph.js';

let viz: Promise<Viz> | null = null;

function graphviz(): Promise<Viz> {
  viz ??= instance();
  return viz;
}

export type SvgRendering =
  | { ok: true; svg: string; warnings: string[] }
  | { ok: false; errors: string[]; warnings: string[] };

/**
 * Render DOT to SVG. Graphviz reports a bad HTML label as an `error` yet still draws the graph (with a
 * plain label); such messages are warnings here, because an output exists, and they say what went wrong.
 */
export async function renderSvg(dot: string): Promise<SvgRendering> {
  let result;
  try {
    result = (await graphviz()).render(dot, { format: 'svg', engine: 'dot' });
  } catch (error) {
    // Graphviz aborted (an internal assertion on some large graphs): that instance is dead, start afresh.
    viz = null;
    return { ok: false, errors: [`Graphviz failed: ${error instanceof Error ? error.message : String(error)}`], warnings: [] };
  }
  const messages = result.errors.map((e) => e.message.trim()).filter((m) => m.length > 0);
  if (result.status === 'success') return { ok: true, svg: withFontFallbacks(result.output), warnings: messages };
  return {
    ok: false,
    errors: result.errors.filter((e) => e.level !== 'warning').map((e) => e.message.trim()),
    warnings: result.errors.filter((e) => e.level === 'warning').map((e) => e.message.trim()),
  };
}

/** Viewers without DejaVu Sans get a font at most as wide (the boxes were sized for DejaVu Sans). */
function withFontFallbacks(svg: string): string {
  return svg.replaceAll(`font-family="${SANS}"`, `font-family="${SANS},Verdana,Geneva,sans-serif"`);
}

export type Warn = (message: string) => void;

/** The default sink for Graphviz warnings: stderr, marked as a warning. */
export const stderrWarn: Warn = (message) => {
  process.stderr.write(`schedcheck: warning: graphviz: ${message}\n`);
};

export interface GraphTargets {
  dot?: string;
  svg?: string;
}

/**
 * Write a graph as DOT and/or SVG. Returns the problems that kept a file from being written (empty on
 * success); Graphviz warnings go to `warn` as they arise.
 */
export async function writeGraph(dot: string, targets: GraphTargets, warn: Warn = stderrWarn): Promise<string[]> {
  const problems: string[] = [];
  if (targets.dot !== undefined) {
    const failure = await writeText(targets.dot, dot);
    if (failure !== null) problems.push(failure);
  }
  if (targets.svg !== undefined) {
    const rendering = await renderSvg(dot);
    for (const warning of rendering.warnings) warn(warning);
    if (rendering.ok) {
      const failure = await writeText(targets.svg, rendering.svg);
      if (failure !== null) problems.push(failure);
    } else {
      problems.push(`cannot render ${targets.svg}: ${rendering.errors.join('; ')}`);
    }
  }
  return problems;
}

async function writeText(path: string, text: string): Promise<string | null> {
  try {
    await writeFile(path, text, 'utf8');
    return null;
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String((error as NodeJS.ErrnoException).code) : String(error);
    return `cannot write ${path}: ${reason}`;
  }
}

/** `out/cex.svg` -> `out/cex.locks.svg`: where a second graph (the lock graph) of the same run goes. */
export function companionPath(path: string, tag: string): string {
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  const dot = path.lastIndexOf('.');
  return dot > slash + 1 ? `${path.slice(0, dot)}.${tag}${path.slice(dot)}` : `${path}.${tag}`;
}

/**
 * Everything `--dot`/`--svg` draw for one counterexample: its graph at the named paths and, for lock-order
 * (when the checker filled in `lockGraph`), the lock dependency graph next to them (`cex.locks.svg`).
 * Returns the problems that kept a file from being written; warnings go to `warn`.
 */
export async function writeCounterexampleGraphs(
  cex: Counterexample,
  model: ModelInfo | undefined,
  targets: GraphTargets,
  warn: Warn = stderrWarn,
): Promise<string[]> {
  const problems = await writeGraph(renderCounterexampleDot(cex, model), targets, warn);
  if (cex.lockGraph !== undefined) {
    const companion: GraphTargets = {
      dot: targets.dot === undefined ? undefined : companionPath(targets.dot, 'locks'),
      svg: targets.svg === undefined ? undefined : companionPath(targets.svg, 'locks'),
    };
    problems.push(...(await writeGraph(renderLockGraphDot(cex.lockGraph, model, cycleHalvesOf(cex)), companion, warn)));
  }
  return problems;
}
