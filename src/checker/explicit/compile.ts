// The compiled successor function: the semantics of src/hw/ specialised to one program and generated from the
// validated IR only, as WebAssembly (wasmgen.ts) when the program's numbers fit 32-bit arithmetic, else as
// JavaScript (this file and codegen.ts); both back ends produce the same code, function for function. Each CPU
// gets one function per pc with the layout's word positions folded in; interrupt entry, the enabled-action scan
// and the state checks are generated the same way. Nothing on this path allocates except the events properties consume (acquire, EOI), and every write notes
// its word so that the engine rehashes only what changed (hashing.ts).
//
// The compiled code covers the happy path of every common instruction. Whenever the reference model would report
// a violation (fatal, or a warning other than a switch's atomic-sleep), and for the few instructions kept out of
// the fast path (mutexes, try_acquire, raise), a step returns SLOW and the engine asks the reference model
// (src/hw/build.ts) for that one transition, so every message and event stays exactly the reference's.
// test/checker/compiled.test.ts holds the two to agreement on every transition of every model.

import type { Instr, LValue, Program } from '../../ir/ir.js';
import { MAX_HARDIRQ, type CpuSlots, type Layout } from '../../ir/layout.js';
import { machineOf } from '../../hw/build.js';
import { threadName } from '../../hw/describe.js';
import { scheduleWarning } from '../../hw/threads.js';
import type { Machine } from '../../hw/machine.js';
import { unreachable } from '../../lang/unreachable.js';
import { ActionKind, actionCpu, encodeAction, type Model, type ModelEvent } from '../../ir/model.js';
import { decodeEvents, wasmModule, WasmUnsupported, type WasmModule } from './wasmgen.js';
import { expr, lit, Locals, readSlotCode, staticVarSlot, typeRange, varSlotIndexCode, writeSlotCode, type ExprContext } from './codegen.js';
import {
  atomicLockMask,
  Geometry,
  KIND_CALL,
  KIND_EXC,
  KIND_FLAGS,
  KIND_IRQ,
  KIND_SWITCH,
  runtime,
  TS_BLOCKED,
  TS_DORMANT,
  TS_EXITED,
  TS_READY,
  TS_RUNNING,
} from './geometry.js';

/** A transition the compiled code leaves to the reference model. */
export const SLOW = 1;
/** A transition made, with an atomic-sleep warning for the switch `warning()` describes. */
export const WARNED = 2;
/** `warning()` is `op << 16 | thread`: the switch instruction and the thread it resumes. */
export const WARN_SWITCH_TO = 1;
export const WARN_RESTORE_CONTEXT = 2;

export interface CompiledModel {
  readonly words: number;
  /** Which back end generated the code: WebAssembly (wasmgen.ts), or JavaScript when the program needs it. */
  readonly backend: 'wasm' | 'js';
  /**
   * Buffers the code works in place on (WebAssembly: views of its memory), for the search's current state and
   * successor: `apply(scratch.current, a, scratch.next, ev)` copies nothing. Any other arrays work too.
   */
  readonly scratch: { current: Uint32Array; next: Uint32Array } | null;
  /** Writes the enabled actions of `s` into `out` in the Model's order; returns how many. */
  actions(s: Uint32Array, out: Int32Array): number;
  /**
   * Writes the successor of `s` under `action` into `n` and pushes acquire/EOI events onto `events` (null: the
   * caller has no use for them). Returns 0; WARNED when the step also carries the atomic-sleep warning
   * `warning()` names; or SLOW when the reference model must compute this transition (then `n` and `events` are
   * garbage).
   */
  apply(s: Uint32Array, action: number, n: Uint32Array, events: ModelEvent[] | null): number;
  /** Whether the reference model's `stateEvents` could report anything for `s` (else it reports nothing). */
  stateCheck(s: Uint32Array): boolean;
  /**
   * After an `apply` that returned 0: the words it wrote are dirty[0 .. dirtyCount()) (every other word of `n`
   * equals `s`'s), so a hash can be updated from them alone.
   */
  readonly dirty: Int32Array;
  dirtyCount(): number;
  /** After an `apply` that returned WARNED: `op << 16 | thread` (WARN_SWITCH_TO / WARN_RESTORE_CONTEXT). */
  warning(): number;
  /**
   * After an `apply` that returned SLOW: true when the reference model reports this step as fatal (a failed
   * assertion, resuming a thread that runs elsewhere, has exited or lost its stack), so that a caller reading no
   * events may count it as a fatal step without asking the reference (test/checker/compiled-fatal.test.ts).
   */
  slowFatal(): boolean;
  /**
   * A fresh instance of the WebAssembly module, with its own memory, for one search to keep its store in
   * (wasmsearch.ts, wasmstore.ts); null for JavaScript code.
   */
  readonly searchInstance: (() => SearchInstance) | null;
}

/** The functions of the search core (wasmsearch.ts). */
export interface CoreExports {
  run(limit: number): number;
  insert(base: number, hash: number, parent: number, action: number, depth: number): number;
  find(base: number, hash: number): number;
  rehash(table: number, mask: number): void;
}

/** An instance of a model's module for one search: its core, and the successor function on the same memory. */
export interface SearchInstance {
  readonly memory: WebAssembly.Memory;
  readonly core: CoreExports;
  readonly layout: WasmModule['core'] & { S: number; N: number; A: number; OUT: number };
  /** The successor function working in this instance's memory (its views follow the memory as it grows). */
  readonly compiled: CompiledModel;
  /** The acquire/EOI events of the instance's last step, pushed onto `out`. */
  events(out: ModelEvent[]): void;
  /** Makes the views fresh after the memory grew. */
  refresh(): void;
}

