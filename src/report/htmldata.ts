// What the interactive report (html.ts) shows, computed once in Node from the counterexample, so the page
// only draws: every step with its lane, class, source span and the rows of what it changed (the same rows
// the graphs print, steprows.ts), the machine after it (the state views of src/checker/view.ts), the source
// files the steps point into, and the lock graph. The page reads nothing else; this file holds only data
// and the function that builds it, so the browser bundle imports its types without Node.

import type { Counterexample, LockEdge, StateView } from '../checker/verdict.js';
import type { Arch, LockKind, SourceSpan } from '../ir/ir.js';
import { classifyStep, violatingStep, type ModelInfo, type StepClass } from './dot.js';
import { lockCycle } from './lockgraph.js';
import { changedRows, type Row } from './steprows.js';

export interface ReportStep {
  index: number;
  kind: 'init' | 'instruction' | 'interrupt' | 'pending';
  /** The lane: the CPU that took the step, or null for the machine (and the initial state). */
  cpu: number | null;
  context: string;
  label: string;
  cls: StepClass;
  /** Where in the source, when the step has a place there (an instruction, or a handler's first line). */
  span: SourceSpan | null;
  location: string | null;
  sourceLine: string | null;
  /** What the step changed, as the graphs print it (empty for the initial state). */
  changes: Row[];
  state: StateView;
}

export interface ReportData {
  /** The model file, as the run named it. */
  file: string;
  arch: Arch;
  property: string;
  message: string;
  length: number;
  /** Lassos: steps loop..length repeat forever. */
  loop: number | null;
  /** The step the violation happened at (null for a lasso: its loop is the violation). */
  violation: number | null;
  /** Where the violating instruction is, when the CPU is stuck before it. */
  violationLocation: string | null;
  scenario: string[];
  details: string[];
  cpus: number;
  /** A `machine` lane follows the CPUs when a step belongs to no CPU. */
  machineLane: boolean;
  locks: { name: string; kind: LockKind | null }[];
  steps: ReportStep[];
  /** Source files by name, as lines: the excerpts and the source pane. A file that cannot be read is absent. */
  sources: Record<string, string[]>;
  /** The lock dependency graph: the checker's (lock-order), else the edges this trace itself took. */
  lockGraph: { edges: LockEdge[]; cycle: string[] | null; observedInTrace: boolean; svg: string | null };
}

/**
 * The lock edges a trace takes: a step `acquire B` on a CPU whose context holds A adds A -> B (a mutex that
 * sleeps instead counts too: lockdep records the dependency when the lock is tried). For reports of
 * properties other than lock-order, whose checker fills in no lock graph.
 */
export function traceLockEdges(cex: Counterexample): LockEdge[] {
  const edges: LockEdge[] = [];
  for (let i = 1; i < cex.steps.length; i++) {
    const step = cex.steps[i]!;
    const taken = /^acquire\s+(\S+)/.exec(step.label)?.[1];
    if (step.cpu === null || taken === undefined) continue;
    for (const from of cex.steps[i - 1]!.state.cpus[step.cpu]?.locksHeld ?? []) {
      if (!edges.some((e) => e.from === from && e.to === taken)) {
        edges.push({ from, to: taken, context: step.context, span: step.span, location: step.location });
      }
    }
  }
  return edges;
}

/** The report's data. `sources` maps each file the steps name to its text (what could be read). */
export function reportData(
  cex: Counterexample,
  model: ModelInfo | undefined,
  sources: Record<string, string>,
  lockGraphSvg: string | null = null,
): ReportData {
  const init = cex.steps[0]!.state;
  const arch: Arch = model?.arch ?? (init.cpus.some((c) => c.elr !== undefined) ? 'aarch64' : 'x86_64');
  const cpus = init.cpus.length;
  const spanOf = (id: number | null): SourceSpan | null => (id === null ? null : (model?.spans?.[id] ?? null));
  const steps: ReportStep[] = cex.steps.map((step, i) => {
    const before = cex.steps[i - 1]?.state;
    return {
      index: step.index,
      kind: step.kind,
      cpu: step.cpu === null || step.cpu >= cpus ? null : step.cpu,
      context: step.context,
      label: step.label,
      cls: i === 0 ? 'instruction' : classifyStep(step, before),
      span: spanOf(step.span),
      location: step.location,
      sourceLine: step.sourceLine,
      changes: before === undefined ? [] : changedRows(before, step.state, step.cpu, arch),
      state: step.state,
    };
  });
  const violation = violatingStep(cex);
  const violationSpan = spanOf(cex.violationSpan);
  const violationStep = violation === null ? undefined : cex.steps[violation];
  const edges = cex.lockGraph ?? traceLockEdges(cex);
  const fileLines: Record<string, string[]> = {};
  for (const [file, text] of Object.entries(sources)) fileLines[file] = text.split(/\r?\n/);
  const file = model?.file ?? steps.find((s) => s.span !== null)?.span?.file ?? 'model';
  return {
    file,
    arch,
    property: cex.property,
    message: cex.message,
    length: cex.length,
    loop: cex.loop ?? null,
    violation,
    violationLocation:
      violationSpan !== null && violationStep !== undefined && violationStep.span !== cex.violationSpan
        ? `${violationSpan.file}:${violationSpan.line}`
        : null,
    scenario: [...(cex.scenario ?? [])],
    details: [...(cex.details ?? [])],
    cpus,
    machineLane: steps.some((s) => s.index > 0 && s.cpu === null),
    locks: model?.locks.map((l) => ({ name: l.name, kind: l.kind })) ?? init.locks.map((l) => ({ name: l.name, kind: null })),
    steps,
    sources: fileLines,
    lockGraph: { edges, cycle: lockCycle(edges), observedInTrace: cex.lockGraph === undefined, svg: lockGraphSvg },
  };
}

/** The files a report's excerpts come from: the model and every file a step's span names. */
export function sourceFiles(cex: Counterexample, model: ModelInfo | undefined): string[] {
  const files = new Set<string>();
  if (model !== undefined) files.add(model.file);
  for (const step of cex.steps) {
    const span = step.span === null ? undefined : model?.spans?.[step.span];
    if (span !== undefined) files.add(span.file);
    else if (step.location !== null) files.add(step.location.replace(/:\d+$/, ''));
  }
  return [...files];
}
