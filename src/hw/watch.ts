// Facts of one state that properties gather over a whole search, as bits of one word: per lock, lockdep's usage
// ({IN-HARDIRQ-W}, {HARDIRQ-ON-W}: irq-lock-safety), and per CPU, the lines in service (eoi-discipline). A monitor
// that only gathers them learns nothing from a state whose bits it has all seen, so the search core skips such
// states (src/checker/explicit/coresearch.ts), computing the bits in the staged code from these same rules.

import type { Access } from './access.js';
import type { Cond } from './domain.js';
import type { State } from './state.js';
import type { Instr } from '../ir/ir.js';
import { peekIndex } from './locks.js';

/**
 * CPU `c` waits for spin lock `l`: it is at an `acquire` of `l` (or of the element of a lock array that is `l`),
 * which is held, and spins there now or, an irqsave lock with interrupts enabled, after masking them. Lockdep
 * marks a lock's usage at the attempt (spin_acquire() comes before the spin, in __raw_spin_lock()), so a lock a
 * handler only ever waits for is used in interrupt context all the same.
 */
export function waitsFor(a: Access, s: State, c: number, l: number): Cond {
  const o = a.ops;
  if (a.m.program.locks[l]!.kind === 'mutex') return false;
  const held = o.ne(a.lockOwner(s, l), 0);
  if (held === false) return false;
  const pc = a.pc(s, c);
  const at: Cond[] = [];
  // A known pc (the interpreter's) is one instruction to look at; an unknown one, every acquire.
  const pcs = typeof pc === 'number' ? (a.m.code[pc]?.op === 'acquire' ? [pc] : []) : a.acquirePcs;
  for (const p of pcs) {
    const instr = a.m.code[p] as Extract<Instr, { op: 'acquire' }>;
    const here = o.eq(pc, p);
    if (here === false) continue;
    if (instr.index === undefined) {
      if (instr.lock === l) at.push(here);
      continue;
    }
    const k = l - instr.lock;
    if (k < 0 || k >= instr.index.count) continue;
    let names: Cond = false;
    s.when(here, () => (names = o.eq(peekIndex(a, s, c, instr.index!).value, k)));
    at.push(o.and(here, names));
  }
  return o.and(held, o.not(a.stopped(s, c)), o.or(...at));
}

/**
 * {IN-HARDIRQ-W}: lock `l` is held, taken in interrupt context (the acquiring context's hardirq depth was above 0),
 * or a CPU in interrupt context waits for it.
 */
export function inHardirqUsage(a: Access, s: State, l: number): Cond {
  const o = a.ops;
  const waited: Cond[] = [];
  for (let c = 0; c < a.cpus; c++) waited.push(o.and(o.ult(0, a.hardirq(s, c)), waitsFor(a, s, c, l)));
  return o.or(o.and(o.ne(a.lockOwner(s, l), 0), o.ult(0, a.lockLevel(s, l))), ...waited);
}

/**
 * {HARDIRQ-ON-W}: lock `l` is held by the current thread of a running CPU with interrupts enabled, at any
 * interrupt level (a handler after `sti`, or behind a trap gate, too), as lockdep marks every held lock when
 * hardirqs are turned on.
 */
export function hardirqOnUsage(a: Access, s: State, l: number): Cond {
  const o = a.ops;
  let held: Cond = false;
  // An irqsave lock is waited for with interrupts masked (spin_lock_irqsave() masks first): only a spin lock's wait counts.
  const spin = a.m.program.locks[l]!.kind === 'spin';
  for (let c = 0; c < a.cpus; c++) {
    const holds = o.eq(a.lockOwner(s, l), o.add(a.current(s, c), 1));
    held = o.or(held, o.and(o.not(a.stopped(s, c)), a.irqsOn(s, c), spin ? o.or(holds, waitsFor(a, s, c, l)) : holds));
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
