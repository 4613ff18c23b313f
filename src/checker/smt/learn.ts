// Invariants learned from smaller configurations of the same model, for proofs the explicit engine does not
// underlie (the "invisible invariants" method). A small configuration (THREADS = 2, 3, 4: fewer interchangeable
// threads) is explored completely; each reachable state is seen from each interchangeable thread and each pair of
// them, as a *view*: the view's own threads' slots, every slot that belongs to no interchangeable thread, and the
// run queue as they see it (how often each of them and each fixed thread is queued, which comes first, whether an
// entry names no thread), with every thread id written as its class (one of the view's threads, another of their
// group, a fixed thread by name, none): the classes src/checker/explicit/symmetry.ts renumbers by. The set of
// views does not mention how many threads there are. In the large configuration it becomes one candidate per
// thread and per pair of threads ("this view is one of the views seen"), and Houdini keeps the largest inductive
// subset: what survives holds in every reachable state of the large configuration, whatever the small ones were.
// The proof is of the large configuration only; the small ones only suggested the invariant. A view mentions a
// few other threads (the one running, the one picked next): the small configurations need enough threads for
// every such role beside the view's own (measured: the views of THREADS = 2, 3 are not inductive at 4 on the test
// model, those of 2, 3, 4 are at 5).

import type { Program } from '../../ir/ir.js';
import type { Layout, Slot } from '../../ir/layout.js';
import { buildModel } from '../../hw/build.js';
import { analyse } from '../explicit/symmetry.js';
import type { Candidate } from './invariants.js';
import type { B, BV } from './sym.js';
import { slotValue, type SymbolicSystem } from './system.js';
import type { Z3 } from './z3.js';

/** How a slot's value is read in a view. */
type Kind = 'raw' | 'thread' | 'owner' | 'frame';

/** Classes of a thread id, as the view's threads see it: SELF + k for its k-th thread, then the others. */
const SELF = 0;
const OTHER = 8;
const NONE = 9;
const INVALID = 10;
/** A fixed thread: FIXED + its index among the fixed threads (by name); another group: GROUP + its index. */
const FIXED = 16;
const GROUP = 1024;

/** rq.head of an empty queue. */
const EMPTY = 4096;

interface Column {
  name: string;
  kind: Kind;
}

/** One configuration's view geometry: the columns it has, and per interchangeable thread their slots. */
class Geometry {
  readonly program: Program;
  readonly layout: Layout;
  /** Thread id -> index of its group in `groups`, or -1 for a fixed thread. */
  readonly groupOf: Int32Array;
  readonly groups: number[][];
  readonly groupNames: string[];
  readonly fixedNames: string[];
  /** Thread id -> its index in `fixedNames` (-1 in a group). */
  private readonly fixedIndex: Int32Array;
  private readonly kindOf = new Map<Slot, Kind>();
  private readonly ownerOfSlot = new Map<Slot, number>();

  /**
   * @param groupNames the thread arrays whose instances are interchangeable in the large configuration (a small
   * one may have a single instance, which symmetry.ts does not call a group)
   */
  constructor(program: Program, layout: Layout, groupNames: string[]) {
    this.program = program;
    this.layout = layout;
    this.groupNames = groupNames;
    this.groups = groupNames.map((name) => program.threads.filter((t) => t.group === name).map((t) => t.id));
    this.groupOf = new Int32Array(program.threads.length).fill(-1);
    this.groups.forEach((ids, g) => ids.forEach((t) => (this.groupOf[t] = g)));
    this.fixedNames = program.threads.filter((t) => this.groupOf[t.id] === -1).map((t) => t.name);
    this.fixedIndex = Int32Array.from(program.threads, (t) => this.fixedNames.indexOf(t.name));
    program.vars.forEach((v, id) => {
      if (v.type.kind === 'thread') for (const inst of layout.vars[id]!) for (const slot of inst) this.kindOf.set(slot, 'thread');
    });
    for (const l of layout.locks) this.kindOf.set(l.owner, 'owner');
    for (const c of layout.cpus) {
      this.kindOf.set(c.current, 'thread');
      if (c.sp !== null) this.kindOf.set(c.sp, 'thread');
      if (c.elr !== null) this.kindOf.set(c.elr, 'frame');
      for (const st of c.handlerStacks) for (const cell of st.cells) this.kindOf.set(cell, 'frame');
    }
    layout.threads.forEach((t, id) => {
      for (const cell of t.stack.cells) this.kindOf.set(cell, 'frame');
      for (const slot of [t.state, t.freed, t.stack.sp, ...t.stack.cells]) this.ownerOfSlot.set(slot, id);
    });
  }

