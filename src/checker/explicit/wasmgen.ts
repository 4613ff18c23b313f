// The compiled successor function (compile.ts), written as a WebAssembly module (wasm.ts) from the validated IR:
// src/hw's rules specialised to one program, held to them on every transition of the test and seed models
// (test/checker/compiled.test.ts). V8 compiles such a
// module with its baseline compiler in about a millisecond and optimises hot functions on its own, without the
// speculation, feedback and deoptimisation of JavaScript, so a search of tens of thousands of states no longer
// spends most of its time compiling (docs/performance.md, "The WebAssembly back end").
//
// Only integers from the IR and its layout enter the module, as immediates and initial memory; the module has no
// name section. Its memory holds three state buffers (S, the state being expanded; N, the successor; A, for a
// state a caller passes that is neither), the action and written-word lists, the acquire/EOI events of the last
// step, the layout tables of geometry.ts, and the search core's control block. The module also holds the search
// core (wasmsearch.ts): an instance made for one search keeps its visited states in its memory, beyond the map.
// All arithmetic is on i32: a program is only compiled here when every slot fits 31 bits and every value an
// expression can take, and every intermediate result, fits an i32 (`WasmUnsupported` otherwise, and the engines
// ask the reference model for every transition), so i32 arithmetic gives exactly the reference's numbers.

import { Access } from '../../hw/access.js';
import type { Cond, Val } from '../../hw/domain.js';
import { evaluate, truth } from '../../hw/expr.js';
import { expressionBounds } from '../../ir/range.js';
import type { Machine } from '../../hw/machine.js';
import type { ArchProfile } from '../../hw/profile.js';
import { profileOf } from '../../hw/profiles.js';
import { apply, canEverStep, enabledWith, recursiveAcquire, urgency } from '../../hw/transition.js';
import type { Program } from '../../ir/ir.js';
import type { CpuSlots, Layout, Slot } from '../../ir/layout.js';
import { ActionKind, actionKind, encodeAction, type Action, type ModelEvent } from '../../ir/model.js';
import { watchBits, watchedFacts, type WatchBits } from '../../hw/watch.js';
import { figureSlots } from './figures.js';
import type { Geometry } from './geometry.js';
import { seedsA } from './hashing.js';
import { wasmMemoryMaximum } from './memory.js';
import { ScopedMap, StagedOps, StagedState, type Exits } from './staged.js';
import { Code, ModuleWriter, op } from './wasm.js';
import { CTL_WORDS, emitCore } from './wasmsearch.js';

/** The program uses numbers or slots this back end does not cover; compile.ts falls back to JavaScript. */
export class WasmUnsupported extends Error {}

const SLOW = 1;
const WARNED = 2;
const EVENT_EOI = 1;
const EVENT_ACQUIRE = 2;
/** Events one step can make (an acquire or an EOI); room for more. */
const EVENT_ROOM = 8;
const EVENT_WORDS = 8;

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

/** A value to write: a constant (placed in its field when generating) or code that leaves an i32. */
type Value = number | (() => void);

/** Where things are in the module's memory (byte offsets). */
class MemoryMap {
  private next = 0;
  readonly S: number;
  readonly N: number;
  readonly A: number;
  readonly OUT: number;
  readonly DIRTY: number;
  readonly MARK: number;
  readonly EV: number;
  readonly CTL: number;
  readonly FIG: number;
  private readonly contents: [number, ArrayLike<number>][] = [];

  constructor(words: number, room: number, figures: number) {
    this.S = this.take(words);
    this.N = this.take(words);
    this.A = this.take(words);
    this.OUT = this.take(room);
    this.DIRTY = this.take(words);
    this.MARK = this.take(words);
    this.EV = this.take(EVENT_ROOM * EVENT_WORDS);
    this.CTL = this.take(CTL_WORDS);
    this.FIG = this.take(figures);
  }

  private take(words: number): number {
    const at = this.next;
    this.next += Math.max(words, 1) * 4;
    return at;
  }

