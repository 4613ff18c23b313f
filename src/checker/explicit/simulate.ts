// One random path through a Model, chosen by a seeded generator so that the same seed gives the same path. The
// path is fair unless storms are asked for: each step picks a CPU that can execute, then one of its actions, and
// an external line arrives only now and then, so no interrupt storm starves the code it interrupts.

import { PROPERTY_IDS, type PropertyId } from '../../ir/ir.js';
import { actionCpu, actionKind, ActionKind, type Action, type Model } from '../../ir/model.js';

/** mulberry32: small, fast and good enough to pick among a handful of actions. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Walk {
  states: Uint32Array[];
  actions: Action[];
  /** Violations met on the way: the step (1-based) and the property. */
  violations: { step: number; property: PropertyId; message: string; fatal: boolean }[];
  /** Why the walk ended before `steps`: no action enabled, or a fatal step. */
  ended: 'steps' | 'stuck' | 'exited' | 'fatal';
}

export interface WalkOptions {
  /** Pick uniformly among all enabled actions, arrivals included: interrupts may arrive at every step. */
  storms?: boolean;
  /** In a fair walk, the chance that a step is an arrival of an external line when one can arrive. */
  arrivalChance?: number;
}

/** Fair walks: an external line arrives on about one step in twenty where it can. */
export const ARRIVAL_CHANCE = 0.05;

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)]!;
}

/** The next action: uniform with storms; otherwise rare arrivals, then a CPU, then one of its actions. */
function choose(enabled: readonly Action[], random: () => number, options: WalkOptions): Action {
  if (options.storms === true) return pick(enabled, random);
  // An arrival: an external line becoming pending (and perhaps taken at once). A pending line's delivery is not
  // one: it is urgent, the CPU's only action.
  const isArrival = (a: Action): boolean => actionKind(a) === ActionKind.arrive || actionKind(a) === ActionKind.arriveTake;
  const arrivals = enabled.filter(isArrival);
  const others = enabled.filter((a) => !isArrival(a));
  if (others.length === 0) return pick(arrivals, random);
  if (arrivals.length > 0 && random() < (options.arrivalChance ?? ARRIVAL_CHANCE)) return pick(arrivals, random);
  const cpu = pick([...new Set(others.map(actionCpu))], random);
  return pick(
    others.filter((a) => actionCpu(a) === cpu),
    random,
  );
}

export function randomWalk(model: Model, seed: number, steps: number, options: WalkOptions = {}): Walk {
  const random = seededRandom(seed);
  const states = [model.initialStates()[0]!];
  const actions: Action[] = [];
  const violations: Walk['violations'] = [];
  const noteState = (step: number, state: Uint32Array): void => {
    for (const e of model.stateEvents(state)) {
      if (e.kind === 'violation' && (PROPERTY_IDS as readonly string[]).includes(e.property)) {
        violations.push({ step, property: e.property, message: e.message, fatal: false });
      }
    }
  };
  noteState(0, states[0]!);
  for (let i = 0; i < steps; i++) {
    const state = states[states.length - 1]!;
    const enabled = model.actions(state);
    if (enabled.length === 0) return { states, actions, violations, ended: model.allExited(state) ? 'exited' : 'stuck' };
    const action = choose(enabled, random, options);
    const { next, events } = model.successor(state, action);
    actions.push(action);
    states.push(next);
    let fatal = false;
    for (const e of events) {
      if (e.kind !== 'violation') continue;
      violations.push({ step: i + 1, property: e.property, message: e.message, fatal: e.fatal });
      fatal ||= e.fatal;
    }
    if (fatal) return { states, actions, violations, ended: 'fatal' };
    noteState(i + 1, next);
  }
  return { states, actions, violations, ended: 'steps' };
}
