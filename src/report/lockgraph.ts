// The lock dependency graph of a lock-order violation, lockdep style: a node per lock, an edge A -> B for
// "B was acquired while A was held", labelled with who did it and where. Edges that lie on a cycle (those
// inside a strongly connected component, and self-loops for recursive locking) are drawn in red.
//
// What the checker fills in: `Counterexample.lockGraph`, every edge observed over the explored states (one
// per (from, to) pair is enough; the first observation, which BFS makes the shortest, labels it).

import type { Counterexample, LockEdge, TraceStep } from '../checker/verdict.js';
import type { ModelInfo } from './dot.js';
import { dotAttrs, dotQuote, html, htmlTable, SANS, shortLocation, styled, type Html } from './dotlabel.js';

export type { LockEdge };

const CYCLE = '#e03131';

/** Tarjan's strongly connected components; returns a component id per lock name. */
function components(locks: string[], edges: readonly LockEdge[]): Map<string, number> {
  const next = new Map<string, string[]>(locks.map((l) => [l, []]));
  for (const e of edges) next.get(e.from)!.push(e.to);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const component = new Map<string, number>();
  let counter = 0;
  let count = 0;
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.set(w, count);
      } while (w !== v);
      count++;
    }
  };
  for (const lock of locks) if (!index.has(lock)) visit(lock);
  return component;
}

function lockNames(edges: readonly LockEdge[], model: ModelInfo | undefined): string[] {
  const names = new Set<string>(model?.locks.map((l) => l.name) ?? []);
  for (const e of edges) {
    names.add(e.from);
    names.add(e.to);
  }
  return [...names];
}

/** Indexes of the edges that lie on some cycle of the graph. */
export function cycleEdges(edges: readonly LockEdge[]): Set<number> {
  const comp = components(lockNames(edges, undefined), edges);
  const onCycle = new Set<number>();
  edges.forEach((e, i) => {
    if (e.from === e.to || comp.get(e.from) === comp.get(e.to)) onCycle.add(i);
  });
  return onCycle;
}

/** A shortest cycle, as lock names with the first repeated at the end (`A, B, A`), or null if acyclic. */
export function lockCycle(edges: readonly LockEdge[]): string[] | null {
  let best: string[] | null = null;
  for (const start of lockNames(edges, undefined)) {
    // BFS from `start` back to itself.
    const parent = new Map<string, string>();
    const queue = [start];
    let found: string | null = null;
    while (queue.length > 0 && found === null) {
      const v = queue.shift()!;
      for (const e of edges) {
        if (e.from !== v) continue;
        if (e.to === start) {
          found = v;
          break;
        }
        if (!parent.has(e.to)) {
          parent.set(e.to, v);
          queue.push(e.to);
        }
      }
    }
    if (found === null) continue;
    const path = [start];
    for (let v = found; v !== start; v = parent.get(v)!) path.splice(1, 0, v);
    path.push(start);
    if (best === null || path.length < best.length) best = path;
  }
  return best;
}

/** One half of a lock-order cycle: the dependency it shows, and the trace from boot to its second acquire. */
export interface CycleHalf {
  title: string;
  steps: readonly TraceStep[];
}

/**
 * Every half of a lock-order cycle: the counterexample's own trace (the dependency that closed the cycle),
 * then each other one. Empty for a counterexample that is not a cycle.
 */
export function cycleHalvesOf(cex: Counterexample): CycleHalf[] {
  if (cex.cycleTraces === undefined || cex.cycleTraces.length === 0) return [];
  const last = cex.details?.at(-1)?.replace(/: the last step of the trace$/, '').replace(/^(\S+ -> \S+) first seen in /, '$1, first seen in ');
  const closing = last ?? 'the counterexample';
  return [{ title: closing, steps: cex.steps }, ...cex.cycleTraces.map((h) => ({ title: h.title, steps: h.steps }))];
}

/** A half as a note: its title, then one line per step (`#3 cpu0 handler timer (on boot[0]): acquire PROC`). */
function halfNote(half: CycleHalf, n: number): Html {
  const rows = [styled(`half ${n}: ${shortenTitle(half.title)}`, { bold: true, size: 10, color: CYCLE })];
  for (const step of half.steps.slice(1)) {
    const cpu = step.cpu === null ? '' : `cpu${step.cpu} `;
    const last = step.index === half.steps.length - 1;
    rows.push(styled(`#${step.index} ${cpu}${step.context}: ${step.label}`, { size: 9, face: 'mono', color: last ? CYCLE : '#343a40', bold: last }));
  }
  return html(htmlTable(rows));
}

