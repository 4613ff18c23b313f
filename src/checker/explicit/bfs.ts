// Breadth-first exploration of a Model, watched by property monitors. States are stored exactly; ids are
// discovery order, so the queue is the id range still to expand and every counterexample rebuilt from parent
// pointers is a shortest one. Bounds (states, depth, time, memory) end the run as incomplete, never a crash.

import { totalmem } from 'node:os';
import type { PropertyId } from '../../ir/ir.js';
import { machineOf } from '../../hw/build.js';
import type { Model, ModelEvent } from '../model.js';
import type { Exploration, Finding, Monitor } from '../properties/property.js';
import type { Figures, InconclusiveReason, Stats } from '../verdict.js';
import { FigureCollector } from './figures.js';
import { EDGE_FATAL, EDGE_PROGRESS, StateGraph } from './graph.js';
import { ProgressLine } from './progress.js';
import { MemoryBudgetExceeded, StateStore } from './store.js';

export interface ExploreBounds {
  maxStates?: number;
  maxDepth?: number;
  timeoutSeconds?: number;
  maxMemoryMb?: number;
  progress?: boolean;
}

export interface ExploreResult {
  findings: Map<PropertyId, { finding: Finding; stats: Stats }>;
  /** Why the search did not cover every reachable state, or null when it did (or every property was decided). */
  stop: { reason: InconclusiveReason; detail: string } | null;
  /** Every property was decided before the search was complete. */
  decidedEarly: boolean;
  stats: Stats;
  store: StateStore;
  figures: Figures | null;
}

const MB = 1024 * 1024;
/** Without --max-memory: half the machine's memory, at most 8 GB. */
const DEFAULT_MEMORY = Math.min(totalmem() / 2, 8192 * MB);

class Stop extends Error {
  constructor(
    readonly reason: InconclusiveReason,
    readonly detail: string,
  ) {
    super(detail);
  }
}

function fatal(events: readonly ModelEvent[]): boolean {
  for (const e of events) if (e.kind === 'violation' && e.fatal) return true;
  return false;
}

export function explore(
  model: Model,
  monitorFor: (x: Exploration) => Map<PropertyId, Monitor>,
  bounds: ExploreBounds,
): ExploreResult {
  const started = Date.now();
  const memoryLimit = bounds.maxMemoryMb !== undefined ? bounds.maxMemoryMb * MB : DEFAULT_MEMORY;
  const fits = (extraBytes: number): boolean => process.memoryUsage.rss() + extraBytes <= memoryLimit;
  const store = new StateStore(model.layout.words, fits);
  const machine = machineOf(model);
  const exploration: Exploration = {
    model,
    machine,
    state: (id) => store.state(id),
    depth: (id) => store.depth(id),
    parentAction: (id) => store.action(id),
    parent: (id) => store.parent(id),
  };
  const monitors = monitorFor(exploration);
  const open = new Map(monitors);
  const findings = new Map<PropertyId, { finding: Finding; stats: Stats }>();
  const graph = [...monitors.values()].some((m) => m.needsGraph) ? new StateGraph(fits) : null;
  const figures = new FigureCollector(model.program, model.layout, model.program.latencyBound);
  const progress = ProgressLine.forStderr(bounds.progress);
  const lineCount = model.program.lines.length;
  let transitions = 0;
  let maxDepth = 0;
  let depthCut = false;

  const stats = (): Stats => ({
    states: store.count,
    transitions,
    depth: maxDepth,
    seconds: (Date.now() - started) / 1000,
  });
  const record = (id: PropertyId, finding: Finding | null): void => {
    if (finding === null) return;
    findings.set(id, { finding, stats: stats() });
    open.delete(id);
  };
  const discovered = (id: number, state: Uint32Array): void => {
    figures.observe(state);
    const depth = store.depth(id);
    if (depth > maxDepth) maxDepth = depth;
    const events = open.size > 0 ? model.stateEvents(state) : [];
    for (const [pid, monitor] of open) if (monitor.onState) record(pid, monitor.onState(id, state, events));
  };
  const admit = (state: Uint32Array, parent: number, action: number, depth: number): number => {
    if (bounds.maxStates !== undefined && store.count >= bounds.maxStates && store.find(state) < 0) {
      throw new Stop('max-states', `stopped after ${store.count} states (--max-states ${bounds.maxStates})`);
    }
    const id = store.add(state, parent, action, depth);
    if (id >= 0) discovered(id, state);
    return id >= 0 ? id : -id - 1;
  };

  let stop: ExploreResult['stop'] = null;
  try {
    for (const init of model.initialStates()) admit(init, -1, -1, 0);
    for (let id = 0; id < store.count && open.size > 0; id++) {
      if ((id & 1023) === 0) {
        if (bounds.timeoutSeconds !== undefined && Date.now() - started >= bounds.timeoutSeconds * 1000) {
          throw new Stop('timeout', `stopped after ${bounds.timeoutSeconds} s (--timeout) with ${store.count} states`);
        }
        if (!fits(0)) throw new MemoryBudgetExceeded();
        progress.tick(store.count, store.count - id, store.depth(id));
      }
      const state = store.state(id);
      const depth = store.depth(id);
      graph?.begin(id);
      const actions = model.actions(state);
      if (bounds.maxDepth !== undefined && depth >= bounds.maxDepth) {
        // Not expanded: the search is cut here if any step would lead somewhere new.
        if (!depthCut) {
          depthCut = actions.some((a) => {
            const { next, events } = model.successor(state, a);
            return fatal(events) || store.find(next) < 0;
          });
        }
        continue;
      }
      for (const action of actions) {
        const { next, events } = model.successor(state, action);
        transitions++;
        const isFatal = fatal(events);
        const to = isFatal ? -1 : admit(next, id, action, depth + 1);
        for (const [pid, monitor] of open) if (monitor.onTransition) record(pid, monitor.onTransition(id, action, events, to));
        if (graph !== null) {
          const flags = (model.progress(action) ? EDGE_PROGRESS : 0) | (isFatal ? EDGE_FATAL : 0);
          const eois: number[] = [];
          for (const e of events) if (e.kind === 'eoi') eois.push(e.cpu * lineCount + e.line);
          graph.add(to, flags, eois);
        }
      }
    }
    if (depthCut) stop = { reason: 'max-depth', detail: `search cut at depth ${bounds.maxDepth} (--max-depth) with ${store.count} states` };
  } catch (error) {
    if (error instanceof Stop) stop = { reason: error.reason, detail: error.detail };
    else if (error instanceof MemoryBudgetExceeded) {
      const limit = Math.round(memoryLimit / MB);
      stop = { reason: 'max-memory', detail: `stopped at the memory limit (${limit} MB) with ${store.count} states` };
    } else throw error;
  } finally {
    progress.done();
  }

  const decidedEarly = open.size === 0;
  const complete = stop === null && !decidedEarly;
  if (complete) {
    for (const [pid, monitor] of [...open]) if (monitor.onComplete) record(pid, monitor.onComplete(graph));
  }
  return { findings, stop, decidedEarly, stats: stats(), store, figures: complete ? figures.figures() : null };
}