  /** A table of i32 in memory; its byte offset. */
  table(values: ArrayLike<number>): number {
    const at = this.take(values.length);
    this.contents.push([at, values]);
    return at;
  }

  get bytes(): number {
    return this.next;
  }

  write(module: ModuleWriter): void {
    for (const [at, values] of this.contents) if (values.length > 0) module.words(at, values);
  }
}

/** What the JavaScript side needs to run a module. */
export interface WasmModule {
  bytes: Uint8Array<ArrayBuffer>;
  words: number;
  room: number;
  S: number;
  N: number;
  A: number;
  OUT: number;
  DIRTY: number;
  EV: number;
  /** The search core (wasmsearch.ts): its control block, its figures' worsts and the first free byte. */
  core: { CTL: number; FIG: number; figures: number; heap: number };
}

/** Generates the module of a program, or throws WasmUnsupported. */
export function wasmModule(m: Machine, g: Geometry, layout: Layout, room: number): WasmModule {
  for (const slot of layout.slots) if (slot.bits > 31) throw new WasmUnsupported(`a 32-bit slot`);
  const gen = new WasmGenerator(m, g, layout, room);
  return gen.module();
}

/** The events recorded by the last step of a module, as the reference model's events. */
export function decodeEvents(ev: Int32Array, count: number, out: ModelEvent[], heldList: (mask: number) => number[]): void {
  for (let i = 0; i < count; i++) {
    const at = i * EVENT_WORDS;
    const cpu = ev[at + 1]!;
    if (ev[at] === EVENT_EOI) out.push({ kind: 'eoi', cpu, line: ev[at + 2]! });
    else
      out.push({
        kind: 'acquire',
        cpu,
        lock: ev[at + 2]!,
        owner: ev[at + 3]!,
        hardirq: ev[at + 4]!,
        ie: ev[at + 5] === 1,
        held: heldList(ev[at + 6]!),
        trylock: ev[at + 7] === 1,
      });
  }
}

class WasmGenerator {
  private readonly mod: ModuleWriter;
  /** The rules of src/hw, staged: they write the action functions. */
  private readonly ops: StagedOps;
  private readonly access: Access;
  private readonly profile: ArchProfile;
  /** Byte offsets of the pc tables the staged rules look up (Access.resolved, Access.returnPoints). */
  private readonly tables = new Map<readonly number[], number>();
  private readonly mem: MemoryMap;
  // Runtime functions.
  private readonly fTouch: number;
  private readonly fRd: number;
  private readonly fWr: number;
  /** Slot tables by slot id: word, shift, mask, clear mask (Geometry's SW, SS, SM, SC). */
  private readonly tSW: number;
  private readonly tSS: number;
  private readonly tSM: number;
  private readonly tSC: number;
  /** Tables of slot ids of the slot families the rules address by a value (stack cells, thread states). */
  private readonly families = new Map<readonly Slot[], number>();
  private readonly fBegin: number;
  private readonly fEvent: number;
  // Generated functions.
  private readonly fActions: number;
  private readonly fApply: number;
  private readonly fStateCheck: number;
  private readonly fProgress: number;
  private readonly fWatch: number;
  private readonly fDirtyCount: number;
  private readonly fFatal: number;
  private readonly fEventCount: number;
  // Globals.
  private readonly gCount: number;
  private readonly gEpoch: number;
  private readonly gFatal: number;
  private readonly gEvents: number;
  // Tables (byte offsets).
  private readonly tSEED: number;
  private readonly figures: Slot[];
  /** Where the watched facts' bits are (null: they do not fit a word). */
  private readonly watch: WatchBits | null;