  /** The columns of a view of `selves` (one or two threads of one group), each with its slot here (null: derived). */
  columns(selves: number[]): { column: Column; slot: Slot | null }[] {
    const out: { column: Column; slot: Slot | null }[] = [];
    const queue = new Set<Slot>([this.layout.runQueue.len, ...this.layout.runQueue.entries]);
    for (const slot of this.layout.slots) {
      if (queue.has(slot)) continue;
      const kind = this.kindOf.get(slot) ?? 'raw';
      const owner = this.ownerOfSlot.get(slot);
      const k = owner === undefined ? -1 : selves.indexOf(owner);
      const prefix = owner === undefined ? '' : `thread.${this.program.threads[owner]!.name}`;
      if (owner === undefined || this.groupOf[owner] === -1) out.push({ column: { name: slot.name, kind }, slot });
      else if (k >= 0) out.push({ column: { name: `self${k}${slot.name.slice(prefix.length)}`, kind }, slot });
    }
    const derived = (name: string): { column: Column; slot: null } => ({ column: { name, kind: 'raw' }, slot: null });
    out.push(...selves.map((_, k) => derived(`rq.self${k}`)), derived('rq.invalid'));
    for (const name of this.fixedNames) out.push(derived(`rq.${name}`));
    // The queue's order between every two threads the view names (its own and the fixed ones).
    const named = [...selves.map((_, k) => SELF + k), ...this.fixedNames.map((_, f) => FIXED + f)];
    for (let a = 0; a < named.length; a++) for (let b = a + 1; b < named.length; b++) out.push(derived(`rq.order.${named[a]}.${named[b]}`));
    return out;
  }

  /** The class of thread id `v` as the view of `selves` sees it. */
  classOf(v: number, selves: number[]): number {
    const threads = this.program.threads.length;
    const k = selves.indexOf(v);
    if (k >= 0) return SELF + k;
    if (v === threads) return NONE;
    if (v > threads) return INVALID;
    const g = this.groupOf[v]!;
    if (g === this.groupOf[selves[0]!]) return OTHER;
    if (g >= 0) return GROUP + g;
    return FIXED + this.fixedIndex[v]!;
  }
}

/** What is compared across configurations: a raw slot's range, and the code (pcs are global). */
function compatible(a: Geometry, b: Geometry): boolean {
  const units = (p: Program): string => p.units.map((u) => u.code.length).join(',');
  return (
    units(a.program) === units(b.program) &&
    a.layout.pcBase.join(',') === b.layout.pcBase.join(',') &&
    a.groupNames.join(',') === b.groupNames.join(',') &&
    a.fixedNames.join(',') === b.fixedNames.join(',') &&
    a.program.cpus === b.program.cpus
  );
}

/** Frame words as tuples of their fields, the owner as a class; numbered in order of first sight. */
class FrameTable {
  readonly ids = new Map<string, number>();
  readonly tuples: number[][] = [];
  /** Word and owner class -> id: a frame word recurs in many states. */
  private readonly seen = new Map<number, number>();
  /** The id of frame word `v`, whose owner is of class `owner`. */
  ofWord(v: number, owner: number, tuple: () => number[]): number {
    const key = v * 2048 + owner;
    let id = this.seen.get(key);
    if (id === undefined) this.seen.set(key, (id = this.id(tuple())));
    return id;
  }
  id(tuple: number[]): number {
    const key = tuple.join(',');
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.tuples.length + 1; // 0 is the empty cell
      this.ids.set(key, id);
      this.tuples.push(tuple);
    }
    return id;
  }
}

const FIELDS = ['kind', 'pc', 'ie', 'hardirq', 'line', 'stack'] as const;

function field(word: number, f: { shift: number; bits: number }): number {
  return Math.floor(word / 2 ** f.shift) % 2 ** f.bits;
}

/** Reads one column of a state as the view of `selves` sees it; `queue` gives the queued entries' classes. */
type Reader = (state: Uint32Array, selves: number[], queue: () => number[]) => number;

