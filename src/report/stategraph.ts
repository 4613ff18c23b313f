// The whole state graph of a small model, for `schedcheck explore`: every reachable state once, every
// transition with its action, and a counterexample's path in colour. The search here is a plain BFS over the
// Model interface that keeps every edge (the checker's engine keeps only what properties need); it refuses
// past a node limit, because a graph of thousands of states is unreadable and Graphviz would take minutes.

import type { Model } from '../ir/model.js';
import type { Counterexample, StateView, StepKind } from '../checker/verdict.js';
import { stateView } from '../checker/view.js';
import { machineOf } from '../hw/build.js';
import { pcLocation } from '../hw/describe.js';
import { dotAttrs, html, htmlTable, SANS, shortenPaths, shortLocation, styled, truncate, wrap } from './dotlabel.js';
import { interruptFlag } from './steprows.js';

/**
 * Past this many states a drawing is unreadable and slow to lay out: Graphviz took 1.3 s for 630 states and
 * 45 s for 2569 (with the large-graph settings below).
 */
export const DEFAULT_NODE_LIMIT = 1000;

/**
 * Above this many states, cheaper layout: fewer network-simplex and crossing-minimisation passes and straight
 * edges. Curved-edge routing is what dominates the time on large graphs (and trips a Graphviz assertion).
 */
const LARGE_GRAPH = 300;

export interface GraphNode {
  id: number;
  depth: number;
  view: StateView;
  /** Per CPU, `file:line` of its next instruction, or null when stopped. */
  at: (string | null)[];
  initial: boolean;
  /** No action is enabled. */
  terminal: boolean;
  /** Set on the sink of a fatal transition: what broke (its successor is not explored). */
  fatal: string | null;
  /** Violations visible in the state itself (invariants, recursive acquire). */
  violations: string[];
}

export interface GraphEdge {
  from: number;
  to: number;
  label: string;
  cpu: number | null;
  kind: StepKind;
  span: number | null;
  /** Non-fatal violations reported on this transition. */
  violations: string[];
}

export interface StateGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export type StateGraphBuild = { ok: true; graph: StateGraph } | { ok: false; limit: number };

function key(state: Uint32Array): string {
  return state.join(',');
}

/** Every reachable state and transition, or `{ ok: false }` once more than `limit` nodes would be needed. */
export function exploreStateGraph(model: Model, limit: number = DEFAULT_NODE_LIMIT): StateGraphBuild {
  const m = machineOf(model);
  const ids = new Map<string, number>();
  const states: Uint32Array[] = [];
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const add = (state: Uint32Array, depth: number, initial: boolean, fatal: string | null): number | null => {
    if (nodes.length >= limit) return null;
    const id = nodes.length;
    states.push(state);
    nodes.push({
      id,
      depth,
      view: stateView(model, state),
      at: Array.from({ length: m.cpus }, (_, c) => (m.stopped(state, c) ? null : pcLocation(m, m.pc(state, c)))),
      initial,
      terminal: false,
      fatal,
      violations: fatal === null ? model.stateEvents(state).flatMap((e) => (e.kind === 'violation' ? [e.message] : [])) : [],
    });
    return id;
  };
  for (const init of model.initialStates()) {
    const k = key(init);
    if (ids.has(k)) continue;
    const id = add(init, 0, true, null);
    if (id === null) return { ok: false, limit };
    ids.set(k, id);
  }
  for (let id = 0; id < nodes.length; id++) {
    const node = nodes[id]!;
    if (node.fatal !== null) continue;
    const actions = model.actions(states[id]!);
    node.terminal = actions.length === 0;
    for (const action of actions) {
      const { next, events } = model.successor(states[id]!, action);
      const fatal = events.find((e) => e.kind === 'violation' && e.fatal);
      const violations = events.flatMap((e) => (e.kind === 'violation' && !e.fatal ? [e.message] : []));
      let to: number | null;
      if (fatal !== undefined && fatal.kind === 'violation') {
        // A fatal step's successor is not a state the machine goes on from: a sink of its own.
        to = add(next, node.depth + 1, false, fatal.message);
      } else {
        const k = key(next);
        to = ids.get(k) ?? add(next, node.depth + 1, false, null);
        if (to !== null) ids.set(k, to);
      }
      if (to === null) return { ok: false, limit };
      const label = model.label(action);
      const text = label.cpu === null ? label.text : `cpu${label.cpu}: ${label.text}`;
      if (!edges.some((e) => e.from === id && e.to === to && e.label === text)) {
        edges.push({ from: id, to, label: text, cpu: label.cpu, kind: label.kind, span: label.span, violations });
      }
    }
  }
  return { ok: true, graph: { nodes, edges } };
}

function sameView(a: StateView, b: StateView): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The counterexample's path through the graph, as edge indexes, or null when it is not there. A step is
 * matched by its CPU, kind and instruction span, and by the state it leads to, so labels may differ.
 */
export function matchPath(graph: StateGraph, cex: Counterexample): number[] | null {
  const init = cex.steps[0]!.state;
  // Breadth over candidate (node, path) pairs: several edges may fit one step until the states tell apart.
  let frontier: { node: number; path: number[] }[] = graph.nodes.filter((n) => n.initial && sameView(n.view, init)).map((n) => ({ node: n.id, path: [] }));
  for (const step of cex.steps.slice(1)) {
    const next: { node: number; path: number[] }[] = [];
    for (const { node, path } of frontier) {
      graph.edges.forEach((e, i) => {
        if (e.from !== node || e.cpu !== step.cpu || e.kind !== step.kind || e.span !== step.span) return;
        if (!sameView(graph.nodes[e.to]!.view, step.state)) return;
        if (!next.some((c) => c.node === e.to)) next.push({ node: e.to, path: [...path, i] });
      });
    }
    frontier = next;
    if (frontier.length === 0) return null;
  }
  return frontier[0]?.path ?? null;
}