/** The event of a transition `apply` returned WARNED for: `state` is the state it started from. */
export function warningEvent(model: Model, state: Uint32Array, action: number, warning: number): ModelEvent {
  const m = machineOf(model);
  const how = `${warning >>> 16 === WARN_SWITCH_TO ? 'switch_to' : 'restore_context'} ${threadName(m, warning & 0xffff)}`;
  const event = scheduleWarning(m, state, actionCpu(action), how);
  if (event === null) throw new Error('internal: the compiled step warned of a switch the model allows');
  return event;
}

/** The largest action list a state of this program can have. */
export function maxActions(program: Program): number {
  return program.cpus * (1 + program.lines.length);
}

/**
 * The enabled actions of `state`, written to `out` in the Model's order; returns how many. The compiled scan
 * answers when there is one (`compiled`), else the reference model.
 */
export function actionsInto(model: Model, compiled: CompiledModel | null, state: Uint32Array, out: Int32Array): number {
  if (compiled !== null) return compiled.actions(state, out);
  const list = model.actions(state);
  out.set(list);
  return list.length;
}

/** Whether the compiler covers the program (lock and line sets fit a 32-bit mask). */
function compilable(model: Model): boolean {
  return model.program.locks.length <= 30 && model.program.lines.length <= 30;
}

/** The generated JavaScript for a model (tests read it: it must hold nothing but numbers and compiler text). */
export function compiledSource(model: Model): string {
  return new Generator(machineOf(model), new Geometry(model.program, model.layout), model.layout).module();
}

/** One compiled model per Model: a second search of the same Model reuses code the JIT has already optimised. */
const compiledModels = new WeakMap<Model, CompiledModel | null>();

/**
 * Compiles the program behind `model`, or returns null when it is outside what the compiler covers. The code is
 * WebAssembly when the program's numbers fit it (wasmgen.ts), else JavaScript.
 */
export function compileModel(model: Model): CompiledModel | null {
  const known = compiledModels.get(model);
  if (known !== undefined) return known;
  const compiled = compileWith(model, 'wasm') ?? compileWith(model, 'js');
  compiledModels.set(model, compiled);
  return compiled;
}

/**
 * Compiles with one back end, uncached: null when the program is outside what that back end covers (tests hold
 * both to the reference model).
 */
export function compileWith(model: Model, backend: 'wasm' | 'js'): CompiledModel | null {
  if (!compilable(model)) return null;
  const m = machineOf(model);
  const g = new Geometry(model.program, model.layout);
  if (backend === 'wasm') {
    let generated: WasmModule;
    try {
      generated = wasmModule(m, g, model.layout, maxActions(model.program));
    } catch (error) {
      if (error instanceof WasmUnsupported) return null;
      throw error;
    }
    return instantiate(generated);
  }
  const source = new Generator(m, g, model.layout).module();
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from the IR's integers only (codegen.ts)
  const factory = new Function('rt', 'G', 'R', 'RANK', 'heldList', source) as (...args: unknown[]) => CompiledModel;
  const rank = new Int32Array(Math.max(model.program.lines.length, 1));
  m.linesByUrgency.forEach((line, i) => (rank[line] = i));
  return factory(runtime(g), g, m.resolved, rank, heldList);
}

/** The generated module of a program, for tests (null when the WebAssembly back end does not cover it). */
export function compiledModule(model: Model): Uint8Array<ArrayBuffer> | null {
  try {
    return wasmModule(machineOf(model), new Geometry(model.program, model.layout), model.layout, maxActions(model.program)).bytes;
  } catch (error) {
    if (error instanceof WasmUnsupported) return null;
    throw error;
  }
}

interface WasmExports extends CoreExports {
  memory: WebAssembly.Memory;
  actions(base: number): number;
  apply(base: number, action: number): number;
  stateCheck(base: number): number;
  dirtyCount(): number;
  warning(): number;
  fatal(): number;
  eventCount(): number;
}

/** A generated module, instantiated, behind the CompiledModel interface. */
function instantiate(generated: WasmModule): CompiledModel {
  const module = new WebAssembly.Module(generated.bytes);
  const searchInstance = (): SearchInstance => bind(module, generated, null);
  return bind(module, generated, searchInstance).compiled;
}

/** A new instance of `module` and the JavaScript around it. */
function bind(module: WebAssembly.Module, generated: WasmModule, searchInstance: (() => SearchInstance) | null): SearchInstance {
  const instance = new WebAssembly.Instance(module, {});
  const x = instance.exports as unknown as WasmExports;
  const words = generated.words;
  const { S: sAt, N: nAt, A: aAt } = generated;
  let S: Uint32Array;
  let N: Uint32Array;
  let A: Uint32Array;
  let OUT: Int32Array;
  let EV: Int32Array;
  let DIRTY: Int32Array;
  let scratch: { current: Uint32Array; next: Uint32Array };
  const refresh = (): void => {
    const buffer = x.memory.buffer;
    S = new Uint32Array(buffer, sAt, words);
    N = new Uint32Array(buffer, nAt, words);
    A = new Uint32Array(buffer, aAt, words);
    OUT = new Int32Array(buffer, generated.OUT, generated.room);
    EV = new Int32Array(buffer, generated.EV, 64);
    DIRTY = new Int32Array(buffer, generated.DIRTY, words);
    scratch = { current: S, next: N };
  };
  refresh();
  // A state the caller holds elsewhere is copied into A (never into S or N, which the search may be using).
  const baseOf = (s: Uint32Array): number => {
    if (s === S) return sAt;
    if (s === N) return nAt;
    A.set(s);
    return aAt;
  };
  const compiled: CompiledModel = {
    words,
    backend: 'wasm',
    get scratch() {
      return scratch;
    },
    actions(s, out) {
      const k = x.actions(baseOf(s));
      for (let i = 0; i < k; i++) out[i] = OUT[i]!;
      return k;
    },
    apply(s, action, n, events) {
      const r = x.apply(baseOf(s), action);
      if (r === SLOW) return r;
      if (n !== N) n.set(N);
      if (events !== null) {
        const count = x.eventCount();
        if (count > 0) decodeEvents(EV, count, events, heldList);
      }
      return r;
    },
    stateCheck: (s) => x.stateCheck(baseOf(s)) !== 0,
    get dirty() {
      return DIRTY;
    },
    dirtyCount: () => x.dirtyCount(),
    warning: () => x.warning(),
    slowFatal: () => x.fatal() === 1,
    searchInstance,
  };
  return {
    memory: x.memory,
    core: x,
    layout: { ...generated.core, S: sAt, N: nAt, A: aAt, OUT: generated.OUT },
    compiled,
    events(out) {
      const count = x.eventCount();
      if (count > 0) decodeEvents(EV, count, out, heldList);
    },
    refresh,
  };
}

