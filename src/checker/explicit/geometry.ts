// The state layout flattened into typed arrays for the staged code (wasmgen.ts) and symmetry.ts: every slot gets
// an index into SW/SS/SM/SC (word, shift, mask, clear mask), and the slots the symmetry reduction renumbers by
// (lock owners, the run queue, each CPU's current thread) their indexes.

import type { Layout, Slot } from '../../ir/layout.js';
import type { Program } from '../../ir/ir.js';

export class Geometry {
  /** Slot tables: word, shift, mask (2^bits - 1 as an int32: -1 for a whole word), and ~(mask << shift). */
  readonly SW: Int32Array;
  readonly SS: Int32Array;
  readonly SM: Int32Array;
  readonly SC: Int32Array;
  private readonly index = new Map<Slot, number>();

  readonly cpus: number;
  readonly lockOwner: Int32Array;
  readonly rqLen: number;
  readonly rqEntry: Int32Array;
  readonly cpuCurrent: Int32Array;

  constructor(
    readonly program: Program,
    readonly layout: Layout,
  ) {
    const n = layout.slots.length;
    this.SW = new Int32Array(n);
    this.SS = new Int32Array(n);
    this.SM = new Int32Array(n);
    this.SC = new Int32Array(n);
    layout.slots.forEach((slot, i) => {
      this.index.set(slot, i);
      this.SW[i] = slot.word;
      this.SS[i] = slot.shift;
      this.SM[i] = (2 ** slot.bits - 1) | 0;
      this.SC[i] = ~((2 ** slot.bits - 1) * 2 ** slot.shift) | 0;
    });
    this.cpus = program.cpus;
    this.lockOwner = Int32Array.from(layout.locks, (l) => this.of(l.owner));
    this.rqLen = this.of(layout.runQueue.len);
    this.rqEntry = Int32Array.from(layout.runQueue.entries, (e) => this.of(e));
    this.cpuCurrent = Int32Array.from(layout.cpus, (c) => this.of(c.current));
  }

  /** The index of a slot of this layout. */
  of(slot: Slot): number {
    const i = this.index.get(slot);
    if (i === undefined) throw new Error(`internal: slot ${slot.name} is not in the layout`);
    return i;
  }
}

/** Reading and writing a slot by its index, over one Geometry (symmetry.ts renumbers states with them). */
export function runtime(g: Geometry) {
  const { SW, SS, SM, SC } = g;
  function rd(n: Uint32Array, i: number): number {
    return ((n[SW[i]!]! >>> SS[i]!) & SM[i]!) >>> 0;
  }
  function wr(n: Uint32Array, i: number, v: number): void {
    const w = SW[i]!;
    n[w] = (n[w]! & SC[i]!) | ((v & SM[i]!) << SS[i]!);
  }
  return { rd, wr };
}