/** The reader of column `c` (with slot `slot`) of `geo`'s states: what the column's name says is worked out once. */
function columnReader(geo: Geometry, frames: FrameTable, c: Column, slot: Slot | null): Reader {
  if (slot === null) {
    const rq = geo.layout.runQueue;
    // Occurrences of a class among the queued entries (0, 1, 2 = more); rq.invalid: a queue past its capacity or
    // an entry naming no thread (1 = some); rq.order: which of the view's two threads is queued first (0 = not both).
    const count = (queued: number[], k: number): number => {
      let n = 0;
      for (const x of queued) if (x === k) n++;
      return Math.min(n, 2);
    };
    if (c.name === 'rq.head') return (state, _, queue) => (slotValue(state, rq.len) === 0 ? EMPTY : queue()[0] ?? INVALID);
    if (c.name === 'rq.invalid') {
      return (state, _, queue) => (slotValue(state, rq.len) > rq.entries.length || count(queue(), NONE) + count(queue(), INVALID) > 0 ? 1 : 0);
    }
    if (c.name.startsWith('rq.order.')) {
      const [x, y] = c.name.slice('rq.order.'.length).split('.').map(Number) as [number, number];
      return (_, __, queue) => {
        const [a, b] = [queue().indexOf(x), queue().indexOf(y)];
        return a < 0 || b < 0 ? 0 : a < b ? 1 : 2;
      };
    }
    const k = c.name.startsWith('rq.self') ? SELF + Number(c.name.slice('rq.self'.length)) : FIXED + geo.fixedNames.indexOf(c.name.slice('rq.'.length));
    return (_, __, queue) => count(queue(), k);
  }
  switch (c.kind) {
    case 'raw':
      return (state) => slotValue(state, slot);
    case 'thread':
      return (state, selves) => geo.classOf(slotValue(state, slot), selves);
    case 'owner':
      return (state, selves) => {
        const v = slotValue(state, slot);
        return v === 0 ? -1 : geo.classOf(v - 1, selves);
      };
    case 'frame': {
      const fmt = geo.layout.frame;
      return (state, selves) => {
        const v = slotValue(state, slot);
        if (v === 0) return 0;
        const owner = geo.classOf(field(v, fmt.owner), selves);
        return frames.ofWord(v, owner, () => [...FIELDS.map((f) => field(v, fmt[f])), owner]);
      };
    }
  }
}

/** Whether a thread id, as a bit-vector, is of class `k` for the view of `selves` of the large configuration. */
function classCond(ctx: Z3, geo: Geometry, v: BV, k: number, selves: number[]): B {
  const bits = v.size();
  const threads = geo.program.threads.length;
  const eq = (n: number): B => (n < 2 ** bits ? v.eq(ctx.BitVec.val(n, bits)) : ctx.Bool.val(false));
  const anyOf = (ids: number[]): B => (ids.length === 0 ? ctx.Bool.val(false) : ctx.Or(...ids.map(eq)));
  if (k < OTHER) return selves[k - SELF] === undefined ? ctx.Bool.val(false) : eq(selves[k - SELF]!);
  if (k === NONE) return eq(threads);
  if (k === INVALID) return threads + 1 < 2 ** bits ? v.ugt(ctx.BitVec.val(threads, bits)) : ctx.Bool.val(false);
  if (k === OTHER) return anyOf(geo.groups[geo.groupOf[selves[0]!]!]!.filter((t) => !selves.includes(t)));
  if (k >= GROUP) return anyOf(geo.groups[k - GROUP] ?? []);
  const name = geo.fixedNames[k - FIXED];
  const t = geo.program.threads.find((x) => x.name === name);
  return t === undefined ? ctx.Bool.val(false) : eq(t.id);
}

