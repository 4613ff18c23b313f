// irq-lock-safety: lockdep's usage bits. A lock held in interrupt context is {IN-HARDIRQ-W}; a lock held in
// thread context with interrupts enabled is {HARDIRQ-ON-W}. One lock with both can deadlock its CPU against
// itself (an interrupt arrives while the thread holds it). An irq-safe lock ordered before an irq-unsafe one
// can deadlock two CPUs. Usage is read off every reachable state; dependencies come from acquire events.

import { lockName } from '../../hw/describe.js';
import type { Machine } from '../../hw/machine.js';
import { DependencyGraph, dependenciesOf, interruptScenario, safeUnsafeScenario, whereText } from './lockdep.js';
import type { Exploration, Finding, PropertyDefinition } from './property.js';

const IN_HARDIRQ = 1;
const HARDIRQ_ON = 2;

/** The usage bits state `s` shows for each lock. */
function usageIn(m: Machine, s: Uint32Array): number[] {
  const usage = new Array<number>(m.program.locks.length).fill(0);
  for (let l = 0; l < usage.length; l++) {
    if (m.lockOwner(s, l) !== 0 && m.lockLevel(s, l) > 0) usage[l]! |= IN_HARDIRQ;
  }
  for (let c = 0; c < m.cpus; c++) {
    if (m.stopped(s, c) || m.hardirq(s, c) !== 0 || m.ie(s, c) !== 1) continue;
    for (const l of m.locksHeldBy(s, m.current(s, c))) usage[l]! |= HARDIRQ_ON;
  }
  return usage;
}

function discoveredBy(x: Exploration, id: number): string {
  const parent = x.parent(id);
  return parent < 0 ? 'the initial state' : whereText(x, parent, x.parentAction(id));
}

export const irqLockSafety: PropertyDefinition = {
  id: 'irq-lock-safety',
  kind: 'safety',
  meaning: 'no lock is both taken in interrupt context and held with interrupts enabled; no irq-safe -> irq-unsafe order',
  monitor: (x) => {
    const m = x.machine;
    const usage = new Array<number>(m.program.locks.length).fill(0);
    const firstSeen = new Map<string, string>(); // `${lock}:${bit}` → where
    const deps = new DependencyGraph();

    const inconsistent = (l: number, id: number): Finding => {
      const name = lockName(m, l);
      return {
        message: `inconsistent lock state: ${name} is taken in interrupt context and also held with interrupts enabled ({IN-HARDIRQ-W} -> {HARDIRQ-ON-W} usage); an interrupt arriving while ${name} is held deadlocks the CPU`,
        state: id,
        action: null,
        violationSpan: null,
        scenario: interruptScenario(name),
        details: [
          `{IN-HARDIRQ-W} state was registered at: ${firstSeen.get(`${l}:${IN_HARDIRQ}`)}`,
          `{HARDIRQ-ON-W} state was registered at: ${firstSeen.get(`${l}:${HARDIRQ_ON}`)}`,
        ],
      };
    };

    const safeBeforeUnsafe = (safe: number, unsafe: number, state: number, action: number | null): Finding => {
      const a = lockName(m, safe);
      const b = lockName(m, unsafe);
      return {
        message: `irq lock inversion: irq-safe lock ${a} is held while taking irq-unsafe lock ${b} (${a} -> ${b}); an interrupt taking ${a} on a CPU that holds ${b} can deadlock two CPUs`,
        state,
        action,
        violationSpan: action === null ? null : x.model.label(action).span,
        scenario: safeUnsafeScenario(a, b),
        details: [
          `${a} became irq-safe ({IN-HARDIRQ-W}) at: ${firstSeen.get(`${safe}:${IN_HARDIRQ}`)}`,
          `${b} became irq-unsafe ({HARDIRQ-ON-W}) at: ${firstSeen.get(`${unsafe}:${HARDIRQ_ON}`)}`,
          `${a} -> ${b} first seen in: ${deps.get(safe, unsafe)?.where}`,
        ],
      };
    };

    return {
      needsGraph: false,
      onState(id, state): Finding | null {
        const seen = usageIn(m, state);
        for (let l = 0; l < seen.length; l++) {
          const added = seen[l]! & ~usage[l]!;
          if (added === 0) continue;
          usage[l]! |= added;
          for (const bit of [IN_HARDIRQ, HARDIRQ_ON]) if (added & bit) firstSeen.set(`${l}:${bit}`, discoveredBy(x, id));
          if (usage[l] === (IN_HARDIRQ | HARDIRQ_ON)) return inconsistent(l, id);
          for (const dep of deps.all()) {
            if ((dep.from === l || dep.to === l) && usage[dep.from]! & IN_HARDIRQ && usage[dep.to]! & HARDIRQ_ON) {
              return safeBeforeUnsafe(dep.from, dep.to, id, null);
            }
          }
        }
        return null;
      },
      onTransition(from, action, events): Finding | null {
        for (const { from: held, to: taken } of dependenciesOf(events)) {
          if (deps.has(held, taken)) continue;
          deps.add({ from: held, to: taken, state: from, action, where: whereText(x, from, action) });
          if (usage[held]! & IN_HARDIRQ && usage[taken]! & HARDIRQ_ON) return safeBeforeUnsafe(held, taken, from, action);
        }
        return null;
      },
    };
  },
};
