// Laws every counterexample obeys, checked independently of the engine that found it: it is a real path of the
// Model (each step is an enabled action whose successor is exactly the next state shown), and it is a shortest
// one (a separate breadth-first search finds no shorter way to where it goes).

import { expect } from 'vitest';
import type { Action, Model } from '../../src/ir/model.js';
import type { Counterexample, TraceStep } from '../../src/checker/verdict.js';
import { stateView } from '../../src/checker/view.js';
import type { PropertyId } from '../../src/ir/ir.js';

const key = (s: Uint32Array): string => s.join(',');

/** The states and actions of the path a counterexample shows, found by replaying its steps through the Model. */
export function replay(model: Model, cex: Counterexample): { states: Uint32Array[]; actions: Action[] } {
  const steps = cex.steps;
  const init = model.initialStates().find((s) => sameView(model, s, steps[0]!));
  if (init === undefined) throw new Error('the first step is not an initial state of the model');
  // Depth-first over the actions that match each step, so an ambiguous step cannot derail the replay.
  const go = (states: Uint32Array[], actions: Action[]): { states: Uint32Array[]; actions: Action[] } | null => {
    const i = states.length;
    if (i === steps.length) return { states, actions };
    const step = steps[i]!;
    const from = states[i - 1]!;
    for (const action of model.actions(from)) {
      const label = model.label(action);
      if (label.cpu !== step.cpu || label.kind !== step.kind || !step.label.startsWith(label.text)) continue;
      const next = model.successor(from, action).next;
      if (!sameView(model, next, step)) continue;
      const found = go([...states, next], [...actions, action]);
      if (found) return found;
    }
    return null;
  };
  const path = go([init], []);
  if (path === null) throw new Error('the counterexample is not a path of the model');
  return path;
}

function sameView(model: Model, state: Uint32Array, step: TraceStep): boolean {
  return JSON.stringify(stateView(model, state)) === JSON.stringify(step.state);
}

/** Breadth-first depth of every state up to `limit` states, by an implementation separate from the engine. */
export function bfsDepths(model: Model, limit = 1_000_000): Map<string, number> {
  const depth = new Map<string, number>();
  const queue: Uint32Array[] = [];
  for (const s of model.initialStates()) {
    if (!depth.has(key(s))) {
      depth.set(key(s), 0);
      queue.push(s);
    }
  }
  for (let i = 0; i < queue.length && depth.size < limit; i++) {
    const s = queue[i]!;
    const d = depth.get(key(s))!;
    for (const a of model.actions(s)) {
      const { next, events } = model.successor(s, a);
      if (events.some((e) => e.kind === 'violation' && e.fatal)) continue;
      if (!depth.has(key(next))) {
        depth.set(key(next), d + 1);
        queue.push(next);
      }
    }
  }
  return depth;
}

/**
 * The law: the counterexample replays step by step, its length is its number of steps, and it is shortest: no
 * shorter path reaches the state its last step starts from (nor, for a violation of a state, its last state).
 * A lasso instead returns to the state its loop starts from, and its stem is shortest.
 */
export function assertCounterexampleReplays(model: Model, cex: Counterexample, depths = bfsDepths(model)): void {
  const { states, actions } = replay(model, cex);
  expect(cex.length).toBe(actions.length);
  expect(cex.steps.length).toBe(cex.length + 1);
  if (cex.loop !== undefined) {
    // A lasso (liveness): steps loop..length repeat, so the last state is the one before step `loop`, and the
    // stem to it is shortest.
    expect(cex.loop).toBeGreaterThanOrEqual(1);
    expect(cex.loop).toBeLessThanOrEqual(cex.length);
    expect(key(states[cex.length]!), 'the loop returns to where it started').toBe(key(states[cex.loop - 1]!));
    expect(depths.get(key(states[cex.loop - 1]!)), 'the stem of the lasso is shortest').toBe(cex.loop - 1);
    return;
  }
  const n = states.length - 1;
  if (n > 0) expect(depths.get(key(states[n - 1]!)), 'the path to the violating step is shortest').toBe(n - 1);
  const last = actions[n - 1];
  const lastFatal = last !== undefined && model.successor(states[n - 1]!, last).events.some((e) => e.kind === 'violation' && e.fatal);
  const onTransition = last !== undefined && model.successor(states[n - 1]!, last).events.some((e) => e.kind === 'violation' && e.property === cex.property);
  if (!lastFatal && !onTransition) expect(depths.get(key(states[n]!)), 'the violating state is reached by a shortest path').toBe(n);
}

/**
 * For properties the Model reports as events (on transitions or in states): no violation of `property` is
 * reachable in fewer steps than the counterexample takes.
 */
export function assertNoShorterViolation(model: Model, property: PropertyId, length: number): void {
  const seen = new Set<string>();
  let frontier = model.initialStates();
  for (let d = 0; d <= length; d++) {
    const next: Uint32Array[] = [];
    for (const s of frontier) {
      if (seen.has(key(s))) continue;
      seen.add(key(s));
      const inState = model.stateEvents(s).some((e) => e.kind === 'violation' && e.property === property);
      if (inState) expect(d, `a violation of ${property} in a state at depth ${d}`).toBeGreaterThanOrEqual(length);
      for (const a of model.actions(s)) {
        const { next: t, events } = model.successor(s, a);
        if (events.some((e) => e.kind === 'violation' && e.property === property)) {
          expect(d + 1, `a violation of ${property} on a step at depth ${d + 1}`).toBeGreaterThanOrEqual(length);
        }
        if (!events.some((e) => e.kind === 'violation' && e.fatal)) next.push(t);
      }
    }
    frontier = next;
  }
}
