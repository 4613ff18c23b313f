// The heart of "no silent disagreement": for reachable concrete states (from the explicit model's own
// breadth-first search) and every action, the symbolic transition relation with the pre-state fixed admits
// exactly the explicit successors, with the same events. Shared by the tests and usable from a script.

import type { PropertyId } from '../../../src/ir/ir.js';
import { ActionKind, actionArg, actionCpu, actionKind, type Action, type Model, type ModelEvent } from '../../../src/ir/model.js';
import { machineOf } from '../../../src/hw/build.js';
import { SymbolicSystem, EVENT_PROPERTIES, slotValue } from '../../../src/checker/smt/system.js';
import type { TransitionEncoder } from '../../../src/checker/smt/transition.js';
import type { Cond } from '../../../src/checker/smt/sym.js';
import { withModel, type Z3 } from '../../../src/checker/smt/z3.js';

/** Reachable states in breadth-first order (fatal successors are not explored), at most `limit`. */
export function reachableStates(model: Model, limit: number): Uint32Array[] {
  const seen = new Set<string>();
  const out: Uint32Array[] = [];
  const key = (s: Uint32Array) => s.join(',');
  for (const s of model.initialStates()) if (!seen.has(key(s))) (seen.add(key(s)), out.push(s));
  for (let i = 0; i < out.length && out.length < limit; i++) {
    for (const a of model.actions(out[i]!)) {
      const { next, events } = model.successor(out[i]!, a);
      if (events.some((e) => e.kind === 'violation' && e.fatal)) continue;
      if (!seen.has(key(next)) && out.length < limit) (seen.add(key(next)), out.push(next));
    }
  }
  return out;
}

/** What one transition looks like, in a form both engines can produce. */
export interface Observed {
  action: Action;
  fatal: boolean;
  /** Post-state words (null when fatal: the path ends there). */
  next: string | null;
  violations: string[];
}

function describeEvents(events: readonly ModelEvent[]): string[] {
  const v = new Set<string>();
  for (const e of events) if (e.kind === 'violation' && (EVENT_PROPERTIES as string[]).includes(e.property)) v.add(e.property);
  return [...v].sort();
}

export function explicitSuccessors(model: Model, state: Uint32Array): Observed[] {
  return model.actions(state).map((action) => {
    const { next, events } = model.successor(state, action);
    const fatal = events.some((e) => e.kind === 'violation' && e.fatal);
    return { action, fatal, next: fatal ? null : next.join(','), violations: describeEvents(events) };
  }).sort((a, b) => a.action - b.action);
}

/**
 * The relation's answers for fixed pre-states: every (choice, post) it admits, found by enumeration with
 * blocking, and for each the fatal flag and violation events. One incremental solver holds the relation; each
 * pre-state is a scope.
 */
export class RelationProbe {
  private readonly solver;
  /** Without the relation: a stuck state has no step, but its state facts must still be read. */
  private readonly facts;

  constructor(
    private readonly ctx: Z3,
    private readonly sys: SymbolicSystem,
  ) {
    this.solver = new ctx.Solver('QF_BV');
    this.solver.add(sys.moves);
    this.facts = new ctx.Solver('QF_BV');
  }

  release(): void {
    this.solver.release();
    this.facts.release();
  }

  async successors(state: Uint32Array): Promise<Observed[]> {
    const { ctx, sys, solver } = this;
    solver.push();
    try {
      solver.add(sys.equals(sys.pre, state));
      const out: Observed[] = [];
      for (;;) {
        const r = await solver.check();
        if (r === 'unknown') throw new Error('differential: solver answered unknown');
        if (r === 'unsat') break;
        const index = withModel(solver, (model) => {
          const index = Number(model.eval(sys.choice, true).value());
          const fatal = ctx.isTrue(model.eval(sys.fatal, true));
          const words = new Uint32Array(state.length);
          sys.slots.forEach((slot, i) => {
            const v = Number(model.eval(sys.post[i]!, true).value());
            words[slot.word] = (words[slot.word]! | (slot.bits === 32 ? v : v << slot.shift)) >>> 0;
          });
          const violations: string[] = [];
          for (const p of EVENT_PROPERTIES) if (ctx.isTrue(model.eval(sys.violations.get(p)!, true))) violations.push(p);
          out.push({ action: sys.actions[index]!, fatal, next: fatal ? null : words.join(','), violations: violations.sort() });
          return index;
        });
        solver.add(sys.choice.neq(ctx.BitVec.val(index, sys.choiceBits)));
      }
      return out.sort((a, b) => a.action - b.action);
    } finally {
      solver.pop();
    }
  }

