// The staged instantiation of the machine semantics (src/hw/domain.ts): the rules of src/hw/ run at generation
// time against one program, one CPU and one action, with the state unknown; what they can decide from the
// program alone they decide (the instruction, its operands, the CPU, a constant), and what depends on the state
// they emit as WebAssembly (wasm.ts) that computes it when the step runs. A value is a number or an i32 local
// holding it; a condition is a boolean or a local holding 0 or 1. `when` on a condition known only at run time
// emits a real branch; a fault or a warning emits a hand-back to the reference model (SLOW), which then makes
// that transition with its messages. Nothing from the model but integers ever enters the code.
//
// A local is assigned once, where its value is computed, and is 0 until then: a value computed inside a branch
// is 0 outside it. The rules use such a value outside its branch only under a condition that implies the branch
// was taken (`&&` and `||` in expressions), and keep the next pc in the state's register (`setNext`), which here
// is a local assigned on every branch that jumps.

import type { PropertyId } from '../../ir/ir.js';
import type { Slot } from '../../ir/layout.js';
import type { BitField, Cond, CondTerm, Ops, Term, Val } from '../../hw/domain.js';
import type { AcquireEvent, Reporter, State } from '../../hw/state.js';
import { op, type Code } from './wasm.js';

interface Local {
  readonly local: number;
  /** An upper bound of the value, as an unsigned number, where one is known (a slot's width, a condition's 1). */
  readonly max?: number;
}

/** A term in a local, with what is known of its bound. */
function term(local: number, max?: number): Term {
  return (max === undefined ? { local } : { local, max }) as unknown as Term;
}

/** The unsigned upper bound of a value, where one is known (undefined: it may be anything, negative included). */
function maxOf(v: Val | Cond): number | undefined {
  if (typeof v === 'number') return v >= 0 ? v : undefined;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return (v as unknown as Local).max;
}

/** The largest value of as many bits as `max` needs: every bit a value up to `max` can have. */
function ones(max: number): number {
  let all = 0;
  while (all < max) all = all * 2 + 1;
  return all;
}

/** Two bounds combined, or undefined when either is unknown. */
function both(a: number | undefined, b: number | undefined, f: (a: number, b: number) => number): number | undefined {
  return a === undefined || b === undefined ? undefined : f(a, b);
}

const GONE = Symbol('gone');

/**
 * A map in nested scopes, for what a path being written knows: a branch opens a scope, what it learns goes into
 * that scope and is dropped with it, and what it forgets is forgotten there only (the caller forgets it outside
 * too, StagedState.branch). Copying the whole map at every branch made writing the code quadratic.
 */
export class ScopedMap<K, V> {
  private readonly scopes: Map<K, V | typeof GONE>[] = [new Map()];

  get(key: K): V | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const v = this.scopes[i]!.get(key);
      if (v !== undefined) return v === GONE ? undefined : v;
    }
    return undefined;
  }
  set(key: K, value: V): void {
    this.scopes[this.scopes.length - 1]!.set(key, value);
  }
  delete(key: K): void {
    if (this.scopes.length === 1) this.scopes[0]!.delete(key);
    else this.scopes[this.scopes.length - 1]!.set(key, GONE);
  }
  open(): void {
    this.scopes.push(new Map());
  }
  close(): void {
    this.scopes.pop();
  }
}

function localOf(v: Term | CondTerm): number {
  return (v as unknown as Local).local;
}

/** The i32 instruction `select` (a, b, c on the stack: c ? a : b). */
const SELECT = 0x1b;

export class StagedOps implements Ops {
  /** The function body code is being written into. */
  code!: Code;

  /**
   * Values already computed on the path being written, by what computes them: asking again takes the local
   * (common subexpressions: the rules ask for the current thread, its stack and its tests many times). A branch
   * gets a copy and drops what it added at its end (StagedState.branch), since its locals are 0 outside it.
   */
  memo = new ScopedMap<string, Val | Cond>();

  /** @param tableAt the byte offset, in the module's memory, of a table of i32s the generator lays out */
  constructor(private readonly tableAt: (values: readonly number[]) => number) {}

