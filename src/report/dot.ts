// The counterexample as a picture: one lane (column) per CPU, time flowing down, one row per step. A step
// node shows who ran it, the instruction and its source line, and only what the step changed (interrupt
// flag, locks held, stack, lines pending or in service, variables). Hardware events and context switches
// are drawn in their own colours so the interleaving that breaks the design stands out.
//
// Layout: every row is a `rank=same` group holding the step's node in its lane and an invisible cell in
// every other lane; invisible heavy edges chain each lane's cells top to bottom, and invisible edges inside
// each row fix the lanes' left-to-right order. Graphviz then has no freedom left but spacing, so lanes stay
// straight columns however the steps interleave. The visible edges follow time order and never constrain.

import type { Counterexample, StateView, TraceStep } from '../checker/verdict.js';
import type { Arch, LockKind, SourceSpan } from '../ir/ir.js';
import { dotAttrs, html, htmlTable, SANS, shortenPaths, shortLocation, styled, truncate, wrap } from './dotlabel.js';
import { changedRows, cpuSnapshotRows, globalSnapshotRows, type Row } from './steprows.js';

/** What the graphs need to know about the model besides the trace. A `Program` is one. */
export interface ModelInfo {
  file: string;
  arch: Arch;
  locks: readonly { name: string; kind: LockKind }[];
  /** Source spans by id (a Program's whole table, or the few a saved trace carries). */
  spans?: { readonly [id: number]: SourceSpan | undefined };
}

/** How a step is drawn; also what the tests and the legend name. */
export type StepClass = 'instruction' | 'interrupt' | 'pending' | 'eoi' | 'iret' | 'switch';

const FILL: Record<StepClass, string> = {
  instruction: '#ffffff',
  interrupt: '#ffc078', // arrival: the one thing the developer did not write
  pending: '#fff3bf',
  eoi: '#b2f2bb',
  iret: '#ffe8cc',
  switch: '#a5d8ff',
};

const BORDER = '#868e96';
const VIOLATION = '#e03131';
const LOOP = '#1c7ed6';

/** The thread a context runs for: `thread worker` and `handler timer (on worker)` both run for worker. */
function threadOf(context: string): string | null {
  if (context.startsWith('thread ')) return context.slice('thread '.length);
  const on = /\(on ([^)]*)\)$/.exec(context);
  return on === null ? null : on[1]!;
}

export function classifyStep(step: TraceStep, before: StateView | undefined): StepClass {
  if (step.kind === 'interrupt') return 'interrupt';
  if (step.kind === 'pending') return 'pending';
  const op = step.label.trim().split(/\s+/)[0] ?? '';
  if (op === 'eoi' || op === 'ack') return 'eoi';
  if (op === 'iret' || op === 'eret' || op === 'irq_exit') return 'iret';
  if (op === 'switch_to' || op === 'restore_context') return 'switch';
  if (step.cpu !== null && before !== undefined) {
    const was = before.cpus[step.cpu]?.context;
    const now = step.state.cpus[step.cpu]?.context;
    // A `ret` or `iret` that lands in another thread is a switch too, whatever its opcode; leaving a handler
    // for the thread it interrupted is not.
    if (was !== undefined && now !== undefined && threadOf(now) !== null && threadOf(was) !== null && threadOf(was) !== threadOf(now)) {
      return 'switch';
    }
  }
  return 'instruction';
}

