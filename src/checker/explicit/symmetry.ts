// Symmetry reduction over threads that run identical code. Instances of one thread array that start the same way
// (all ready, or all dormant: not running on a CPU), share their code, stack depth and forged frame, and that the
// program never names one by one (no `worker[i]`, no constant `worker[1]`, no ordering comparison of threads)
// are interchangeable: swapping two of them everywhere in a state (their slots, and every thread value that names
// them: CPU current threads, lock owners, run-queue entries, thread variables, frame owners) maps the transition
// relation onto itself, action for action, since actions name CPUs and pcs, never threads. So the search may keep
// one state per orbit. Breadth-first depths are preserved too: a path of representatives replays, with the same
// actions, from the real initial state, which is how counterexamples are rebuilt (hashcompact.ts, `replaying`).
//
// The representative is canonical: each interchangeable thread gets a key that does not depend on thread
// numbering (its own slots, with thread values classed as itself / another interchangeable thread / a fixed
// thread, its run-queue position, the CPU it runs on, the locks it holds); threads are renumbered in key order,
// and among threads with equal keys every renumbering is tried and the smallest state vector kept.
//
// Properties about one particular thread along a path (no-starvation) are not preserved: a representative path
// may swap threads at every step. Mutex and wait-queue wake-ups go in thread order, so models with mutexes or wait
// queues get no reduction.

import type { Expr, Instr, Program, PropertyId } from '../../ir/ir.js';
import type { Layout } from '../../ir/layout.js';
import { unreachable } from '../../ir/unreachable.js';
import type { Model } from '../../ir/model.js';
import { Geometry, runtime } from './geometry.js';

export interface Symmetry {
  /** The representative of `s`'s orbit, written into `out` (returned). */
  canonical(s: Uint32Array, out: Uint32Array): Uint32Array;
  /** Properties the reduction does not preserve. */
  breaks(property: PropertyId): boolean;
  /** `worker[0..2]`: the groups of interchangeable threads. */
  describe(): string[];
  /** For each thread, the first thread of its group (itself when it has none). */
  readonly representative: Int32Array;
}

// How a slot's value changes when threads are renumbered.
const COPY = 0;
const THREAD = 1; // a thread id (none stays none)
const OWNER = 2; // 0 = free, else 1 + thread id
const FRAME = 3; // a frame word: its owner field (empty cells are 0)
const QUEUE = 4; // a run-queue entry: a thread id while below the queue's length

/** Thread array instances that may be interchangeable, before the program's code is looked at. */
function candidateGroups(program: Program): number[][] {
  const byGroup = new Map<string, number[]>();
  for (const t of program.threads) {
    if (t.start.kind === 'running') continue;
    const list = byGroup.get(t.group) ?? [];
    list.push(t.id);
    byGroup.set(t.group, list);
  }
  return [...byGroup.values()].filter((ids) => {
    if (ids.length < 2) return false;
    const first = program.threads[ids[0]!]!;
    return ids.every((id) => {
      const t = program.threads[id]!;
      return t.start.kind === first.start.kind && t.unit === first.unit && t.forged === first.forged && t.stackDepth === first.stackDepth;
    });
  });
}

