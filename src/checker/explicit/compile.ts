// The compiled successor function: the semantics of src/hw/ specialised to one program and generated from the
// validated IR only, as WebAssembly (wasmgen.ts), when the program's numbers fit 32-bit arithmetic and its lock
// and line sets a 32-bit mask; any other program runs on the reference model alone. Each CPU gets one function
// per pc with the layout's word positions folded in; interrupt entry, the enabled-action scan and the state
// checks are generated the same way. Nothing on this path allocates except the events properties consume
// (acquire, EOI), and every write notes its word so that the engine rehashes only what changed (hashing.ts).
//
// The compiled code covers the happy path of every common instruction. Whenever the reference model would report
// a violation (fatal, or a warning other than a switch's atomic-sleep), and for the few instructions kept out of
// the fast path (mutexes, try_acquire, raise), a step returns SLOW and the engine asks the reference model
// (src/hw/build.ts) for that one transition, so every message and event stays exactly the reference's.
// test/checker/compiled.test.ts holds the two to agreement on every transition of every model.

import type { Program } from '../../ir/ir.js';
import { machineOf } from '../../hw/build.js';
import { threadName } from '../../hw/describe.js';
import { scheduleWarning } from '../../hw/threads.js';
import { actionCpu, type Model, type ModelEvent } from '../../ir/model.js';
import { decodeEvents, wasmModule, WasmUnsupported, type WasmModule } from './wasmgen.js';
import { Geometry } from './geometry.js';

/** A transition the compiled code leaves to the reference model. */
export const SLOW = 1;
/** A transition made, with an atomic-sleep warning for the switch `warning()` describes. */
export const WARNED = 2;
/** `warning()` is `op << 16 | thread`: the switch instruction and the thread it resumes. */
export const WARN_SWITCH_TO = 1;
export const WARN_RESTORE_CONTEXT = 2;

export interface CompiledModel {
  readonly words: number;
  /**
   * Buffers the code works in place on (views of its memory), for the search's current state and successor:
   * `apply(scratch.current, a, scratch.next, ev)` copies nothing. Any other arrays work too.
   */
  readonly scratch: { current: Uint32Array; next: Uint32Array };
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
   * (wasmsearch.ts, wasmstore.ts).
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

/** One compiled model per Model: a second search of the same Model reuses code the JIT has already optimised. */
const compiledModels = new WeakMap<Model, CompiledModel | null>();

/**
 * Compiles the program behind `model`, or returns null when it is outside what the compiler covers (then the
 * engines ask the reference model for every transition).
 */
export function compileModel(model: Model): CompiledModel | null {
  const known = compiledModels.get(model);
  if (known !== undefined) return known;
  const compiled = compileUncached(model);
  compiledModels.set(model, compiled);
  return compiled;
}

/** Compiles anew (tests hold each compilation to the reference model). */
export function compileUncached(model: Model): CompiledModel | null {
  if (!compilable(model)) return null;
  let generated: WasmModule;
  try {
    generated = wasmModule(machineOf(model), new Geometry(model.program, model.layout), model.layout, maxActions(model.program));
  } catch (error) {
    if (error instanceof WasmUnsupported) return null;
    throw error;
  }
  return instantiate(generated);
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
