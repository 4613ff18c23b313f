// The Promela instantiation of the machine semantics (src/hw/domain.ts), for the SPIN side of the bench: the
// rules of src/hw/ run at print time against one program, one CPU and one action, with the state unknown, as the
// staged instantiation does for WebAssembly (src/checker/explicit/staged.ts); what depends on the state they print
// as Promela. So SPIN runs the machine schedcheck runs, from the one definition, and nobody keeps a copy.
//
// The program printed for a model (printPromela) is one process, `machine`, whose only control state is the head
// of its `do` loop; everything else is global data:
//   - the state vector is schedcheck's layout (src/ir/layout.ts), one variable per slot (`s<i>` for the i-th
//     slot of `Layout.slots`, of the narrowest Promela type that holds the slot's width), and `booted`;
//   - `boot` (the first option) writes the model's initial state; before it every variable is 0;
//   - the actions the staged generator enumerates (per CPU: a step per pc, a masked wait per irqsave acquire, a
//     delivery per line; the arrivals of each line on each CPU) are grouped into `d_step`s of actions that
//     exclude each other, each d_step guarded by the disjunction of its actions' enabledness (transition.ts's
//     `enabledWith`, with the CPU's urgency: a deliverable interrupt is taken before the next instruction) and
//     dispatching, in an `if` on the state before the d_step writes, to the one enabled action's `apply`. Per
//     CPU: its deliveries (the line it takes), its instruction actions in runs of consecutive pcs (guarded by
//     the range of the pc first, then by no line to take and what the pc needs), and per line its two arrivals
//     (taken at once, or left pending). pan tests the guard of every option in every state, so few options with
//     cheap guards make its search faster; a guard that holds has exactly one enabled action under it, so the
//     successors of every state are those of one d_step per action;
//   - a fatal step (a fault) wipes the machine back to the all-zero pre-boot state, which is already stored, and
//     ends there: schedcheck never stores a fatal step's successor, and SPIN adds no state for one. Warnings and
//     the events properties observe change no state and print nothing.
// So SPIN stores exactly the states schedcheck stores plus one, the pre-boot state
// (test/bench/equal-states.test.ts).
//
// Values are constants or Promela expressions over temporaries (`hidden int t<i>`, outside the state vector): a
// slot read in a step's body is copied into a temporary, so a later write cannot change what was read; a guard
// writes nothing and reads the variables themselves. Only integers from the IR and its layout enter the text:
// no name, no comment from a model.

import { Access } from '../src/hw/access.js';
import type { BitField, Cond, CondTerm, Ops, Term, Val } from '../src/hw/domain.js';
import { machineOf } from '../src/hw/build.js';
import { profileOf } from '../src/hw/profiles.js';
import type { AcquireEvent, Reporter, State } from '../src/hw/state.js';
import { apply, enabledWith, mayArrive, possibleActions, urgency } from '../src/hw/transition.js';
import type { PropertyId } from '../src/ir/ir.js';
import { readSlot, type Slot } from '../src/ir/layout.js';
import { ActionKind, actionArg, actionKind, encodeAction, type Action, type Model } from '../src/ir/model.js';
import { ScopedMap } from '../src/checker/explicit/staged.js';

/**
 * The model has a slot or a frame word wider than 31 bits, or a number outside 32 bits (a Promela `int` is a C
 * int). Like the WebAssembly back end, the printed arithmetic is on 32-bit ints: a model whose expressions leave
 * that range (wasmgen.ts refuses it; no seed does) would wrap where the reference does not.
 */
export class PromelaUnsupported extends Error {}

const INT_MAX = 2 ** 31 - 1;

/** An expression, as the instantiation's opaque term. */
interface Expr {
  readonly e: string;
}

function term(e: string): Term {
  return { e } as unknown as Term;
}
function condTerm(e: string): CondTerm {
  return { e } as unknown as CondTerm;
}

