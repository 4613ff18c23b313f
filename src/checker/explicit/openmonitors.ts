// The property monitors still open during a search, and the findings of those that closed. A monitor closes when
// it reports a finding; the search ends early once none is open.

import type { PropertyId } from '../../ir/ir.js';
import type { ModelEvent } from '../../ir/model.js';
import type { Finding, Monitor } from '../properties/property.js';
import type { Stats } from '../verdict.js';
import type { StateGraph } from './graph.js';
import type { WatchKind } from '../../hw/watch.js';
import { listen } from './heartbeat.js';

export class OpenMonitors {
  readonly open: Map<PropertyId, Monitor>;
  readonly findings = new Map<PropertyId, { finding: Finding; stats: Stats }>();
  // The open monitors as arrays, rebuilt when one closes: iterating a Map on every transition allocates.
  onStates: [PropertyId, Monitor][] = [];
  onTransitions: [PropertyId, Monitor][] = [];
  /**
   * Whether anyone reads transitions' events (a monitor's onTransition, or the state graph, `graphKept`): else
   * the search builds none. A field, not a getter: the search core asks at every return.
   */
  readsEvents = false;
  /**
   * What the open monitors' onState read of new states besides their events (Monitor.stateReads), together; null
   * when one of them reads anything of every state.
   */
  stateReads: { watch: Set<WatchKind>; progress: boolean } | null = null;

  /** @param stats the search's statistics when a finding is made, kept beside it */
  constructor(
    monitors: Map<PropertyId, Monitor>,
    private readonly graphKept: boolean,
    private readonly stats: () => Stats,
  ) {
    this.open = new Map(monitors);
    this.refresh();
  }

  private refresh(): void {
    this.onStates = [...this.open].filter(([, m]) => m.onState !== undefined);
    this.onTransitions = [...this.open].filter(([, m]) => m.onTransition !== undefined);
    this.readsEvents = this.onTransitions.length > 0 || this.graphKept;
    const reads = { watch: new Set<WatchKind>(), progress: false };
    for (const [, m] of this.onStates) {
      if (m.stateReads === undefined) {
        this.stateReads = null;
        return;
      }
      for (const kind of m.stateReads.watch ?? []) reads.watch.add(kind);
      if (m.stateReads.progress === true) reads.progress = true;
    }
    this.stateReads = reads;
  }

  /** What the open monitors that gather (Monitor.gathered) gathered so far, by property. */
  gathered(): [PropertyId, unknown][] {
    return [...this.open].flatMap(([id, m]): [PropertyId, unknown][] => (m.gathered === undefined ? [] : [[id, m.gathered()]]));
  }

  record(id: PropertyId, finding: Finding | null): void {
    if (finding === null) return;
    this.findings.set(id, { finding, stats: this.stats() });
    this.open.delete(id);
    this.refresh();
  }

  /** A new state, `state` being a scratch copy the monitors read during the call only. */
  state(id: number, state: Uint32Array, events: readonly ModelEvent[]): void {
    for (const [pid, monitor] of this.onStates) if (this.open.has(pid)) this.record(pid, monitor.onState!(id, state, events));
  }

  transition(id: number, action: number, events: readonly ModelEvent[], to: number): void {
    for (const [pid, monitor] of this.onTransitions) if (this.open.has(pid)) this.record(pid, monitor.onTransition!(id, action, events, to));
  }

  /**
   * The search covered every reachable state: the monitors that judge the whole graph do so. `checking` hears
   * their analyses' beats (heartbeat.ts), with the property being checked.
   */
  complete(graph: StateGraph | null, unsupported: ReadonlyMap<PropertyId, string>, checking: (property: PropertyId) => void = () => {}): void {
    try {
      for (const [pid, monitor] of [...this.open]) {
        if (unsupported.has(pid) || !monitor.onComplete) continue;
        listen(() => checking(pid));
        this.record(pid, monitor.onComplete(graph));
      }
    } finally {
      listen(null);
    }
  }
}