/** `A -> B, first seen in CONTEXT on CPU 0 at dir/file.sched:69 (acquire B)` with the file's folder dropped. */
function shortenTitle(title: string): string {
  return title.replace(/ at (\S+):(\d+)/, (_m, file: string, line: string) => ` at ${shortLocation(`${file}:${line}`)}`);
}

/**
 * The lock dependency graph in DOT, with the cycle in red. With `halves` (cycleHalvesOf), each half of the cycle
 * is drawn beside it as its trace, pointing at the lock its last step acquires.
 */
export function renderLockGraphDot(edges: readonly LockEdge[], model?: ModelInfo, halves: readonly CycleHalf[] = []): string {
  const locks = lockNames(edges, model).filter((l) => edges.some((e) => e.from === l || e.to === l));
  const onCycle = cycleEdges(edges);
  const cycle = lockCycle(edges);
  const cycleLocks = new Set(cycle ?? []);
  const title = [styled(`${model?.file ?? 'model'}: lock dependency graph`, { bold: true, size: 14 })];
  title.push(
    cycle === null
      ? styled('no cycle', { size: 11 })
      : styled(`cycle: ${cycle.join(' -> ')}`, { size: 11, color: CYCLE, bold: true }),
  );
  title.push(styled('an edge A -> B: B was acquired while A was held', { size: 9, color: '#495057' }));
  const out: string[] = ['digraph lockgraph {'];
  out.push(`  graph${dotAttrs({ rankdir: 'LR', fontname: SANS, labelloc: 't', labeljust: 'l', label: html(htmlTable(title)), nodesep: 0.6, ranksep: 1.2 })};`);
  out.push(`  node${dotAttrs({ shape: 'box', style: 'rounded,filled', fillcolor: '#ffffff', fontname: SANS, fontsize: 11, color: '#868e96', margin: '0.15,0.08' })};`);
  out.push(`  edge${dotAttrs({ fontname: SANS, fontsize: 9, color: '#495057', arrowsize: 0.7 })};`);
  for (const lock of locks) {
    const kind = model?.locks.find((l) => l.name === lock)?.kind;
    const rows = [styled(lock, { bold: true, size: 12, face: 'mono' })];
    if (kind !== undefined) rows.push(styled(kind, { size: 9, color: '#495057' }));
    const inCycle = cycleLocks.has(lock);
    out.push(
      `  ${dotQuote(`lock ${lock}`)}${dotAttrs({ label: html(htmlTable(rows)), color: inCycle ? CYCLE : undefined, penwidth: inCycle ? 2 : undefined, fillcolor: inCycle ? '#fff5f5' : undefined })};`,
    );
  }
  edges.forEach((e, i) => {
    const red = onCycle.has(i);
    const label = [styled(e.context, { size: 9, color: red ? CYCLE : '#343a40' })];
    if (e.location !== null) label.push(styled(shortLocation(e.location), { size: 9, face: 'mono', color: red ? CYCLE : '#495057' }));
    out.push(
      `  ${dotQuote(`lock ${e.from}`)} -> ${dotQuote(`lock ${e.to}`)}${dotAttrs({ label: html(htmlTable(label)), color: red ? CYCLE : undefined, penwidth: red ? 2.5 : undefined, tooltip: `${e.to} taken while holding ${e.from}` })};`,
    );
  });
  halves.forEach((half, i) => {
    const node = dotQuote(`half ${i + 1}`);
    out.push(`  ${node}${dotAttrs({ shape: 'note', style: 'filled', fillcolor: '#fff5f5', color: CYCLE, label: halfNote(half, i + 1) })};`);
    const acquired = /^acquire (\S+)/.exec(half.steps.at(-1)?.label ?? '')?.[1];
    if (acquired !== undefined && locks.includes(acquired)) {
      out.push(`  ${node} -> ${dotQuote(`lock ${acquired}`)}${dotAttrs({ style: 'dashed', color: CYCLE, arrowhead: 'none' })};`);
    }
  });
  out.push('}');
  return `${out.join('\n')}\n`;
}