/** Whether column `c` of the large configuration's pre-state has value `value`, as the view of `selves` sees it. */
function symbolicTest(sys: SymbolicSystem, geo: Geometry, frames: FrameTable, c: Column, slot: Slot | null, value: number, selves: number[]): B {
  const { ctx } = sys;
  const pre = (s: Slot): BV => sys.pre[sys.slots.indexOf(s)]!;
  const no = ctx.Bool.val(false);
  if (slot === null) {
    const rq = geo.layout.runQueue;
    const len = pre(rq.len);
    const lbits = len.size();
    const within = (j: number): B => (j < 2 ** lbits ? len.ugt(ctx.BitVec.val(j, lbits)) : no);
    const is = (j: number, k: number): B => ctx.And(within(j), classCond(ctx, geo, pre(rq.entries[j]!), k, selves));
    const count = (k: number): BV =>
      rq.entries.map((_, j) => ctx.If(is(j, k), ctx.BitVec.val(1, 8), ctx.BitVec.val(0, 8)) as BV).reduce((a, b) => a.add(b) as BV);
    const times = (n: BV): B => (value === 2 ? n.uge(ctx.BitVec.val(2, 8)) : n.eq(ctx.BitVec.val(value, 8)));
    if (c.name === 'rq.head') return value === EMPTY ? len.eq(ctx.BitVec.val(0, lbits)) : is(0, value);
    if (c.name === 'rq.invalid') {
      const capacity = rq.entries.length;
      const over = capacity + 1 < 2 ** lbits ? len.ugt(ctx.BitVec.val(capacity, lbits)) : no;
      const bad = ctx.Or(over, ...rq.entries.map((_, j) => ctx.Or(is(j, NONE), is(j, INVALID))));
      return value === 1 ? bad : ctx.Not(bad);
    }
    if (c.name.startsWith('rq.order.')) {
      const [x, y] = c.name.slice('rq.order.'.length).split('.').map(Number) as [number, number];
      // first(a) before first(b): a at j, no b before j, and b somewhere after j.
      const before = (a: number, b: number): B =>
        ctx.Or(
          ...rq.entries.map((_, j) =>
            ctx.And(is(j, a), ...rq.entries.slice(0, j).map((__, i) => ctx.Not(is(i, b))), ctx.Or(no, ...rq.entries.slice(j + 1).map((__, i) => is(j + 1 + i, b)))),
          ),
        );
      if (value === 1) return before(x, y);
      if (value === 2) return before(y, x);
      return ctx.Not(ctx.Or(before(x, y), before(y, x)));
    }
    if (c.name.startsWith('rq.self')) return times(count(SELF + Number(c.name.slice('rq.self'.length))));
    return times(count(FIXED + geo.fixedNames.indexOf(c.name.slice('rq.'.length))));
  }
  const v = pre(slot);
  const bits = v.size();
  switch (c.kind) {
    case 'raw':
      return value < 2 ** bits ? v.eq(ctx.BitVec.val(value, bits)) : no;
    case 'thread':
      return classCond(ctx, geo, v, value, selves);
    case 'owner': {
      if (value === -1) return v.eq(ctx.BitVec.val(0, bits));
      return ctx.And(v.neq(ctx.BitVec.val(0, bits)), classCond(ctx, geo, v.sub(ctx.BitVec.val(1, bits)), value, selves));
    }
    case 'frame': {
      if (value === 0) return v.eq(ctx.BitVec.val(0, bits));
      const tuple = frames.tuples[value - 1]!;
      const fmt = geo.layout.frame;
      const parts: B[] = FIELDS.map((f, i) => {
        const { shift, bits: fb } = fmt[f];
        if (tuple[i]! >= 2 ** fb) return no;
        return ctx.Extract(shift + fb - 1, shift, v).eq(ctx.BitVec.val(tuple[i]!, fb));
      });
      const o = fmt.owner;
      parts.push(classCond(ctx, geo, ctx.Extract(o.shift + o.bits - 1, o.shift, v), tuple[FIELDS.length]!, selves));
      return ctx.And(...parts);
    }
  }
}

/** A smaller configuration of the model and every state reachable in it (a complete exploration). */
export interface SmallConfiguration {
  program: Program;
  states: Uint32Array[];
}

export interface LearnedCandidates {
  candidates: Candidate[];
  /**
   * A constraint on the pre-state that Houdini may assume when it checks the representatives of the orbits
   * (`Candidate.orbit`): every state has an image under a permutation of the interchangeable threads that no
   * representative names which satisfies it, so a step that breaks a representative from a state satisfying the
   * candidates is there if and only if one is there from a state that also satisfies this.
   */
  breaking: B;
  /** The configurations learned from: their constants. */
  from: Record<string, number>[];
  /** Views seen per group, summed over the configurations. */
  views: number;
}

/**
 * Candidates for `sys`'s configuration, learned from the complete state spaces of `small` (smaller configurations
 * of the same model), or null when they do not fit: no interchangeable threads, different code, or a small
 * configuration whose exploration is not complete within the bound.
 */