  constructor(
    private readonly m: Machine,
    g: Geometry,
    private readonly layout: Layout,
    private readonly room: number,
  ) {
    this.figures = figureSlots(layout);
    this.watch = watchBits(m.program.locks.length, m.program.cpus, m.program.lines.length);
    const mem = new MemoryMap(layout.words, room, this.figures.length);
    this.mem = mem;
    this.tSEED = mem.table(seedsA(layout.words));
    this.tSW = mem.table(g.SW);
    this.tSS = mem.table(g.SS);
    this.tSM = mem.table(g.SM);
    this.tSC = mem.table(g.SC);
    this.ops = new StagedOps((values) => {
      const at = this.tables.get(values);
      if (at === undefined) throw new Error('internal: a staged table the module does not lay out');
      return at;
    });
    this.access = new Access(m, this.ops);
    this.profile = profileOf(m.program.arch);
    // One word past each table: StagedOps.lookup and the families' accesses clamp their loads there.
    for (const table of [this.access.resolved, this.access.returnPoints]) this.tables.set(table, mem.table([...table, 0]));
    const stacks = [...layout.threads.map((t) => t.stack), ...layout.cpus.flatMap((cpu) => cpu.handlerStacks)];
    for (const family of [this.access.stateSlots, this.access.freedSlots, ...stacks.map((s) => s.cells)]) {
      if (family.length > 2) this.families.set(family, mem.table([...family.map((slot) => g.of(slot)), 0]));
    }
    this.checkRanges();

    this.mod = new ModuleWriter(Math.ceil(mem.bytes / 65536), wasmMemoryMaximum());
    const mod = this.mod;
    this.gCount = mod.global(0);
    this.gEpoch = mod.global(1);
    this.gFatal = mod.global(0);
    this.gEvents = mod.global(0);
    this.fTouch = mod.declare(1, 0);
    this.fRd = mod.declare(2, 1);
    this.fWr = mod.declare(3, 0);
    this.fBegin = mod.declare(0, 0);
    this.fEvent = mod.declare(8, 0);
    this.fActions = mod.declare(1, 1);
    this.fApply = mod.declare(2, 1);
    this.fStateCheck = mod.declare(1, 1);
    this.fProgress = mod.declare(1, 1);
    this.fWatch = mod.declare(1, 1);
    this.fDirtyCount = mod.declare(0, 1);
    this.fFatal = mod.declare(0, 1);
    this.fEventCount = mod.declare(0, 1);
  }

  private get program(): Program {
    return this.m.program;
  }

  private cpu(c: number): CpuSlots {
    return this.layout.cpus[c]!;
  }

  module(): WasmModule {
    this.runtime();
    this.actionsFunction();
    this.applyFunction();
    this.stateCheckFunction();
    this.progressFunction();
    this.watchFunction();
    for (const [f, g] of [
      [this.fDirtyCount, this.gCount],
      [this.fFatal, this.gFatal],
      [this.fEventCount, this.gEvents],
    ] as const) {
      this.mod.body(f).gget(g);
    }
    const core = emitCore(this.mod, {
      words: this.layout.words,
      S: this.mem.S,
      N: this.mem.N,
      OUT: this.mem.OUT,
      DIRTY: this.mem.DIRTY,
      CTL: this.mem.CTL,
      SEED: this.tSEED,
      FIG: this.mem.FIG,
      figures: this.figures,
      fActions: this.fActions,
      fApply: this.fApply,
      fStateCheck: this.fStateCheck,
      fProgress: this.fProgress,
      fWatch: this.fWatch,
      gDirty: this.gCount,
      gEvents: this.gEvents,
      gFatal: this.gFatal,
    });
    this.mod.exportMemory('memory');
    this.mod.exportFunc('run', core.run);
    this.mod.exportFunc('insert', core.insert);
    this.mod.exportFunc('find', core.find);
    this.mod.exportFunc('rehash', core.rehash);
    this.mod.exportFunc('absorb', core.absorb);
    this.mod.exportFunc('actions', this.fActions);
    this.mod.exportFunc('apply', this.fApply);
    this.mod.exportFunc('stateCheck', this.fStateCheck);
    this.mod.exportFunc('progress', this.fProgress);
    this.mod.exportFunc('watch', this.fWatch);
    this.mod.exportFunc('dirtyCount', this.fDirtyCount);
    this.mod.exportFunc('fatal', this.fFatal);
    this.mod.exportFunc('eventCount', this.fEventCount);
    this.mem.write(this.mod);
    const mem = this.mem;
    return {
      bytes: this.mod.bytes(),
      words: this.layout.words,
      room: this.room,
      S: mem.S,
      N: mem.N,
      A: mem.A,
      OUT: mem.OUT,
      DIRTY: mem.DIRTY,
      EV: mem.EV,
      core: { CTL: mem.CTL, FIG: mem.FIG, figures: this.figures.length, heap: (mem.bytes + 7) & ~7 },
    };
  }

