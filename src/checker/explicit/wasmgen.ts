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
import { evaluate, truth, valueRange } from '../../hw/expr.js';
import type { Machine } from '../../hw/machine.js';
import type { ArchProfile } from '../../hw/profile.js';
import { profileOf } from '../../hw/profiles.js';
import { apply } from '../../hw/transition.js';
import type { Expr, LValue, Program } from '../../ir/ir.js';
import type { CpuSlots, Layout, Slot } from '../../ir/layout.js';
import { ActionKind, encodeAction, type Action, type ModelEvent } from '../../ir/model.js';
import { unreachable } from '../../ir/unreachable.js';
import { figureSlots } from './figures.js';
import type { Geometry } from './geometry.js';
import { seedsA } from './hashing.js';
import { StagedOps, StagedState, type Exits } from './staged.js';
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

/** The interval of values an expression can take; WasmUnsupported when it leaves the i32 range. */
function fits(range: [number, number]): [number, number] {
  if (range[0] < INT_MIN || range[1] > INT_MAX) throw new WasmUnsupported('a value outside the i32 range');
  return range;
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
  private readonly fRd: number;
  private readonly fWr: number;
  private readonly fTouch: number;
  private readonly fBegin: number;
  private readonly fPush: number;
  private readonly fPop: number;
  private readonly fClear: number;
  private readonly fRqHas: number;
  private readonly fRqPush: number;
  private readonly fRqShift: number;
  private readonly fCpuRunning: number;
  private readonly fHeld: number;
  private readonly fEvent: number;
  // Generated functions.
  private readonly fStepOf: number[] = [];
  private readonly fUrgent: number[] = [];
  private readonly fActions: number;
  private readonly fApply: number;
  private readonly fStateCheck: number;
  private readonly fDirtyCount: number;
  private readonly fFatal: number;
  private readonly fEventCount: number;
  // Globals.
  private readonly gCount: number;
  private readonly gEpoch: number;
  private readonly gFatal: number;
  private readonly gEvents: number;
  // Tables (byte offsets).
  private readonly tSW: number;
  private readonly tSS: number;
  private readonly tSM: number;
  private readonly tSC: number;
  private readonly tStackSp: number;
  private readonly tStackDepth: number;
  private readonly tStackCellBase: number;
  private readonly tStackCell: number;
  private readonly tLO: number;
  private readonly tRqEntry: number;
  private readonly tOP: number;
  private readonly tLOCK: number;
  private readonly tLK: number;
  private readonly tRANK: number;
  private readonly tSEED: number;
  private readonly figures: Slot[];

  constructor(
    private readonly m: Machine,
    private readonly g: Geometry,
    private readonly layout: Layout,
    private readonly room: number,
  ) {
    this.figures = figureSlots(layout);
    const mem = new MemoryMap(layout.words, room, this.figures.length);
    this.mem = mem;
    this.tSW = mem.table(g.SW);
    this.tSS = mem.table(g.SS);
    this.tSM = mem.table(g.SM);
    this.tSC = mem.table(g.SC);
    this.tStackSp = mem.table(g.stackSp);
    this.tStackDepth = mem.table(g.stackDepth);
    this.tStackCellBase = mem.table(g.stackCellBase);
    this.tStackCell = mem.table(g.stackCell);
    this.tLO = mem.table(g.lockOwner);
    this.tRqEntry = mem.table(g.rqEntry);
    const code = m.code;
    this.tOP = mem.table([...code.map((i) => (i.op === 'hlt' ? 1 : i.op === 'wfi' ? 2 : i.op === 'acquire' ? 3 : 0)), 1]);
    this.tLOCK = mem.table([...code.map((i) => (i.op === 'acquire' ? i.lock : 0)), 0]);
    this.tLK = mem.table(this.program.locks.map((l) => (l.kind === 'spin' ? 0 : l.kind === 'irqsave' ? 1 : 2)),
    );
    this.tSEED = mem.table(seedsA(layout.words));
    const rank = new Array<number>(Math.max(m.program.lines.length, 1)).fill(0);
    m.linesByUrgency.forEach((line, i) => (rank[line] = i));
    this.tRANK = mem.table(rank);
    this.ops = new StagedOps((values) => {
      const at = this.tables.get(values);
      if (at === undefined) throw new Error('internal: a staged table the module does not lay out');
      return at;
    });
    this.access = new Access(m, this.ops);
    this.profile = profileOf(m.program.arch);
    // One word past each table: StagedOps.lookup clamps its load there.
    for (const table of [this.access.resolved, this.access.returnPoints]) this.tables.set(table, mem.table([...table, 0]));
    this.checkRanges();

    this.mod = new ModuleWriter(Math.ceil(mem.bytes / 65536) + 0);
    const mod = this.mod;
    this.gCount = mod.global(0);
    this.gEpoch = mod.global(1);
    this.gFatal = mod.global(0);
    this.gEvents = mod.global(0);
    this.fRd = mod.declare(2, 1);
    this.fWr = mod.declare(3, 0);
    this.fTouch = mod.declare(1, 0);
    this.fBegin = mod.declare(0, 0);
    this.fPush = mod.declare(3, 1);
    this.fPop = mod.declare(2, 1);
    this.fClear = mod.declare(2, 0);
    this.fRqHas = mod.declare(2, 1);
    this.fRqPush = mod.declare(2, 1);
    this.fRqShift = mod.declare(1, 1);
    this.fCpuRunning = mod.declare(3, 1);
    this.fHeld = mod.declare(3, 1);
    this.fEvent = mod.declare(8, 0);
    for (let c = 0; c < this.program.cpus; c++) {
      this.fStepOf.push(mod.declare(2, 1));
      this.fUrgent.push(mod.declare(1, 1));
    }
    this.fActions = mod.declare(1, 1);
    this.fApply = mod.declare(2, 1);
    this.fStateCheck = mod.declare(1, 1);
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
    for (let c = 0; c < this.program.cpus; c++) {
      this.stepOfFunction(c);
      this.urgentFunction(c);
    }
    this.actionsFunction();
    this.applyFunction();
    this.stateCheckFunction();
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
      gDirty: this.gCount,
      gEvents: this.gEvents,
      gFatal: this.gFatal,
    });
    this.mod.exportMemory('memory');
    this.mod.exportFunc('run', core.run);
    this.mod.exportFunc('insert', core.insert);
    this.mod.exportFunc('find', core.find);
    this.mod.exportFunc('rehash', core.rehash);
    this.mod.exportFunc('actions', this.fActions);
    this.mod.exportFunc('apply', this.fApply);
    this.mod.exportFunc('stateCheck', this.fStateCheck);
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

  /** tab[index on the stack]. */
  private tab(c: Code, table: number): Code {
    return c.i32(2).op(op.shl).load(table);
  }

  /** A slot whose position is known, read from the state at local `b`. */
  private rdS(c: Code, slot: Slot, b = 0): Code {
    c.get(b).load(slot.word * 4);
    if (slot.shift !== 0) c.i32(slot.shift).op(op.shr_u);
    return c.i32(2 ** slot.bits - 1).op(op.and);
  }

  /** A slot given by its index (code leaving it on the stack), read from the state at local `b`. */
  private rdI(c: Code, index: () => void, b = 0): Code {
    c.get(b);
    index();
    return c.call(this.fRd);
  }

  /** Code of a value. */
  private val(c: Code, v: Value): void {
    if (typeof v === 'number') c.i32(v);
    else v();
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

  /** Writes the slot of index (code) `index`. */
  private wrI(c: Code, index: () => void, v: Value, b = 0): void {
    c.get(b);
    index();
    this.val(c, v);
    c.call(this.fWr);
  }


  private loopUpTo(c: Code, i: number, limit: () => void, body: () => void): void {
    c.i32(0).set(i);
    c.block().loop();
    c.get(i);
    limit();
    c.op(op.ge_s).brIf(1);
    body();
    c.get(i).i32(1).op(op.add).set(i);
    c.br(0).end().end();
  }

  // --------------------------------------------------------------------------------------------------------
  // The runtime (geometry.ts's `runtime`)

  private runtime(): void {
    const mem = this.mem;
    const g = this.g;
    const mod = this.mod;
    // rd(b, i)
    {
      const c = mod.body(this.fRd);
      c.get(0);
      this.tab(c.get(1), this.tSW);
      c.i32(2).op(op.shl).op(op.add).load(0);
      this.tab(c.get(1), this.tSS);
      c.op(op.shr_u);
      this.tab(c.get(1), this.tSM);
      c.op(op.and);
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
    // wr(b, i, v)
    {
      const c = mod.body(this.fWr);
      const a = c.local();
      this.tab(c.get(1), this.tSW);
      c.call(this.fTouch);
      this.tab(c.get(1), this.tSW);
      c.i32(2).op(op.shl).get(0).op(op.add).tee(a);
      c.get(a).load(0);
      this.tab(c.get(1), this.tSC);
      c.op(op.and);
      c.get(2);
      this.tab(c.get(1), this.tSM);
      c.op(op.and);
      this.tab(c.get(1), this.tSS);
      c.op(op.shl).op(op.or).store(0);
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
    // push(b, id, word): 1, or 0 on overflow
    {
      const c = mod.body(this.fPush);
      const sp = c.local();
      this.rdI(c, () => this.tab(c.get(1), this.tStackSp));
      c.tee(sp);
      this.tab(c.get(1), this.tStackDepth);
      c.op(op.ge_s).if().i32(0).ret().end();
      this.wrI(
        c,
        () => {
          this.tab(c.get(1), this.tStackCellBase);
          c.get(sp).op(op.add);
          this.tab(c, this.tStackCell);
        },
        () => c.get(2),
      );
      this.wrI(
        c,
        () => this.tab(c.get(1), this.tStackSp),
        () => c.get(sp).i32(1).op(op.add),
      );
      c.i32(1);
    }
    // pop(b, id): the top word, or -1 on an empty stack
    {
      const c = mod.body(this.fPop);
      const sp = c.local();
      const cell = c.local();
      const word = c.local();
      this.rdI(c, () => this.tab(c.get(1), this.tStackSp));
      c.tee(sp).op(op.eqz).if().i32(-1).ret().end();
      this.tab(c.get(1), this.tStackCellBase);
      c.get(sp).op(op.add).i32(1).op(op.sub);
      this.tab(c, this.tStackCell);
      c.set(cell);
      this.rdI(c, () => c.get(cell));
      c.set(word);
      this.wrI(c, () => c.get(cell), 0);
      this.wrI(
        c,
        () => this.tab(c.get(1), this.tStackSp),
        () => c.get(sp).i32(1).op(op.sub),
      );
      c.get(word);
    }
    // clearStack(b, id)
    {
      const c = mod.body(this.fClear);
      const i = c.local();
      const base = c.local();
      this.wrI(c, () => this.tab(c.get(1), this.tStackSp), 0);
      this.tab(c.get(1), this.tStackCellBase);
      c.set(base);
      this.loopUpTo(
        c,
        i,
        () => this.tab(c.get(1), this.tStackDepth),
        () =>
          this.wrI(
            c,
            () => {
              c.get(base).get(i).op(op.add);
              this.tab(c, this.tStackCell);
            },
            0,
          ),
      );
    }
    const rqLen = this.layout.runQueue.len;
    // rqHas(b, t)
    {
      const c = mod.body(this.fRqHas);
      const i = c.local();
      const len = c.local();
      this.rdS(c, rqLen).set(len);
      this.loopUpTo(
        c,
        i,
        () => c.get(len),
        () => {
          this.rdI(c, () => this.tab(c.get(i), this.tRqEntry));
          c.get(1).op(op.eq).if().i32(1).ret().end();
        },
      );
      c.i32(0);
    }
    // rqPush(b, t): 1, or 0 when the queue is full
    {
      const c = mod.body(this.fRqPush);
      const len = c.local();
      this.rdS(c, rqLen).tee(len).i32(g.rqEntry.length).op(op.ge_s).if().i32(0).ret().end();
      this.wrI(
        c,
        () => this.tab(c.get(len), this.tRqEntry),
        () => c.get(1),
      );
      this.wrS(c, rqLen, () => c.get(len).i32(1).op(op.add));
      c.i32(1);
    }
    // rqShift(b): the head, or none
    {
      const c = mod.body(this.fRqShift);
      const len = c.local();
      const head = c.local();
      const i = c.local();
      this.rdS(c, rqLen).tee(len).op(op.eqz).if().i32(g.threads).ret().end();
      this.rdS(c, this.layout.runQueue.entries[0]!).set(head);
      c.i32(1).set(i);
      c.block().loop();
      c.get(i).get(len).op(op.ge_s).brIf(1);
      this.wrI(
        c,
        () => {
          c.get(i).i32(1).op(op.sub);
          this.tab(c, this.tRqEntry);
        },
        () => this.rdI(c, () => this.tab(c.get(i), this.tRqEntry)),
      );
      c.get(i).i32(1).op(op.add).set(i);
      c.br(0).end().end();
      this.wrI(
        c,
        () => {
          c.get(len).i32(1).op(op.sub);
          this.tab(c, this.tRqEntry);
        },
        0,
      );
      this.wrS(c, rqLen, () => c.get(len).i32(1).op(op.sub));
      c.get(head);
    }
    // cpuRunning(b, t, stopped): the first CPU running t, or -1
    {
      const c = mod.body(this.fCpuRunning);
      for (let k = 0; k < this.program.cpus; k++) {
        this.rdS(c, this.cpu(k).current).get(1).op(op.eq);
        this.rdS(c, this.cpu(k).pc).get(2).op(op.ne).op(op.and);
        c.if().i32(k).ret().end();
      }
      c.i32(-1);
    }
    // heldMask(b, t, level): the locks t holds (at `level`, or any level when level < 0)
    {
      const c = mod.body(this.fHeld);
      const mask = c.local();
      c.i32(0).set(mask);
      this.layout.locks.forEach((ls, l) => {
        this.rdS(c, ls.owner).get(1).i32(1).op(op.add).op(op.eq);
        c.get(2).i32(0).op(op.lt_s);
        this.rdS(c, ls.level).get(2).op(op.eq).op(op.or).op(op.and);
        c.if().get(mask).i32(1 << l).op(op.or).set(mask).end();
      });
      c.get(mask);
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

  private stepOfFunction(k: number): void {
    const cpu = this.cpu(k);
    const step = encodeAction(ActionKind.step, k, 0);
    const mask = encodeAction(ActionKind.maskWait, k, 0);
    const c = this.mod.body(this.fStepOf[k]!);
    const kind = c.local();
    const l = c.local();
    const o = c.local();
    const stepPc = () => c.i32(step).get(1).op(op.add);
    this.tab(c.get(1), this.tOP).tee(kind).op(op.eqz).if();
    stepPc();
    c.ret().end();
    c.get(kind).i32(1).op(op.eq).if().i32(-1).ret().end();
    c.get(kind).i32(2).op(op.eq).if();
    this.rdS(c, cpu.pending).if(true);
    stepPc();
    c.else().i32(-1).end().ret().end();
    this.tab(c.get(1), this.tLOCK).set(l);
    this.rdI(c, () => this.tab(c.get(l), this.tLO));
    c.tee(o).op(op.eqz).if();
    stepPc();
    c.ret().end();
    this.tab(c.get(l), this.tLK).i32(1).op(op.eq).if();
    this.rdS(c, cpu.ie).i32(1).op(op.eq).if(true);
    c.i32(mask).get(1).op(op.add);
    c.else().i32(-1).end().ret().end();
    this.tab(c.get(l), this.tLK).i32(2).op(op.eq);
    c.get(o);
    this.rdS(c, cpu.current).i32(1).op(op.add).op(op.ne).op(op.and).if();
    stepPc();
    c.ret().end();
    c.i32(-1);
  }

  /** Whether the sti shadow holds delivery off on CPU k (code leaving 0/1), or null without a shadow. */
  private shadowHolds(c: Code, k: number): (() => void) | null {
    const cpu = this.cpu(k);
    if (cpu.shadow === null) return null;
    const shadow = cpu.shadow;
    return () => {
      this.rdS(c, shadow).i32(1).op(op.eq).if(true);
      c.get(0);
      this.rdS(c, cpu.pc);
      c.call(this.fStepOf[k]!).i32(0).op(op.ge_s);
      c.else().i32(0).end();
    };
  }

  private urgentFunction(k: number): void {
    const cpu = this.cpu(k);
    const c = this.mod.body(this.fUrgent[k]!);
    const p = c.local();
    const ins = c.local();
    this.rdS(c, cpu.pending).tee(p).op(op.eqz);
    this.rdS(c, cpu.ie).i32(1).op(op.ne).op(op.or).if().i32(-1).ret().end();
    const shadow = this.shadowHolds(c, k);
    if (shadow !== null) {
      shadow();
      c.if().i32(-1).ret().end();
    }
    this.rdS(c, cpu.inService).set(ins);
    for (const l of this.m.linesByUrgency) {
      c.get(p).i32(1 << l).op(op.and).i32(0).op(op.ne);
      c.get(ins).i32(this.m.blockers[l]!).op(op.and).op(op.eqz).op(op.and);
      c.if().i32(l).ret().end();
    }
    c.i32(-1);
  }

  /** Whether line l is deliverable on CPU k (code leaving 0/1). */
  private deliverable(c: Code, k: number, l: number): void {
    const cpu = this.cpu(k);
    this.rdS(c, cpu.ie).i32(1).op(op.eq);
    const shadow = this.shadowHolds(c, k);
    if (shadow !== null) {
      shadow();
      c.op(op.eqz).op(op.and);
    }
    this.rdS(c, cpu.inService).i32(this.m.blockers[l]!).op(op.and).op(op.eqz).op(op.and);
  }

  private actionsFunction(): void {
    const c = this.mod.body(this.fActions);
    const k = c.local();
    const pc = c.local();
    const u = c.local();
    const a = c.local();
    const p = c.local();
    const stopped = this.layout.stoppedPc;
    const emit = (value: () => void) => {
      c.get(k).i32(2).op(op.shl);
      value();
      c.store(this.mem.OUT);
      c.get(k).i32(1).op(op.add).set(k);
    };
    c.i32(0).set(k);
    for (let cpu = 0; cpu < this.program.cpus; cpu++) {
      this.rdS(c, this.cpu(cpu).pc).tee(pc).i32(stopped).op(op.ne).if();
      c.get(0).call(this.fUrgent[cpu]!).tee(u).i32(0).op(op.ge_s).if();
      emit(() => c.i32(encodeAction(ActionKind.deliver, cpu, 0)).get(u).op(op.add));
      c.else();
      c.get(0).get(pc).call(this.fStepOf[cpu]!).tee(a).i32(0).op(op.ge_s).if();
      emit(() => c.get(a));
      c.end();
      c.end();
      c.end();
    }
    for (let cpu = 0; cpu < this.program.cpus; cpu++) {
      const arrivals = this.m.arrivals[cpu]!;
      if (arrivals.length === 0) continue;
      this.rdS(c, this.cpu(cpu).pc).i32(stopped).op(op.ne).if();
      this.rdS(c, this.cpu(cpu).pending).set(p);
      c.get(0).call(this.fUrgent[cpu]!).set(u);
      for (const l of arrivals) {
        c.get(p).i32(1 << l).op(op.and).op(op.eqz).if();
        emit(() => {
          this.deliverable(c, cpu, l);
          // u < 0 || RANK[u] > rank, without reading RANK[-1] (memory addresses are unsigned).
          c.get(u).i32(0).op(op.lt_s).if(true).i32(1).else();
          this.tab(c.get(u), this.tRANK);
          c.i32(this.m.linesByUrgency.indexOf(l)).op(op.gt_s).end();
          c.op(op.and);
          c.if(true).i32(encodeAction(ActionKind.arriveTake, cpu, l)).else().i32(encodeAction(ActionKind.arrive, cpu, l)).end();
        });
        c.end();
      }
      c.end();
    }
    c.get(k);
  }

  // --------------------------------------------------------------------------------------------------------
  // Expressions

  /** The interval of values of an expression (WasmUnsupported when any part of it leaves the i32 range). */
  private range(e: Expr): [number, number] {
    const g = this.g;
    switch (e.kind) {
      case 'const':
        return fits([e.value, e.value]);
      case 'var':
        return fits(valueRange(g, this.program.vars[e.var]!.type));
      case 'unary': {
        const [lo, hi] = this.range(e.operand);
        return e.op === '!' ? [0, 1] : fits([-hi, -lo]);
      }
      case 'binary': {
        const [a, b] = this.range(e.left);
        const [c, d] = this.range(e.right);
        switch (e.op) {
          case '+':
            return fits([a + c, b + d]);
          case '-':
            return fits([a - d, b - c]);
          case '*': {
            const p = [a * c, a * d, b * c, b * d];
            return fits([Math.min(...p), Math.max(...p)]);
          }
          case '/':
          case '%': {
            const most = Math.max(Math.abs(a), Math.abs(b));
            return fits([-most, most]);
          }
          default:
            return [0, 1];
        }
      }
      case 'current':
      case 'self':
      case 'holder':
      case 'rq_len':
        return [0, g.threads];
      case 'cpu':
        return [0, g.cpus - 1];
      case 'thread_state':
        this.range(e.thread);
        return [0, 4];
      case 'thread_of':
        this.range(e.index);
        return fits([e.first, e.first + e.count - 1]);
      default:
        return unreachable(e);
    }
  }

  // --------------------------------------------------------------------------------------------------------
  // Actions: the rules of src/hw, staged

  /** Every expression of the program fits i32 arithmetic (WasmUnsupported otherwise). */
  private checkRanges(): void {
    const visit = (e: Expr): void => {
      this.range(e);
      if (e.kind === 'var') {
        if (e.index !== null) visit(e.index);
        if (e.instance.kind === 'of') visit(e.instance.which);
      }
    };
    const lvalue = (t: LValue): void => {
      if (t.index !== null) visit(t.index);
      if (t.instance.kind === 'of') visit(t.instance.which);
    };
    for (const inv of this.program.invariants) visit(inv.cond);
    for (const instr of this.m.code) {
      if ('cond' in instr) visit(instr.cond);
      if ('value' in instr) visit(instr.value);
      if ('thread' in instr) visit(instr.thread);
      if ('cpu' in instr && instr.cpu !== null) visit(instr.cpu);
      if ('target' in instr && typeof instr.target === 'object') lvalue(instr.target);
    }
  }

  /** A staged state writing into `c`, over the state at parameter 0. */
  private staged(c: Code, exits: Exits): StagedState {
    this.ops.code = c;
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
      step: this.m.code.map((instr, pc) => (instr.op === 'hlt' ? null : this.actionFunction(encodeAction(ActionKind.step, k, pc)))),
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
    const pc = c.local();
    // An invariant that fails or cannot be evaluated: the reference model reports it.
    const state = this.staged(c, { fault: () => c.i32(1).ret(), warn: () => c.i32(1).ret() });
    for (const inv of this.program.invariants) {
      state.when(this.ops.not(truth(this.access, evaluate(this.access, state, -1, inv.cond))), () => c.i32(1).ret());
    }
    for (let k = 0; k < this.program.cpus; k++) {
      const cpu = this.cpu(k);
      this.rdS(c, cpu.pc).set(pc);
      this.tab(c.get(pc), this.tOP).i32(3).op(op.eq).if();
      this.rdI(c, () => {
        this.tab(c.get(pc), this.tLOCK);
        this.tab(c, this.tLO);
      });
      this.rdS(c, cpu.current).i32(1).op(op.add).op(op.eq);
      c.get(0).call(this.fUrgent[k]!).i32(0).op(op.lt_s).op(op.and);
      c.if().i32(1).ret().end();
      c.end();
    }
    c.i32(0);
  }
}