function* exprsOf(instr: Instr): Generator<Expr> {
  switch (instr.op) {
    case 'assign':
      yield instr.value;
      yield* lvalueExprs(instr.target);
      return;
    case 'branch':
    case 'assert':
      yield instr.cond;
      return;
    case 'tpr':
      yield instr.value;
      return;
    case 'raise':
      if (instr.cpu !== null) yield instr.cpu;
      return;
    case 'try_acquire':
      if (instr.index !== undefined) yield instr.index.expr;
      yield* lvalueExprs(instr.target);
      return;
    case 'pick':
    case 'ack_read':
      yield* lvalueExprs(instr.target);
      return;
    case 'rmw':
      yield instr.read;
      yield* instr.operands;
      yield* lvalueExprs(instr.target);
      yield* lvalueExprs(instr.cell);
      return;
    case 'eoi_id':
    case 'pmr':
    case 'deactivate':
      yield instr.value;
      return;
    case 'alternative':
      if (instr.assign !== null) {
        yield instr.assign.value;
        yield* lvalueExprs(instr.assign.target);
      }
      return;
    case 'acquire':
    case 'release':
      if (instr.index !== undefined) yield instr.index.expr;
      return;
    case 'enqueue':
    case 'dequeue':
    case 'wake':
    case 'spawn':
    case 'switch_to':
    case 'restore_context':
    case 'free_stack':
    case 'save_sp':
    case 'load_sp':
    case 'set_current':
      yield instr.thread;
      return;
    case 'set_state':
      yield instr.thread;
      yield instr.value;
      return;
    case 'pick_where':
      yield* lvalueExprs(instr.target);
      yield instr.cond;
      return;
    case 'work':
    case 'preempt_disable':
    case 'local_bh_disable':
    case 'local_bh_enable':
    case 'preempt_enable':
    case 'jump':
    case 'call':
    case 'ret':
    case 'cli':
    case 'sti':
    case 'irqsave':
    case 'irqrestore':
    case 'eoi':
    case 'eoi_highest':
    case 'ack':
    case 'unpend':
    case 'iret':
    case 'eret':
    case 'hlt':
    case 'wfi':
    case 'halted':
    case 'irq_exit':
    case 'save_elr':
    case 'restore_elr':
    case 'exit':
    case 'end':
    case 'choose':
    case 'sleep':
    case 'prepare_to_wait':
    case 'finish_wait':
    case 'wake_one':
    case 'wake_all':
    case 'to_user':
    case 'syscall':
    case 'svc':
    case 'sysret':
    case 'int':
      return;
    default:
      unreachable(instr);
  }
}

function* lvalueExprs(l: { index: Expr | null; instance: import('../../ir/ir.js').Instance }): Generator<Expr> {
  if (l.index !== null) yield l.index;
  if (l.instance.kind === 'of') yield l.instance.which;
}

function* subExprs(e: Expr): Generator<Expr> {
  yield e;
  switch (e.kind) {
    case 'var':
      if (e.index !== null) yield* subExprs(e.index);
      if (e.instance.kind === 'of') yield* subExprs(e.instance.which);
      return;
    case 'unary':
      yield* subExprs(e.operand);
      return;
    case 'binary':
      yield* subExprs(e.left);
      yield* subExprs(e.right);
      return;
    case 'thread_state':
      yield* subExprs(e.thread);
      return;
    case 'thread_of':
      yield* subExprs(e.index);
      return;
    case 'holder':
      if (e.index !== undefined) yield* subExprs(e.index.expr);
      return;
    case 'const':
    case 'current':
    case 'cpu':
    case 'self':
    case 'rq_len':
    case 'cpu_state':
    case 'line_state':
    case 'wq_len':
      return;
    default:
      unreachable(e);
  }
}

interface Analysis {
  groups: number[][];
  /** Variables indexed by a thread (`T[thread]`): their elements move with the threads. */
  threadIndexed: Set<number>;
}