  // --------------------------------------------------------------------------------------------------------
  // Code helpers. Every function that reads or writes a state takes its address as parameter 0.

  /** A slot whose position is known, read from the state at local `b`. */
  private rdS(c: Code, slot: Slot, b = 0): Code {
    c.get(b).load(slot.word * 4);
    if (slot.shift !== 0) c.i32(slot.shift).op(op.shr_u);
    return c.i32(2 ** slot.bits - 1).op(op.and);
  }

  /** Words the function being generated writes, when its touches are gathered at its start. */
  private gathered: Set<number> | null = null;

  /** Writes a slot whose position is known, noting its word as written. */
  private wrS(c: Code, slot: Slot, v: Value, b = 0): void {
    const w = slot.word * 4;
    if (this.gathered !== null) this.gathered.add(slot.word);
    else c.i32(slot.word).call(this.fTouch);
    const mask = 2 ** slot.bits - 1;
    const clear = ~(mask * 2 ** slot.shift) | 0;
    c.get(b);
    c.get(b).load(w).i32(clear).op(op.and);
    if (typeof v === 'number') {
      const placed = ((v & mask) << slot.shift) | 0;
      if (placed !== 0) c.i32(placed).op(op.or);
    } else {
      v();
      c.i32(mask).op(op.and);
      if (slot.shift !== 0) c.i32(slot.shift).op(op.shl);
      c.op(op.or);
    }
    c.store(w);
  }

  // --------------------------------------------------------------------------------------------------------
  // The runtime (geometry.ts's `runtime`)

  private runtime(): void {
    const mem = this.mem;
    const mod = this.mod;
    // rd(b, i)
    {
      const c = mod.body(this.fRd);
      c.get(0);
      c.get(1).i32(2).op(op.shl).load(this.tSW);
      c.i32(2).op(op.shl).op(op.add).load(0);
      c.get(1).i32(2).op(op.shl).load(this.tSS);
      c.op(op.shr_u);
      c.get(1).i32(2).op(op.shl).load(this.tSM);
      c.op(op.and);
    }
    // wr(b, i, v)
    {
      const c = mod.body(this.fWr);
      const a = c.local();
      c.get(1).i32(2).op(op.shl).load(this.tSW);
      c.call(this.fTouch);
      c.get(1).i32(2).op(op.shl).load(this.tSW);
      c.i32(2).op(op.shl).get(0).op(op.add).tee(a);
      c.get(a).load(0);
      c.get(1).i32(2).op(op.shl).load(this.tSC);
      c.op(op.and);
      c.get(2);
      c.get(1).i32(2).op(op.shl).load(this.tSM);
      c.op(op.and);
      c.get(1).i32(2).op(op.shl).load(this.tSS);
      c.op(op.shl).op(op.or).store(0);
    }
    // touch(w)
    {
      const c = mod.body(this.fTouch);
      c.get(0).i32(2).op(op.shl).load(mem.MARK).gget(this.gEpoch).op(op.ne).if();
      c.get(0).i32(2).op(op.shl).gget(this.gEpoch).store(mem.MARK);
      c.gget(this.gCount).i32(2).op(op.shl).get(0).store(mem.DIRTY);
      c.gget(this.gCount).i32(1).op(op.add).gset(this.gCount);
      c.end();
    }
    // begin()
    {
      const c = mod.body(this.fBegin);
      c.i32(0).gset(this.gCount).i32(0).gset(this.gEvents);
      c.gget(this.gEpoch).i32(1).op(op.add).gset(this.gEpoch);
      c.gget(this.gEpoch).op(op.eqz).if();
      c.i32(mem.MARK).i32(0).i32(this.layout.words * 4).fill();
      c.i32(1).gset(this.gEpoch);
      c.end();
    }
    // event(kind, cpu, a, owner, hardirq, ie, held, trylock)
    {
      const c = mod.body(this.fEvent);
      const at = c.local();
      c.gget(this.gEvents).i32(EVENT_ROOM).op(op.ge_u).if().ret().end();
      c.gget(this.gEvents).i32(EVENT_WORDS * 4).op(op.mul).set(at);
      for (let k = 0; k < 8; k++) c.get(at).get(k).store(mem.EV + k * 4);
      c.gget(this.gEvents).i32(1).op(op.add).gset(this.gEvents);
    }
  }

