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

import { valueRange } from '../../hw/expr.js';
import type { Expr, Instance, Instr, LValue, Program } from '../../ir/ir.js';
import { MAX_HARDIRQ, type CpuSlots, type Layout, type Slot } from '../../ir/layout.js';
import type { Machine } from '../../hw/machine.js';
import { unreachable } from '../../ir/unreachable.js';
import { ActionKind, encodeAction, type ModelEvent } from '../../ir/model.js';
import { figureSlots } from './figures.js';
import { seedsA } from './hashing.js';
import { Code, ModuleWriter, op } from './wasm.js';
import { CTL_WORDS, emitCore } from './wasmsearch.js';
import {
  atomicLockMask,
  Geometry,
  KIND_CALL,
  KIND_EXC,
  KIND_FLAGS,
  KIND_IRQ,
  KIND_SWITCH,
  TS_BLOCKED,
  TS_DORMANT,
  TS_EXITED,
  TS_READY,
  TS_RUNNING,
  staticVarSlot,
} from './geometry.js';

/** The program uses numbers or slots this back end does not cover; compile.ts falls back to JavaScript. */
export class WasmUnsupported extends Error {}

const SLOW = 1;
const WARNED = 2;
const WARN_SWITCH_TO = 1;
const WARN_RESTORE_CONTEXT = 2;
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
        trylock: false,
      });
  }
}

/** The interval of values an expression can take; WasmUnsupported when it leaves the i32 range. */
function fits(range: [number, number]): [number, number] {
  if (range[0] < INT_MIN || range[1] > INT_MAX) throw new WasmUnsupported('a value outside the i32 range');
  return range;
}

class WasmGenerator {
  private readonly x86: boolean;
  private readonly mod: ModuleWriter;
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
  private readonly fEnter: number[] = [];
  private readonly fStep: number[] = [];
  private readonly fActions: number;
  private readonly fApply: number;
  private readonly fStateCheck: number;
  private readonly fDirtyCount: number;
  private readonly fWarning: number;
  private readonly fFatal: number;
  private readonly fEventCount: number;
  // Globals.
  private readonly gCount: number;
  private readonly gEpoch: number;
  private readonly gWarn: number;
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
  private readonly tTS: number;
  private readonly tTF: number;
  private readonly tLO: number;
  private readonly tRqEntry: number;
  private readonly tVS: number;
  private readonly tR: number;
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
    this.x86 = m.program.arch === 'x86_64';
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
    this.tTS = mem.table(g.threadState);
    this.tTF = mem.table(g.threadFreed);
    this.tLO = mem.table(g.lockOwner);
    this.tRqEntry = mem.table(g.rqEntry);
    this.tVS = mem.table(g.varSlot);
    this.tR = mem.table(m.resolved);
    const code = m.code;
    this.tOP = mem.table([...code.map((i) => (i.op === 'hlt' ? 1 : i.op === 'wfi' ? 2 : i.op === 'acquire' ? 3 : 0)), 1]);
    this.tLOCK = mem.table([...code.map((i) => (i.op === 'acquire' ? i.lock : 0)), 0]);
    this.tLK = mem.table(this.program.locks.map((l) => (l.kind === 'spin' ? 0 : l.kind === 'irqsave' ? 1 : 2)),
    );
    this.tSEED = mem.table(seedsA(layout.words));
    const rank = new Array<number>(Math.max(m.program.lines.length, 1)).fill(0);
    m.linesByUrgency.forEach((line, i) => (rank[line] = i));
    this.tRANK = mem.table(rank);