export function learnCandidates(sys: SymbolicSystem, small: SmallConfiguration[]): LearnedCandidates | null {
  const program = sys.model.program;
  const analysis = analyse(program);
  const groupNames = analysis.groups.map((ids) => program.threads[ids[0]!]!.group);
  if (groupNames.length === 0) return null;
  const large = new Geometry(program, sys.model.layout, groupNames);
  const frames = new FrameTable();
  const configs: { geo: Geometry; states: Uint32Array[] }[] = [];
  for (const { program: config, states } of small) {
    const geo = new Geometry(config, buildModel(config).layout, groupNames);
    if (!compatible(geo, large)) return null;
    configs.push({ geo, states });
  }
  const out: Candidate[] = [];
  let seen = 0;
  large.groups.forEach((ids, g) => {
    for (const arity of ARITIES) {
      if (ids.length < arity) continue;
      // The columns every configuration with that many threads in the group has alike; a raw column whose range
      // differs between configurations (a counter up to THREADS) cannot carry over.
      const from = configs.filter((c) => c.geo.groups[g]!.length >= arity);
      if (from.length === 0) continue;
      let keep = large.columns(ids.slice(0, arity));
      for (const { geo } of from) {
        const here = new Map(geo.columns(geo.groups[g]!.slice(0, arity)).map((x) => [x.column.name, x]));
        keep = keep.filter((x) => {
          const there = here.get(x.column.name);
          return there !== undefined && (x.column.kind !== 'raw' || x.slot === null || x.slot.max === there.slot?.max);
        });
      }
      const names = keep.map((x) => x.column.name);
      const rows = new RowSet(names.length);
      for (const { geo, states } of from) {
        for (const selves of tuples(geo.groups[g]!, arity)) {
          const cols = new Map(geo.columns(selves).map((x) => [x.column.name, x]));
          const at = names.map((n) => cols.get(n)!).map((x) => columnReader(geo, frames, x.column, x.slot));
          const rq = geo.layout.runQueue;
          for (const state of states) {
            // The queue's entries as classes, worked out once per state for every queue column.
            let queued: number[] | null = null;
            const queue = (): number[] => {
              if (queued !== null) return queued;
              const len = Math.min(slotValue(state, rq.len), rq.entries.length);
              queued = [];
              for (let j = 0; j < len; j++) queued.push(geo.classOf(slotValue(state, rq.entries[j]!), selves));
              return queued;
            };
            for (let i = 0; i < at.length; i++) rows.scratch[i] = at[i]!(state, selves, queue);
            rows.add();
          }
        }
      }
      seen += rows.size;
      const shape = diagram(rows.list, names.length);
      // In the large configuration, one candidate per thread (per pair of threads, in id order: the views of
      // pairs were learnt in both orders) of the group.
      let first = true;
      for (const selves of tuples(ids, arity).filter((t) => t.length < 2 || t[0]! < t[1]!)) {
        const cols = new Map(large.columns(selves).map((x) => [x.column.name, x]));
        const tests = new Map<string, B>();
        const test = (col: number, value: number): B => {
          const key = `${col}:${value}`;
          let t = tests.get(key);
          if (t === undefined) {
            const x = cols.get(names[col]!)!;
            tests.set(key, (t = symbolicTest(sys, large, frames, x.column, x.slot, value, selves)));
          }
          return t;
        };
        const who = selves.map((t) => program.threads[t]!.name).join(', ');
        out.push({ name: `view of ${who}`, cond: viewSet(sys.ctx, shape, test), slots: null, orbit: { key: `${g}/${arity}`, representative: first } });
        first = false;
      }
    }
  });
  return { candidates: out, from: small.map((c) => ({ ...c.program.constants })), views: seen, breaking: precedence(sys, large, analysis.threadIndexed) };
}

/** Distinct rows in order of first sight; a row is written into `scratch`, then `add`ed (copied when new). */
class RowSet {
  readonly list: number[][] = [];
  readonly scratch: number[];
  private readonly buckets = new Map<number, number[][]>();
  constructor(width: number) {
    this.scratch = new Array<number>(width).fill(0);
  }
  get size(): number {
    return this.list.length;
  }
  add(): void {
    const row = this.scratch;
    let h = 0x811c9dc5;
    for (const v of row) h = Math.imul(h ^ v, 0x01000193);
    const bucket = this.buckets.get(h);
    if (bucket !== undefined && bucket.some((r) => r.every((v, i) => v === row[i]))) return;
    const copy = row.slice();
    if (bucket === undefined) this.buckets.set(h, [copy]);
    else bucket.push(copy);
    this.list.push(copy);
  }
}

/**
 * Symmetry breaking by value precedence: in a fixed sequence of the slots that hold a thread id (each CPU's
 * current thread, the thread variables, the lock owners, the run queue's entries), the threads of a group that
 * the orbits' representatives do not name (all but its first two) first appear in id order. Renaming those
 * threads in order of first appearance, which leaves the representatives' views as they are, takes any state to
 * one that satisfies this; the relation commutes with the renaming.
 */