  private once<T extends Val | Cond>(key: string, emit: () => T): T {
    const known = this.memo.get(key);
    if (known !== undefined) return known as T;
    const made = emit();
    this.memo.set(key, made);
    return made;
  }

  private push(v: Val | Cond): void {
    if (typeof v === 'number') this.code.i32(v | 0);
    else if (typeof v === 'boolean') this.code.i32(v ? 1 : 0);
    else this.code.get(localOf(v));
  }

  /** The value on the stack, into a fresh local; `max` bounds it where that is known. */
  private val(max?: number): Val {
    const local = this.code.local();
    this.code.set(local);
    return term(local, max !== undefined && max < 2 ** 31 ? max : undefined);
  }

  private cond(): Cond {
    const local = this.code.local();
    this.code.set(local);
    return { local, max: 1 } as unknown as CondTerm;
  }

  private binary(a: Val, b: Val, code: number, max?: number): Val {
    return this.once(`${code} ${key(a)} ${key(b)}`, () => {
      this.push(a);
      this.push(b);
      this.code.op(code);
      return this.val(max);
    });
  }

  /**
   * `v == k` for a known k, where the bound of `v` decides it or makes it `v` itself (a 0/1 value is its own
   * test); undefined when neither.
   */
  private equalsKnown(v: Val, k: number): Cond | undefined {
    const max = maxOf(v);
    if (max === undefined) return undefined;
    if (k < 0 || k > max) return false;
    if (max === 0) return true;
    if (max === 1) return k === 1 ? (v as unknown as CondTerm) : this.not(v as unknown as CondTerm);
    return undefined;
  }

  private compare(a: Val, b: Val, code: number): Cond {
    return this.once(`${code} ${key(a)} ${key(b)}`, () => {
      this.push(a);
      this.push(b);
      this.code.op(code);
      return this.cond();
    });
  }

  not(c: Cond): Cond {
    if (typeof c === 'boolean') return !c;
    return this.once(`! ${key(c)}`, () => {
      this.push(c);
      this.code.op(op.eqz);
      return this.cond();
    });
  }

  and(...cs: Cond[]): Cond {
    const rest = cs.filter((c) => c !== true);
    if (rest.includes(false)) return false;
    if (rest.length === 0) return true;
    if (rest.length === 1) return rest[0]!;
    return this.once(`& ${rest.map(key).join(' ')}`, () => {
      this.push(rest[0]!);
      for (const c of rest.slice(1)) {
        this.push(c);
        this.code.op(op.and);
      }
      return this.cond();
    });
  }

  or(...cs: Cond[]): Cond {
    const rest = cs.filter((c) => c !== false);
    if (rest.includes(true)) return true;
    if (rest.length === 0) return false;
    if (rest.length === 1) return rest[0]!;
    return this.once(`| ${rest.map(key).join(' ')}`, () => {
      this.push(rest[0]!);
      for (const c of rest.slice(1)) {
        this.push(c);
        this.code.op(op.or);
      }
      return this.cond();
    });
  }

  ite(c: Cond, a: Val, b: Val): Val {
    if (c === true) return a;
    if (c === false) return b;
    if (a === b) return a;
    return this.once(`? ${key(c)} ${key(a)} ${key(b)}`, () => {
      this.push(a);
      this.push(b);
      this.push(c);
      this.code.op(SELECT);
      return this.val(both(maxOf(a), maxOf(b), Math.max));
    });
  }

  iteCond(c: Cond, a: Cond, b: Cond): Cond {
    if (c === true) return a;
    if (c === false) return b;
    if (a === b) return a;
    this.push(a);
    this.push(b);
    this.push(c);
    this.code.op(SELECT);
    return this.cond();
  }

