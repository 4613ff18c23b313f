// The model's transition system as an and-inverter graph, for a bit-level model checker (ABC's `pdr`): the rules of
// src/hw/ instantiated over bits (bits.ts), composed the way system.ts composes the Z3 relation.
//
//   - latches: the state, one per bit of each layout slot. Latch k holds the slot's bit XOR its value in the
//     initial state, so that every latch starts at 0 (AIGER's and ABC's convention);
//   - primary inputs: the choice of action, a number in binary indexing TransitionEncoder.actions;
//   - next-state functions: the chosen action's successor where it is enabled and not fatal; the state itself
//     otherwise (a choice that names no enabled action, or a fatal step, whose path ends: stuttering adds no
//     reachable state);
//   - one output per property, "bad": its immediate targets (targets.ts), a violation event of an enabled action
//     from the current state, or a violation visible in the state.
//
// So the states the AIG reaches are exactly the model's reachable states, and an output is reachable exactly
// when the property's target is. A proof is not taken on the AIG's word: the invariant ABC returns is checked
// against the Z3 relation (certificate.ts).

import type { PropertyId } from '../../../ir/ir.js';
import { bitsFor, type Slot } from '../../../ir/layout.js';
import type { Model } from '../../../ir/model.js';
import type { Cond, Val } from '../../../hw/domain.js';
import { Machine } from '../../../hw/machine.js';
import { possibleActions } from '../../../hw/transition.js';
import { encodingWidth, slotValue } from '../system.js';
import { TransitionEncoder, type ActionEncoding } from '../transition.js';
import { Aig, FALSE, neg } from './aig.js';
import { BitOps } from './bits.js';

/** Which bit of which slot a latch holds. */
export interface LatchBit {
  slot: number;
  bit: number;
}

/** The model is outside what the bit-level system encodes (several initial states). */
export class NotBitEncodable extends Error {}

export class BitSystem {
  readonly aig: Aig;
  readonly ops: BitOps;
  readonly encoder: TransitionEncoder;
  readonly slots: Slot[];
  /** Latch k holds `latchBits[k]`. */
  readonly latchBits: LatchBit[];
  readonly initial: Uint32Array;
  readonly choiceBits: number;
  /** The slots' values as the rules read them (width bits, from the latches). */
  readonly preVals: Val[];
  readonly encodings: ActionEncoding[];
  /** The choice names an enabled action; and that action's step is fatal. */
  readonly enabled: number;
  readonly fatal: number;
  /** Per action (by index): the choice names it. */
  private readonly chosen: number[];

  constructor(readonly model: Model) {
    const inits = model.initialStates();
    if (inits.length !== 1) throw new NotBitEncodable(`${inits.length} initial states`);
    this.initial = inits[0]!;
    const m = new Machine(model.program, model.layout);
    const actionCount = Array.from({ length: m.cpus }, (_, c) => possibleActions(m, c).length).reduce((a, b) => a + b, 0);
    this.choiceBits = bitsFor(Math.max(actionCount - 1, 1));
    this.slots = model.layout.slots;
    this.latchBits = this.slots.flatMap((s, slot) => Array.from({ length: s.bits }, (_, bit) => ({ slot, bit })));
    const aig = (this.aig = new Aig(this.choiceBits, this.latchBits.length));
    const width = encodingWidth(model);
    const ops = (this.ops = new BitOps(aig, width));
    this.encoder = new TransitionEncoder(model, ops);
    if (this.encoder.actions.length !== actionCount) throw new Error('internal: the encoder lists other actions');

    let k = 0;
    this.preVals = this.slots.map((s) => {
      const init = slotValue(this.initial, s);
      const bits: number[] = [];
      for (let b = 0; b < width; b++) {
        if (b < s.bits) bits.push(aig.latch(k++) ^ (Math.floor(init / 2 ** b) % 2));
        else bits.push(FALSE);
      }
      return ops.term(bits);
    });
    const choice = Array.from({ length: this.choiceBits }, (_, i) => aig.input(i));
    this.chosen = this.encoder.actions.map((_, i) => aig.andAll(choice.map((l, b) => (Math.floor(i / 2 ** b) % 2 ? l : neg(l)))));
    this.encodings = this.encoder.actions.map((a) => this.encoder.encode(this.preVals, a));

    this.enabled = this.pick(() => true);
    this.fatal = this.pick((e) => e.fatal);
    const moves = aig.and(this.enabled, neg(this.fatal));
    k = 0;
    this.slots.forEach((s, j) => {
      let v: Val = this.preVals[j]!;
      this.encodings.forEach((e, i) => {
        if (e.next[j] !== this.preVals[j]) v = ops.ite(ops.cond(this.chosen[i]!), e.next[j]!, v);
      });
      const next = ops.bits(v);
      const pre = ops.bits(this.preVals[j]!);
      const init = slotValue(this.initial, s);
      for (let b = 0; b < s.bits; b++) aig.setNext(k++, aig.mux(moves, next[b]!, pre[b]!) ^ (Math.floor(init / 2 ** b) % 2));
    });
  }

  /** Slot `slot`'s value in the initial state. */
  initialValue(slot: number): number {
    return slotValue(this.initial, this.slots[slot]!);
  }

  /** The choice names an enabled action and `f` of it holds. */
  private pick(f: (e: ActionEncoding) => Cond): number {
    const { aig, ops } = this;
    return aig.orAll(this.encodings.map((e, i) => aig.and(this.chosen[i]!, ops.lit(ops.and(e.enabled, f(e))))));
  }

  /**
   * The output of a target of targets.ts, by key, or null for a target this system does not encode (lockdep's
   * atoms). Transition targets imply that the action is enabled, as the unrolling's do.
   */
  target(key: string): number | null {
    const { ops } = this;
    const violation = /^violation:(.+)$/.exec(key);
    if (violation !== null) {
      const p = violation[1] as PropertyId;
      return this.pick((e) => ops.or(e.faults.get(p) ?? false, e.warnings.get(p) ?? false));
    }
    if (key === 'state:assertions') return ops.lit(this.encoder.stateEvents(this.preVals).invariants);
    if (key === 'state:lock-order') return ops.lit(ops.or(...this.encoder.stateEvents(this.preVals).recursive));
    if (key === 'stuck') return ops.lit(this.encoder.stuck(this.preVals, this.encodings));
    if (key === 'latency') {
      const bound = this.model.program.latencyBound;
      if (bound === null) return null;
      const s = this.encoder.state(this.preVals);
      return ops.lit(ops.or(...this.encoder.machine.layout.cpus.map((cpu) => (cpu.maskedSteps === null ? false : ops.ult(bound, s.read(cpu.maskedSteps))))));
    }
    return null;
  }
}
