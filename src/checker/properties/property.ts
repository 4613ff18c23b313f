// A property is a name, a kind and a monitor: the monitor watches one exploration (each new state, each
// transition, and when the exploration was complete the whole graph) and reports the first finding. Findings
// arrive in breadth-first order, so the first one is a shortest counterexample.

import type { PropertyId } from '../../ir/ir.js';
import type { Machine } from '../../hw/machine.js';
import type { Action, Model, ModelEvent } from '../../ir/model.js';
import type { StateGraph } from '../explicit/graph.js';
import type { LockEdge } from '../verdict.js';
import type { WatchKind } from '../../hw/watch.js';

export interface Finding {
  /** One sentence a kernel developer understands. */
  message: string;
  /** The counterexample follows the parent pointers to this state... */
  state: number;
  /** ...and then takes this action (a violation on a transition), or stops there (a violation of a state). */
  action: Action | null;
  /**
   * Liveness: the counterexample is a lasso. From `state` these actions lead around a loop back to `state`,
   * which repeats forever (`action` is then null).
   */
  loop?: Action[];
  scenario?: string[];
  details?: string[];
  violationSpan: number | null;
  /** lock-order: the dependency graph observed so far. */
  lockGraph?: LockEdge[];
  /**
   * lock-order cycles: the other dependencies of the cycle, each where it was first seen (the counterexample
   * itself shows the last one), so that a report can trace every half of the cycle in its own context.
   */
  otherHalves?: { title: string; state: number; action: Action }[];
}

/** What a monitor may ask of the exploration it watches. */
export interface Exploration {
  readonly model: Model;
  readonly machine: Machine;
  /** A copy of state `id`. */
  state(id: number): Uint32Array;
  /**
   * State `id` without copying it, for a monitor that reads many states: read it, never write it, and do not
   * keep it past the current call (with hash compaction the search drops a state once its level is done).
   */
  view(id: number): Uint32Array;
  /**
   * The actions enabled in `state`, written to `out` in the model's order (`Model.actions`); returns how many.
   * `out` needs `actionRoom` entries. The engine's compiled code answers when it has it, so it is cheap.
   */
  enabled(state: Uint32Array, out: Int32Array): number;
  /** The most actions a state can have: the length `enabled` needs. */
  readonly actionRoom: number;
  depth(id: number): number;
  /** The action that discovered state `id` (-1 for an initial state). */
  parentAction(id: number): number;
  parent(id: number): number;
}

export interface Monitor {
  /** Keep the state graph for onComplete. */
  readonly needsGraph: boolean;
  /**
   * Decides from one state or one transition alone, keeping nothing between calls: a partitioned search
   * (src/checker/explicit/partition.ts) may run it in every shard on that shard's states.
   */
  readonly local?: boolean;
  /**
   * What the monitor gathered so far, where it decides from the union of what it gathers over all states and
   * transitions, whatever their order (it finds a violation exactly when that union shows one; the first state
   * or transition that completes it is the finding). A partitioned search (partition.ts) then runs it in every
   * shard, on that shard's states and transitions, and asks the property's `violatedBy` of what they gathered
   * together. Plain data: it crosses to the thread that drives the search.
   */
  gathered?(): unknown;
  /**
   * What onState reads of a new state besides its events, where that is all it reads: the search core then hands
   * it only the new states that could change something (coresearch.ts). With `watch`, it only gathers those facts
   * (src/hw/watch.ts): a state whose facts of these kinds it has all seen, and that has no events, changes
   * nothing and is no finding. With `progress`, a state that has an action making progress (the module's
   * `progress`: neither an arrival left pending nor a halted point's step) is no finding. Without `stateReads`,
   * onState sees every new state.
   */
  readonly stateReads?: { readonly watch?: readonly WatchKind[]; readonly progress?: boolean };
  /**
   * A newly discovered state, with the model's state events for it. `state` is only valid during the call (the
   * search reuses the buffer): read it, never write it, and copy it (or ask `Exploration.state`) to keep it.
   */
  onState?(id: number, state: Uint32Array, events: readonly ModelEvent[]): Finding | null;
  /**
   * A transition that made events (acquires, EOIs, warnings, violations); `to` is -1 when the step was fatal
   * (its successor is not explored). Transitions without events are not reported: every property reads
   * transitions through their events, and most transitions have none.
   */
  onTransition?(from: number, action: Action, events: readonly ModelEvent[], to: number): Finding | null;
  /** After a complete exploration. */
  onComplete?(graph: StateGraph | null): Finding | null;
}

export type PropertyKind = 'safety' | 'liveness';

export interface PropertyDefinition {
  readonly id: PropertyId;
  readonly kind: PropertyKind;
  /** The short meaning `schedcheck properties` prints. */
  readonly meaning: string;
  /** Liveness: the fairness assumption every verdict of this property is relative to (reports print it). */
  readonly fairness?: string;
  /** A fresh monitor, or why this property cannot be checked on this model (yet). */
  monitor(x: Exploration): Monitor | { notCheckable: string };
  /** Whether what monitors of one search gathered (Monitor.gathered), together, shows a violation. */
  violatedBy?(gathered: readonly unknown[]): boolean;
}

/** The first violation event of a property, as a finding on the transition (from, action). */
export function violationOn(
  x: Exploration,
  property: PropertyId,
  events: readonly ModelEvent[],
  from: number,
  action: Action,
): Finding | null {
  for (const e of events) {
    if (e.kind === 'violation' && e.property === property) {
      return { message: e.message, state: from, action, violationSpan: x.model.label(action).span };
    }
  }
  return null;
}

/** The first violation event of a property among a state's events, as a finding on that state. */
export function violationIn(property: PropertyId, events: readonly ModelEvent[], state: number): Finding | null {
  for (const e of events) {
    if (e.kind === 'violation' && e.property === property) return { message: e.message, state, action: null, violationSpan: null };
  }
  return null;
}

/** Monitor of a property that is decided entirely by the model's violation events. */
export function eventMonitor(x: Exploration, property: PropertyId): Monitor {
  return {
    needsGraph: false,
    local: true,
    stateReads: {},
    onState: (id, _state, events) => violationIn(property, events, id),
    onTransition: (from, action, events) => violationOn(x, property, events, from, action),
  };
}