  eq(a: Val, b: Val): Cond {
    if (typeof a === 'number' && typeof b === 'number') return a === b;
    const known = typeof b === 'number' ? this.equalsKnown(a, b) : typeof a === 'number' ? this.equalsKnown(b, a) : undefined;
    if (known !== undefined) return known;
    return this.compare(a, b, op.eq);
  }
  ne(a: Val, b: Val): Cond {
    if (typeof a === 'number' && typeof b === 'number') return a !== b;
    const known = typeof b === 'number' ? this.equalsKnown(a, b) : typeof a === 'number' ? this.equalsKnown(b, a) : undefined;
    if (known !== undefined) return this.not(known);
    return this.compare(a, b, op.ne);
  }
  slt(a: Val, b: Val): Cond {
    if (typeof a === 'number' && typeof b === 'number') return a < b;
    return this.compare(a, b, op.lt_s);
  }
  sle(a: Val, b: Val): Cond {
    if (typeof a === 'number' && typeof b === 'number') return a <= b;
    return this.compare(a, b, op.le_s);
  }
  ult(a: Val, b: Val): Cond {
    if (typeof a === 'number' && typeof b === 'number') return a < b;
    if (typeof b === 'number' && b >= 0) {
      const max = maxOf(a);
      if (b === 0) return false;
      if (max !== undefined && max < b) return true;
    }
    return this.compare(a, b, op.lt_u);
  }
  ule(a: Val, b: Val): Cond {
    if (typeof a === 'number' && typeof b === 'number') return a <= b;
    if (typeof b === 'number' && b >= 0) {
      const max = maxOf(a);
      if (max !== undefined && max <= b) return true;
    }
    return this.compare(a, b, op.le_u);
  }

  add(a: Val, b: Val): Val {
    if (typeof a === 'number' && typeof b === 'number') return a + b;
    if (b === 0) return a;
    if (a === 0) return b;
    return this.binary(a, b, op.add, both(maxOf(a), maxOf(b), (x, y) => x + y));
  }
  sub(a: Val, b: Val): Val {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    if (b === 0) return a;
    return this.binary(a, b, op.sub);
  }
  mul(a: Val, b: Val): Val {
    if (typeof a === 'number' && typeof b === 'number') return a * b;
    return this.binary(a, b, op.mul);
  }
  neg(a: Val): Val {
    if (typeof a === 'number') return -a;
    return this.binary(0, a, op.sub);
  }
  sdiv(a: Val, b: Val): Val {
    if (typeof a === 'number' && typeof b === 'number') return b === 0 ? 0 : Math.trunc(a / b);
    // The rules fault on a zero divisor before they divide, and a fault returns: a zero never reaches div_s.
    return this.binary(a, b, op.div_s);
  }
  srem(a: Val, b: Val): Val {
    if (typeof a === 'number' && typeof b === 'number') return b === 0 ? 0 : a % b;
    return this.binary(a, b, op.rem_s);
  }

  bit(mask: Val, i: number): Cond {
    if (typeof mask === 'number') return (mask & (1 << i)) !== 0;
    const max = maxOf(mask);
    if (max !== undefined && max < 2 ** i) return false;
    if (i === 0 && max === 1) return mask as unknown as CondTerm;
    return this.once(`bit ${key(mask)} ${i}`, () => {
      this.push(mask);
      if (i !== 0) this.code.i32(i).op(op.shr_u);
      this.code.i32(1).op(op.and);
      return this.cond();
    });
  }
  or32(a: Val, b: Val): Val {
    if (typeof a === 'number' && typeof b === 'number') return (a | b) >>> 0;
    if (b === 0) return a;
    if (a === 0) return b;
    return this.binary(a, b, op.or, both(maxOf(a), maxOf(b), (x, y) => ones(Math.max(x, y))));
  }
  and32(a: Val, b: Val): Val {
    if (typeof a === 'number' && typeof b === 'number') return (a & b) >>> 0;
    if (a === 0 || b === 0) return 0;
    // A mask that keeps every bit the other value can have leaves it as it is.
    for (const [v, m] of [[a, b], [b, a]] as const) {
      const max = maxOf(v);
      if (typeof m === 'number' && max !== undefined && (ones(max) & ~m) === 0) return v;
    }
    return this.binary(a, b, op.and, both(maxOf(a), maxOf(b), Math.min));
  }
  clearBit(mask: Val, i: number): Val {
    return this.and32(mask, ~(1 << i) >>> 0);
  }
  field(word: Val, f: BitField): Val {
    if (typeof word === 'number') return (word >>> f.shift) & (2 ** f.bits - 1);
    const max = maxOf(word);
    if (max !== undefined && max < 2 ** f.shift) return 0;
    if (f.shift === 0 && max !== undefined && max < 2 ** f.bits) return word;
    return this.once(`field ${key(word)} ${f.shift} ${f.bits}`, () => {
      this.push(word);
      if (f.shift !== 0) this.code.i32(f.shift).op(op.shr_u);
      this.code.i32(2 ** f.bits - 1).op(op.and);
      return this.val(2 ** f.bits - 1);
    });
  }
  place(value: Val, f: BitField): Val {
    if (typeof value === 'number') return ((value & (2 ** f.bits - 1)) * 2 ** f.shift) >>> 0;
    this.push(value);
    this.code.i32(2 ** f.bits - 1).op(op.and);
    if (f.shift !== 0) this.code.i32(f.shift).op(op.shl);
    return this.val();
  }
  truncate(v: Val, bits: number): Val {
    if (bits >= 32) return v;
    if (typeof v === 'number') return v & (2 ** bits - 1);
    const max = maxOf(v);
    if (max !== undefined && max < 2 ** bits) return v;
    this.push(v);
    this.code.i32(2 ** bits - 1).op(op.and);
    return this.val(2 ** bits - 1);
  }