/** An integer literal as a C int does arithmetic on it (a word with bit 31 set is negative). */
function literal(n: number): string {
  if (!Number.isInteger(n)) throw new Error(`internal: ${n} is not an integer`);
  if (n < -(2 ** 31) || n >= 2 ** 32) throw new PromelaUnsupported(`the number ${n} does not fit a Promela int`);
  const v = n > INT_MAX ? n | 0 : n;
  if (v < -INT_MAX) return '(-2147483647 - 1)';
  return v < 0 ? `(${v})` : String(v);
}

/** A value or condition as Promela text. */
function show(v: Val | Cond): string {
  if (typeof v === 'number') return literal(v);
  if (typeof v === 'boolean') return v ? '1' : '0';
  return (v as unknown as Expr).e;
}

/** Where a long expression can be put into a temporary: a step's body (none in a guard). */
interface Sink {
  /** A fresh temporary set to `e`, or (e null) by the first option whose test holds, else to `otherwise`. */
  temp(e: string | null, options?: [string, string][], otherwise?: string): string;
}

/** Expressions longer than this are put into a temporary where there is a body to put them in. */
const LONG = 160;

/** The lines of step bodies one option holds at most (SPIN bounds a d_step's length; a longer body has its own). */
const CHUNK = 600;

export class PromelaOps implements Ops {
  /** The body being printed, or null while a guard is. */
  sink: Sink | null = null;

  private val(e: string): Val {
    return term(this.sink !== null && e.length > LONG ? this.sink.temp(e) : e);
  }
  private cond(e: string): Cond {
    return condTerm(this.sink !== null && e.length > LONG ? this.sink.temp(e) : e);
  }

  not(c: Cond): Cond {
    if (typeof c === 'boolean') return !c;
    return this.cond(`!${show(c)}`);
  }
  and(...cs: Cond[]): Cond {
    const rest = cs.filter((c) => c !== true);
    if (rest.includes(false)) return false;
    if (rest.length === 0) return true;
    if (rest.length === 1) return rest[0]!;
    return this.cond(`(${rest.map(show).join(' && ')})`);
  }
  or(...cs: Cond[]): Cond {
    const rest = cs.filter((c) => c !== false);
    if (rest.includes(true)) return true;
    if (rest.length === 0) return false;
    if (rest.length === 1) return rest[0]!;
    return this.cond(`(${rest.map(show).join(' || ')})`);
  }
  ite(c: Cond, a: Val, b: Val): Val {
    if (c === true) return a;
    if (c === false) return b;
    if (a === b) return a;
    return this.val(`(${show(c)} -> ${show(a)} : ${show(b)})`);
  }
  iteCond(c: Cond, a: Cond, b: Cond): Cond {
    if (c === true) return a;
    if (c === false) return b;
    if (a === b) return a;
    return this.cond(`(${show(c)} -> ${show(a)} : ${show(b)})`);
  }

  private compare(a: Val, b: Val, op: string): Cond {
    return this.cond(`(${show(a)} ${op} ${show(b)})`);
  }
  eq(a: Val, b: Val): Cond {
    if (typeof a === 'number' && typeof b === 'number') return a === b;
    return this.compare(a, b, '==');
  }
  ne(a: Val, b: Val): Cond {
    if (typeof a === 'number' && typeof b === 'number') return a !== b;
    return this.compare(a, b, '!=');
  }
  slt(a: Val, b: Val): Cond {
    if (typeof a === 'number' && typeof b === 'number') return a < b;
    return this.compare(a, b, '<');
  }
  sle(a: Val, b: Val): Cond {
    if (typeof a === 'number' && typeof b === 'number') return a <= b;
    return this.compare(a, b, '<=');
  }
  /** Unsigned `a < b` (or `<=`) in signed C ints: a negative int is a word of 2^31 or more. */
  private unsigned(a: Val, b: Val, op: '<' | '<='): Cond {
    const A = show(a);
    const B = show(b);
    if (typeof b === 'number' && b >= 0 && b <= INT_MAX) return this.cond(`(0 <= ${A} && ${A} ${op} ${B})`);
    if (typeof a === 'number' && a >= 0 && a <= INT_MAX) return this.cond(`(${B} < 0 || ${A} ${op} ${B})`);
    const flip = literal(-(2 ** 31));
    return this.cond(`((${A} ^ ${flip}) ${op} (${B} ^ ${flip}))`);
  }
  ult(a: Val, b: Val): Cond {
    if (typeof a === 'number' && typeof b === 'number') return a >>> 0 < b >>> 0;
    return this.unsigned(a, b, '<');
  }
  ule(a: Val, b: Val): Cond {
    if (typeof a === 'number' && typeof b === 'number') return a >>> 0 <= b >>> 0;
    return this.unsigned(a, b, '<=');
  }