const heldCache = new Map<number, number[]>();
/** The lock ids of a bitmask, ascending (an acquire event's `held`); shared arrays, never mutated. */
function heldList(mask: number): number[] {
  let list = heldCache.get(mask);
  if (list === undefined) {
    list = [];
    for (let l = 0; l < 31; l++) if (mask & (1 << l)) list.push(l);
    heldCache.set(mask, list);
  }
  return list;
}

class Generator {
  private readonly x86: boolean;

  constructor(
    private readonly m: Machine,
    private readonly g: Geometry,
    private readonly layout: Layout,
  ) {
    this.x86 = m.program.arch === 'x86_64';
  }

  private get program(): Program {
    return this.m.program;
  }

  private cpu(c: number): CpuSlots {
    return this.layout.cpus[c]!;
  }

  private rd(slot: import('../../ir/layout.js').Slot): string {
    return readSlotCode(slot);
  }

  /**
   * Words the function being generated writes, when its `touch` calls are gathered at its start (once per word,
   * before any write: listing a word that a path leaves unchanged is harmless, see CompiledModel.dirty).
   */
  private gathered: Set<number> | null = null;

  /** Writes a slot and notes its word as written (the engine rehashes only written words). */
  private wr(slot: import('../../ir/layout.js').Slot, value: string): string {
    if (this.gathered !== null) {
      this.gathered.add(slot.word);
      return writeSlotCode(slot, value);
    }
    return `{ touch(${lit(slot.word)}); ${writeSlotCode(slot, value)} }`;
  }

  /** A frame word from field values given as code. */
  private frame(kind: number, pc: string, ie: string, owner: string, hardirq: string, line: string, stack: string): string {
    const f = this.layout.frame;
    const part = (v: string, field: { shift: number; bits: number }) => `((${v}) << ${lit(field.shift)})`;
    return `((${lit(kind << f.kind.shift)}) | ${part(pc, f.pc)} | ${part(ie, f.ie)} | ${part(owner, f.owner)} | ${part(hardirq, f.hardirq)} | ${part(line, f.line)} | ${part(stack, f.stack)}) >>> 0`;
  }

  private field(word: string, name: 'kind' | 'pc' | 'ie' | 'owner' | 'hardirq' | 'line' | 'stack'): string {
    const f = this.layout.frame[name];
    return `((${word} >>> ${lit(f.shift)}) & ${lit(2 ** f.bits - 1)})`;
  }

  /** The stack CPU c runs on, as a stack id (its current thread's, or one of its handler stacks). */
  private currentStack(c: number): string {
    if (this.layout.handlerStackUnits.length === 0) return 'cur';
    return `(${this.rd(this.cpu(c).stackSel)} === 0 ? cur : ${lit(this.g.handlerStack(c, 0) - 1)} + ${this.rd(this.cpu(c).stackSel)})`;
  }

  private setPcCode(c: number, pc: string): string {
    return this.wr(this.cpu(c).pc, `(${pc} < ${lit(this.m.resolved.length)} ? R[${pc}] : ${pc})`);
  }

  private resolved(pc: number): number {
    return this.m.resolve(pc);
  }

  private setIe(c: number, v: string): string {
    return this.wr(this.cpu(c).ie, v);
  }

  /** The pc an interrupt taken at `pc` returns to: the next instruction after hlt/wfi. */
  private returnPoint(): string {
    const waits: number[] = [];
    this.m.code.forEach((i, pc) => {
      if (i.op === 'hlt' || i.op === 'wfi') waits.push(pc);
    });
    let code = 'pc';
    for (const pc of waits) code = `(pc === ${lit(pc)} ? ${lit(this.resolved(pc + 1))} : ${code})`;
    return code;
  }

  // --------------------------------------------------------------------------------------------------------
  // Enabled actions

  /**
   * A function returning CPU c's instruction action at `pc` (a step or a masked wait, as an action), or -1:
   * Machine.stepKind. Which instructions need more than "always enabled" (hlt, wfi, acquire) is read from tables
   * indexed by pc rather than a switch, for the same reason as the step functions.
   */
  private stepOfFunction(c: number): string {
    const cpu = this.cpu(c);
    const step = lit(encodeAction(ActionKind.step, c, 0));
    const mask = lit(encodeAction(ActionKind.maskWait, c, 0));
    return `function stepOf${c}(s, pc) {
      switch (OP[pc]) {
        case 0: return ${step} + pc;
        case 1: return -1;
        case 2: return ${readSlotCode(cpu.pending, 's')} !== 0 ? ${step} + pc : -1;
        default: {
          const l = LOCK[pc];
          const o = rd(s, LO[l]);
          if (o === 0) return ${step} + pc;
          if (LK[l] === 1) return ${readSlotCode(cpu.ie, 's')} === 1 ? ${mask} + pc : -1;
          if (LK[l] === 2 && o !== ${readSlotCode(cpu.current, 's')} + 1) return ${step} + pc;
          return -1;
        }
      }
    }`;
  }