  lookup(index: Val, table: readonly number[]): Val {
    if (typeof index === 'number') return table[index] ?? index;
    const at = this.tableAt(table);
    const top = table.every((x) => x >= 0) ? Math.max(0, ...table) : undefined;
    const max = maxOf(index);
    if (max !== undefined && max < table.length) {
      // Every value the index can have is inside the table.
      return this.once(`lookup ${key(index)} ${at}`, () => {
        this.push(index);
        this.code.i32(2).op(op.shl).load(at);
        return this.val(top);
      });
    }
    // inside = index < length; inside ? table[index] : index, the load clamped to the table (its last word unused)
    this.push(index);
    this.code.i32(table.length).op(op.lt_u);
    const inside = this.cond();
    this.push(index);
    this.code.i32(table.length);
    this.push(inside);
    this.code.op(SELECT).i32(2).op(op.shl).load(at);
    this.push(index);
    this.push(inside);
    this.code.op(SELECT);
    return this.val(both(top, max, Math.max));
  }

  /** Leaves a value on the stack (for the emitter's own code). */
  emit(v: Val | Cond): void {
    this.push(v);
  }
}

/** What the generated code does where a rule faults or warns. */
export interface Exits {
  /** The step is fatal: emit the code that leaves (it may assume nothing after it runs). */
  fault(): void;
  /** A violation the machine survives. */
  warn(): void;
}

/** How a write reaches memory: the emitter's slot writer (it notes the word as written). */
export type SlotWriter = (slot: Slot, value: Val) => void;
/** How a read is emitted: the slot's value left on the stack. */
export type SlotReader = (slot: Slot) => void;

/**
 * A family of slots the module lays out as a table of slot ids, read and written by index through the module's
 * runtime (constant code per access, where a br_table has a case per slot).
 */
export interface Families {
  /** The table of a family, or undefined when the module has none for it. */
  table(slots: readonly Slot[]): number | undefined;
  /** (base, slot id) on the stack → the slot's value. */
  read(): void;
  /** (base, slot id, value) on the stack → written, its word noted. */
  write(): void;
}

export class StagedState implements State {
  readonly guard = true;
  /** The register holding the next pc where paths that set it differently join (-1 until one is needed). */
  private nextLocal = -1;
  /** The next pc while it is known on the path being written and not yet in the register. */
  private pendingNext: Val | undefined = undefined;
  /** Whether the branch being written set the next pc. */
  private wroteNext = false;
  /** Slots read on the path being written and not written since: their locals. */
  private readonly cache = new ScopedMap<Slot, Val>();
  /** Slots written in the branch being written (StagedState.branch). */
  private written = new Set<Slot>();

  constructor(
    readonly ops: StagedOps,
    private readonly reader: SlotReader,
    private readonly writer: SlotWriter,
    private readonly exits: Exits,
    private readonly event: (e: { kind: 'acquire'; e: AcquireEvent } | { kind: 'eoi'; cpu: number; line: number }) => void,
    private readonly families: Families | null = null,
  ) {}