  private binary(a: Val, b: Val, op: string): Val {
    return this.val(`(${show(a)} ${op} ${show(b)})`);
  }
  add(a: Val, b: Val): Val {
    if (typeof a === 'number' && typeof b === 'number') return a + b;
    if (b === 0) return a;
    if (a === 0) return b;
    return this.binary(a, b, '+');
  }
  sub(a: Val, b: Val): Val {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    if (b === 0) return a;
    return this.binary(a, b, '-');
  }
  mul(a: Val, b: Val): Val {
    if (typeof a === 'number' && typeof b === 'number') return a * b;
    return this.binary(a, b, '*');
  }
  neg(a: Val): Val {
    if (typeof a === 'number') return -a;
    return this.val(`(-${show(a)})`);
  }
  sdiv(a: Val, b: Val): Val {
    if (typeof a === 'number' && typeof b === 'number') return b === 0 ? 0 : Math.trunc(a / b);
    // C's `/` truncates toward zero, as the domain's division does; the rules fault on a zero divisor first.
    return this.binary(a, b, '/');
  }
  srem(a: Val, b: Val): Val {
    if (typeof a === 'number' && typeof b === 'number') return b === 0 ? 0 : a % b;
    return this.binary(a, b, '%');
  }

  bit(mask: Val, i: number): Cond {
    if (typeof mask === 'number') return (mask & (1 << i)) !== 0;
    return this.cond(i === 0 ? `(${show(mask)} & 1)` : `((${show(mask)} >> ${i}) & 1)`);
  }
  or32(a: Val, b: Val): Val {
    if (typeof a === 'number' && typeof b === 'number') return (a | b) >>> 0;
    if (b === 0) return a;
    if (a === 0) return b;
    return this.binary(a, b, '|');
  }
  and32(a: Val, b: Val): Val {
    if (typeof a === 'number' && typeof b === 'number') return (a & b) >>> 0;
    if (a === 0 || b === 0) return 0;
    return this.binary(a, b, '&');
  }
  clearBit(mask: Val, i: number): Val {
    return this.and32(mask, ~(1 << i) >>> 0);
  }
  field(word: Val, f: BitField): Val {
    if (typeof word === 'number') return (word >>> f.shift) & (2 ** f.bits - 1);
    const mask = literal(2 ** f.bits - 1);
    return this.val(f.shift === 0 ? `(${show(word)} & ${mask})` : `((${show(word)} >> ${f.shift}) & ${mask})`);
  }
  place(value: Val, f: BitField): Val {
    if (typeof value === 'number') return ((value & (2 ** f.bits - 1)) * 2 ** f.shift) >>> 0;
    const masked = `(${show(value)} & ${literal(2 ** f.bits - 1)})`;
    return this.val(f.shift === 0 ? masked : `(${masked} << ${f.shift})`);
  }
  truncate(v: Val, bits: number): Val {
    if (bits >= 32) return v;
    if (typeof v === 'number') return v & (2 ** bits - 1);
    return this.val(`(${show(v)} & ${literal(2 ** bits - 1)})`);
  }
  lookup(index: Val, table: readonly number[]): Val {
    if (typeof index === 'number') return table[index] ?? index;
    // The entries that are not the index itself: in a body, a temporary set by an `if` with an option per entry;
    // in a guard, a chain of conditional expressions.
    const moved = table.map((v, i) => [i, v] as const).filter(([i, v]) => i !== v);
    const I = show(index);
    if (this.sink !== null) return term(this.sink.temp(null, moved.map(([i, v]) => [`${I} == ${i}`, literal(v)]), I));
    let out = I;
    for (let k = moved.length - 1; k >= 0; k--) out = `(${I} == ${moved[k]![0]} -> ${literal(moved[k]![1])} : ${out})`;
    return term(out);
  }
}