/** The interchangeable groups of a program, after ruling out every group its code tells apart. */
export function analyse(program: Program): Analysis {
  const none: Analysis = { groups: [], threadIndexed: new Set() };
  if (program.locks.some((l) => l.kind === 'mutex') || program.waitQueues.length > 0) return none;
  // A lock per thread (`lock L[thread]`) would have to move with its thread: not supported.
  if (program.locks.some((l) => l.array?.by === 'thread')) return none;
  // Declared run queues (one per CPU, per thread, ...): their order of entries is not renumbered. Not supported.
  if ((program.runQueues ?? []).length > 0) return none;
  // A split switch keeps a thread id per CPU (the stack the CPU is on) that the renumbering does not move.
  if (program.units.some((u) => u.code.some((i) => i.op === 'save_sp' || i.op === 'load_sp' || i.op === 'set_current'))) return none;
  // A scan of the threads (`pick x where`) finds them in declaration order.
  if (program.units.some((u) => u.code.some((i) => i.op === 'pick_where'))) return none;
  let groups = candidateGroups(program);
  const named = new Set<string>();
  const namedIds = new Set<number>();
  const threadIndexed = new Set<number>();
  let ordered = false;
  const all: Expr[] = [];
  for (const unit of program.units) for (const instr of unit.code) for (const e of exprsOf(instr)) all.push(e);
  for (const inv of program.invariants) all.push(inv.cond);
  // A `waits for` condition with `self` names its instance (bound to it): that group is not interchangeable.
  for (const t of program.threads) if (t.waitsFor !== undefined) all.push(t.waitsFor);
  for (const root of all) {
    for (const e of subExprs(root)) {
      if (e.kind === 'thread_of') named.add(e.group);
      if (e.kind === 'const' && e.type.kind === 'thread') namedIds.add(e.value);
      if (e.kind === 'binary' && ['<', '<=', '>', '>='].includes(e.op) && (e.left.type.kind === 'thread' || e.right.type.kind === 'thread')) ordered = true;
      if (e.kind === 'var' && e.index !== null && e.index.type.kind === 'thread') threadIndexed.add(e.var);
    }
    // Assignment targets are lvalues, not Exprs: their thread-typed indexes count too.
  }
  for (const unit of program.units) {
    for (const instr of unit.code) {
      if ((instr.op === 'assign' || instr.op === 'pick' || instr.op === 'try_acquire' || instr.op === 'ack_read' || instr.op === 'rmw') && instr.target.index?.type.kind === 'thread') {
        threadIndexed.add(instr.target.var);
      }
      if (instr.op === 'rmw' && instr.cell.index?.type.kind === 'thread') threadIndexed.add(instr.cell.var);
    }
  }
  if (ordered) return none;
  // A perthread variable indexed by a thread would need both coordinates renumbered: not supported.
  for (const v of threadIndexed) if (program.vars[v]!.scope === 'perthread') return none;
  groups = groups.filter((ids) => !named.has(program.threads[ids[0]!]!.group) && ids.every((id) => !namedIds.has(id)));
  return { groups, threadIndexed };
}

/** The symmetry of a model's interchangeable threads, or null when it has none. */
export function symmetryOf(model: Model): Symmetry | null {
  const analysis = analyse(model.program);
  if (analysis.groups.length === 0) return null;
  return new ThreadSymmetry(model.program, model.layout, analysis);
}

class ThreadSymmetry implements Symmetry {
  private readonly g: Geometry;
  private readonly rt: ReturnType<typeof runtime>;
  private readonly threads: number;
  /** Per slot: how its value is renumbered, and for slots that move with a thread, (family, thread). */
  private readonly relabel: Uint8Array;
  private readonly family: Int32Array;
  private readonly coord: Int32Array;
  /** familySlot[f * threads + t]: the slot of family f for thread t. */
  private readonly familySlot: Int32Array;
  /** Per slot: its position in the run queue, or -1. */
  private readonly queuePosition: Int32Array;
  private readonly families: number;
  readonly representative: Int32Array;
  /** Whether a thread belongs to some group. */
  private readonly symmetric: Uint8Array;
  private readonly groups: number[][];
  /** A frame word's owner field: (word >>> shift) & mask; unit = 2^shift. */
  private readonly frameOwner: { shift: number; mask: number; unit: number };
  // Scratch
  private readonly perm: Int32Array;
  private readonly keys: Float64Array[];
  private readonly candidate: Uint32Array;
  private readonly order: number[][];
  /** keySlot[t * families + f]: familySlot[f * threads + t], thread by thread. */
  private readonly keySlot: Int32Array;
  private readonly queueOf: Float64Array;
  private readonly cpuOf: Float64Array;
  private readonly locksOf: Float64Array;