  /** For an index into a family with a table: pushes (base, slot id) with the index clamped, and returns the in-range condition. */
  private slotId(slots: readonly Slot[], index: Val, at: number): Cond {
    const c = this.code;
    const max = maxOf(index);
    if (max !== undefined && max < slots.length) {
      c.get(0);
      this.ops.emit(index);
      c.i32(2).op(op.shl).load(at);
      return true;
    }
    this.ops.emit(index);
    c.i32(slots.length).op(op.lt_u);
    const inside = this.code.local();
    c.set(inside);
    c.get(0);
    this.ops.emit(index);
    c.i32(slots.length).get(inside).op(SELECT).i32(2).op(op.shl).load(at);
    return { local: inside } as unknown as CondTerm;
  }

  private get code(): Code {
    return this.ops.code;
  }

  read(slot: Slot): Val {
    const known = this.cache.get(slot);
    if (known !== undefined) return known;
    this.reader(slot);
    const local = this.code.local();
    this.code.set(local);
    const v = term(local, 2 ** slot.bits - 1);
    this.cache.set(slot, v);
    return v;
  }

  write(slot: Slot, value: Val): void {
    this.writer(slot, value);
    this.forget(slot);
  }

  private forget(slot: Slot): void {
    this.cache.delete(slot);
    this.written.add(slot);
  }

  /**
   * Writes `body` as code that may not run: what it computes (memo entries, slots read) is dropped at its end,
   * and the slots it writes are no longer known after it.
   */
  private branch(body: () => void): Set<Slot> {
    const written = this.written;
    const outerNext = this.pendingNext;
    const wroteNext = this.wroteNext;
    this.ops.memo.open();
    this.cache.open();
    this.written = new Set();
    this.wroteNext = false;
    body();
    // A next pc this branch set leaves it in the register, for the code after the join.
    if (this.wroteNext) this.materializeNext();
    const wrote = this.written;
    this.ops.memo.close();
    this.cache.close();
    this.written = written;
    this.armsWroteNext ||= this.wroteNext;
    this.wroteNext = wroteNext;
    this.pendingNext = outerNext;
    return wrote;
  }

  /** Whether an arm of the branching being written set the next pc (StagedState.join). */
  private armsWroteNext = false;

  /**
   * Writes a branching (its arms through `branch`) that starts at byte `from` of the code: where an arm set the
   * next pc, the register must hold it after the join whichever arm ran, so a next pc known before the branching
   * is put in the register ahead of it.
   */
  private join(from: number, arms: () => void): void {
    const outer = this.armsWroteNext;
    this.armsWroteNext = false;
    arms();
    if (this.armsWroteNext) {
      if (this.pendingNext !== undefined) {
        const before = this.code.bytes.splice(from);
        this.materializeNext();
        for (const b of before) this.code.bytes.push(b);
      }
      this.pendingNext = undefined;
      this.wroteNext = true;
    }
    this.armsWroteNext = outer;
  }

  private materializeNext(): void {
    if (this.pendingNext === undefined) return;
    if (this.nextLocal < 0) this.nextLocal = this.code.local();
    this.ops.emit(this.pendingNext);
    this.code.set(this.nextLocal);
    this.pendingNext = undefined;
  }

  private forgetAll(wrote: Iterable<Slot>): void {
    for (const slot of wrote) this.forget(slot);
  }

  when(c: Cond, then: () => void, otherwise?: () => void): void {
    if (c === true) return then();
    if (c === false) return otherwise?.();
    const wrote: Slot[] = [];
    this.join(this.code.bytes.length, () => {
      this.ops.emit(c);
      this.code.if();
      wrote.push(...this.branch(then));
      if (otherwise !== undefined) {
        this.code.else();
        wrote.push(...this.branch(otherwise));
      }
      this.code.end();
    });
    this.forgetAll(wrote);
  }

  fault(_property: PropertyId, c: Cond, _report: Reporter): void {
    this.when(c, () => this.exits.fault());
  }

  warn(_property: PropertyId, c: Cond, _report: Reporter): void {
    this.when(c, () => this.exits.warn());
  }

  acquired(e: AcquireEvent): void {
    this.event({ kind: 'acquire', e });
  }

