// lock-order: lockdep's dependency check. Every acquire of L while the same thread holds H at the same
// interrupt level adds H → L; a cycle in the graph collected over all reachable states is a possible ABBA
// deadlock, even where the deadlock itself needs an interleaving the bounded model never reaches. Recursive
// locking and releasing a lock not held (bad unlock balance) are violations too.

import { contextOf, lockName } from '../../hw/describe.js';
import type { LockEdge } from '../verdict.js';
import {
  DependencyGraph,
  circularScenario,
  dependenciesOf,
  interruptScenario,
  lockEdge,
  lockNames,
  recursiveScenario,
  whereText,
} from './lockdep.js';
import { violationOn, type Finding, type PropertyDefinition } from './property.js';

export const lockOrder: PropertyDefinition = {
  id: 'lock-order',
  kind: 'safety',
  meaning: 'the lock dependency graph over all reachable states has no cycle (ABBA); no recursive locking or bad unlock',
  violatedBy: (gathered) => DependencyGraph.of((gathered as [number, number][][]).flat()).cyclic(),
  monitor: (x) => {
    const graph = new DependencyGraph();
    const edges: LockEdge[] = [];
    return {
      needsGraph: false,
      stateReads: {},
      // A cycle in the dependencies gathered, whatever order they came in, is a violation (onTransition finds it
      // when its last dependency comes); recursive locking and bad unlock balance are seen where they happen.
      gathered: () => graph.pairs(),
      onState(id, state, events): Finding | null {
        if (events.length === 0) return null; // the common case: a state with nothing to report
        for (const e of events) {
          if (e.kind !== 'violation' || e.property !== 'lock-order') continue;
          const lock = e.locks?.[0];
          const cpu = e.cpu;
          const finding: Finding = { message: e.message, state: id, action: null, violationSpan: null, lockGraph: [...edges] };
          if (lock === undefined || cpu === null) return finding;
          const name = lockName(x.machine, lock);
          // Taken at a lower interrupt level than the CPU is at now: an interrupt handler re-takes it.
          const interrupted = x.machine.lockLevel(state, lock) < x.machine.hardirq(state, cpu);
          finding.scenario = interrupted ? interruptScenario(name) : recursiveScenario(name);
          const pc = x.machine.pc(state, cpu);
          const span = x.machine.code[pc]?.span ?? null;
          const where = span === null ? undefined : x.model.program.spans[span];
          finding.violationSpan = span;
          finding.lockGraph = [
            ...edges,
            { from: name, to: name, context: contextOf(x.machine, state, cpu), span, location: where ? `${where.file}:${where.line}` : null },
          ];
          return finding;
        }
        return null;
      },
      onTransition(from, action, events): Finding | null {
        if (events.length === 0) return null; // most steps acquire nothing and violate nothing
        const bad = violationOn(x, 'lock-order', events, from, action);
        if (bad !== null) return { ...bad, lockGraph: [...edges] };
        for (const { from: held, to: taken } of dependenciesOf(events)) {
          if (graph.has(held, taken)) continue;
          graph.add({ from: held, to: taken, state: from, action, where: whereText(x, from, action) });
          edges.push(lockEdge(x, held, taken, from, action));
          const back = graph.path(taken, held);
          if (back === null) continue;
          const names = lockNames(x, back);
          const cycle = [lockName(x.machine, held), ...names.slice(0, -1)];
          const details = back.slice(0, -1).map((l, i) => {
            const dep = graph.get(l, back[i + 1]!)!;
            return `${lockName(x.machine, l)} -> ${lockName(x.machine, back[i + 1]!)} first seen in ${dep.where}`;
          });
          details.push(`${lockName(x.machine, held)} -> ${lockName(x.machine, taken)} first seen in ${whereText(x, from, action)}: the last step of the trace`);
          const otherHalves = back.slice(0, -1).map((l, i) => {
            const dep = graph.get(l, back[i + 1]!)!;
            return { title: `${lockName(x.machine, l)} -> ${lockName(x.machine, back[i + 1]!)}, first seen in ${dep.where}`, state: dep.state, action: dep.action };
          });
          return {
            message: `possible circular locking dependency: ${[...cycle, cycle[0]].join(' -> ')}; CPUs taking these locks in these orders can deadlock`,
            state: from,
            action,
            violationSpan: x.model.label(action).span,
            scenario: circularScenario(names),
            details,
            lockGraph: [...edges],
            otherHalves,
          };
        }
        return null;
      },
    };
  },
};