  constructor(
    private readonly program: Program,
    layout: Layout,
    analysis: Analysis,
  ) {
    this.g = new Geometry(program, layout);
    this.rt = runtime(this.g);
    this.threads = program.threads.length;
    this.groups = analysis.groups;
    const slots = layout.slots.length;
    this.relabel = new Uint8Array(slots);
    this.family = new Int32Array(slots).fill(-1);
    this.coord = new Int32Array(slots).fill(-1);
    const families: number[][] = []; // families[f][t] = slot, or -1 for a thread without one
    const addFamily = (perThread: number[]) => {
      const f = families.length;
      families.push(perThread);
      perThread.forEach((slot, t) => {
        if (slot < 0) return;
        this.family[slot] = f;
        this.coord[slot] = t;
      });
    };
    const g = this.g;
    addFamily(layout.threads.map((t) => g.of(t.state)));
    addFamily(layout.threads.map((t) => g.of(t.freed)));
    addFamily(layout.threads.map((t) => g.of(t.stack.sp)));
    if (layout.threads.some((t) => t.stack.act !== null)) addFamily(layout.threads.map((t) => g.of(t.stack.act!)));
    // A thread's preempt_count and softirq count are its own, and move with it.
    if (layout.threads.some((t) => t.preempt !== null)) addFamily(layout.threads.map((t) => (t.preempt === null ? -1 : g.of(t.preempt))));
    if (layout.threads.some((t) => t.softirq !== null)) addFamily(layout.threads.map((t) => (t.softirq === null ? -1 : g.of(t.softirq))));
    // Threads of one group have one depth; a thread outside every group may have another (it never moves).
    const maxDepth = Math.max(...layout.threads.map((t) => t.stack.depth));
    for (let i = 0; i < maxDepth; i++) {
      addFamily(layout.threads.map((t) => (t.stack.cells[i] === undefined ? -1 : g.of(t.stack.cells[i]!))));
      for (const t of layout.threads) if (t.stack.cells[i] !== undefined) this.relabel[g.of(t.stack.cells[i]!)] = FRAME;
    }
    program.vars.forEach((v, id) => {
      const instances = layout.vars[id]!;
      const thread = v.type.kind === 'thread';
      if (v.scope === 'perthread') {
        for (let e = 0; e < (v.length ?? 1); e++) addFamily(instances.map((inst) => g.of(inst[e]!)));
      } else if (v.scope === 'local') {
        // A local at each level of a thread's stack moves with the thread; a handler stack's stays where it is.
        for (let level = 0; level <= maxDepth; level++) {
          const perThread = layout.threads.map((t) => {
            const local = t.stack.locals[id] ?? null;
            const slot = local === null ? undefined : local.slots[level - local.from];
            return slot === undefined ? -1 : g.of(slot);
          });
          if (perThread.some((slot) => slot >= 0)) addFamily(perThread);
        }
      } else if (analysis.threadIndexed.has(id)) {
        for (const inst of instances) addFamily(inst.map((slot) => g.of(slot)));
      }
      if (thread) for (const inst of instances) for (const slot of inst) this.relabel[g.of(slot)] = THREAD;
    });
    for (const l of layout.locks) this.relabel[g.of(l.owner)] = OWNER;
    this.queuePosition = new Int32Array(slots).fill(-1);
    layout.runQueue.entries.forEach((e, j) => {
      this.relabel[g.of(e)] = QUEUE;
      this.queuePosition[g.of(e)] = j;
    });
    for (const c of layout.cpus) {
      this.relabel[g.of(c.current)] = THREAD;
      if (c.elr !== null) this.relabel[g.of(c.elr)] = FRAME;
      for (const st of c.handlerStacks) for (const cell of st.cells) this.relabel[g.of(cell)] = FRAME;
    }
    this.families = families.length;
    this.familySlot = new Int32Array(this.families * this.threads).fill(-1);
    families.forEach((perThread, f) => perThread.forEach((slot, t) => (this.familySlot[f * this.threads + t] = slot)));
    this.representative = Int32Array.from({ length: this.threads }, (_, t) => t);
    this.symmetric = new Uint8Array(this.threads);
    for (const ids of this.groups) for (const t of ids) {
      this.representative[t] = ids[0]!;
      this.symmetric[t] = 1;
    }
    const owner = layout.frame.owner;
    this.frameOwner = { shift: owner.shift, mask: 2 ** owner.bits - 1, unit: 2 ** owner.shift };
    this.perm = new Int32Array(this.threads);
    this.keys = Array.from({ length: this.threads }, () => new Float64Array(this.families + 3));
    this.candidate = new Uint32Array(layout.words);
    this.order = this.groups.map((ids) => [...ids]);
    this.keySlot = new Int32Array(this.families * this.threads);
    for (let f = 0; f < this.families; f++) for (let t = 0; t < this.threads; t++) this.keySlot[t * this.families + f] = this.familySlot[f * this.threads + t]!;
    this.queueOf = new Float64Array(this.threads);
    this.cpuOf = new Float64Array(this.threads);
    this.locksOf = new Float64Array(this.threads);
  }

