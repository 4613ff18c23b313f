// The one interface between hardware semantics and the engines (BFS, graph analyses, simulation, the Z3
// encoding and the reference-kernel replay). It sits below both src/hw and src/checker, so neither imports the
// other. A model is a transition system over packed states: initial states, the actions enabled in a state, the
// successor an action leads to, and a label for every action. Everything a property observes on a transition
// travels as a `ModelEvent`; everything it observes in a state it reads from the state through the layout.

import type { Layout } from './layout.js';
import type { Program, PropertyId } from './ir.js';

/** What kind of event a step of a counterexample is. */
export type StepKind = 'init' | 'instruction' | 'interrupt' | 'pending';

/**
 * An action is a small integer so that the engines can store one per state (parent pointers) in an Int32Array:
 * `kind << 28 | cpu << 20 | arg`, where `arg` is the global pc for instruction steps and the line for
 * interrupt actions. A step action names its pc, so a label needs no state and a stale action is detectable;
 * a choice's step names the pc of the alternative taken (each alternative is an instruction of its own).
 */
export type Action = number;

export const ActionKind = {
  /** The CPU executes the instruction at its pc. */
  step: 0,
  /** An irqsave `acquire` of a lock that is not free, with interrupts enabled: mask them, then spin. */
  maskWait: 1,
  /** A pending, deliverable line is taken (urgent: the CPU's only action). */
  deliver: 2,
  /** An external line becomes pending and cannot be taken yet. */
  arrive: 3,
  /** An external line becomes pending and is taken at once (one action, so traces stay short). */
  arriveTake: 4,
} as const;
export type ActionKind = (typeof ActionKind)[keyof typeof ActionKind];

export const MAX_CPUS = 256;
export const MAX_PCS = 1 << 20;

export function encodeAction(kind: ActionKind, cpu: number, arg: number): Action {
  return kind * 0x10000000 + cpu * 0x100000 + arg;
}
export function actionKind(action: Action): ActionKind {
  return (action >>> 28) as ActionKind;
}
export function actionCpu(action: Action): number {
  return (action >>> 20) & 0xff;
}
export function actionArg(action: Action): number {
  return action & 0xfffff;
}

/** What a property can observe on a transition. Most transitions carry none (a shared empty array). */
export type ModelEvent =
  | {
      kind: 'violation';
      property: PropertyId;
      message: string;
      /**
       * The machine is corrupted (a double fault, a kernel BUG): the path ends here and the successor is not
       * explored, for every property. Non-fatal violations (a warning in Linux terms) let the path continue.
       */
      fatal: boolean;
      cpu: number | null;
      /** Locks the message is about (lock-order and atomic-sleep reports name them). */
      locks?: number[];
    }
  | {
      kind: 'acquire';
      cpu: number;
      lock: number;
      /** Thread id the lock is taken for (the current thread, also in handlers). */
      owner: number;
      hardirq: number;
      ie: boolean;
      /** Locks the owner already held at the same hardirq level: lockdep's dependency sources. */
      held: number[];
      /** try_acquire: counts for usage, adds no dependency (as lockdep treats trylock). */
      trylock: boolean;
    }
  | { kind: 'eoi'; cpu: number; line: number };

export interface Successor {
  next: Uint32Array;
  events: readonly ModelEvent[];
}

export interface ActionLabel {
  text: string;
  span: number | null;
  cpu: number | null;
  kind: StepKind;
}

export interface Model {
  readonly program: Program;
  readonly layout: Layout;
  initialStates(): Uint32Array[];
  /** Enabled actions, in a fixed order (per CPU: its step or its urgent delivery; then arrivals). */
  actions(state: Uint32Array): Action[];
  /** The state an enabled action leads to, and what happened on the way. Never mutates `state`. */
  successor(state: Uint32Array, action: Action): Successor;
  label(action: Action): ActionLabel;
  /** Violations visible in a state alone: failed invariants, a CPU about to acquire a lock it holds. */
  stateEvents(state: Uint32Array): ModelEvent[];
  /**
   * Whether an action counts as progress for `no-deadlock`: every executed instruction except `branch`, `hlt`,
   * `wfi`, `halted`, an `either` alternative and an empty jump loop, and every interrupt delivery. A line merely
   * becoming pending is not progress.
   */
  progress(action: Action): boolean;
  /** Every thread has exited. */
  allExited(state: Uint32Array): boolean;
}

export const NO_EVENTS: readonly ModelEvent[] = Object.freeze([]);