  eoi(cpu: number, line: number): void {
    this.event({ kind: 'eoi', cpu, line });
  }

  setNext(pc: Val): void {
    this.pendingNext = pc;
    this.wroteNext = true;
  }

  next(): Val {
    if (this.pendingNext !== undefined) return this.pendingNext;
    if (this.nextLocal < 0) throw new Error('internal: no next pc was set');
    // A copy: the register is assigned on several paths, and a memo key must name a value that never changes.
    const local = this.code.local();
    this.code.get(this.nextLocal).set(local);
    return { local } as unknown as Term;
  }

  /**
   * `switch (index) { case i: body(i) }` over 0..n-1 through a br_table; an index outside runs no case. When the
   * index is the value of a slot (`from`), each case knows that slot's value: the rules fold what follows from it.
   */
  cases(index: Val, n: number, body: (i: number) => void, from?: Slot): void {
    const c = this.code;
    const wrote: Slot[] = [];
    this.join(c.bytes.length, () => {
      c.block();
      for (let i = 0; i < n; i++) c.block();
      this.ops.emit(index);
      c.brTable(
        Array.from({ length: n }, (_, i) => i),
        n,
      );
      for (let i = 0; i < n; i++) {
        c.end();
        wrote.push(
          ...this.branch(() => {
            if (from !== undefined && !this.written.has(from)) this.cache.set(from, i);
            body(i);
          }),
        );
        c.br(n - 1 - i);
      }
      c.end();
    });
    this.forgetAll(wrote);
  }

  readAt(slots: readonly Slot[], index: Val): Val {
    if (typeof index === 'number') return slots[index] === undefined ? 0 : this.read(slots[index]!);
    const at = this.families?.table(slots);
    if (at !== undefined) {
      const inside = this.slotId(slots, index, at);
      this.families!.read();
      if (inside !== true) {
        this.code.i32(0);
        this.ops.emit(inside);
        this.code.op(SELECT);
      }
      const local = this.code.local();
      this.code.set(local);
      return term(local, widest(slots));
    }
    // A local that each case sets; it stays 0 where no case runs.
    const local = this.code.local();
    this.cases(index, slots.length, (i) => {
      this.reader(slots[i]!);
      this.code.set(local);
    });
    return term(local, widest(slots));
  }

  writeAt(slots: readonly Slot[], index: Val, value: Val): void {
    if (typeof index === 'number') {
      if (slots[index] !== undefined) this.write(slots[index]!, value);
      return;
    }
    const at = this.families?.table(slots);
    if (at !== undefined) {
      // The runtime's write notes the word it writes.
      const inside = this.ops.ult(index, slots.length);
      if (inside !== true) {
        this.ops.emit(inside);
        this.code.if();
      }
      this.slotId(slots, index, at);
      this.ops.emit(value);
      this.families!.write();
      if (inside !== true) this.code.end();
      this.forgetAll(slots);
      return;
    }
    this.cases(index, slots.length, (i) => this.write(slots[i]!, value));
  }

  select(cases: readonly { when: Cond; then: () => Val }[], otherwise: Val): Val {
    const known = cases.filter((c) => c.when !== false);
    const first = known[0];
    if (first === undefined) return otherwise;
    if (first.when === true) return first.then();
    const local = this.code.local();
    const chain = (i: number): void => {
      const c = known[i];
      if (c === undefined) {
        this.ops.emit(otherwise);
        this.code.set(local);
        return;
      }
      this.when(
        c.when,
        () => {
          this.ops.emit(c.then());
          this.code.set(local);
        },
        () => chain(i + 1),
      );
    };
    chain(0);
    return { local } as unknown as Term;
  }
}

/** The largest value any of the slots can hold. */
function widest(slots: readonly Slot[]): number {
  let bits = 0;
  for (const slot of slots) bits = Math.max(bits, slot.bits);
  return 2 ** bits - 1;
}

/** What identifies a value in a memo key. */
function key(v: Val | Cond): string {
  if (typeof v === 'number') return `#${v}`;
  if (typeof v === 'boolean') return v ? 'T' : 'F';
  return `$${localOf(v)}`;
}
