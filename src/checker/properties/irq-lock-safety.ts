// irq-lock-safety: lockdep's usage bits. A lock held in interrupt context is {IN-HARDIRQ-W}; a lock held with
// interrupts enabled is {HARDIRQ-ON-W}, in thread context or in a handler that runs with them enabled (a trap
// gate, or a handler after `sti`), as lockdep marks every held lock when hardirqs are turned on. One lock with both can deadlock its CPU against
// itself (an interrupt arrives while the thread holds it). An irq-safe lock ordered before an irq-unsafe one
// can deadlock two CPUs. Usage is read off every reachable state; dependencies come from acquire events.

import { lockName } from '../../hw/describe.js';
import type { Machine } from '../../hw/machine.js';
import { hardirqOnUsage, inHardirqUsage } from '../../hw/watch.js';
import { ConcreteState } from '../../hw/state.js';
import { DependencyGraph, dependenciesOf, interruptScenario, safeUnsafeScenario, whereText } from './lockdep.js';
import type { Exploration, Finding, PropertyDefinition } from './property.js';

const IN_HARDIRQ = 1;
const HARDIRQ_ON = 2;

/** A lock both taken in interrupt context and held with interrupts enabled. */
const inconsistentUsage = (bits: number): boolean => bits === (IN_HARDIRQ | HARDIRQ_ON);

/** The dependency held -> taken goes from an irq-safe lock to an irq-unsafe one. */
const inverts = (usage: ArrayLike<number>, held: number, taken: number): boolean => (usage[held]! & IN_HARDIRQ) !== 0 && (usage[taken]! & HARDIRQ_ON) !== 0;

/** What the monitor gathers: the usage bits of each lock, and the dependencies (held, taken). */
interface Gathered {
  usage: number[];
  deps: [number, number][];
}

/** Reads the usage bits a state shows for each lock, through one reused view of the states it is given. */
class UsageReader {
  private readonly view: ConcreteState;

  constructor(private readonly m: Machine) {
    this.view = new ConcreteState(m, new Uint32Array(m.layout.words), null, []);
  }

  /**
   * Writes into `seen` the usage bits state `s` shows for each lock, leaving out the bits `known` already has
   * (they cannot add anything); returns the bits seen over all locks, so that 0 means nothing new.
   */
  read(s: Uint32Array, known: Uint8Array, seen: Uint8Array): number {
    const a = this.m.access;
    this.view.s = s;
    let any = 0;
    for (let l = 0; l < seen.length; l++) {
      let bits = 0;
      if ((known[l]! & IN_HARDIRQ) === 0 && inHardirqUsage(a, this.view, l) === true) bits |= IN_HARDIRQ;
      if ((known[l]! & HARDIRQ_ON) === 0 && hardirqOnUsage(a, this.view, l) === true) bits |= HARDIRQ_ON;
      seen[l] = bits;
      any |= bits;
    }
    return any;
  }
}

function discoveredBy(x: Exploration, id: number): string {
  const parent = x.parent(id);
  return parent < 0 ? 'the initial state' : whereText(x, parent, x.parentAction(id));
}

export const irqLockSafety: PropertyDefinition = {
  id: 'irq-lock-safety',
  kind: 'safety',
  meaning: 'no lock is both taken in interrupt context and held with interrupts enabled; no irq-safe -> irq-unsafe order',
  violatedBy(gathered) {
    const parts = gathered as Gathered[];
    const usage = parts.reduce<number[]>((all, p) => all.map((bits, l) => bits | p.usage[l]!), parts[0]?.usage.map(() => 0) ?? []);
    return usage.some(inconsistentUsage) || parts.some((p) => p.deps.some(([from, to]) => inverts(usage, from, to)));
  },
  monitor: (x) => {
    const m = x.machine;
    const reader = new UsageReader(m);
    const usage = new Uint8Array(m.program.locks.length);
    const seen = new Uint8Array(m.program.locks.length); // scratch: the usage bits of the state at hand
    const firstSeen = new Map<string, string>(); // `${lock}:${bit}` → where
    const deps = new DependencyGraph();

    const inconsistent = (l: number, id: number): Finding => {
      const name = lockName(m, l);
      return {
        message: `inconsistent lock state: ${name} is taken (or waited for) in interrupt context and also held with interrupts enabled ({IN-HARDIRQ-W} -> {HARDIRQ-ON-W} usage); an interrupt arriving while ${name} is held deadlocks the CPU`,
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
      stateReads: { watch: ['usage'] },
      // The usage bits and the dependencies: whichever of a violation's facts comes last, the monitor finds it then.
      gathered: (): Gathered => ({ usage: [...usage], deps: deps.pairs() }),
      onState(id, state): Finding | null {
        if (reader.read(state, usage, seen) === 0) return null;
        for (let l = 0; l < seen.length; l++) {
          const added = seen[l]! & ~usage[l]!;
          if (added === 0) continue;
          usage[l]! |= added;
          for (const bit of [IN_HARDIRQ, HARDIRQ_ON]) if (added & bit) firstSeen.set(`${l}:${bit}`, discoveredBy(x, id));
          if (inconsistentUsage(usage[l]!)) return inconsistent(l, id);
          for (const dep of deps.all()) {
            if ((dep.from === l || dep.to === l) && inverts(usage, dep.from, dep.to)) {
              return safeBeforeUnsafe(dep.from, dep.to, id, null);
            }
          }
        }
        return null;
      },
      onTransition(from, action, events): Finding | null {
        if (events.length === 0) return null; // most steps acquire nothing
        for (const { from: held, to: taken } of dependenciesOf(events)) {
          if (deps.has(held, taken)) continue;
          deps.add({ from: held, to: taken, state: from, action, where: whereText(x, from, action) });
          if (inverts(usage, held, taken)) return safeBeforeUnsafe(held, taken, from, action);
        }
        return null;
      },
    };
  },
};