    this.mod = new ModuleWriter(Math.ceil(mem.bytes / 65536) + 0);
    const mod = this.mod;
    this.gCount = mod.global(0);
    this.gEpoch = mod.global(1);
    this.gWarn = mod.global(0);
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
    this.fEvent = mod.declare(7, 0);
    for (let c = 0; c < this.program.cpus; c++) {
      this.fStepOf.push(mod.declare(2, 1));
      this.fUrgent.push(mod.declare(1, 1));
      this.fEnter.push(mod.declare(2, 1));
      this.fStep.push(mod.declare(1, 1));
    }
    this.fActions = mod.declare(1, 1);
    this.fApply = mod.declare(2, 1);
    this.fStateCheck = mod.declare(1, 1);
    this.fDirtyCount = mod.declare(0, 1);
    this.fWarning = mod.declare(0, 1);
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
      this.enterFunction(c);
      this.stepFunction(c);
    }
    this.actionsFunction();
    this.applyFunction();
    this.stateCheckFunction();
    for (const [f, g] of [
      [this.fDirtyCount, this.gCount],
      [this.fWarning, this.gWarn],
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
    this.mod.exportFunc('warning', this.fWarning);
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

  /** `if (cond) return SLOW;` with the condition's code. */
  private slowIf(c: Code, cond: () => void): void {
    cond();
    c.if().i32(SLOW).ret().end();
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
    // event(kind, cpu, a, owner, hardirq, ie, held)
    {
      const c = mod.body(this.fEvent);
      const at = c.local();
      c.gget(this.gEvents).i32(EVENT_ROOM).op(op.ge_u).if().ret().end();
      c.gget(this.gEvents).i32(EVENT_WORDS * 4).op(op.mul).set(at);
      for (let k = 0; k < 7; k++) c.get(at).get(k).store(mem.EV + k * 4);
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
  // Frames

  /** A frame word from field values. */
  private frame(c: Code, kind: number, pc: Value, ie: Value, owner: Value, hardirq: Value, line: Value, stack: Value): void {
    const f = this.layout.frame;
    c.i32(kind << f.kind.shift);
    const part = (v: Value, field: { shift: number }) => {
      this.val(c, v);
      c.i32(field.shift).op(op.shl).op(op.or);
    };
    part(pc, f.pc);
    part(ie, f.ie);
    part(owner, f.owner);
    part(hardirq, f.hardirq);
    part(line, f.line);
    part(stack, f.stack);
  }

  /** A field of the frame word in local `w`. */
  private field(c: Code, w: number, name: 'kind' | 'pc' | 'ie' | 'owner' | 'hardirq' | 'line' | 'stack'): Code {
    const f = this.layout.frame[name];
    c.get(w);
    if (f.shift !== 0) c.i32(f.shift).op(op.shr_u);
    return c.i32(2 ** f.bits - 1).op(op.and);
  }

  /** `if (w < 0 || kind(w) != kind || owner(w) != owner) return SLOW` for the popped word in local `w` (owner null: any). */
  private slowUnlessFrame(c: Code, w: number, kind: number, owner: number | null): void {
    this.slowIf(c, () => {
      c.get(w).i32(0).op(op.lt_s);
      this.field(c, w, 'kind').i32(kind).op(op.ne).op(op.or);
      if (owner !== null) this.field(c, w, 'owner').get(owner).op(op.ne).op(op.or);
    });
  }

  /** The stack CPU k runs on, as a stack id, given its current thread in local `cur`. */
  private currentStack(c: Code, k: number, cur: number): void {
    if (this.layout.handlerStackUnits.length === 0) {
      c.get(cur);
      return;
    }
    const sel = this.cpu(k).stackSel;
    this.rdS(c, sel).op(op.eqz).if(true).get(cur).else();
    c.i32(this.g.handlerStack(k, 0) - 1);
    this.rdS(c, sel);
    c.op(op.add).end();
  }

  /** Sets CPU k's pc to the value (resolved through R when it is a pc of the code). */
  private setPc(c: Code, k: number, pc: () => void): void {
    const t = c.local();
    this.wrS(c, this.cpu(k).pc, () => {
      pc();
      c.tee(t).i32(this.m.resolved.length).op(op.lt_s).if(true);
      this.tab(c.get(t), this.tR);
      c.else().get(t).end();
    });
  }

  /** The pc an interrupt taken at the pc in local `pc` returns to: the next instruction after hlt/wfi. */
  private returnPoint(c: Code, pc: number): void {
    const waits: number[] = [];
    this.m.code.forEach((i, at) => {
      if (i.op === 'hlt' || i.op === 'wfi') waits.push(at);
    });
    // Innermost first, as compile.ts nests its conditionals: the last wait is tested first.
    const emit = (i: number): void => {
      if (i < 0) {
        c.get(pc);
        return;
      }
      c.get(pc).i32(waits[i]!).op(op.eq).if(true).i32(this.m.resolve(waits[i]! + 1)).else();
      emit(i - 1);
      c.end();
    };
    emit(waits.length - 1);
  }

  // --------------------------------------------------------------------------------------------------------
  // Interrupt entry

  private enterFunction(k: number): void {
    const cpu = this.cpu(k);
    const c = this.mod.body(this.fEnter[k]!);
    const cur = c.local();
    const pc = c.local();
    const hi = c.local();
    const w = c.local();
    for (const line of this.program.lines) {
      const handler = line.handler;
      const stackOf = this.m.handlerStackOf[handler]!;
      c.get(1).i32(line.id).op(op.eq).if();
      this.slowIf(c, () => this.rdS(c, cpu.hardirq).i32(MAX_HARDIRQ).op(op.ge_s));
      this.slowIf(c, () => this.rdS(c, cpu.current).tee(cur).i32(this.g.threads).op(op.ge_s));
      this.rdS(c, cpu.pc).set(pc);
      this.rdS(c, cpu.hardirq).set(hi);
      const frameWord = () =>
        this.frame(
          c,
          this.x86 ? KIND_IRQ : KIND_EXC,
          () => this.returnPoint(c, pc),
          () => this.rdS(c, cpu.ie),
          () => c.get(cur),
          () => c.get(hi),
          line.id,
          () => this.rdS(c, cpu.stackSel),
        );
      const ownStack = () => {
        const id = this.g.handlerStack(k, stackOf);
        this.slowIf(c, () => this.rdI(c, () => c.i32(this.g.stackSp[id]!)).i32(0).op(op.gt_s));
        this.wrS(c, cpu.stackSel, stackOf + 1);
        return id;
      };
      if (this.x86) {
        frameWord();
        c.set(w);
        if (stackOf >= 0) {
          const id = ownStack();
          this.slowIf(c, () => c.get(0).i32(id).get(w).call(this.fPush).op(op.eqz));
        } else {
          this.slowIf(c, () => {
            c.get(0);
            this.currentStack(c, k, cur);
            c.get(w).call(this.fPush).op(op.eqz);
          });
        }
        if (line.gate === 'interrupt') this.wrS(c, cpu.ie, 0);
        if (cpu.shadow !== null) this.wrS(c, cpu.shadow, 0);
        this.wrS(c, cpu.pending, () => this.rdS(c, cpu.pending).i32(~(1 << line.id)).op(op.and));
        this.wrS(c, cpu.inService, () => this.rdS(c, cpu.inService).i32(1 << line.id).op(op.or));
      } else {
        this.slowIf(c, () => this.rdS(c, cpu.elrState!).i32(1).op(op.eq));
        frameWord();
        c.set(w);
        if (stackOf >= 0) ownStack();
        this.wrS(c, cpu.elrState!, 1);
        this.wrS(c, cpu.elr!, () => c.get(w));
        this.wrS(c, cpu.ie, 0);
      }
      this.wrS(c, cpu.hardirq, () => c.get(hi).i32(1).op(op.add));
      this.wrS(c, cpu.pc, this.m.unitStart(handler));
      c.i32(0).ret().end();
    }
    c.i32(SLOW);
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

  /**
   * Code of an expression, leaving its value; `cpu` is the executing CPU (-1 in invariants), `F` the local a
   * run-time fault sets (the expression then leaves 0).
   */
  private expr(c: Code, cpu: number, F: number, e: Expr): void {
    this.range(e);
    this.exprCode(c, cpu, F, e);
  }

  private fault(c: Code, F: number): void {
    c.i32(1).set(F).i32(0);
  }

  /** `t` (a local) checked against [0, count): the value, or a fault. */
  private checkedIndex(c: Code, F: number, t: number, count: number): void {
    c.get(t).i32(count).op(op.ge_u).if(true);
    this.fault(c, F);
    c.else().get(t).end();
  }

  private currentCode(c: Code, cpu: number, F: number): void {
    if (cpu < 0) this.fault(c, F);
    else this.rdS(c, this.cpu(cpu).current);
  }

  private instanceCode(c: Code, cpu: number, F: number, varId: number, instance: Instance): void {
    const decl = this.program.vars[varId]!;
    switch (instance.kind) {
      case 'global':
        c.i32(0);
        return;
      case 'this': {
        if (cpu < 0) return this.fault(c, F);
        if (decl.scope === 'percpu') {
          c.i32(cpu);
          return;
        }
        const t = c.local();
        this.currentCode(c, cpu, F);
        c.tee(t).i32(this.g.threads).op(op.lt_s).if(true).get(t).else();
        this.fault(c, F);
        c.end();
        return;
      }
      case 'of': {
        const t = c.local();
        this.exprCode(c, cpu, F, instance.which);
        c.set(t);
        this.checkedIndex(c, F, t, this.g.varInstances[varId]!);
        return;
      }
      default:
        return unreachable(instance);
    }
  }

  /** The slot index of a variable access (code leaving it). */
  private varSlotIndex(c: Code, cpu: number, F: number, varId: number, instance: Instance, index: Expr | null): void {
    c.i32(this.g.varBase[varId]!);
    this.instanceCode(c, cpu, F, varId, instance);
    c.i32(this.g.varElems[varId]!).op(op.mul).op(op.add);
    if (index !== null) {
      const t = c.local();
      this.exprCode(c, cpu, F, index);
      c.set(t);
      this.checkedIndex(c, F, t, this.program.vars[varId]!.length ?? 1);
      c.op(op.add);
    }
    this.tab(c, this.tVS);
  }

  private exprCode(c: Code, cpu: number, F: number, e: Expr): void {
    switch (e.kind) {
      case 'const':
        c.i32(e.value);
        return;
      case 'var': {
        const decl = this.program.vars[e.var]!;
        const offset = decl.type.kind === 'int' ? decl.type.min : 0;
        const fixed = staticVarSlot({ g: this.g, cpu }, e.var, e.instance, e.index);
        if (fixed !== null) this.rdS(c, fixed);
        else this.rdI(c, () => this.varSlotIndex(c, cpu, F, e.var, e.instance, e.index));
        if (offset !== 0) c.i32(offset).op(op.add);
        return;
      }
      case 'unary':
        if (e.op === '!') {
          this.exprCode(c, cpu, F, e.operand);
          c.op(op.eqz);
        } else {
          c.i32(0);
          this.exprCode(c, cpu, F, e.operand);
          c.op(op.sub);
        }
        return;
      case 'binary':
        return this.binary(c, cpu, F, e);
      case 'current':
      case 'self':
        return this.currentCode(c, cpu, F);
      case 'cpu':
        if (cpu < 0) this.fault(c, F);
        else c.i32(cpu);
        return;
      case 'thread_state': {
        const t = c.local();
        this.exprCode(c, cpu, F, e.thread);
        c.tee(t).i32(this.g.threads).op(op.ge_u).if(true);
        this.fault(c, F);
        c.else();
        this.rdI(c, () => this.tab(c.get(t), this.tTS));
        c.end();
        return;
      }
      case 'holder': {
        const t = c.local();
        this.rdS(c, this.layout.locks[e.lock]!.owner).tee(t).op(op.eqz).if(true).i32(this.g.threads).else();
        c.get(t).i32(1).op(op.sub).end();
        return;
      }
      case 'rq_len':
        this.rdS(c, this.layout.runQueue.len);
        return;
      case 'thread_of': {
        const t = c.local();
        this.exprCode(c, cpu, F, e.index);
        c.tee(t).i32(e.count).op(op.ge_u).if(true);
        this.fault(c, F);
        c.else().i32(e.first).get(t).op(op.add).end();
        return;
      }
      default:
        return unreachable(e);
    }
  }

  private binary(c: Code, cpu: number, F: number, e: Extract<Expr, { kind: 'binary' }>): void {
    const left = () => this.exprCode(c, cpu, F, e.left);
    const right = () => this.exprCode(c, cpu, F, e.right);
    const truth = () => c.i32(0).op(op.ne);
    switch (e.op) {
      case '&&':
        left();
        c.if(true);
        right();
        truth();
        c.else().i32(0).end();
        return;
      case '||':
        left();
        c.if(true).i32(1).else();
        right();
        truth();
        c.end();
        return;
      case '/':
      case '%': {
        const l = c.local();
        const r = c.local();
        left();
        c.set(l);
        right();
        c.tee(r).op(op.eqz).if(true);
        this.fault(c, F);
        c.else().get(l).get(r).op(e.op === '/' ? op.div_s : op.rem_s).end();
        return;
      }
      default: {
        const codes = { '+': op.add, '-': op.sub, '*': op.mul, '==': op.eq, '!=': op.ne, '<': op.lt_s, '<=': op.le_s, '>': op.gt_s, '>=': op.ge_s } as const;
        left();
        right();
        c.op(codes[e.op]);
      }
    }
  }

  // --------------------------------------------------------------------------------------------------------
  // Instructions

  /**
   * CPU k's step: the current thread, then one function per pc through a br_table (as compile.ts's table of
   * functions); instructions left to the reference model return SLOW.
   */
  private stepFunction(k: number): void {
    const cpu = this.cpu(k);
    const functions = this.m.code.map((instr, pc) => this.instructionFunction(k, pc, instr));
    const c = this.mod.body(this.fStep[k]!);
    const cur = c.local();
    const pc = c.local();
    this.slowIf(c, () => this.rdS(c, cpu.current).tee(cur).i32(this.g.threads).op(op.ge_s));
    this.rdS(c, cpu.pc).set(pc);
    // block $slow { block $pcN-1 { ... block $pc0 { br_table } call f0 return } ... } return SLOW
    const n = functions.length;
    c.block();
    for (let i = 0; i < n; i++) c.block();
    c.get(pc).brTable(
      Array.from({ length: n }, (_, i) => i),
      n,
    );
    for (let i = 0; i < n; i++) {
      c.end();
      const f = functions[i];
      if (f === null) c.i32(SLOW).ret();
      else {
        if (cpu.shadow !== null) this.wrS(c, cpu.shadow, 0);
        c.get(0).get(cur).call(f!).ret();
      }
    }
    c.end();
    c.i32(SLOW);
  }

  /** One instruction as a function (state, current thread) → 0 | SLOW | WARNED, or null when left to the reference. */
  private instructionFunction(k: number, pc: number, instr: Instr): number | null {
    if (!this.covered(instr)) return null;
    const f = this.mod.declare(2, 1);
    const fn = this.mod.body(f);
    // The body takes its locals from `fn` and goes after the touches gathered while writing it.
    const body = new Code(2, 1, fn);
    this.gathered = new Set();
    this.instruction(k, pc, instr, body);
    const words = [...this.gathered];
    this.gathered = null;
    for (const w of words) fn.i32(w).call(this.fTouch);
    fn.append(body);
    fn.i32(SLOW);
    return f;
  }

  /** Instructions the fast path leaves to the reference model (as compile.ts does). */
  private covered(instr: Instr): boolean {
    switch (instr.op) {
      case 'hlt':
      case 'raise':
      case 'try_acquire':
        return false;
      case 'ack':
      case 'eret':
      case 'save_elr':
      case 'restore_elr':
        return !this.x86;
      case 'iret':
        return this.x86;
      default:
        return true;
    }
  }

  /** The code of one instruction: it returns 0, SLOW or WARNED on every path. */
  private instruction(k: number, pc: number, instr: Instr, c: Code): void {
    const cpu = this.cpu(k);
    const g = this.g;
    const CUR = 1;
    let F = -1;
    const fault = (): number => {
      if (F < 0) F = c.local();
      return F;
    };
    const local = () => c.local();
    const slow = () => c.i32(SLOW).ret();
    const next = (to: number) => {
      this.wrS(c, cpu.pc, this.m.resolve(to));
      c.i32(0).ret();
    };
    const after = () => next(pc + 1);
    const e = (ex: Expr) => this.expr(c, k, fault(), ex);
    const failed = () => c.get(fault());
    const tstate = (t: number) => this.rdI(c, () => this.tab(c.get(t), this.tTS));
    const setTstate = (t: number, v: number) => this.wrI(c, () => this.tab(c.get(t), this.tTS), v);
    const threadArg = (ex: Expr): number => {
      const t = local();
      e(ex);
      c.set(t);
      return t;
    };
    /** `if (F || t >= threads) slow` (negative t too: the reference decides). */
    const badThread = (t: number) => {
      failed();
      c.get(t).i32(g.threads).op(op.ge_u).op(op.or);
    };
    const popInto = (w: number) => {
      c.get(0);
      this.currentStack(c, k, CUR);
      c.call(this.fPop).set(w);
    };
    const pushOrSlow = (stack: () => void, word: () => void) => {
      this.slowIf(c, () => {
        c.get(0);
        stack();
        word();
        c.call(this.fPush).op(op.eqz);
      });
    };
    const onStack = () => this.currentStack(c, k, CUR);
    switch (instr.op) {
      case 'work':
      case 'wfi':
        return after();
      case 'jump':
        return next(pc);
      case 'assign': {
        const v = local();
        e(instr.value);
        c.set(v);
        this.slowIf(c, failed);
        this.assign(c, k, fault(), instr.target, v);
        return after();
      }
      case 'branch': {
        const base = this.layout.pcBase[this.m.unitOf[pc]!]!;
        const v = local();
        e(instr.cond);
        c.set(v);
        this.slowIf(c, failed);
        c.get(v).if();
        after();
        c.end();
        return next(base + instr.ifFalse);
      }
      case 'call':
        pushOrSlow(onStack, () => this.frame(c, KIND_CALL, this.m.resolve(pc + 1), 0, () => c.get(CUR), 0, 0, 0));
        this.wrS(c, cpu.pc, this.m.unitStart(instr.unit));
        c.i32(0).ret();
        return;
      case 'ret': {
        const w = local();
        popInto(w);
        this.slowUnlessFrame(c, w, KIND_CALL, CUR);
        this.setPc(c, k, () => this.field(c, w, 'pc'));
        c.i32(0).ret();
        return;
      }
      case 'assert': {
        const v = local();
        e(instr.cond);
        c.set(v);
        this.slowIf(c, failed);
        c.get(v).op(op.eqz).if().i32(1).gset(this.gFatal).i32(SLOW).ret().end();
        return after();
      }
      case 'cli':
        this.wrS(c, cpu.ie, 0);
        return after();
      case 'sti':
        if (cpu.shadow !== null) {
          this.rdS(c, cpu.ie).op(op.eqz).if();
          this.wrS(c, cpu.shadow, 1);
          c.end();
        }
        this.wrS(c, cpu.ie, 1);
        return after();
      case 'irqsave':
        pushOrSlow(onStack, () => this.frame(c, KIND_FLAGS, 0, () => this.rdS(c, cpu.ie), () => c.get(CUR), 0, 0, 0));
        this.wrS(c, cpu.ie, 0);
        return after();
      case 'irqrestore': {
        const w = local();
        popInto(w);
        this.slowUnlessFrame(c, w, KIND_FLAGS, CUR);
        this.wrS(c, cpu.ie, () => this.field(c, w, 'ie'));
        return after();
      }
      case 'eoi': {
        const ins = local();
        this.rdS(c, cpu.inService).set(ins);
        this.slowIf(c, () => c.get(ins).i32(1 << instr.line).op(op.and).op(op.eqz));
        this.wrS(c, cpu.inService, () => c.get(ins).i32(~(1 << instr.line)).op(op.and));
        c.i32(EVENT_EOI).i32(k).i32(instr.line).i32(0).i32(0).i32(0).i32(0).call(this.fEvent);
        return after();
      }
      case 'ack': {
        const p = local();
        this.rdS(c, cpu.pending).set(p);
        this.slowIf(c, () => c.get(p).i32(1 << instr.line).op(op.and).op(op.eqz));
        this.wrS(c, cpu.pending, () => c.get(p).i32(~(1 << instr.line)).op(op.and));
        this.wrS(c, cpu.inService, () => this.rdS(c, cpu.inService).i32(1 << instr.line).op(op.or));
        return after();
      }
      case 'iret': {
        const w = local();
        popInto(w);
        this.slowUnlessFrame(c, w, KIND_IRQ, CUR);
        this.slowIf(c, () => {
          this.rdS(c, cpu.inService).i32(1);
          this.field(c, w, 'line').op(op.shl).op(op.and).i32(0).op(op.ne);
        });
        this.resumeFrame(c, k, w, true);
        return;
      }
      case 'eret': {
        const w = local();
        this.slowIf(c, () => this.rdS(c, cpu.elrState!).op(op.eqz));
        this.rdS(c, cpu.elr!).set(w);
        this.slowIf(c, () => {
          this.field(c, w, 'owner').get(CUR).op(op.ne);
          this.rdS(c, cpu.inService).i32(1);
          this.field(c, w, 'line').op(op.shl).op(op.and).i32(0).op(op.ne).op(op.or);
        });
        this.resumeFrame(c, k, w, false);
        return;
      }
      case 'save_elr':
        this.slowIf(c, () => this.rdS(c, cpu.elrState!).op(op.eqz));
        pushOrSlow(onStack, () => this.rdS(c, cpu.elr!));
        this.wrS(c, cpu.elrState!, 2);
        return after();
      case 'restore_elr': {
        const w = local();
        popInto(w);
        this.slowUnlessFrame(c, w, KIND_EXC, null);
        this.wrS(c, cpu.elrState!, 1);
        this.wrS(c, cpu.elr!, () => c.get(w));
        return after();
      }
      case 'irq_exit': {
        const hi = local();
        this.slowIf(c, () => this.rdS(c, cpu.hardirq).tee(hi).op(op.eqz));
        this.wrS(c, cpu.hardirq, () => c.get(hi).i32(1).op(op.sub));
        return after();
      }
      case 'acquire':
        this.acquire(c, k, instr.lock);
        return after();
      case 'release':
        this.release(c, k, instr.lock);
        return after();
      case 'enqueue': {
        const t = threadArg(instr.thread);
        const st = local();
        this.slowIf(c, () => badThread(t));
        this.slowIf(c, () => c.get(0).get(t).call(this.fRqHas));
        this.slowIf(c, () => c.get(0).get(t).call(this.fRqPush).op(op.eqz));
        tstate(t);
        c.tee(st).i32(TS_BLOCKED).op(op.eq).get(st).i32(TS_DORMANT).op(op.eq).op(op.or).if();
        setTstate(t, TS_READY);
        c.end();
        return after();
      }
      case 'pick': {
        const v = local();
        c.get(0).call(this.fRqShift).set(v);
        this.assign(c, k, fault(), instr.target, v);
        return after();
      }
      case 'wake': {
        const t = threadArg(instr.thread);
        this.slowIf(c, () => badThread(t));
        tstate(t);
        c.i32(TS_BLOCKED).op(op.eq).if();
        setTstate(t, TS_READY);
        c.get(0).get(t).call(this.fRqHas).op(op.eqz).if();
        this.slowIf(c, () => c.get(0).get(t).call(this.fRqPush).op(op.eqz));
        c.end();
        c.end();
        return after();
      }
      case 'spawn': {
        const t = threadArg(instr.thread);
        this.slowIf(c, () => badThread(t));
        this.slowIf(c, () => {
          tstate(t);
          c.i32(TS_DORMANT).op(op.ne);
        });
        setTstate(t, TS_READY);
        this.slowIf(c, () => c.get(0).get(t).call(this.fRqPush).op(op.eqz));
        return after();
      }
      case 'switch_to':
        return this.switchTo(c, k, pc, () => e(instr.thread), fault());
      case 'restore_context':
        return this.restoreContext(c, k, () => e(instr.thread), fault());
      case 'exit':
        setTstate(CUR, TS_EXITED);
        return after();
      case 'end':
        setTstate(CUR, TS_EXITED);
        this.wrS(c, cpu.pc, this.layout.stoppedPc);
        c.i32(0).ret();
        return;
      case 'free_stack': {
        const t = threadArg(instr.thread);
        this.slowIf(c, () => {
          badThread(t);
          c.get(0).get(t).i32(this.layout.stoppedPc).call(this.fCpuRunning).i32(0).op(op.ge_s).op(op.or);
        });
        this.slowIf(c, () => {
          tstate(t);
          c.i32(TS_EXITED).op(op.ne);
          this.rdI(c, () => this.tab(c.get(t), this.tTF));
          c.i32(1).op(op.eq).op(op.or);
        });
        this.wrI(c, () => this.tab(c.get(t), this.tTF), 1);
        c.get(0).get(t).call(this.fClear);
        return after();
      }
      case 'hlt':
      case 'raise':
      case 'try_acquire':
        slow();
        return;
      default:
        return unreachable(instr);
    }
  }

  /** The end of iret/eret: IE, hardirq and stack from the frame in local `w`, then its pc. */
  private resumeFrame(c: Code, k: number, w: number, x86: boolean): void {
    const cpu = this.cpu(k);
    this.wrS(c, cpu.ie, () => this.field(c, w, 'ie'));
    this.wrS(c, cpu.hardirq, () => this.field(c, w, 'hardirq'));
    this.wrS(c, cpu.stackSel, () => this.field(c, w, 'stack'));
    if (!x86) {
      this.wrS(c, cpu.elrState!, 0);
      this.wrS(c, cpu.elr!, 0);
    }
    this.setPc(c, k, () => this.field(c, w, 'pc'));
    c.i32(0).ret();
  }

  /** Assigns the value in local `v`: out-of-range values and bad indexes go to the reference. */
  private assign(c: Code, k: number, F: number, target: LValue, v: number): void {
    const decl = this.program.vars[target.var]!;
    const [lo, hi] = fits(valueRange(this.g, decl.type));
    this.slowIf(c, () => c.get(v).i32(lo).op(op.lt_s).get(v).i32(hi).op(op.gt_s).op(op.or));
    const code = () => {
      c.get(v);
      if (decl.type.kind === 'int' && decl.type.min !== 0) c.i32(decl.type.min).op(op.sub);
    };
    const fixed = staticVarSlot({ g: this.g, cpu: k }, target.var, target.instance, target.index);
    if (fixed !== null) {
      this.wrS(c, fixed, code);
      return;
    }
    if (target.index !== null) this.range(target.index);
    if (target.instance.kind === 'of') this.range(target.instance.which);
    const idx = c.local();
    this.varSlotIndex(c, k, F, target.var, target.instance, target.index);
    c.set(idx);
    this.slowIf(c, () => c.get(F));
    this.wrI(c, () => c.get(idx), code);
  }

  private acquire(c: Code, k: number, lock: number): void {
    const decl = this.program.locks[lock]!;
    if (decl.kind === 'mutex') {
      c.i32(SLOW).ret();
      return;
    }
    const cpu = this.cpu(k);
    const ls = this.layout.locks[lock]!;
    const hi = c.local();
    const held = c.local();
    this.slowIf(c, () => this.rdS(c, ls.owner).i32(0).op(op.ne));
    this.rdS(c, cpu.hardirq).set(hi);
    c.get(0).get(1).get(hi).call(this.fHeld).set(held);
    this.wrS(c, ls.owner, () => c.get(1).i32(1).op(op.add));
    this.wrS(c, ls.level, () => c.get(hi));
    const event = (ie: () => void) => {
      c.i32(EVENT_ACQUIRE).i32(k).i32(lock).get(1).get(hi);
      ie();
      c.get(held).call(this.fEvent);
    };
    if (ls.savedIe !== null) {
      const saved = c.local();
      this.rdS(c, cpu.ie);
      if (cpu.spinSavedIe !== null) this.rdS(c, cpu.spinSavedIe).op(op.or);
      c.set(saved);
      if (cpu.spinSavedIe !== null) this.wrS(c, cpu.spinSavedIe, 0);
      this.wrS(c, ls.savedIe, () => c.get(saved));
      this.wrS(c, cpu.ie, 0);
      event(() => c.get(saved).i32(1).op(op.eq));
    } else {
      event(() => this.rdS(c, cpu.ie).i32(1).op(op.eq));
    }
  }

  private release(c: Code, k: number, lock: number): void {
    const decl = this.program.locks[lock]!;
    if (decl.kind === 'mutex') {
      c.i32(SLOW).ret();
      return;
    }
    const cpu = this.cpu(k);
    const ls = this.layout.locks[lock]!;
    this.slowIf(c, () => {
      this.rdS(c, ls.owner).op(op.eqz);
      if (!decl.handoff) {
        this.rdS(c, ls.owner).get(1).i32(1).op(op.add).op(op.ne).op(op.or);
      }
    });
    this.wrS(c, ls.owner, 0);
    this.wrS(c, ls.level, 0);
    if (ls.savedIe !== null) {
      const savedIe = ls.savedIe;
      this.wrS(c, cpu.ie, () => this.rdS(c, savedIe));
      this.wrS(c, savedIe, 0);
    }
  }

  /** Checks shared by both switches (compile.ts's resumeChecks); `t` the thread to resume, W the warning local. */
  private resumeChecks(c: Code, k: number, warn: number, t: number, W: number): void {
    const cpu = this.cpu(k);
    const on = c.local();
    c.get(0).get(t).i32(this.layout.stoppedPc).call(this.fCpuRunning).set(on);
    c.get(on).i32(0).op(op.ge_s).get(on).i32(k).op(op.ne).op(op.and);
    this.rdI(c, () => this.tab(c.get(t), this.tTF));
    c.i32(1).op(op.eq).op(op.or);
    this.rdI(c, () => this.tab(c.get(t), this.tTS));
    c.i32(TS_EXITED).op(op.eq).op(op.or);
    c.if().i32(1).gset(this.gFatal).i32(SLOW).ret().end();
    this.rdS(c, cpu.hardirq).i32(0).op(op.gt_s);
    c.get(0).get(1).i32(-1).call(this.fHeld).i32(atomicLockMask(this.program)).op(op.and).i32(0).op(op.ne).op(op.or);
    c.if();
    c.i32(warn << 16).get(t).op(op.or).gset(this.gWarn);
    c.i32(WARNED).set(W);
    c.end();
  }

  /** The thread that stops running (compile.ts's leave). */
  private leave(c: Code): void {
    const CUR = 1;
    this.rdI(c, () => this.tab(c.get(CUR), this.tTS));
    c.i32(TS_RUNNING).op(op.eq).if();
    this.wrI(
      c,
      () => this.tab(c.get(CUR), this.tTS),
      () => {
        c.get(0).get(CUR).call(this.fRqHas).if(true).i32(TS_READY).else().i32(TS_BLOCKED).end();
      },
    );
    c.end();
  }

  private switchTo(c: Code, k: number, pc: number, target: () => void, F: number): void {
    const cpu = this.cpu(k);
    const CUR = 1;
    const ret = this.m.resolve(pc + 1);
    const t = c.local();
    const W = c.local();
    const f = c.local();
    c.i32(0).set(W);
    target();
    c.set(t);
    this.slowIf(c, () => c.get(F).get(t).i32(this.g.threads).op(op.ge_u).op(op.or));
    c.get(t).get(CUR).op(op.eq).if();
    this.wrS(c, cpu.pc, ret);
    c.i32(0).ret().end();
    this.resumeChecks(c, k, WARN_SWITCH_TO, t, W);
    this.slowIf(c, () => {
      c.get(0).get(CUR);
      this.frame(c, KIND_SWITCH, ret, 0, () => c.get(CUR), () => this.rdS(c, cpu.hardirq), 0, 0);
      c.call(this.fPush).op(op.eqz);
    });
    this.leave(c);
    this.wrS(c, cpu.current, () => c.get(t));
    this.wrI(c, () => this.tab(c.get(t), this.tTS), TS_RUNNING);
    c.get(0).get(t).call(this.fPop).set(f);
    this.slowUnlessFrame(c, f, KIND_SWITCH, t);
    this.wrS(c, cpu.hardirq, () => this.field(c, f, 'hardirq'));
    this.setPc(c, k, () => this.field(c, f, 'pc'));
    c.get(W).ret();
  }

  private restoreContext(c: Code, k: number, target: () => void, F: number): void {
    const cpu = this.cpu(k);
    const CUR = 1;
    const kind = this.x86 ? KIND_IRQ : KIND_EXC;
    const t = c.local();
    const W = c.local();
    const f = c.local();
    c.i32(0).set(W);
    target();
    c.set(t);
    this.slowIf(c, () => c.get(F).get(t).i32(this.g.threads).op(op.ge_u).op(op.or));
    c.get(t).get(CUR).op(op.ne).if();
    this.resumeChecks(c, k, WARN_RESTORE_CONTEXT, t, W);
    this.leave(c);
    this.wrS(c, cpu.current, () => c.get(t));
    this.wrI(c, () => this.tab(c.get(t), this.tTS), TS_RUNNING);
    c.end();
    c.get(0).get(t).call(this.fPop).set(f);
    this.slowUnlessFrame(c, f, kind, t);
    this.wrS(c, cpu.ie, () => this.field(c, f, 'ie'));
    this.wrS(c, cpu.hardirq, () => this.field(c, f, 'hardirq'));
    this.wrS(c, cpu.stackSel, () => this.field(c, f, 'stack'));
    if (!this.x86) {
      this.wrS(c, cpu.elrState!, 0);
      this.wrS(c, cpu.elr!, 0);
    }
    this.setPc(c, k, () => this.field(c, f, 'pc'));
    c.get(W).ret();
  }

  // --------------------------------------------------------------------------------------------------------
  // Actions and state checks

  private countMasked(c: Code, k: number): void {
    const slot = this.cpu(k).maskedSteps;
    if (slot === null) return;
    const v = c.local();
    this.wrS(c, slot, () => {
      this.rdS(c, this.cpu(k).ie).i32(1).op(op.eq).if(true).i32(0).else();
      this.rdS(c, slot).i32(1).op(op.add).tee(v).i32(slot.max).op(op.lt_s).if(true).get(v).else().i32(slot.max).end();
      c.end();
    });
  }

  private applyFunction(): void {
    const c = this.mod.body(this.fApply);
    const arg = c.local();
    const key = c.local();
    const r = c.local();
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
    const masked = (k: number) => this.countMasked(c, k);
    const when = (kind: ActionKind, k: number, body: () => void) => {
      c.get(key).i32(encodeAction(kind, k, 0) >>> 20).op(op.eq).if();
      body();
      c.end();
    };
    for (let k = 0; k < this.program.cpus; k++) {
      const cpu = this.cpu(k);
      when(ActionKind.step, k, () => {
        c.get(0).call(this.fStep[k]!).tee(r).i32(SLOW).op(op.eq).if().i32(SLOW).ret().end();
        masked(k);
        c.get(r).ret();
      });
      when(ActionKind.maskWait, k, () => {
        if (cpu.spinSavedIe === null) {
          c.i32(SLOW).ret();
          return;
        }
        if (cpu.shadow !== null) this.wrS(c, cpu.shadow, 0);
        this.wrS(c, cpu.spinSavedIe, 1);
        this.wrS(c, cpu.ie, 0);
        masked(k);
        c.i32(0).ret();
      });
      const enter = () => {
        this.slowIf(c, () => c.get(0).get(arg).call(this.fEnter[k]!).i32(0).op(op.ne));
        masked(k);
        c.i32(0).ret();
      };
      const arrive = () => this.wrS(c, cpu.pending, () => this.rdS(c, cpu.pending).i32(1).get(arg).op(op.shl).op(op.or));
      when(ActionKind.deliver, k, enter);
      when(ActionKind.arrive, k, () => {
        arrive();
        c.i32(0).ret();
      });
      when(ActionKind.arriveTake, k, () => {
        arrive();
        enter();
      });
    }
    c.i32(SLOW);
  }

  private stateCheckFunction(): void {
    const c = this.mod.body(this.fStateCheck);
    const F = c.local();
    const pc = c.local();
    for (const inv of this.program.invariants) {
      c.i32(0).set(F);
      this.expr(c, -1, F, inv.cond);
      c.op(op.eqz).get(F).op(op.or).if().i32(1).ret().end();
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