const PATH = '#e8590c';
const BAD = '#e03131';

function nodeLabel(node: GraphNode, arch: 'x86_64' | 'aarch64'): string {
  const rows = [styled(`#${node.id}`, { bold: true, size: 9, color: '#495057' })];
  node.view.cpus.forEach((c, i) => {
    const where = node.at[i];
    const locks = c.locksHeld.length === 0 ? '' : `  [${c.locksHeld.join(', ')}]`;
    const irq = [c.pending.length > 0 ? `pending ${c.pending.join(',')}` : '', c.inService.length > 0 ? `in service ${c.inService.join(',')}` : '']
      .filter((s) => s !== '')
      .join('  ');
    rows.push(styled(`cpu${c.cpu} ${c.context}${where === null ? '' : ` @ ${shortLocation(where)}`}`, { size: 9, face: 'mono' }));
    rows.push(styled(`     ${interruptFlag(c.ie, arch)}${locks}${irq === '' ? '' : `  ${irq}`}`, { size: 8, face: 'mono', color: '#495057' }));
  });
  const vars = Object.entries(node.view.vars).map(([k, v]) => `${k}=${v}`);
  for (const line of wrap(vars.join(' '), 48)) rows.push(styled(line, { size: 8, face: 'mono', color: '#1864ab' }));
  if (node.view.runQueue.length > 0) rows.push(styled(`rq: ${node.view.runQueue.join(', ')}`, { size: 8, face: 'mono', color: '#495057' }));
  if (node.terminal) rows.push(styled('no action enabled', { size: 8, bold: true, color: BAD }));
  for (const text of [...(node.fatal === null ? [] : [node.fatal]), ...node.violations]) {
    for (const line of wrap(truncate(shortenPaths(text), 160), 48)) rows.push(styled(line, { size: 8, color: BAD }));
  }
  return htmlTable(rows);
}

export interface StateGraphDotOptions {
  title: string;
  arch: 'x86_64' | 'aarch64';
  /** Edge indexes of a counterexample path, drawn in colour. */
  path?: number[] | null;
  pathNote?: string;
}

export function renderStateGraphDot(graph: StateGraph, options: StateGraphDotOptions): string {
  const onPath = new Set(options.path ?? []);
  const pathNodes = new Set<number>();
  for (const i of onPath) {
    pathNodes.add(graph.edges[i]!.from);
    pathNodes.add(graph.edges[i]!.to);
  }
  const title = [styled(options.title, { bold: true, size: 14 })];
  title.push(styled(`${graph.nodes.length} states, ${graph.edges.length} transitions`, { size: 10, color: '#495057' }));
  if (options.pathNote !== undefined) for (const line of wrap(shortenPaths(options.pathNote), 110)) title.push(styled(line, { size: 10, color: PATH }));
  const out = ['digraph states {'];
  const large = graph.nodes.length > LARGE_GRAPH;
  out.push(
    `  graph${dotAttrs({
      rankdir: 'TB',
      fontname: SANS,
      labelloc: 't',
      labeljust: 'l',
      label: html(htmlTable(title)),
      nodesep: 0.25,
      ranksep: 0.45,
      ...(large ? { splines: 'line', mclimit: 0.1, nslimit: 2, nslimit1: 2 } : {}),
    })};`,
  );
  out.push(`  node${dotAttrs({ shape: 'box', style: 'rounded,filled', fillcolor: '#ffffff', fontname: SANS, color: '#adb5bd', margin: '0.08,0.04' })};`);
  out.push(`  edge${dotAttrs({ fontname: 'Courier', fontsize: 8, color: '#adb5bd', fontcolor: '#495057', arrowsize: 0.5 })};`);
  for (const node of graph.nodes) {
    const bad = node.fatal !== null || node.violations.length > 0;
    out.push(
      `  n${node.id}${dotAttrs({
        label: html(nodeLabel(node, options.arch)),
        peripheries: node.initial ? 2 : undefined,
        color: bad ? BAD : pathNodes.has(node.id) ? PATH : undefined,
        fillcolor: node.fatal !== null ? '#ffe3e3' : pathNodes.has(node.id) ? '#fff4e6' : undefined,
        penwidth: pathNodes.has(node.id) || bad ? 2 : undefined,
      })};`,
    );
  }
  graph.edges.forEach((e, i) => {
    const bad = e.violations.length > 0;
    const label = bad ? `${e.label}\n! ${e.violations.map(shortenPaths).join('\n! ')}` : e.label;
    out.push(
      `  n${e.from} -> n${e.to}${dotAttrs({
        label: truncate(label, 200),
        color: onPath.has(i) ? PATH : bad ? BAD : undefined,
        fontcolor: onPath.has(i) ? PATH : bad ? BAD : undefined,
        penwidth: onPath.has(i) ? 2.5 : undefined,
        style: e.kind === 'pending' ? 'dashed' : undefined,
      })};`,
    );
  });
  out.push('}');
  return `${out.join('\n')}\n`;
}