  // --------------------------------------------------------------------------------------------------------
  // Enabled actions

  /**
   * The enabled-action scan, in the reference model's order (HwModel.actions): per CPU that has not stopped, its
   * urgent delivery or its instruction actions; then per CPU its arrivals. The conditions are the rules'
   * (transition.ts), staged; the instruction actions are asked per pc, through a br_table on the CPU's pc.
   */
  private actionsFunction(): void {
    const c = this.mod.body(this.fActions);
    const k = c.local();
    this.scan(c, () => true, (action) => {
      c.get(k).i32(2).op(op.shl).i32(action).store(this.mem.OUT);
      c.get(k).i32(1).op(op.add).set(k);
    });
    c.get(k);
  }

  /**
   * progress(base): 1 when the state has an enabled action that is neither an arrival left pending nor a step of
   * a halted point (a wfi or hlt completing, which may be spurious), else 0. Such a state can make progress in
   * no-deadlock's sense (its onState then finds nothing), so the search core need not hand it to JavaScript.
   */
  private progressFunction(): void {
    const c = this.mod.body(this.fProgress);
    const progress = (action: Action): boolean => {
      const kind = actionKind(action);
      return kind !== ActionKind.arrive && !this.m.haltedStep(action);
    };
    this.scan(c, progress, () => c.i32(1).ret());
    c.i32(0);
  }

  /**
   * The enabled-action scan over the state at parameter 0, in the reference model's order (HwModel.actions): per
   * CPU that has not stopped, its urgent delivery or its instruction actions; then per CPU its arrivals. The
   * conditions are the rules' (transition.ts), staged; the instruction actions are asked per pc, through a
   * br_table on the CPU's pc. `emit` writes the code for an enabled action among those `asked` accepts.
   */
  private scan(c: Code, asked: (action: Action) => boolean, emit: (action: Action) => void): void {
    const state = this.staged(c, this.noExits(c));
    const o = this.ops;
    const a = this.access;
    const offer = (u: { lines: Cond[]; none: Cond }, action: Action): void => {
      if (asked(action)) state.when(enabledWith(a, state, action, u), () => emit(action));
    };
    const urgencies = Array.from({ length: this.program.cpus }, (_, cpu) => urgency(a, state, cpu));
    urgencies.forEach((u, cpu) => {
      state.when(o.not(a.stopped(state, cpu)), () => {
        for (const line of this.m.linesByUrgency) {
          const deliver = encodeAction(ActionKind.deliver, cpu, line);
          if (asked(deliver)) state.when(u.lines[line]!, () => emit(deliver));
        }
        state.when(u.none, () =>
          state.cases(
            a.pc(state, cpu),
            this.m.code.length,
            (pc) => {
              for (const step of this.m.stepsAt[pc]!) offer(u, encodeAction(ActionKind.step, cpu, step));
              offer(u, encodeAction(ActionKind.maskWait, cpu, pc));
            },
            this.layout.cpus[cpu]!.pc,
          ),
        );
      });
    });
    urgencies.forEach((u, cpu) => {
      for (const line of this.m.arrivals[cpu]!) {
        offer(u, encodeAction(ActionKind.arrive, cpu, line));
        offer(u, encodeAction(ActionKind.arriveTake, cpu, line));
      }
    });
  }