/** A source line as code: comments dropped and runs of blanks (alignment padding) made one. */
function codeOf(sourceLine: string): string {
  return sourceLine
    .replace(/\/\*.*?\*\//g, ' ')
    .replace(/\/\/.*$/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The step the violation happened at: the last one executing the violating instruction, else the last step
 * (a violating state is reached by the last step). Lassos have none: their loop is the violation.
 */
export function violatingStep(cex: Counterexample): number | null {
  if (cex.loop !== undefined) return null;
  if (cex.violationSpan !== null) {
    for (let i = cex.steps.length - 1; i > 0; i--) if (cex.steps[i]!.span === cex.violationSpan) return i;
  }
  return cex.steps.length - 1;
}

function spanLocation(model: ModelInfo | undefined, span: number | null): string | null {
  if (span === null || model?.spans === undefined) return null;
  const s = model.spans[span];
  return s === undefined ? null : `${shortLocation(s.file)}:${s.line}`;
}

function rowHtml(row: Row): string {
  const text = shortenPaths(row.text);
  switch (row.kind) {
    case 'change':
      return styled(text, { size: 9, color: '#343a40' });
    case 'frame':
      return styled(`  ${text}`, { face: 'mono', size: 8, color: frameColor(row.frame) });
    case 'note':
      return styled(text, { size: 9, color: '#495057' });
  }
}

function frameColor(kind: string): string {
  switch (kind) {
    case 'irq':
    case 'exc':
      return '#d9480f';
    case 'switch':
      return '#1864ab';
    case 'flags':
      return '#862e9c';
    default:
      return '#343a40';
  }
}

function laneOf(step: TraceStep, cpus: number): number {
  return step.cpu === null || step.cpu >= cpus ? cpus : step.cpu;
}

function headerNode(lane: number, cpus: number, init: StateView, arch: Arch): string {
  if (lane === cpus) {
    return `  lane${lane}${dotAttrs({ label: html(htmlTable([styled('machine', { bold: true, size: 12 })])), fillcolor: '#e9ecef' })};`;
  }
  const cpu = init.cpus[lane]!;
  const rows = [styled(`CPU${lane}`, { bold: true, size: 12 }), ...cpuSnapshotRows(cpu, arch).map(rowHtml)];
  return `  lane${lane}${dotAttrs({ label: html(htmlTable(rows)), fillcolor: '#e9ecef' })};`;
}

function stepNode(
  cex: Counterexample,
  index: number,
  arch: Arch,
  model: ModelInfo | undefined,
  violation: number | null,
): string {
  const step = cex.steps[index]!;
  const before = cex.steps[index - 1]?.state;
  const cls = classifyStep(step, before);
  const rows: string[] = [];
  // The lane says which CPU; the header says who ran on it.
  rows.push(styled(`#${index}  ${step.context}`, { size: 9, color: '#495057' }));
  rows.push(styled(step.label, { face: 'mono', size: 12, bold: true }));
  if (step.location !== null) {
    const line = step.sourceLine === null ? '' : codeOf(step.sourceLine);
    const source = line !== '' && line !== step.label.trim() ? `  ${truncate(line, 44)}` : '';
    rows.push(styled(`${shortLocation(step.location)}${source}`, { face: 'mono', size: 9, color: '#495057' }));
  }
  if (before !== undefined) rows.push(...changedRows(before, step.state, step.cpu, arch).map(rowHtml));
  if (index === cex.loop) rows.push(styled('loop starts here', { bold: true, size: 9, color: LOOP }));
  const violating = index === violation;
  const inLoop = cex.loop !== undefined && index >= cex.loop;
  if (violating) {
    const where = spanLocation(model, cex.violationSpan);
    const at = where !== null && cex.violationSpan !== step.span ? ` (at ${where})` : '';
    rows.push(styled(`VIOLATION: ${cex.property}${at}`, { bold: true, size: 10, color: VIOLATION }));
    for (const line of wrap(shortenPaths(cex.message), 48)) rows.push(styled(line, { size: 9, color: VIOLATION }));
  }
  const attrs = {
    label: html(htmlTable(rows)),
    fillcolor: FILL[cls],
    style: cls === 'pending' ? 'rounded,filled,dashed' : cls === 'interrupt' ? 'filled,bold' : 'rounded,filled',
    shape: cls === 'interrupt' ? 'box' : undefined,
    peripheries: cls === 'switch' ? 2 : undefined,
    color: violating ? VIOLATION : inLoop ? LOOP : undefined,
    penwidth: violating ? 3 : inLoop ? 2 : undefined,
    tooltip: `step ${index}: ${step.label}`,
  };
  return `  s${index}${dotAttrs(attrs)};`;
}

function titleLabel(cex: Counterexample, model: ModelInfo | undefined): string {
  const file = model?.file ?? cex.steps.find((s) => s.location !== null)?.location?.replace(/:\d+$/, '') ?? 'model';
  const rows = [styled(`${file}: ${cex.property} violated`, { bold: true, size: 14 })];
  for (const line of wrap(cex.message, 90)) rows.push(styled(line, { size: 11, color: VIOLATION }));
  const kind = cex.loop === undefined ? `${cex.length} steps` : `${cex.length} steps; steps ${cex.loop}..${cex.length} repeat forever`;
  rows.push(styled(kind, { size: 10, color: '#495057' }));
  const init = cex.steps[0]?.state;
  if (init !== undefined) for (const row of globalSnapshotRows(init)) rows.push(rowHtml(row));
  return htmlTable(rows);
}

function legend(used: Set<StepClass>): string[] {
  const names: Record<StepClass, string> = {
    instruction: 'instruction',
    interrupt: 'interrupt delivered',
    pending: 'line becomes pending',
    eoi: 'EOI / ack',
    iret: 'interrupt return',
    switch: 'context switch',
  };
  const cells = (Object.keys(FILL) as StepClass[]).filter((cls) => used.has(cls)).map(
    (cls) => `<TD BGCOLOR="${FILL[cls]}" BORDER="1" COLOR="${BORDER}">${styled(names[cls], { size: 9 })}</TD>`,
  );
  const table = `<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="4" CELLPADDING="3"><TR>${cells.join('')}</TR></TABLE>`;
  return [`  legend${dotAttrs({ label: html(table), shape: 'plain', style: '' })};`];
}

/** The counterexample graph in DOT. `model` (a Program, or what a saved trace carries) adds the architecture. */
export function renderCounterexampleDot(cex: Counterexample, model?: ModelInfo): string {
  const init = cex.steps[0]!.state;
  const arch: Arch = model?.arch ?? (init.cpus.some((c) => c.elr !== undefined) ? 'aarch64' : 'x86_64');
  const cpus = init.cpus.length;
  const lanes = cex.steps.some((s) => s.index > 0 && laneOf(s, cpus) === cpus) ? cpus + 1 : cpus;
  const violation = violatingStep(cex);
  const out: string[] = [];
  out.push('digraph counterexample {');
  out.push(
    `  graph${dotAttrs({ rankdir: 'TB', newrank: true, nodesep: 0.35, ranksep: 0.3, fontname: SANS, labelloc: 't', labeljust: 'l', label: html(titleLabel(cex, model)), tooltip: `${cex.property} violated` })};`,
  );
  out.push(`  node${dotAttrs({ shape: 'box', style: 'rounded,filled', fontname: SANS, fontsize: 10, color: BORDER, margin: '0.12,0.06' })};`);
  out.push(`  edge${dotAttrs({ color: '#495057', arrowsize: 0.6 })};`);
  out.push('');
  out.push('  // lanes: one per CPU, in order');
  for (let lane = 0; lane < lanes; lane++) out.push(headerNode(lane, cpus, init, arch));
  out.push(`  { rank=same; ${Array.from({ length: lanes }, (_, l) => `lane${l}`).join(' -> ')}${lanes > 1 ? ' [style=invis]' : ''} }`);

  const used = new Set<StepClass>();
  const cell = (row: number, lane: number): string => (laneOf(cex.steps[row]!, cpus) === lane ? `s${row}` : `c${row}_${lane}`);
  for (let i = 1; i < cex.steps.length; i++) {
    const step = cex.steps[i]!;
    used.add(classifyStep(step, cex.steps[i - 1]!.state));
    out.push('');
    out.push(stepNode(cex, i, arch, model, violation));
    const rowCells = Array.from({ length: lanes }, (_, lane) => cell(i, lane));
    for (const id of rowCells) if (id !== `s${i}`) out.push(`  ${id}${dotAttrs({ style: 'invis', label: '', width: 0.1, height: 0.1 })};`);
    out.push(`  { rank=same; ${rowCells.join(' -> ')}${lanes > 1 ? ' [style=invis]' : ''} }`);
  }
  out.push('');
  out.push('  // lane chains keep each CPU in one straight column');
  for (let lane = 0; lane < lanes; lane++) {
    const chain = [`lane${lane}`, ...cex.steps.slice(1).map((_, k) => cell(k + 1, lane))];
    out.push(`  ${chain.join(' -> ')}${dotAttrs({ style: 'invis', weight: 100 })};`);
  }
  out.push('');
  out.push('  // time order');
  for (let i = 1; i < cex.steps.length; i++) {
    const from = i === 1 ? `lane${laneOf(cex.steps[1]!, cpus)}` : `s${i - 1}`;
    const cross = i > 1 && laneOf(cex.steps[i - 1]!, cpus) !== laneOf(cex.steps[i]!, cpus);
    out.push(`  ${from} -> s${i}${dotAttrs({ constraint: false, style: cross ? 'dashed' : undefined })};`);
  }
  if (cex.loop !== undefined && cex.steps.length > 1) {
    const last = cex.steps.length - 1;
    const target = cex.loop === 0 ? `lane${laneOf(cex.steps[last]!, cpus)}` : `s${cex.loop}`;
    out.push(
      `  s${last} -> ${target}${dotAttrs({ constraint: false, color: LOOP, fontcolor: LOOP, penwidth: 2, label: 'repeats forever', fontname: SANS, fontsize: 9 })};`,
    );
  }
  const bottom = cex.steps.length > 1 ? cell(cex.steps.length - 1, 0) : 'lane0';
  const notes = [...(cex.scenario ?? []), ...(cex.details ?? [])];
  if (notes.length > 0) {
    const rows = notes.map((line) => styled(shortenPaths(line), { face: 'mono', size: 9 }));
    out.push('');
    out.push(`  notes${dotAttrs({ shape: 'note', style: 'filled', fillcolor: '#f8f9fa', label: html(htmlTable(rows)) })};`);
    out.push(`  ${bottom} -> notes${dotAttrs({ style: 'invis' })};`);
  }
  if (used.size > 1) {
    out.push('');
    out.push(...legend(used));
    out.push(`  ${notes.length > 0 ? 'notes' : bottom} -> legend${dotAttrs({ style: 'invis' })};`);
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}
