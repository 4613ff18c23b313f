// What a breadth-first search asks of the semantics while it expands a state: the enabled actions, and each
// successor with its events. Two expanders answer it, and the search does not know which: the compiled
// WebAssembly code, which hands the transitions it leaves out back to the reference model
// (compiledexpander.ts), and the reference model alone, for a program that is not compiled (referenceexpander.ts).
// Either way the states, transitions, events and their order are exactly the reference Model's.

import type { ModelEvent } from '../../ir/model.js';

export interface Expander {
  /**
   * Where the search puts the state it expands: with compiled code, a view of the module's memory so that a
   * step copies nothing (it moves when the memory grows: read it again after `rebind`).
   */
  readonly current: Uint32Array;
  /** The enabled actions of `state` into `out`, in the Model's order; how many. */
  actions(state: Uint32Array, out: Int32Array): number;
  /**
   * The successor of `state` under `action` (a buffer the next step may overwrite), or null when the step is
   * fatal: it ends its path. Afterwards `events` are the step's events (built only when `observed`, or when the
   * reference model computed the step) and `written` how many words of the successor `dirty` lists as the only
   * ones that may differ from `state` (-1: any may).
   */
  step(state: Uint32Array, action: number, observed: boolean): Uint32Array | null;
  readonly events: readonly ModelEvent[];
  readonly written: number;
  readonly dirty: Int32Array | null;
  /** What the reference model reports of a state itself (assertion failures, deadlines, ...). */
  stateEvents(state: Uint32Array): readonly ModelEvent[];
  /** Views of a memory that grew are made fresh. */
  rebind(): void;
}

/** Whether a step's events end its path. */
export function fatal(events: readonly ModelEvent[]): boolean {
  for (const e of events) if (e.kind === 'violation' && e.fatal) return true;
  return false;
}