  breaks(property: PropertyId): boolean {
    return property === 'no-starvation';
  }

  describe(): string[] {
    return this.groups.map((ids) => {
      const first = this.program.threads[ids[0]!]!;
      const last = this.program.threads[ids[ids.length - 1]!]!;
      return `${first.group}[${first.index}..${last.index}]`;
    });
  }

  /** The per-state parts of every thread's key: its run-queue position, its CPU and the locks it holds. */
  private placeThreads(s: Uint32Array): void {
    const { rd } = this.rt;
    const g = this.g;
    const threads = this.threads;
    const { queueOf, cpuOf, locksOf } = this;
    queueOf.fill(255);
    cpuOf.fill(255);
    locksOf.fill(0);
    const len = rd(s, g.rqLen);
    for (let j = 0; j < len; j++) {
      const t = rd(s, g.rqEntry[j]!);
      if (t < threads) queueOf[t] = j;
    }
    for (let c = 0; c < g.cpus; c++) {
      const t = rd(s, g.cpuCurrent[c]!);
      if (t < threads) cpuOf[t] = c;
    }
    for (let l = 0; l < g.lockOwner.length; l++) {
      const owner = rd(s, g.lockOwner[l]!);
      if (owner >= 1 && owner <= threads) locksOf[owner - 1]! += 2 ** l;
    }
  }

  /**
   * Thread t's key, after placeThreads(s): the value of each of its families' slots, where a thread id (in a thread
   * slot, or as a frame word's owner) becomes its class as t sees it: 0 for t itself, 1 for another interchangeable
   * thread, 2 + id for a fixed one; then its run-queue position, CPU and locks.
   */
  private computeKey(s: Uint32Array, t: number): Float64Array {
    const { SW, SS, SM } = this.g;
    const key = this.keys[t]!;
    const families = this.families;
    const threads = this.threads;
    const symmetric = this.symmetric;
    const base = t * families;
    const { shift, mask, unit } = this.frameOwner;
    for (let f = 0; f < families; f++) {
      const slot = this.keySlot[base + f]!;
      if (slot < 0) {
        key[f] = -1;
        continue;
      }
      const value = ((s[SW[slot]!]! >>> SS[slot]!) & SM[slot]!) >>> 0;
      const how = this.relabel[slot]!;
      if (how === THREAD) key[f] = value === t ? 0 : value < threads && symmetric[value] === 1 ? 1 : 2 + value;
      else if (how === FRAME && value !== 0) {
        const owner = (value >>> shift) & mask;
        const ownerClass = owner === t ? 0 : owner < threads && symmetric[owner] === 1 ? 1 : 2 + owner;
        key[f] = (value - owner * unit) * 4096 + ownerClass;
      } else key[f] = value;
    }
    key[families] = this.queueOf[t]!;
    key[families + 1] = this.cpuOf[t]!;
    key[families + 2] = this.locksOf[t]!;
    return key;
  }

  private compareKeys(a: number, b: number): number {
    const ka = this.keys[a]!;
    const kb = this.keys[b]!;
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! - kb[i]!;
    return 0;
  }