/** One statement or a nested `if`, as lines. */
type Block = string[][];

function indent(lines: string[], by: string): string[] {
  return lines.map((l) => by + l);
}

/** A block's statements as lines, separated by `;` (Promela's separator, not a terminator); `skip` when empty. */
function sequence(block: Block): string[] {
  if (block.length === 0) return ['skip'];
  const out: string[] = [];
  block.forEach((stmt, i) => {
    const lines = stmt.slice();
    if (i < block.length - 1) lines[lines.length - 1] += ';';
    out.push(...lines);
  });
  return out;
}

/** `if :: c1 -> b1 :: c2 -> b2 ... fi`, with no `else`: where it is reached, one of the tests holds. */
function alternatives(options: [string, string[]][]): string[] {
  const out = ['if'];
  for (const [c, body] of options) {
    const [first, ...rest] = body;
    out.push(`:: ${c} -> ${first ?? 'skip'}`, ...indent(rest, '   '));
  }
  out.push('fi');
  return out;
}

/** Whether `pc` is one of `pcs`, as a Promela condition over its runs of consecutive pcs. */
function among(pc: string, pcs: readonly number[]): string {
  const runs: [number, number][] = [];
  for (const p of [...pcs].sort((x, y) => x - y)) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last[1] === p - 1) last[1] = p;
    else runs.push([p, p]);
  }
  const tests = runs.map(([lo, hi]) =>
    lo === hi ? `${pc} == ${lo}` : lo === 0 ? `${pc} <= ${hi}` : `(${lo} <= ${pc} && ${pc} <= ${hi})`,
  );
  if (tests.length === 0) return '0';
  return tests.length === 1 ? tests[0]! : `(${tests.join(' || ')})`;
}

/** `if :: c1 -> b1 :: c2 -> b2 ... :: else -> e fi`. */
function choice(options: [string, string[]][], otherwise: string[]): string[] {
  const out = ['if'];
  for (const [c, body] of [...options, ['else', otherwise] as [string, string[]]]) {
    const [first, ...rest] = body;
    out.push(`:: ${c} -> ${first ?? 'skip'}`, ...indent(rest, '   '));
  }
  out.push('fi');
  return out;
}

/** The state of a guard: reads are the variables themselves, and nothing is written. */
class GuardState implements State {
  readonly guard = true;

  constructor(
    readonly ops: PromelaOps,
    private readonly name: (slot: Slot) => string,
    /** A slot whose value the guard is printed under (a CPU's pc, in its dispatch on the pc). */
    private readonly known: { slot: Slot; value: number } | null = null,
  ) {}