function precedence(sys: SymbolicSystem, geo: Geometry, threadIndexed: ReadonlySet<number>): B {
  const { ctx } = sys;
  const layout = geo.layout;
  // Only slots a renaming leaves in place (it moves a thread's own slots, its lock of a per-thread array and the
  // elements of a variable indexed by thread, to the thread it is renamed to): those of the CPUs, the locks,
  // global and per-CPU variables not indexed by thread, and fixed threads.
  const ids: { slot: Slot; offset: number }[] = [];
  for (const c of layout.cpus) ids.push({ slot: c.current, offset: 0 });
  geo.program.vars.forEach((v, id) => {
    if (v.type.kind !== 'thread' || threadIndexed.has(id)) return;
    layout.vars[id]!.forEach((inst, i) => {
      const fixed = v.scope === 'global' || v.scope === 'percpu' || (v.scope === 'perthread' && geo.groupOf[i] === -1);
      if (fixed) for (const slot of inst) ids.push({ slot, offset: 0 });
    });
  });
  geo.program.locks.forEach((l, i) => {
    if (l.array?.by !== 'thread') ids.push({ slot: layout.locks[i]!.owner, offset: 1 });
  });
  for (const slot of layout.runQueue.entries) ids.push({ slot, offset: 0 });
  const is = (j: number, thread: number): B => {
    const { slot, offset } = ids[j]!;
    const v = sys.pre[sys.slots.indexOf(slot)]!;
    return thread + offset < 2 ** slot.bits ? v.eq(ctx.BitVec.val(thread + offset, slot.bits)) : ctx.Bool.val(false);
  };
  const out: B[] = [];
  for (const group of geo.groups) {
    const free = group.slice(2);
    const where = free.map((t) => ids.map((_, j) => is(j, t)));
    for (let i = 0; i + 1 < free.length; i++) {
      for (let j = 0; j < ids.length; j++) {
        out.push(ctx.Implies(where[i + 1]![j]!, j === 0 ? ctx.Bool.val(false) : ctx.Or(...where[i]!.slice(0, j))));
      }
    }
  }
  return ctx.And(...out);
}

/** Views of one thread and of two: pairs see how two threads of a group relate (who is queued first). */
const ARITIES = [1, 2];

/** Every sequence of `arity` distinct members of `ids`. */
function tuples(ids: number[], arity: number): number[][] {
  if (arity === 1) return ids.map((t) => [t]);
  return ids.flatMap((a) => ids.filter((b) => b !== a).map((b) => [a, b]));
}

/**
 * The rows as a decision diagram over the columns, equal sub-diagrams shared: node n > 0 is its column and its
 * (value, child) branches, children before parents; child 0 is the end of a row. Built once per kind of view,
 * in plain numbers; each candidate then makes its terms from it.
 */
interface Diagram {
  nodes: { col: number; branches: [number, number][] }[];
  root: number;
}

function diagram(rows: number[][], width: number): Diagram {
  const nodes: Diagram['nodes'] = [{ col: width, branches: [] }];
  const ids = new Map<string, number>();
  const build = (col: number, group: number[][]): number => {
    if (col === width) return 0;
    const byValue = new Map<number, number[][]>();
    for (const r of group) {
      const list = byValue.get(r[col]!);
      if (list === undefined) byValue.set(r[col]!, [r]);
      else list.push(r);
    }
    const branches = [...byValue].sort((a, b) => a[0] - b[0]).map(([v, g]): [number, number] => [v, build(col + 1, g)]);
    const key = `${col}|${branches.join(';')}`;
    let id = ids.get(key);
    if (id === undefined) {
      id = nodes.length;
      nodes.push({ col, branches });
      ids.set(key, id);
    }
    return id;
  };
  return { nodes, root: build(0, rows) };
}

/** A diagram as a Z3 term: "the state's view is one of the rows", with `test(col, value)` for "column = value". */
function viewSet(ctx: Z3, d: Diagram, test: (col: number, value: number) => B): B {
  const terms: B[] = [ctx.Bool.val(true)];
  for (let n = 1; n < d.nodes.length; n++) {
    const { col, branches } = d.nodes[n]!;
    const parts = branches.map(([v, child]) => (child === 0 ? test(col, v) : ctx.And(test(col, v), terms[child]!)));
    terms.push(parts.length === 1 ? parts[0]! : ctx.Or(...parts));
  }
  return terms[d.root]!;
}
