// No silent disagreement: every path Z3 finds is replayed through the explicit Model, step by step (the action
// must be enabled there and lead to the very state Z3 says), and the property's own explicit monitor then
// watches the replayed paths as a small breadth-first exploration. The violation is reported only if that
// monitor reports it, with a counterexample of the length Z3 found; anything else is an internal error.

import type { PropertyId } from '../../ir/ir.js';
import { machineOf } from '../../hw/build.js';
import { actionsInto, maxActions } from '../explicit/compile.js';
import type { Action, Model, ModelEvent } from '../../ir/model.js';
import { PROPERTIES } from '../properties/index.js';
import type { Exploration, Finding } from '../properties/property.js';
import type { Counterexample } from '../verdict.js';
import { traceOf } from '../view.js';
import type { DecodedPath } from './unrolling.js';

/** The SMT engine and the explicit model disagree: a bug in one of them, never a verdict. */
export class EngineDisagreement extends Error {
  constructor(message: string) {
    super(`SMT and explicit engines disagree: ${message}`);
  }
}

function fatal(events: readonly ModelEvent[]): boolean {
  return events.some((e) => e.kind === 'violation' && e.fatal);
}

function sameState(a: Uint32Array, b: Uint32Array): boolean {
  return a.length === b.length && a.every((w, i) => w === b[i]);
}

/**
 * Checks a Z3 path against the explicit model and returns it with the explicit states (identical to Z3's
 * except after a fatal last step, whose successor the explicit model does not define).
 */
export function replayPath(model: Model, path: DecodedPath): DecodedPath {
  const init = model.initialStates();
  if (!init.some((s) => sameState(s, path.states[0]!))) throw new EngineDisagreement('the path does not start in an initial state');
  const states = [path.states[0]!];
  path.actions.forEach((action, i) => {
    const from = states[i]!;
    if (!model.actions(from).includes(action)) {
      throw new EngineDisagreement(`step ${i + 1} (${model.label(action).text}) is not enabled in the explicit model`);
    }
    const { next, events } = model.successor(from, action);
    const last = i === path.actions.length - 1;
    if (fatal(events)) {
      if (!last) throw new EngineDisagreement(`step ${i + 1} (${model.label(action).text}) is fatal but the path goes on`);
    } else if (!sameState(next, path.states[i + 1]!)) {
      throw new EngineDisagreement(`step ${i + 1} (${model.label(action).text}) leads to a different state in the explicit model`);
    }
    states.push(next);
  });
  return { states, actions: path.actions };
}

interface Node {
  state: Uint32Array;
  parent: number;
  action: Action;
  depth: number;
}

/** The replayed paths as a tiny state graph, explored breadth-first under the property's monitor. */
function watch(model: Model, property: PropertyId, paths: DecodedPath[]): { finding: Finding | null; nodes: Node[] } {
  const nodes: Node[] = [];
  const ids = new Map<string, number>();
  const outgoing = new Map<string, Action[]>();
  for (const p of paths) {
    p.actions.forEach((a, i) => {
      const key = p.states[i]!.join(',');
      const list = outgoing.get(key) ?? [];
      if (!list.includes(a)) list.push(a);
      outgoing.set(key, list);
    });
  }
  const x: Exploration = {
    model,
    machine: machineOf(model),
    state: (id) => nodes[id]!.state.slice(),
    view: (id) => nodes[id]!.state,
    enabled: (state, out) => actionsInto(model, null, state, out),
    actionRoom: maxActions(model.program),
    depth: (id) => nodes[id]!.depth,
    parentAction: (id) => nodes[id]!.action,
    parent: (id) => nodes[id]!.parent,
  };
  const monitor = PROPERTIES[property].monitor(x);
  if ('notCheckable' in monitor) throw new EngineDisagreement(`${property} is not checkable by the explicit monitor: ${monitor.notCheckable}`);
  const admit = (state: Uint32Array, parent: number, action: Action, depth: number): { id: number; finding: Finding | null } => {
    const key = state.join(',');
    const known = ids.get(key);
    if (known !== undefined) return { id: known, finding: null };
    const id = nodes.length;
    nodes.push({ state, parent, action, depth });
    ids.set(key, id);
    return { id, finding: monitor.onState?.(id, state, model.stateEvents(state)) ?? null };
  };
  for (const p of paths) {
    const root = admit(p.states[0]!, -1, -1, 0);
    if (root.finding !== null) return { finding: root.finding, nodes };
  }
  for (let id = 0; id < nodes.length; id++) {
    const from = nodes[id]!;
    for (const action of outgoing.get(from.state.join(',')) ?? []) {
      const { next, events } = model.successor(from.state, action);
      let to = -1;
      if (!fatal(events)) {
        const admitted = admit(next, id, action, from.depth + 1);
        if (admitted.finding !== null) return { finding: admitted.finding, nodes };
        to = admitted.id;
      }
      // As in the explicit search, only transitions that made events are reported (Monitor.onTransition).
      const finding = events.length > 0 ? (monitor.onTransition?.(id, action, events, to) ?? null) : null;
      if (finding !== null) return { finding, nodes };
    }
  }
  return { finding: null, nodes };
}

/**
 * The counterexample for `property` from Z3's paths (one per fact the violation combines), after replaying them
 * and letting the explicit monitor confirm the violation at the length Z3 found.
 */
export function confirm(model: Model, property: PropertyId, paths: DecodedPath[], length: number): Counterexample {
  const replayed = paths.map((p) => replayPath(model, p));
  const { finding, nodes } = watch(model, property, replayed);
  if (finding === null) throw new EngineDisagreement(`the explicit ${property} monitor sees no violation on the path Z3 found`);
  const states: Uint32Array[] = [];
  const actions: Action[] = [];
  for (let id = finding.state; id >= 0; id = nodes[id]!.parent) {
    states.unshift(nodes[id]!.state);
    if (nodes[id]!.parent >= 0) actions.unshift(nodes[id]!.action);
  }
  if (finding.action !== null) {
    actions.push(finding.action);
    states.push(model.successor(states[states.length - 1]!, finding.action).next);
  }
  if (actions.length !== length) {
    throw new EngineDisagreement(`${property}: Z3's shortest violation has ${length} steps but the explicit monitor reports it after ${actions.length}`);
  }
  return {
    property,
    message: finding.message,
    length: actions.length,
    steps: traceOf(model, states, actions),
    ...(finding.scenario ? { scenario: finding.scenario } : {}),
    ...(finding.details ? { details: finding.details } : {}),
    ...(finding.lockGraph ? { lockGraph: finding.lockGraph } : {}),
    violationSpan: finding.violationSpan,
  };
}
