// Facts of one state that properties gather over a whole search, as bits of one word: per lock, lockdep's usage
// ({IN-HARDIRQ-W}, {HARDIRQ-ON-W}: irq-lock-safety), and per CPU, the lines in service (eoi-discipline). A monitor
// that only gathers them learns nothing from a state whose bits it has all seen, so the search core skips such
// states (src/checker/explicit/coresearch.ts), computing the bits in the staged code from these same rules.

import type { Access } from './access.js';
import type { Cond } from './domain.js';
import type { State } from './state.js';

/** {IN-HARDIRQ-W}: lock `l` is held, taken in interrupt context (the acquiring context's hardirq depth was above 0). */
export function inHardirqUsage(a: Access, s: State, l: number): Cond {
  const o = a.ops;
  return o.and(o.ne(a.lockOwner(s, l), 0), o.ult(0, a.lockLevel(s, l)));
}

/**
 * {HARDIRQ-ON-W}: lock `l` is held by the current thread of a running CPU with interrupts enabled, at any
 * interrupt level (a handler after `sti`, or behind a trap gate, too), as lockdep marks every held lock when
 * hardirqs are turned on.
 */
export function hardirqOnUsage(a: Access, s: State, l: number): Cond {
  const o = a.ops;
  let held: Cond = false;
  for (let c = 0; c < a.cpus; c++) {
    held = o.or(held, o.and(o.not(a.stopped(s, c)), a.irqsOn(s, c), o.eq(a.lockOwner(s, l), o.add(a.current(s, c), 1))));
  }
  return held;
}

/** The kinds of watched facts: lock usage (irq-lock-safety), lines in service (eoi-discipline). */
export type WatchKind = 'usage' | 'in-service';

/** Where each fact's bit is in the word of watched facts, or null when they do not fit 32 bits. */
export interface WatchBits {
  readonly locks: number;
  readonly cpus: number;
  readonly lines: number;
  /** Lock l's {IN-HARDIRQ-W} is bit usage + 2l, its {HARDIRQ-ON-W} bit usage + 2l + 1. */
  readonly usage: number;
  /** Line `line` in service on CPU c is bit inService + c * lines + line. */
  readonly inService: number;
  /** The bits of each kind, as masks. */
  readonly usageMask: number;
  readonly inServiceMask: number;
}

export function watchBits(locks: number, cpus: number, lines: number): WatchBits | null {
  const usageCount = 2 * locks;
  const inServiceCount = cpus * lines;
  if (usageCount + inServiceCount > 32) return null;
  const mask = (from: number, count: number): number => (count === 0 ? 0 : ((2 ** count - 1) * 2 ** from) | 0);
  return { locks, cpus, lines, usage: 0, inService: usageCount, usageMask: mask(0, usageCount), inServiceMask: mask(usageCount, inServiceCount) };
}

/** The bits of the watched facts of these kinds. */
export function watchMask(bits: WatchBits, kinds: Iterable<WatchKind>): number {
  let mask = 0;
  for (const kind of kinds) mask |= kind === 'usage' ? bits.usageMask : bits.inServiceMask;
  return mask;
}

/** The watched facts of `s`, each as the condition of its bit (index = bit), for the layout `bits`. */
export function watchedFacts(a: Access, s: State, bits: WatchBits): Cond[] {
  const facts: Cond[] = [];
  for (let l = 0; l < bits.locks; l++) facts.push(inHardirqUsage(a, s, l), hardirqOnUsage(a, s, l));
  for (let c = 0; c < bits.cpus && bits.lines > 0; c++) {
    const mask = a.inService(s, c);
    for (let line = 0; line < bits.lines; line++) facts.push(a.ops.bit(mask, line));
  }
  return facts;
}