  /**
   * watch(base): the watched facts of the state (src/hw/watch.ts) as bits, 0 when they do not fit one word (the
   * search core then hands every new state to the monitors that read them).
   */
  private watchFunction(): void {
    const c = this.mod.body(this.fWatch);
    const bits = this.watch;
    if (bits === null) {
      c.i32(0);
      return;
    }
    const word = c.local();
    const state = this.staged(c, this.noExits(c));
    watchedFacts(this.access, state, bits).forEach((fact, i) => {
      state.when(fact, () => c.get(word).i32((1 << i) | 0).op(op.or).set(word));
    });
    c.get(word);
  }

  /** Exits for code in which the rules neither fault nor warn (enabledness). */
  private noExits(c: Code): Exits {
    return {
      fault: () => c.op(0x00), // unreachable: no rule of enabledness faults
      warn: () => c.op(0x00),
    };
  }

  // --------------------------------------------------------------------------------------------------------
  // Actions: the rules of src/hw, staged

  /** Every expression of the program fits i32 arithmetic (WasmUnsupported otherwise). */
  private checkRanges(): void {
    const [lo, hi] = expressionBounds(this.program);
    if (lo < INT_MIN || hi > INT_MAX) throw new WasmUnsupported('a value outside the i32 range');
  }

  /** A staged state writing into `c`, over the state at parameter 0. */
  private staged(c: Code, exits: Exits): StagedState {
    this.ops.code = c;
    this.ops.memo = new ScopedMap();
    const event = (kind: number, values: (Val | Cond)[]): void => {
      c.i32(kind);
      for (const v of values) this.ops.emit(v);
      c.call(this.fEvent);
    };
    return new StagedState(
      this.ops,
      (slot) => this.rdS(c, slot),
      (slot, v) => this.wrS(c, slot, typeof v === 'number' ? v : () => this.ops.emit(v)),
      exits,
      (e) => {
        if (e.kind === 'eoi') return event(EVENT_EOI, [e.cpu, e.line, 0, 0, 0, 0, 0]);
        const a = e.e;
        let held: Val = 0;
        a.held.forEach((h, l) => (held = this.ops.or32(held, this.ops.ite(h, 1 << l, 0))));
        event(EVENT_ACQUIRE, [a.cpu, a.lock, a.owner, a.hardirq, a.ie, held, a.trylock ? 1 : 0]);
      },
      {
        table: (slots) => this.families.get(slots),
        read: () => c.call(this.fRd),
        write: () => c.call(this.fWr),
      },
    );
  }

  /**
   * One action as a function of the successor buffer (parameter 0, a copy of the state it starts from): 0 once
   * it has written the successor and its events, WARNED when it met a warning on the way (whoever reads the
   * events asks the reference model for them), or SLOW, with the fatal flag set, where the step is fatal (the
   * reference model makes that transition, with its message).
   */
  private actionFunction(action: Action): number {
    const f = this.mod.declare(1, 1);
    const fn = this.mod.body(f);
    // The body takes its locals from `fn` and goes after the touches gathered while writing it.
    const body = new Code(1, 1, fn);
    this.gathered = new Set();
    let warned = -1;
    const state = this.staged(body, {
      fault: () => body.i32(1).gset(this.gFatal).i32(SLOW).ret(),
      warn: () => {
        if (warned < 0) warned = body.local();
        body.i32(WARNED).set(warned);
      },
    });
    apply(this.access, this.profile, state, action);
    const words = [...this.gathered];
    this.gathered = null;
    for (const w of words) fn.i32(w).call(this.fTouch);
    fn.append(body);
    // 0, or WARNED when a warning was met on the way.
    if (warned < 0) fn.i32(0);
    else fn.get(warned);
    return f;
  }