  /** Writes π(s) into out, π given as perm[t]. */
  private apply(s: Uint32Array, out: Uint32Array): void {
    const { rd, wr } = this.rt;
    const perm = this.perm;
    const none = this.threads;
    out.set(s);
    const len = rd(s, this.g.rqLen);
    const slots = this.relabel.length;
    for (let i = 0; i < slots; i++) {
      const how = this.relabel[i]!;
      const f = this.family[i]!;
      if (how === COPY && f < 0) continue;
      let v = rd(s, i);
      switch (how) {
        case THREAD:
          if (v < none) v = perm[v]!;
          break;
        case OWNER:
          if (v !== 0) v = perm[v - 1]! + 1;
          break;
        case FRAME:
          if (v !== 0) {
            const { shift, mask, unit } = this.frameOwner;
            const owner = (v >>> shift) & mask;
            if (owner < none) v = v - owner * unit + perm[owner]! * unit;
          }
          break;
        case QUEUE:
          if (this.queuePosition[i]! < len) v = perm[v]!;
          break;
        default:
          break;
      }
      const target = f < 0 ? i : this.familySlot[f * this.threads + perm[this.coord[i]!]!]!;
      wr(out, target, v);
    }
  }

  canonical(s: Uint32Array, out: Uint32Array): Uint32Array {
    const perm = this.perm;
    for (let t = 0; t < this.threads; t++) perm[t] = t;
    this.placeThreads(s);
    // Sort each group by key (insertion sort: groups are small); the i-th smallest key gets the group's i-th id.
    let tied = false;
    for (let gi = 0; gi < this.groups.length; gi++) {
      const ids = this.groups[gi]!;
      const order = this.order[gi]!;
      for (let i = 0; i < ids.length; i++) {
        const t = ids[i]!;
        this.computeKey(s, t);
        let j = i - 1;
        while (j >= 0 && (this.compareKeys(order[j]!, t) || order[j]! - t) > 0) {
          order[j + 1] = order[j]!;
          j--;
        }
        order[j + 1] = t;
      }
      for (let i = 0; i < ids.length; i++) {
        perm[order[i]!] = ids[i]!;
        if (i > 0 && this.compareKeys(order[i - 1]!, order[i]!) === 0) tied = true;
      }
    }
    if (!tied) {
      let identity = true;
      for (let t = 0; t < this.threads && identity; t++) identity = perm[t] === t;
      if (identity) out.set(s); // already the representative: nothing to renumber
      else this.apply(s, out);
      return out;
    }
    // The runs of equal keys.
    const ties: number[][] = [];
    this.order.forEach((order) => {
      let start = 0;
      for (let i = 1; i <= order.length; i++) {
        if (i === order.length || this.compareKeys(order[i - 1]!, order[i]!) !== 0) {
          if (i - start > 1) ties.push(order.slice(start, i));
          start = i;
        }
      }
    });
    this.apply(s, out);
    // Equal keys: every renumbering among them, keeping the smallest state vector.
    const best = out;
    const base = Int32Array.from(this.perm);
    const slotsOf = ties.map((tie) => tie.map((t) => base[t]!));
    const visit = (k: number): void => {
      if (k === ties.length) {
        this.apply(s, this.candidate);
        if (less(this.candidate, best)) best.set(this.candidate);
        return;
      }
      const tie = ties[k]!;
      const targets = slotsOf[k]!;
      permutations(targets.length, (p) => {
        tie.forEach((t, i) => (this.perm[t] = targets[p[i]!]!));
        visit(k + 1);
      });
    };
    visit(0);
    return best;
  }
}

function less(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

/** Calls `each` with every permutation of 0..n-1 (Heap's algorithm; the array is reused). */
function permutations(n: number, each: (p: Int32Array) => void): void {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  const c = new Int32Array(n);
  each(p);
  let i = 0;
  while (i < n) {
    if (c[i]! < i) {
      const j = i % 2 === 0 ? 0 : c[i]!;
      const tmp = p[j]!;
      p[j] = p[i]!;
      p[i] = tmp;
      each(p);
      c[i]!++;
      i = 0;
    } else {
      c[i] = 0;
      i++;
    }
  }
}
