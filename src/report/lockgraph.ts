// The lock dependency graph of a lock-order violation, lockdep style: a node per lock, an edge A -> B for
// "B was acquired while A was held", labelled with who did it and where. Edges that lie on a cycle (those
// inside a strongly connected component, and self-loops for recursive locking) are drawn in red.
//
// What the checker fills in: `Counterexample.lockGraph`, every edge observed over the explored states (one
// per (from, to) pair is enough; the first observation, which BFS makes the shortest, labels it).

import type { LockEdge } from '../checker/verdict.js';
import type { ModelInfo } from './dot.js';
import { dotAttrs, dotQuote, html, htmlTable, SANS, shortLocation, styled } from './dotlabel.js';

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

/** The lock dependency graph in DOT, with the cycle in red. */
export function renderLockGraphDot(edges: readonly LockEdge[], model?: ModelInfo): string {
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
  out.push('}');
  return `${out.join('\n')}\n`;
}