  /** Calls the function of the action whose argument is in local `arg` and returns its result (SLOW where there is none). */
  private dispatch(c: Code, arg: number, functions: (number | null)[]): void {
    const n = functions.length;
    c.block();
    for (let i = 0; i < n; i++) c.block();
    c.get(arg).brTable(
      Array.from({ length: n }, (_, i) => i),
      n,
    );
    for (let i = 0; i < n; i++) {
      c.end();
      const f = functions[i];
      if (f === null) c.i32(SLOW).ret();
      else c.get(0).call(f!).ret();
    }
    c.end();
    c.i32(SLOW).ret();
  }

  // --------------------------------------------------------------------------------------------------------
  // Actions and state checks

  private applyFunction(): void {
    // The action functions first: each is a function of its own, declared before the dispatcher's body is written.
    const lines = this.program.lines.map((l) => l.id);
    const perCpu = Array.from({ length: this.program.cpus }, (_, k) => ({
      step: this.m.code.map((instr, pc) => (canEverStep(instr) ? this.actionFunction(encodeAction(ActionKind.step, k, pc)) : null)),
      maskWait: this.cpu(k).spinSavedIe === null ? null : this.actionFunction(encodeAction(ActionKind.maskWait, k, 0)),
      deliver: lines.map((l) => this.actionFunction(encodeAction(ActionKind.deliver, k, l))),
      arrive: lines.map((l) => (this.m.arrivals[k]!.includes(l) ? this.actionFunction(encodeAction(ActionKind.arrive, k, l)) : null)),
      arriveTake: lines.map((l) => (this.m.arrivals[k]!.includes(l) ? this.actionFunction(encodeAction(ActionKind.arriveTake, k, l)) : null)),
    }));
    const c = this.mod.body(this.fApply);
    const arg = c.local();
    const key = c.local();
    const N = this.mem.N;
    c.call(this.fBegin);
    c.i32(0).gset(this.gFatal);
    c.get(0).i32(N).op(op.ne).if();
    c.i32(N).get(0).i32(this.layout.words * 4).copy();
    c.end();
    // From here on, parameter 0 is the successor N.
    c.i32(N).set(0);
    c.get(1).i32(0xfffff).op(op.and).set(arg);
    c.get(1).i32(20).op(op.shr_u).set(key);
    const when = (kind: ActionKind, k: number, functions: (number | null)[]) => {
      c.get(key).i32(encodeAction(kind, k, 0) >>> 20).op(op.eq).if();
      this.dispatch(c, arg, functions);
      c.end();
    };
    perCpu.forEach((fns, k) => {
      when(ActionKind.step, k, fns.step);
      // A masked wait is the same at every pc.
      when(ActionKind.maskWait, k, this.m.code.map((instr) => (instr.op === 'acquire' ? fns.maskWait : null)));
      when(ActionKind.deliver, k, fns.deliver);
      when(ActionKind.arrive, k, fns.arrive);
      when(ActionKind.arriveTake, k, fns.arriveTake);
    });
    c.i32(SLOW);
  }

  private stateCheckFunction(): void {
    const c = this.mod.body(this.fStateCheck);
    // An invariant that fails or cannot be evaluated: the reference model reports it.
    const state = this.staged(c, { fault: () => c.i32(1).ret(), warn: () => c.i32(1).ret() });
    for (const inv of this.program.invariants) {
      state.when(this.ops.not(truth(this.access, evaluate(this.access, state, -1, inv.cond))), () => c.i32(1).ret());
    }
    // A CPU about to acquire a lock its current thread holds (recursive locking), when no interrupt comes first.
    for (let k = 0; k < this.program.cpus; k++) {
      state.when(recursiveAcquire(this.access, state, k, urgency(this.access, state, k)), () => c.i32(1).ret());
    }
    c.i32(0);
  }
}