  read(slot: Slot): Val {
    return slot === this.known?.slot ? this.known.value : term(this.name(slot));
  }
  write(): void {
    throw new Error('internal: a guard writes the state');
  }
  /** An expression means the same in either branch: only `then` runs (enabledness has no `otherwise`). */
  when(c: Cond, then: () => void, otherwise?: () => void): void {
    if (c === true) return then();
    if (c === false) return otherwise?.();
    if (otherwise !== undefined) throw new Error('internal: a guard branches two ways');
    then();
  }
  fault(): void {
    throw new Error('internal: a guard faults');
  }
  warn(): void {
    throw new Error('internal: a guard warns');
  }
  acquired(): void {}
  eoi(): void {}
  setNext(): void {
    throw new Error('internal: a guard jumps');
  }
  next(): Val {
    throw new Error('internal: a guard jumps');
  }
  readAt(slots: readonly Slot[], index: Val): Val {
    if (typeof index === 'number') return slots[index] === undefined ? 0 : this.read(slots[index]!);
    const I = show(index);
    let out = '0';
    for (let i = slots.length - 1; i >= 0; i--) out = `(${I} == ${i} -> ${this.name(slots[i]!)} : ${out})`;
    return term(out);
  }
  writeAt(): void {
    throw new Error('internal: a guard writes the state');
  }
  select(cases: readonly { when: Cond; then: () => Val }[], otherwise: Val): Val {
    let out = otherwise;
    for (let i = cases.length - 1; i >= 0; i--) out = this.ops.ite(cases[i]!.when, cases[i]!.then(), out);
    return out;
  }
}

/** The state of a step's body: prints its statements, in nested blocks for its branches. */
class BodyState implements State, Sink {
  readonly guard = true;
  private readonly blocks: Block[] = [[]];
  /** Slots read on the path being printed and not written since: their temporaries. */
  private readonly cache = new ScopedMap<Slot, Val>();
  private written = new Set<Slot>();
  private nextTemp: string | null = null;
  /** The body faults somewhere (it then needs its wipe, `faultLabel`). */
  faults = false;
  temps = 0;

  constructor(
    readonly ops: PromelaOps,
    private readonly name: (slot: Slot) => string,
    private readonly faultLabel: string,
  ) {}

  private emit(...lines: string[]): void {
    this.blocks[this.blocks.length - 1]!.push(lines);
  }

  temp(e: string | null, options: [string, string][] = [], otherwise = '0'): string {
    const t = `t${this.temps++}`;
    if (e !== null) this.emit(`${t} = ${e}`);
    else if (options.length === 0) this.emit(`${t} = ${otherwise}`);
    else this.emit(...choice(options.map(([c, v]) => [c, [`${t} = ${v}`]]), [`${t} = ${otherwise}`]));
    return t;
  }

  /** The body's statements. */
  lines(): string[] {
    return sequence(this.blocks[0]!);
  }

  read(slot: Slot): Val {
    const known = this.cache.get(slot);
    if (known !== undefined) return known;
    const v = term(this.temp(this.name(slot)));
    this.cache.set(slot, v);
    return v;
  }

  write(slot: Slot, value: Val): void {
    const mask = 2 ** slot.bits - 1;
    this.emit(`${this.name(slot)} = ${typeof value === 'number' ? literal(value & mask) : `${show(value)} & ${literal(mask)}`}`);
    this.forget(slot);
  }

  private forget(slot: Slot): void {
    this.cache.delete(slot);
    this.written.add(slot);
  }

  /** Prints `body` into a block of its own; what it read is not known after it, what it wrote is forgotten. */
  private branch(body: () => void): { lines: string[]; wrote: Set<Slot> } {
    const written = this.written;
    this.cache.open();
    this.written = new Set();
    this.blocks.push([]);
    body();
    const block = this.blocks.pop()!;
    const wrote = this.written;
    this.cache.close();
    this.written = written;
    return { lines: sequence(block), wrote };
  }

  private branches(options: [string, () => void][], otherwise: (() => void) | undefined): void {
    const wrote: Slot[] = [];
    const printed: [string, string[]][] = options.map(([c, body]) => {
      const b = this.branch(body);
      wrote.push(...b.wrote);
      return [c, b.lines];
    });
    const other = otherwise === undefined ? ['skip'] : this.branch(otherwise);
    if (!Array.isArray(other)) wrote.push(...other.wrote);
    this.emit(...choice(printed, Array.isArray(other) ? other : other.lines));
    for (const slot of wrote) this.forget(slot);
  }

  when(c: Cond, then: () => void, otherwise?: () => void): void {
    if (c === true) return then();
    if (c === false) return otherwise?.();
    this.branches([[show(c), then]], otherwise);
  }

