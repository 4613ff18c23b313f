// The symbolic transition system every SMT query is built from: one template over a pre-state (one bit-vector
// per layout slot, of the slot's width), a choice of action and a post-state, built once per model, and
// instantiated at each time step by substitution. The choice variable ranges over indexes of
// `TransitionEncoder.actions`, whose entries are the explicit model's own action numbers.
// Building it is JavaScript that grows with the state and the actions, which no Z3 interrupt reaches: it asks
// the run's budget after each action and each slot, and stops with OutOfBudget past the deadline or the memory
// limit. The unrollings, the invariant search and the targets ask the same budget (`sys.budget`).

import type { PropertyId } from '../../ir/ir.js';
import { bitsFor, type Slot } from '../../ir/layout.js';
import type { Action, Model } from '../../ir/model.js';
import type { Z3 } from './z3.js';
import { Budget } from './budget.js';
import { Sym, term, type B, type BV, type Cond, type Val } from './sym.js';
import { expressionBits } from './expr.js';
import { TransitionEncoder, type ActionEncoding } from './transition.js';

/** Properties whose immediate violations the encoding sees (as transition events or state conditions). */
export const EVENT_PROPERTIES: PropertyId[] = ['stack-integrity', 'assertions', 'atomic-sleep', 'eoi-discipline', 'lock-order'];

/** One step's variables: the state (slot values) and the action taken from it. */
export interface StepVars {
  state: BV[];
  choice: BV;
}

export class SymbolicSystem {
  readonly sym: Sym;
  readonly encoder: TransitionEncoder;
  readonly slots: Slot[];
  readonly actions: Action[];
  readonly choiceBits: number;
  /** Template variables. */
  readonly pre: BV[];
  readonly post: BV[];
  readonly choice: BV;
  /** pre widened to the model's width, as the rules read it. */
  readonly preVals: Val[];
  readonly encodings: ActionEncoding[];

  /** The chosen action is enabled in pre. */
  readonly enabled: B;
  /** The chosen action throws a Fault: its path ends. */
  readonly fatal: B;
  /** The successor's slots, of slot width, as functions of pre and choice. */
  readonly nextVals: BV[];
  /** post is the successor of pre under the chosen action (meaningful when not fatal). */
  readonly moves: B;
  /** Per property: the chosen action produces a violation event of it (fatal or not). */
  readonly violations = new Map<PropertyId, B>();
  /** Per property: a violation visible in pre alone (Model.stateEvents). */
  readonly stateViolations = new Map<PropertyId, B>();
  /** no-deadlock (1): pre is stuck (the no-deadlock monitor's onState). */
  readonly stuck: B;
  /** Every thread has exited in pre. */
  readonly allExited: B;

  constructor(
    readonly ctx: Z3,
    readonly model: Model,
    readonly budget: Budget = Budget.NONE,
  ) {
    const width = encodingWidth(model);
    const sym = (this.sym = new Sym(ctx, width));
    this.encoder = new TransitionEncoder(model, sym);
    this.slots = model.layout.slots;
    this.actions = this.encoder.actions;
    this.choiceBits = bitsFor(Math.max(this.actions.length - 1, 1));
    this.pre = this.slots.map((slot, i) => ctx.BitVec.const(`pre_${i}_${slot.name}`, slot.bits));
    this.post = this.slots.map((slot, i) => ctx.BitVec.const(`post_${i}_${slot.name}`, slot.bits));
    this.choice = ctx.BitVec.const('choice', this.choiceBits);
    this.preVals = this.pre.map((v, i) => term(widen(v, this.slots[i]!.bits, width)));
    this.encodings = this.actions.map((a) => {
      budget.check();
      return this.encoder.encode(this.preVals, a);
    });

    const chosen = this.actions.map((_, i) => this.choice.eq(ctx.BitVec.val(i, this.choiceBits)));
    const pick = (f: (e: ActionEncoding) => Cond): B => {
      budget.check();
      return sym.bool(sym.or(...this.encodings.map((e, i) => sym.and(chosen[i]!, f(e)))));
    };
    this.enabled = pick((e) => e.enabled);
    this.fatal = pick((e) => e.fatal);
    this.nextVals = this.slots.map((slot, j) => {
      budget.check();
      let v: Val = this.preVals[j]!;
      this.encodings.forEach((e, i) => {
        if (e.next[j] !== this.preVals[j]) v = sym.ite(chosen[i]!, e.next[j]!, v);
      });
      return narrow(sym.bv(v), slot.bits, width);
    });
    this.moves = ctx.And(this.enabled, ...this.post.map((p, j) => p.eq(this.nextVals[j]!)));
    for (const p of EVENT_PROPERTIES) {
      this.violations.set(p, pick((e) => sym.or(e.faults.get(p) ?? false, e.warnings.get(p) ?? false)));
    }
    budget.check();
    const events = this.encoder.stateEvents(this.preVals);
    this.stateViolations.set('assertions', sym.bool(events.invariants));
    this.stateViolations.set('lock-order', sym.bool(sym.or(...events.recursive)));
    this.allExited = sym.bool(this.encoder.allExited(this.preVals));
    budget.check();
    this.stuck = sym.bool(this.encoder.stuck(this.preVals, this.encodings));
  }

  /** Slot `j` after action `i` (by index), of slot width, as a function of pre. */
  nextAt(i: number, j: number): BV {
    return narrow(this.sym.bv(this.encodings[i]!.next[j]!), this.slots[j]!.bits, this.sym.width);
  }

  /** Fresh variables for step `k` of a path named `prefix`. */
  stepVars(prefix: string, k: number): StepVars {
    return {
      state: this.slots.map((slot, i) => this.ctx.BitVec.const(`${prefix}${k}_${i}`, slot.bits)),
      choice: this.ctx.BitVec.const(`${prefix}${k}_choice`, this.choiceBits),
    };
  }

  /** A template over (pre, choice[, post]) instantiated at a step (and the next step's state). */
  at<E extends B>(template: E, from: StepVars, to?: BV[]): B {
    const pairs: [BV, BV][] = this.pre.map((v, i) => [v, from.state[i]!]);
    pairs.push([this.choice, from.choice]);
    if (to !== undefined) this.post.forEach((v, i) => pairs.push([v, to[i]!]));
    return this.ctx.substitute(template, ...pairs) as B;
  }

  /** The state variables equal a concrete packed state. */
  equals(vars: BV[], state: Uint32Array): B {
    return this.ctx.And(...vars.map((v, i) => v.eq(this.ctx.BitVec.val(slotValue(state, this.slots[i]!), this.slots[i]!.bits))));
  }

  /** The whole state as one bit-vector, for distinctness constraints. */
  packed(vars: BV[]): BV {
    return vars.length === 1 ? vars[0]! : this.ctx.Concat(...vars);
  }
}

/** The width the rules compute in: every slot and every expression value fits, with a sign bit to spare. */
export function encodingWidth(model: Model): number {
  return Math.max(expressionBits(model.program), ...model.layout.slots.map((s) => s.bits + 2));
}

export function slotValue(state: Uint32Array, slot: Slot): number {
  return slot.bits === 32 ? state[slot.word]! : (state[slot.word]! >>> slot.shift) & (2 ** slot.bits - 1);
}

function widen(v: BV, bits: number, width: number): BV {
  return bits >= width ? v : v.zeroExt(width - bits);
}

function narrow(v: BV, bits: number, width: number): BV {
  return bits >= width ? v : (v.extract(bits - 1, 0) as BV);
}