  /**
   * Whether the sti shadow holds delivery off on CPU c in `s`: set, and the CPU has an instruction step to end it
   * (Machine.deliverable). Null when the CPU has no shadow (aarch64).
   */
  private shadowHolds(c: number): string | null {
    const cpu = this.cpu(c);
    if (cpu.shadow === null) return null;
    return `(${readSlotCode(cpu.shadow, 's')} === 1 && stepOf${c}(s, ${readSlotCode(cpu.pc, 's')}) >= 0)`;
  }

  /** A function returning the most urgent deliverable pending line on CPU c, or -1 (reads `s`). */
  private urgentFunction(c: number): string {
    const cpu = this.cpu(c);
    const lines = this.m.linesByUrgency
      .map((l) => `if ((p & ${lit(1 << l)}) !== 0 && (ins & ${lit(this.m.blockers[l]!)}) === 0) return ${lit(l)};`)
      .join('\n');
    const shadow = this.shadowHolds(c);
    return `function urgent${c}(s) {
      const p = ${readSlotCode(cpu.pending, 's')};
      if (p === 0 || ${readSlotCode(cpu.ie, 's')} !== 1) return -1;
      ${shadow === null ? '' : `if ${shadow} return -1;`}
      const ins = ${readSlotCode(cpu.inService, 's')};
      ${lines}
      return -1;
    }`;
  }

  /** Whether line l is deliverable on CPU c in `s` (interrupts on, the shadow not holding it off, not held off). */
  private deliverable(c: number, l: number): string {
    const cpu = this.cpu(c);
    const shadow = this.shadowHolds(c);
    return `(${readSlotCode(cpu.ie, 's')} === 1${shadow === null ? '' : ` && !${shadow}`} && (${readSlotCode(cpu.inService, 's')} & ${lit(this.m.blockers[l]!)}) === 0)`;
  }

  /** The enabled-action scan, in HwModel.actions' order. */
  private actionsFunction(): string {
    const out: string[] = [];
    const stopped = lit(this.layout.stoppedPc);
    for (let c = 0; c < this.program.cpus; c++) {
      const cpu = this.cpu(c);
      out.push(`{
        const pc = ${readSlotCode(cpu.pc, 's')};
        if (pc !== ${stopped}) {
          const u = urgent${c}(s);
          if (u >= 0) out[k++] = ${lit(encodeAction(ActionKind.deliver, c, 0))} + u;
          else { const a = stepOf${c}(s, pc); if (a >= 0) out[k++] = a; }
        }
      }`);
    }
    for (let c = 0; c < this.program.cpus; c++) {
      const cpu = this.cpu(c);
      const arrivals = this.m.arrivals[c]!;
      if (arrivals.length === 0) continue;
      const each = arrivals
        .map(
          (l) => `if ((p & ${lit(1 << l)}) === 0) out[k++] = (${this.deliverable(c, l)} && (u < 0 || RANK[u] > ${lit(this.m.linesByUrgency.indexOf(l))}) ? ${lit(encodeAction(ActionKind.arriveTake, c, l))} : ${lit(encodeAction(ActionKind.arrive, c, l))});`,
        )
        .join('\n');
      out.push(`if (${readSlotCode(cpu.pc, 's')} !== ${stopped}) { const p = ${readSlotCode(cpu.pending, 's')}; const u = urgent${c}(s); ${each} }`);
    }
    return `function actions(s, out) { let k = 0; ${out.join('\n')} return k; }`;
  }

  /**
   * Per pc: 0 = always enabled, 1 = never (hlt, and the stopped pc), 2 = wfi, 3 = acquire (of LOCK[pc]); per lock
   * its kind and owner slot.
   */
  private enablingTables(): string {
    const op = [...this.m.code.map((i) => (i.op === 'hlt' ? 1 : i.op === 'wfi' ? 2 : i.op === 'acquire' ? 3 : 0)), 1];
    const lock = [...this.m.code.map((i) => (i.op === 'acquire' ? i.lock : 0)), 0];
    const kinds = this.program.locks.map((l) => (l.kind === 'spin' ? 0 : l.kind === 'irqsave' ? 1 : 2));
    const owners = this.program.locks.map((l) => this.g.lockOwner[l.id]!);
    const list = (xs: number[]) => xs.map(lit).join(',');
    return `const OP = Int8Array.of(${list(op)});
      const LOCK = Int32Array.of(${list(lock)});
      const LK = Int8Array.of(${list(kinds)});
      const LO = Int32Array.of(${list(owners)});`;
  }

  // --------------------------------------------------------------------------------------------------------
  // Interrupt entry