  fault(_property: PropertyId, c: Cond, _report: Reporter): void {
    this.when(c, () => {
      this.faults = true;
      this.emit(`goto ${this.faultLabel}`);
    });
  }

  warn(_property: PropertyId, _c: Cond, _report: Reporter): void {}

  acquired(_event: AcquireEvent): void {}

  eoi(_cpu: number, _line: number): void {}

  setNext(pc: Val): void {
    if (this.nextTemp === null) this.nextTemp = `t${this.temps++}`;
    this.emit(`${this.nextTemp} = ${show(pc)}`);
  }

  next(): Val {
    if (this.nextTemp === null) throw new Error('internal: no next pc was set');
    // A copy: the register is set on several paths, and a value must never change once made.
    return term(this.temp(this.nextTemp));
  }

  /** A slot's value right here: its temporary, or the variable (read where it is used, nothing written between). */
  private now(slot: Slot): string {
    const known = this.cache.get(slot);
    return known === undefined ? this.name(slot) : show(known);
  }

  readAt(slots: readonly Slot[], index: Val): Val {
    if (typeof index === 'number') return slots[index] === undefined ? 0 : this.read(slots[index]!);
    const I = show(index);
    return term(this.temp(null, slots.map((slot, i) => [`${I} == ${i}`, this.now(slot)])));
  }

  writeAt(slots: readonly Slot[], index: Val, value: Val): void {
    if (typeof index === 'number') {
      if (slots[index] !== undefined) this.write(slots[index]!, value);
      return;
    }
    const I = show(index);
    // The value once, not in every case.
    const v = typeof value === 'number' || /^t\d+$/.test(show(value)) ? value : term(this.temp(show(value)));
    this.branches(
      slots.map((slot, i) => [`${I} == ${i}`, () => this.write(slot, v)]),
      undefined,
    );
  }

  select(cases: readonly { when: Cond; then: () => Val }[], otherwise: Val): Val {
    const known = cases.filter((c) => c.when !== false);
    const first = known[0];
    if (first === undefined) return otherwise;
    if (first.when === true) return first.then();
    const t = `t${this.temps++}`;
    const chain = (i: number): void => {
      const c = known[i];
      if (c === undefined) return this.emit(`${t} = ${show(otherwise)}`);
      this.when(
        c.when,
        () => this.emit(`${t} = ${show(c.then())}`),
        () => chain(i + 1),
      );
    };
    chain(0);
    return term(t);
  }
}

/** Promela's narrowest type for a slot of `bits` bits (all unsigned values: `short` and `int` have a sign bit). */
function typeOf(bits: number): string {
  if (bits === 1) return 'bit';
  if (bits <= 8) return 'byte';
  if (bits <= 15) return 'short';
  return 'int';
}

/** The Promela program of a model (see the head of this file). */
/**
 * @param visibleTemps declare the temporaries in the state vector and zero them at the end of every d_step, so
 *   that they never tell two states apart: SPIN's multi-core pan (`-DNCORE=N`) refuses hidden variables.
 */
