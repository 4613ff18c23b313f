// Everything a search reports as it goes, in one place for the search loops: new states go to the figures and
// the monitors that read states, transitions to the monitors that read events and to the state graph, and the
// transition count and the deepest level reached are kept for the statistics.

import type { Model, ModelEvent } from '../../ir/model.js';
import type { Expander } from './expander.js';
import type { FigureCollector } from './figures.js';
import { edgeFlags, type StateGraph } from './graph.js';
import type { OpenMonitors } from './openmonitors.js';

/** The EOI list of a transition that has none (shared, never mutated). */
export const NO_EOIS: readonly number[] = [];

export class SearchObserver {
  transitions = 0;
  maxDepth = 0;
  /**
   * Whether the monitors must see a new state (the search core's test, coresearch.ts, for the states JavaScript
   * stores itself); null: every one.
   */
  filter: ((state: Uint32Array) => boolean) | null = null;
  private readonly lineCount: number;

  constructor(
    private readonly model: Model,
    readonly monitors: OpenMonitors,
    readonly graph: StateGraph | null,
    private readonly figures: FigureCollector,
    private readonly expander: Expander,
  ) {
    this.lineCount = model.program.lines.length;
  }

  /** A new state `id`, `state` being the search's scratch copy of what was just stored. */
  discovered(id: number, state: Uint32Array, depth: number): void {
    this.figures.observe(state);
    if (depth > this.maxDepth) this.maxDepth = depth;
    if (this.monitors.onStates.length === 0 || (this.filter !== null && !this.filter(state))) return;
    this.monitors.state(id, state, this.expander.stateEvents(state));
  }

  /** The search starts expanding `id` (the graph's edges that follow are its). */
  begin(id: number): void {
    this.graph?.begin(id);
  }

  /** A transition from `id` to `to` (-1: fatal, or not known under hash compaction). */
  transition(id: number, action: number, events: readonly ModelEvent[], to: number, isFatal: boolean): void {
    if (events.length > 0) this.monitors.transition(id, action, events, to);
    if (this.graph === null) return;
    const flags = edgeFlags(this.model, action, isFatal);
    let eois: number[] | null = null;
    for (const e of events) {
      if (e.kind !== 'eoi') continue;
      eois ??= [];
      eois.push(e.cpu * this.lineCount + e.line);
    }
    this.graph.add(to, flags, eois ?? NO_EOIS);
  }
}