  private enterFunction(c: number): string {
    const cpu = this.cpu(c);
    const cases = this.program.lines.map((line) => {
      const handler = line.handler;
      const k = this.m.handlerStackOf[handler]!;
      const start = lit(this.m.unitStart(handler));
      const lines: string[] = [];
      lines.push(`if (${this.rd(cpu.hardirq)} >= ${lit(MAX_HARDIRQ)}) return ${SLOW};`);
      lines.push('const cur = ' + this.rd(cpu.current) + `; if (cur >= ${lit(this.g.threads)}) return ${SLOW};`);
      lines.push(`const pc = ${this.rd(cpu.pc)}; const hi = ${this.rd(cpu.hardirq)};`);
      const frameWord = this.frame(this.x86 ? KIND_IRQ : KIND_EXC, this.returnPoint(), this.rd(cpu.ie), 'cur', 'hi', lit(line.id), this.rd(cpu.stackSel));
      if (this.x86) {
        lines.push(`const w = ${frameWord};`);
        if (k >= 0) {
          const id = this.g.handlerStack(c, k);
          lines.push(`if (rd(n, ${lit(this.g.stackSp[id]!)}) > 0) return ${SLOW};`);
          lines.push(this.wr(cpu.stackSel, lit(k + 1)));
          lines.push(`if (!push(n, ${lit(id)}, w)) return ${SLOW};`);
        } else {
          lines.push(`if (!push(n, ${this.currentStack(c)}, w)) return ${SLOW};`);
        }
        if (line.gate === 'interrupt') lines.push(this.setIe(c, '0'));
        if (cpu.shadow !== null) lines.push(this.wr(cpu.shadow, '0'));
        lines.push(this.wr(cpu.pending, `${this.rd(cpu.pending)} & ${lit(~(1 << line.id))}`));
        lines.push(this.wr(cpu.inService, `${this.rd(cpu.inService)} | ${lit(1 << line.id)}`));
      } else {
        lines.push(`if (${this.rd(cpu.elrState!)} === 1) return ${SLOW};`);
        lines.push(`const w = ${frameWord};`);
        if (k >= 0) {
          const id = this.g.handlerStack(c, k);
          lines.push(`if (rd(n, ${lit(this.g.stackSp[id]!)}) > 0) return ${SLOW};`);
          lines.push(this.wr(cpu.stackSel, lit(k + 1)));
        }
        lines.push(this.wr(cpu.elrState!, '1'));
        lines.push(this.wr(cpu.elr!, 'w'));
        lines.push(this.setIe(c, '0'));
      }
      lines.push(this.wr(cpu.hardirq, 'hi + 1'));
      lines.push(this.wr(cpu.pc, start));
      return `case ${lit(line.id)}: { ${lines.join('\n')} return 0; }`;
    });
    return `function enter${c}(n, line) { switch (line) { ${cases.join('\n')} } return ${SLOW}; }`;
  }

  // --------------------------------------------------------------------------------------------------------
  // Instructions

  /**
   * CPU c's instructions: one small function per pc, reached through a table. One function per instruction (not
   * one `switch` over the pcs) lets the JIT optimise each as soon as it is hot, with complete type feedback: a
   * large switch whose later cases are first reached deep in the search is deoptimised again and again.
   */
  private stepFunction(c: number): string {
    const entries: string[] = [];
    this.m.code.forEach((instr, pc) => {
      const locals = new Locals();
      this.gathered = new Set();
      const body = this.instruction(c, pc, instr, locals);
      const touches = [...this.gathered].map((w) => `touch(${lit(w)});`).join(' ');
      this.gathered = null;
      // F (a run-time fault) and W (a warning) only where the body uses them: smaller functions tier up sooner.
      const flags = ['F', 'W'].filter((f) => body !== null && new RegExp(`\\b${f}\\b`).test(body)).map((f) => `${f} = 0`);
      const decl = flags.length === 0 ? '' : `let ${flags.join(', ')};`;
      entries.push(body === null ? 'null' : `function (n, ev, cur) { ${decl} ${locals.declaration()} ${touches} ${body} }`);
    });
    const cpu = this.cpu(c);
    return `const STEP${c} = [${entries.join(',\n')}];
    function step${c}(n, ev) {
      const cur = ${this.rd(cpu.current)};
      if (cur >= ${lit(this.g.threads)}) return ${SLOW};
      const f = STEP${c}[${this.rd(cpu.pc)}];
      if (f === undefined || f === null) return ${SLOW};
      ${cpu.shadow === null ? '' : this.wr(cpu.shadow, '0')}
      return f(n, ev, cur);
    }`;
  }