export function printPromela(model: Model, visibleTemps = false): string {
  const layout = model.layout;
  const m = machineOf(model);
  for (const slot of layout.slots) if (slot.bits > 31) throw new PromelaUnsupported('a 32-bit slot');
  if (layout.frame.bits > 31) throw new PromelaUnsupported('a 32-bit frame word');
  const index = new Map(layout.slots.map((slot, i) => [slot, i]));
  const name = (slot: Slot): string => {
    const i = index.get(slot);
    if (i === undefined) throw new Error('internal: a slot outside the layout');
    return `s${i}`;
  };
  const ops = new PromelaOps();
  const a = new Access(m, ops);
  const profile = profileOf(m.program.arch);
  const guards = new GuardState(ops, name);

  const defines: string[] = [];
  const options: string[][] = [];
  let temps = 0;

  // Boot: the initial states, from the all-zero pre-boot state.
  for (const s of model.initialStates()) {
    const writes = layout.slots.map((slot, i) => [i, readSlot(s, slot)] as const).filter(([, v]) => v !== 0);
    options.push([`:: d_step { !booted -> booted = 1${writes.map(([i, v]) => `; s${i} = ${literal(v)}`).join('')} }`]);
  }
  const wipe = [...layout.slots.map((_, i) => `s${i} = 0`), 'booted = 0'].join('; ');
  /** The options whose d_steps end by zeroing the temporaries (visibleTemps). */
  const clearing: string[][] = [];

  /** One option: `d_step { booted && guard -> body }`, the body's faults wiping the machine (label `F<n>`). */
  const option = (guard: string, print: (bodyOf: (action: Action) => string[]) => string[]): void => {
    const n = options.length;
    let faults = false;
    const bodyOf = (action: Action): string[] => {
      const body = new BodyState(ops, name, `F${n}`);
      ops.sink = body;
      apply(a, profile, body, action);
      ops.sink = null;
      temps = Math.max(temps, body.temps);
      faults ||= body.faults;
      return body.lines();
    };
    const lines = [`:: d_step { booted && ${guard} ->`, ...indent(print(bodyOf), '     ')];
    if (faults) {
      lines[lines.length - 1] += ';';
      lines.push(`     goto E${n};`, `   F${n}: ${wipe};`, `   E${n}: skip`);
    }
    lines.push('   }');
    options.push(lines);
    clearing.push(lines);
  };

  for (let k = 0; k < m.cpus; k++) {
    // The CPU's urgency once, as macros every guard of the CPU names.
    ops.sink = null;
    const u = urgency(a, guards, k);
    const macro = (c: Cond, id: string): Cond => {
      if (typeof c === 'boolean') return c;
      defines.push(`#define ${id} (${show(c)})`);
      return condTerm(id);
    };
    const shared = { lines: u.lines.map((c, line) => macro(c, `U${k}_${line}`)), none: macro(u.none, `N${k}`) };
    const actions = possibleActions(m, k);
    const notStopped = ops.not(a.stopped(guards, k));

    // Exactly one of `shared.lines` and `shared.none` holds (urgency): the CPU delivers that line, or (none) it
    // takes at most one instruction action, the one of its pc (a step and a masked wait exclude each other: the
    // lock is free or held). Each instruction action, with its enabledness where the pc is its own and the CPU
    // takes no line.
    const pcSlot = layout.cpus[k]!.pc;
    const pc = name(pcSlot);
    const instructions: { action: Action; at: number; can: Cond }[] = [];
    for (const action of actions) {
      const kind = actionKind(action);
      if (kind !== ActionKind.step && kind !== ActionKind.maskWait) continue;
      // The pc the CPU takes the action at: a choice's alternatives are taken at the choice.
      const at = m.stepFrom[actionArg(action)]!;
      const known = new GuardState(ops, name, { slot: pcSlot, value: at });
      const can = enabledWith(a, known, action, { lines: shared.lines, none: true });
      if (can !== false) instructions.push({ action, at, can });
    }
    // The deliveries, most urgent first (the last is the line taken when no other is), one option.
    const deliveries = m.linesByUrgency
      .map((line) => encodeAction(ActionKind.deliver, k, line))
      .filter((action) => actions.includes(action) && enabledWith(a, guards, action, shared) !== false);
    if (deliveries.length > 0) {
      option(show(ops.and(ops.not(shared.none), notStopped)), (bodyOf) => {
        const last = deliveries[deliveries.length - 1]!;
        if (deliveries.length === 1) return bodyOf(last);
        return choice(
          deliveries.slice(0, -1).map((d) => [show(shared.lines[actionArg(d)]!), bodyOf(d)]),
          bodyOf(last),
        );
      });
    }

    // The instruction actions, by pc, in options of consecutive pcs (SPIN bounds the length of a d_step).
    if (shared.none === false) continue;
    instructions.sort((x, y) => x.at - y.at);
    const size = (action: Action): number => {
      const body = new BodyState(ops, name, 'F');
      ops.sink = body;
      apply(a, profile, body, action);
      ops.sink = null;
      return body.lines().length;
    };
    const chunks: (typeof instructions)[] = [];
    let lines = Infinity;
    instructions.forEach((i, n) => {
      // SPIN takes the first true option of an `if` inside a d_step: the alternatives of a choice, all enabled at
      // once, each get an option of their own.
      const alternative = m.code[actionArg(i.action)]!.op === 'alternative';
      const more = size(i.action);
      if (alternative || (lines + more > CHUNK && instructions[n - 1]?.at !== i.at)) {
        chunks.push([]);
        lines = 0;
      }
      chunks[chunks.length - 1]!.push(i);
      lines = alternative ? Infinity : lines + more;
    });
    for (const chunk of chunks) {
      const lo = chunk[0]!.at;
      const hi = chunk[chunk.length - 1]!.at;
      // Whether the pc offers an instruction action, given its range: a chain of conditional expressions over the
      // pcs where that depends on the state, then the pcs where it does not (no test if that is all the others).
      const at = new Map<number, Cond>();
      for (const i of chunk) at.set(i.at, ops.or(at.get(i.at) ?? false, i.can));
      const always = [...at].filter(([, c]) => c === true).map(([p]) => p);
      const rest = [...at].filter(([, c]) => c !== true);
      let dispatch: Cond = always.length + rest.length === hi - lo + 1 ? true : condTerm(among(pc, always));
      for (const [p, c] of rest.reverse()) dispatch = ops.iteCond(ops.eq(term(pc), p), c, dispatch);
      const range = condTerm(
        lo === hi ? `${pc} == ${lo}` : lo === 0 ? `${pc} <= ${hi}` : `${lo} <= ${pc} && ${pc} <= ${hi}`,
      );
      option(show(ops.and(range, shared.none, dispatch)), (bodyOf) =>
        alternatives(chunk.map((i) => [show(ops.and(ops.eq(term(pc), i.at), i.can)), bodyOf(i.action)])),
      );
    }

    // The arrivals of each line, one option: left pending and taken at once exclude each other.
    for (const line of m.arrivals[k]!) {
      const pend = encodeAction(ActionKind.arrive, k, line);
      const take = encodeAction(ActionKind.arriveTake, k, line);
      const pends = enabledWith(a, guards, pend, shared);
      const takes = enabledWith(a, guards, take, shared);
      if (pends === false || takes === false) {
        if (pends !== false) option(show(pends), (bodyOf) => bodyOf(pend));
        if (takes !== false) option(show(takes), (bodyOf) => bodyOf(take));
        continue;
      }
      // Either arrives where the line may arrive (mayArrive, the part the two share).
      option(show(mayArrive(a, guards, k, line)), (bodyOf) => choice([[show(takes), bodyOf(take)]], bodyOf(pend)));
    }
  }
  ops.sink = null;
  if (visibleTemps && temps > 0) {
    // The last line of each is the d_step's closing brace: the temporaries are zeroed just before it.
    const clear = Array.from({ length: temps }, (_, i) => `t${i} = 0`).join('; ');
    for (const lines of clearing) {
      lines[lines.length - 2] += ';';
      lines.splice(lines.length - 1, 0, `     ${clear}`);
    }
  }

  return [
    '/* Printed by bench/promela.ts from the machine semantics of src/hw: a d_step per group of actions; see there. */',
    '',
    'bit booted;',
    ...layout.slots.map((slot, i) => `${typeOf(slot.bits)} s${i};`),
    ...Array.from({ length: temps }, (_, i) => `${visibleTemps ? '' : 'hidden '}int t${i};`),
    '',
    ...defines,
    '',
    'active proctype machine() {',
    'end:',
    '  do',
    ...options.flatMap((lines) => indent(lines, '  ')),
    '  od',
    '}',
    '',
  ].join('\n');
}
