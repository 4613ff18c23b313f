// The expander of a compiled program: the compiled WebAssembly successor function (compile.ts) steps on scratch
// buffers in its own memory, and hands a transition to the reference model only when it says so (SLOW: a
// violation, or an instruction it leaves out). A fatal step the compiled code recognises is not handed over when
// nothing reads its events: it only ends its path.
//
// A step is split in two methods so that the JIT keeps the common case small: a compiled step that made no event
// (`step`), and everything else (`handBack`: the reference model's steps, warnings, acquire and EOI events, fatal
// steps). A rare path first taken late in the search then deoptimises, and costs the recompiling of, a small
// function rather than the whole search loop.

import { NO_EVENTS, type Model, type ModelEvent } from '../../ir/model.js';
import { SLOW, WARNED, warnedEvents, type CompiledModel } from './compile.js';
import { fatal, type Expander } from './expander.js';

export class CompiledExpander implements Expander {
  current: Uint32Array;
  /** The successor buffer of a compiled step (the search core's RUN_NEW state is there too). */
  next: Uint32Array;
  events: readonly ModelEvent[] = NO_EVENTS;
  written = -1;
  dirty: Int32Array;
  /**
   * Events of the step under way not yet handed out: the compiled step's acquire/EOI events, or those the
   * search core's instance reports (coresearch.ts).
   */
  readonly pending: ModelEvent[] = [];

  /**
   * @param compiled the model's shared instance: lists actions and checks states, as the monitors' own calls do
   * @param stepper the instance that steps (the search core's own, whose memory holds the store, or `compiled`)
   */
  constructor(
    private readonly model: Model,
    private readonly compiled: CompiledModel,
    private readonly stepper: CompiledModel,
  ) {
    this.current = stepper.scratch.current;
    this.next = stepper.scratch.next;
    this.dirty = stepper.dirty;
  }

  rebind(): void {
    this.current = this.stepper.scratch.current;
    this.next = this.stepper.scratch.next;
    this.dirty = this.stepper.dirty;
  }

  actions(state: Uint32Array, out: Int32Array): number {
    return this.compiled.actions(state, out);
  }

  stateEvents(state: Uint32Array): readonly ModelEvent[] {
    return this.compiled.stateCheck(state) ? this.model.stateEvents(state) : NO_EVENTS;
  }

  step(state: Uint32Array, action: number, observed: boolean): Uint32Array | null {
    const made = this.stepper.apply(state, action, this.next, observed ? this.pending : null);
    if (made === 0 && this.pending.length === 0) {
      this.events = NO_EVENTS;
      this.written = this.stepper.dirtyCount();
      return this.next;
    }
    return this.handBack(state, action, made, observed);
  }

  /**
   * A step the fast path could not finish, `made` being what the compiled step returned (here or in the search
   * core); its events are built only for those who read them (`observed`).
   */
  handBack(state: Uint32Array, action: number, made: number, observed: boolean): Uint32Array | null {
    let successor: Uint32Array = this.next;
    let events: readonly ModelEvent[] = NO_EVENTS;
    let written = -1;
    if (made === SLOW) {
      this.pending.length = 0;
      if (!observed && this.stepper.slowFatal()) {
        // A fatal step nobody reads the events of: it ends its path, and that is all the search needs.
        this.events = NO_EVENTS;
        this.written = -1;
        return null;
      }
      const r = this.model.successor(state, action);
      successor = r.next;
      events = r.events;
    } else {
      written = this.stepper.dirtyCount();
      if (made === WARNED && observed) {
        // The compiled events of a warned step are the reference's less its warnings: take the reference's whole.
        this.pending.length = 0;
        events = warnedEvents(this.model, state, action);
      }
    }
    if (this.pending.length > 0) {
      events = this.pending.slice();
      this.pending.length = 0;
    }
    this.events = events;
    this.written = written;
    return events !== NO_EVENTS && fatal(events) ? null : successor;
  }
}