  /** The code of one instruction: it ends with `return 0` having set the pc, or returns SLOW. */
  private instruction(c: number, pc: number, instr: Instr, locals: Locals): string | null {
    const cpu = this.cpu(c);
    const x: ExprContext = { g: this.g, cpu: c, locals };
    const next = (to: number) => `${this.wr(cpu.pc, lit(this.resolved(to)))} return 0;`;
    const after = () => next(pc + 1);
    const slow = `return ${SLOW};`;
    const e = (ex: Parameters<typeof expr>[1]) => expr(x, ex);
    const g = this.g;
    const tstate = (t: string) => `rd(n, TS[${t}])`;
    const setTstate = (t: string, v: number) => `wr(n, TS[${t}], ${lit(v)});`;
    switch (instr.op) {
      case 'work':
      case 'wfi':
        return after();
      case 'jump':
        return next(pc);
      case 'assign':
        return `const v = ${e(instr.value)}; if (F !== 0) ${slow} ${this.assign(x, instr.target, 'v')} ${after()}`;
      case 'branch': {
        const base = this.layout.pcBase[this.m.unitOf[pc]!]!;
        return `const v = ${e(instr.cond)}; if (F !== 0) ${slow} if (v !== 0) { ${after()} } ${next(base + instr.ifFalse)}`;
      }
      case 'call': {
        const w = this.frame(KIND_CALL, lit(this.resolved(pc + 1)), '0', 'cur', '0', '0', '0');
        return `if (!push(n, ${this.currentStack(c)}, ${w})) ${slow} ${this.wr(cpu.pc, lit(this.m.unitStart(instr.unit)))} return 0;`;
      }
      case 'ret':
        return `const w = pop(n, ${this.currentStack(c)}); if (w < 0 || ${this.field('w', 'kind')} !== ${lit(KIND_CALL)} || ${this.field('w', 'owner')} !== cur) ${slow} ${this.setPcCode(c, this.field('w', 'pc'))} return 0;`;
      case 'assert':
        return `const v = ${e(instr.cond)}; if (F !== 0) ${slow} if (v === 0) { FATAL = 1; ${slow} } ${after()}`;
      case 'cli':
        return `${this.setIe(c, '0')} ${after()}`;
      case 'sti': {
        const shadow = cpu.shadow === null ? '' : `if (${this.rd(cpu.ie)} === 0) ${this.wr(cpu.shadow, '1')}`;
        return `${shadow} ${this.setIe(c, '1')} ${after()}`;
      }
      case 'irqsave': {
        const w = this.frame(KIND_FLAGS, '0', this.rd(cpu.ie), 'cur', '0', '0', '0');
        return `if (!push(n, ${this.currentStack(c)}, ${w})) ${slow} ${this.setIe(c, '0')} ${after()}`;
      }
      case 'irqrestore':
        return `const w = pop(n, ${this.currentStack(c)}); if (w < 0 || ${this.field('w', 'kind')} !== ${lit(KIND_FLAGS)} || ${this.field('w', 'owner')} !== cur) ${slow} ${this.setIe(c, this.field('w', 'ie'))} ${after()}`;
      case 'eoi': {
        const bit = lit(1 << instr.line);
        return `const ins = ${this.rd(cpu.inService)}; if ((ins & ${bit}) === 0) ${slow} ${this.wr(cpu.inService, `ins & ${lit(~(1 << instr.line))}`)} if (ev !== null) ev.push({ kind: 'eoi', cpu: ${lit(c)}, line: ${lit(instr.line)} }); ${after()}`;
      }
      case 'ack': {
        if (this.x86) return null;
        const bit = lit(1 << instr.line);
        return `const p = ${this.rd(cpu.pending)}; if ((p & ${bit}) === 0) ${slow} ${this.wr(cpu.pending, `p & ${lit(~(1 << instr.line))}`)} ${this.wr(cpu.inService, `${this.rd(cpu.inService)} | ${bit}`)} ${after()}`;
      }
      case 'iret':
        if (!this.x86) return null;
        return `const w = pop(n, ${this.currentStack(c)}); if (w < 0 || ${this.field('w', 'kind')} !== ${lit(KIND_IRQ)} || ${this.field('w', 'owner')} !== cur) ${slow}
          if ((${this.rd(cpu.inService)} & (1 << ${this.field('w', 'line')})) !== 0) ${slow}
          ${this.setIe(c, this.field('w', 'ie'))} ${this.wr(cpu.hardirq, this.field('w', 'hardirq'))} ${this.wr(cpu.stackSel, this.field('w', 'stack'))}
          ${this.setPcCode(c, this.field('w', 'pc'))} return 0;`;
      case 'eret': {
        if (this.x86) return null;
        return `if (${this.rd(cpu.elrState!)} === 0) ${slow} const w = ${this.rd(cpu.elr!)};
          if (${this.field('w', 'owner')} !== cur || (${this.rd(cpu.inService)} & (1 << ${this.field('w', 'line')})) !== 0) ${slow}
          ${this.setIe(c, this.field('w', 'ie'))} ${this.wr(cpu.hardirq, this.field('w', 'hardirq'))} ${this.wr(cpu.stackSel, this.field('w', 'stack'))}
          ${this.wr(cpu.elrState!, '0')} ${this.wr(cpu.elr!, '0')}
          ${this.setPcCode(c, this.field('w', 'pc'))} return 0;`;
      }
      case 'save_elr':
        if (this.x86) return null;
        return `if (${this.rd(cpu.elrState!)} === 0) ${slow} if (!push(n, ${this.currentStack(c)}, ${this.rd(cpu.elr!)})) ${slow} ${this.wr(cpu.elrState!, '2')} ${after()}`;
      case 'restore_elr':
        if (this.x86) return null;
        return `const w = pop(n, ${this.currentStack(c)}); if (w < 0 || ${this.field('w', 'kind')} !== ${lit(KIND_EXC)}) ${slow} ${this.wr(cpu.elrState!, '1')} ${this.wr(cpu.elr!, 'w')} ${after()}`;
      case 'irq_exit':
        return `const hi = ${this.rd(cpu.hardirq)}; if (hi === 0) ${slow} ${this.wr(cpu.hardirq, 'hi - 1')} ${after()}`;
      case 'acquire':
        return this.acquire(c, instr.lock, after());
      case 'release':
        return this.release(c, instr.lock, after());
      case 'enqueue':
        return `const t = ${e(instr.thread)}; if (F !== 0 || t >= ${lit(g.threads)} || rqHas(n, t) || !rqPush(n, t)) ${slow}
          const st = ${tstate('t')}; if (st === ${lit(TS_BLOCKED)} || st === ${lit(TS_DORMANT)}) ${setTstate('t', TS_READY)} ${after()}`;
      case 'pick':
        return `const v = rqShift(n); ${this.assign(x, instr.target, 'v')} ${after()}`;
      case 'wake':
        return `const t = ${e(instr.thread)}; if (F !== 0 || t >= ${lit(g.threads)}) ${slow}
          if (${tstate('t')} === ${lit(TS_BLOCKED)}) { ${setTstate('t', TS_READY)} if (!rqHas(n, t) && !rqPush(n, t)) ${slow} } ${after()}`;
      case 'spawn':
        return `const t = ${e(instr.thread)}; if (F !== 0 || t >= ${lit(g.threads)} || ${tstate('t')} !== ${lit(TS_DORMANT)}) ${slow}
          ${setTstate('t', TS_READY)} if (!rqPush(n, t)) ${slow} ${after()}`;
      case 'switch_to':
        return this.switchTo(c, pc, e(instr.thread));
      case 'restore_context':
        return this.restoreContext(c, e(instr.thread));
      case 'exit':
        return `${setTstate('cur', TS_EXITED)} ${after()}`;
      case 'end':
        return `${setTstate('cur', TS_EXITED)} ${this.wr(cpu.pc, lit(this.layout.stoppedPc))} return 0;`;
      case 'free_stack':
        return `const t = ${e(instr.thread)}; if (F !== 0 || t >= ${lit(g.threads)} || cpuRunning(n, t, ${lit(this.layout.stoppedPc)}) >= 0) ${slow}
          if (${tstate('t')} !== ${lit(TS_EXITED)} || rd(n, TF[t]) === 1) ${slow}
          wr(n, TF[t], 1); clearStack(n, t); ${after()}`;
      case 'hlt':
      case 'raise':
      case 'try_acquire':
        return null;
      default:
        return unreachable(instr);
    }
  }