  /** State-level observations: state events by property, the no-deadlock stuck check, all threads exited. */
  async stateFacts(state: Uint32Array): Promise<string[]> {
    const { ctx, sys, facts: solver } = this;
    solver.push();
    try {
      solver.add(sys.equals(sys.pre, state));
      if ((await solver.check()) !== 'sat') throw new Error('differential: a concrete pre-state is unsatisfiable');
      return withModel(solver, (model) => {
        const facts: string[] = [];
        for (const [p, b] of sys.stateViolations) if (ctx.isTrue(model.eval(b, true))) facts.push(p);
        if (ctx.isTrue(model.eval(sys.stuck, true))) facts.push('stuck');
        if (ctx.isTrue(model.eval(sys.allExited, true))) facts.push('all-exited');
        return facts.sort();
      });
    } finally {
      solver.pop();
    }
  }
}

/**
 * The same rules evaluated with a known pre-state: every value folds to a number, so this exercises the rule
 * logic of every action on many states quickly (the Z3 terms are exercised by RelationProbe).
 */
export function foldedSuccessors(encoder: TransitionEncoder, state: Uint32Array): Observed[] {
  const pre = encoder.model.layout.slots.map((slot) => slotValue(state, slot));
  const out: Observed[] = [];
  for (const action of encoder.actions) {
    const e = encoder.encode(pre, action);
    if (known(e.enabled) !== true) continue;
    const fatal = known(e.fatal);
    const words = new Uint32Array(state.length);
    encoder.model.layout.slots.forEach((slot, i) => {
      const v = e.next[i];
      if (typeof v !== 'number') throw new Error(`differential: ${slot.name} did not fold to a number`);
      words[slot.word] = (words[slot.word]! | (slot.bits === 32 ? v : v << slot.shift)) >>> 0;
    });
    const violations = EVENT_PROPERTIES.filter((p) => known(e.faults.get(p) ?? false) || known(e.warnings.get(p) ?? false));
    out.push({ action, fatal, next: fatal ? null : words.join(','), violations: [...violations].sort() });
  }
  return out.sort((a, b) => a.action - b.action);
}

export function foldedStateFacts(encoder: TransitionEncoder, state: Uint32Array): string[] {
  const pre = encoder.model.layout.slots.map((slot) => slotValue(state, slot));
  const events = encoder.stateEvents(pre);
  const facts: string[] = [];
  if (known(events.invariants)) facts.push('assertions');
  if (events.recursive.some((c) => known(c))) facts.push('lock-order');
  if (known(encoder.stuck(pre))) facts.push('stuck');
  if (known(encoder.allExited(pre))) facts.push('all-exited');
  return facts.sort();
}

function known(c: Cond): boolean {
  if (typeof c !== 'boolean') throw new Error('differential: a condition did not fold to a boolean');
  return c;
}

export function explicitStateFacts(model: Model, state: Uint32Array): string[] {
  const facts = new Set<string>();
  for (const e of model.stateEvents(state)) if (e.kind === 'violation') facts.add(e.property);
  // no-deadlock (1), from the explicit side (docs/semantics.md 5, 5.1): nothing but arrivals and spurious wfi
  // completions, something waits, and no arrival lets a CPU do more.
  const m = machineOf(model);
  const acts = (s: Uint32Array, a: Action): boolean =>
    actionKind(a) !== ActionKind.arrive &&
    !(actionKind(a) === ActionKind.step && m.code[actionArg(a)]!.op === 'halted' && m.spuriousWakeUp(s, actionCpu(a)));
  const actions = model.actions(state);
  const w = m.waiting(state);
  if (!actions.some((a) => acts(state, a)) && (w.threads || w.busy.includes(true) || w.pending.includes(true))) {
    const wakes = actions.some((a) => {
      if (actionKind(a) !== ActionKind.arrive) return false;
      const next = model.successor(state, a).next;
      return model.actions(next).some((b) => acts(next, b));
    });
    if (!wakes) facts.add('stuck');
  }
  if (model.allExited(state)) facts.add('all-exited');
  return [...facts].sort();
}

export type { PropertyId };