  /** Assigns the value in local `v` to an lvalue: out-of-range values and bad indexes go to the reference. */
  private assign(x: ExprContext, target: LValue, v: string): string {
    const decl = this.program.vars[target.var]!;
    const [lo, hi] = typeRange(this.g, decl.type);
    const code = decl.type.kind === 'int' ? `${v} - ${lit(decl.type.min)}` : v;
    const fixed = staticVarSlot(x, target.var, target.instance, target.index);
    const check = `if (${v} < ${lit(lo)} || ${v} > ${lit(hi)}) return ${SLOW};`;
    if (fixed !== null) return `${check} ${this.wr(fixed, code)}`;
    const idx = x.locals.fresh();
    return `${check} ${idx} = ${varSlotIndexCode(x, target.var, target.instance, target.index)}; if (F !== 0) return ${SLOW}; wr(n, ${idx}, ${code});`;
  }

  private acquire(c: number, lock: number, after: string): string {
    const decl = this.program.locks[lock]!;
    if (decl.kind === 'mutex') return `return ${SLOW};`;
    const cpu = this.cpu(c);
    const ls = this.layout.locks[lock]!;
    const lines = [
      `if (${this.rd(ls.owner)} !== 0) return ${SLOW};`,
      `const hi = ${this.rd(cpu.hardirq)};`,
      `const held = heldMask(n, cur, hi);`,
      this.wr(ls.owner, 'cur + 1'),
      this.wr(ls.level, 'hi'),
    ];
    if (ls.savedIe !== null) {
      const spin = cpu.spinSavedIe === null ? '0' : this.rd(cpu.spinSavedIe);
      lines.push(`const saved = ${this.rd(cpu.ie)} | ${spin};`);
      if (cpu.spinSavedIe !== null) lines.push(this.wr(cpu.spinSavedIe, '0'));
      lines.push(this.wr(ls.savedIe, 'saved'));
      lines.push(this.setIe(c, '0'));
      lines.push(`if (ev !== null) ev.push({ kind: 'acquire', cpu: ${lit(c)}, lock: ${lit(lock)}, owner: cur, hardirq: hi, ie: saved === 1, held: heldList(held), trylock: false });`);
    } else {
      lines.push(`if (ev !== null) ev.push({ kind: 'acquire', cpu: ${lit(c)}, lock: ${lit(lock)}, owner: cur, hardirq: hi, ie: ${this.rd(cpu.ie)} === 1, held: heldList(held), trylock: false });`);
    }
    return `${lines.join('\n')} ${after}`;
  }

  private release(c: number, lock: number, after: string): string {
    const decl = this.program.locks[lock]!;
    if (decl.kind === 'mutex') return `return ${SLOW};`;
    const ls = this.layout.locks[lock]!;
    const owner = `const o = ${this.rd(ls.owner)}; if (o === 0${decl.handoff ? '' : ' || o !== cur + 1'}) return ${SLOW};`;
    const restore = ls.savedIe === null ? '' : `${this.setIe(c, this.rd(ls.savedIe))} ${this.wr(ls.savedIe, '0')}`;
    return `${owner} ${this.wr(ls.owner, '0')} ${this.wr(ls.level, '0')} ${restore} ${after}`;
  }

  /**
   * Checks shared by both switches; `t` is the thread to resume, `cur` the one running. A switch that is not
   * allowed to resume `t` goes to the reference; one made in interrupt context or with a spinlock held (an
   * atomic-sleep warning, non-fatal) goes on, and the step returns WARNED with the switch noted in WARN: the
   * engine asks src/hw for the exact event (`scheduleWarning`).
   */
  private resumeChecks(c: number, op: number): string {
    const cpu = this.cpu(c);
    return `{ const on = cpuRunning(n, t, ${lit(this.layout.stoppedPc)}); if ((on >= 0 && on !== ${lit(c)}) || rd(n, TF[t]) === 1 || rd(n, TS[t]) === ${lit(TS_EXITED)}) { FATAL = 1; return ${SLOW}; } }
      if (${this.rd(cpu.hardirq)} > 0 || (heldMask(n, cur, -1) & ${lit(atomicLockMask(this.program))}) !== 0) { WARN = ${lit(op << 16)} | t; W = ${WARNED}; }`;
  }

  private leave(): string {
    return `if (rd(n, TS[cur]) === ${lit(TS_RUNNING)}) wr(n, TS[cur], rqHas(n, cur) ? ${lit(TS_READY)} : ${lit(TS_BLOCKED)});`;
  }

  private switchTo(c: number, pc: number, target: string): string {
    const cpu = this.cpu(c);
    const ret = lit(this.resolved(pc + 1));
    const w = this.frame(KIND_SWITCH, ret, '0', 'cur', this.rd(cpu.hardirq), '0', '0');
    return `const t = ${target}; if (F !== 0 || t >= ${lit(this.g.threads)}) return ${SLOW};
      if (t === cur) { ${this.wr(cpu.pc, ret)} return 0; }
      ${this.resumeChecks(c, WARN_SWITCH_TO)}
      if (!push(n, cur, ${w})) return ${SLOW};
      ${this.leave()}
      ${this.wr(cpu.current, 't')} wr(n, TS[t], ${lit(TS_RUNNING)});
      const f = pop(n, t); if (f < 0 || ${this.field('f', 'kind')} !== ${lit(KIND_SWITCH)} || ${this.field('f', 'owner')} !== t) return ${SLOW};
      ${this.wr(cpu.hardirq, this.field('f', 'hardirq'))}
      ${this.setPcCode(c, this.field('f', 'pc'))} return W;`;
  }

  private restoreContext(c: number, target: string): string {
    const cpu = this.cpu(c);
    const kind = this.x86 ? KIND_IRQ : KIND_EXC;
    const elr = this.x86 ? '' : `${this.wr(cpu.elrState!, '0')} ${this.wr(cpu.elr!, '0')}`;
    return `const t = ${target}; if (F !== 0 || t >= ${lit(this.g.threads)}) return ${SLOW};
      if (t !== cur) {
        ${this.resumeChecks(c, WARN_RESTORE_CONTEXT)}
        ${this.leave()}
        ${this.wr(cpu.current, 't')} wr(n, TS[t], ${lit(TS_RUNNING)});
      }
      const f = pop(n, t); if (f < 0 || ${this.field('f', 'kind')} !== ${lit(kind)} || ${this.field('f', 'owner')} !== t) return ${SLOW};
      ${this.setIe(c, this.field('f', 'ie'))} ${this.wr(cpu.hardirq, this.field('f', 'hardirq'))} ${this.wr(cpu.stackSel, this.field('f', 'stack'))}
      ${elr}
      ${this.setPcCode(c, this.field('f', 'pc'))} return W;`;
  }

  // --------------------------------------------------------------------------------------------------------
  // Actions and state checks

  private countMasked(c: number): string {
    const slot = this.cpu(c).maskedSteps;
    if (slot === null) return '';
    return this.wr(slot, `${this.rd(this.cpu(c).ie)} === 1 ? 0 : Math.min(${this.rd(slot)} + 1, ${lit(slot.max)})`);
  }

  private applyFunction(): string {
    const cases: string[] = [];
    for (let c = 0; c < this.program.cpus; c++) {
      const cpu = this.cpu(c);
      const masked = this.countMasked(c);
      const shadow = cpu.shadow === null ? '' : this.wr(cpu.shadow, '0');
      const spin = cpu.spinSavedIe === null ? `return ${SLOW};` : `${shadow} ${this.wr(cpu.spinSavedIe, '1')} ${this.setIe(c, '0')}`;
      cases.push(`case ${lit(encodeAction(ActionKind.step, c, 0) >>> 20)}: { const r = step${c}(n, ev); if (r === ${SLOW}) return ${SLOW}; ${masked} return r; }`);
      cases.push(`case ${lit(encodeAction(ActionKind.maskWait, c, 0) >>> 20)}: { ${spin} ${masked} return 0; }`);
      cases.push(`case ${lit(encodeAction(ActionKind.deliver, c, 0) >>> 20)}: if (enter${c}(n, arg) !== 0) return ${SLOW}; ${masked} return 0;`);
      cases.push(`case ${lit(encodeAction(ActionKind.arrive, c, 0) >>> 20)}: ${this.wr(cpu.pending, `${this.rd(cpu.pending)} | (1 << arg)`)} return 0;`);
      cases.push(`case ${lit(encodeAction(ActionKind.arriveTake, c, 0) >>> 20)}: ${this.wr(cpu.pending, `${this.rd(cpu.pending)} | (1 << arg)`)} if (enter${c}(n, arg) !== 0) return ${SLOW}; ${masked} return 0;`);
    }
    return `function apply(s, a, n, ev) {
      begin();
      FATAL = 0;
      n.set(s);
      const arg = a & 0xfffff;
      switch (a >>> 20) { ${cases.join('\n')} }
      return ${SLOW};
    }`;
  }

  private stateCheckFunction(): string {
    const locals = new Locals();
    const x: ExprContext = { g: this.g, cpu: -1, locals };
    const checks: string[] = [];
    for (const inv of this.program.invariants) checks.push(`{ F = 0; const v = ${expr(x, inv.cond)}; if (F !== 0 || v === 0) return true; }`);
    // A CPU about to acquire a lock its current thread holds (recursive locking), when no interrupt comes first.
    for (let c = 0; c < this.program.cpus; c++) {
      const cpu = this.cpu(c);
      checks.push(`{ const pc = ${this.rd(cpu.pc)};
        if (OP[pc] === 3 && rd(n, LO[LOCK[pc]]) === ${this.rd(cpu.current)} + 1 && urgent${c}(n) < 0) return true; }`);
    }
    return `function stateCheck(n) { let F = 0; ${locals.declaration()} ${checks.join('\n')} return false; }`;
  }

  module(): string {
    const cpus = Array.from({ length: this.program.cpus }, (_, c) => c);
    return `'use strict';
      const { rd, wr, push, pop, clearStack, rqHas, rqPush, rqShift, cpuRunning, heldMask, begin, touch } = rt;
      const VS = G.varSlot, TS = G.threadState, TF = G.threadFreed;
      let WARN = 0, FATAL = 0;
      ${this.enablingTables()}
      ${cpus.map((c) => this.stepOfFunction(c)).join('\n')}
      ${cpus.map((c) => this.urgentFunction(c)).join('\n')}
      ${cpus.map((c) => this.enterFunction(c)).join('\n')}
      ${cpus.map((c) => this.stepFunction(c)).join('\n')}
      ${this.actionsFunction()}
      ${this.applyFunction()}
      ${this.stateCheckFunction()}
      return { words: ${lit(this.layout.words)}, backend: 'js', scratch: null, actions, apply, stateCheck, dirty: rt.dirty, dirtyCount: rt.dirtyCount, warning: () => WARN, slowFatal: () => FATAL === 1, searchInstance: null };`;
  }
}
