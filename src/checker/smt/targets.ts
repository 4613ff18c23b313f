// What the SMT engine searches for, per property: conditions on a state or on a transition whose reachability
// decides the property. Most properties are one "immediate" condition (a violation event on a step, or a
// violation visible in a state). lockdep's two properties are different: their monitors collect usage bits
// and dependency edges over *all* reachable states, so a violation may combine facts seen on different paths.
// Each such fact is an atom searched on its own, and a violation is a combination of atoms that are all
// reachable (an ABBA cycle of dependency edges; IN-HARDIRQ-W and HARDIRQ-ON-W usage of one lock; an
// irq-safe -> irq-unsafe edge). The property holds once every combination has an atom proved unreachable.

import type { PropertyId } from '../../ir/ir.js';
import type { SymbolicSystem } from './system.js';
import { hardirqOnUsage, inHardirqUsage } from '../../hw/watch.js';
import type { AnyCond, B, Cond } from './sym.js';

export type TargetKind = 'state' | 'transition';

/** A condition to reach: on a state (found at the path's last state) or on a step (the path's last step). */
export interface Target {
  key: string;
  kind: TargetKind;
  /** Over the system's pre-state template (and choice, for transition targets; `enabled` is implied). */
  cond: B;
}

export interface PropertyPlan {
  property: PropertyId;
  /** Immediate violations; the property is violated as soon as one is reachable. */
  immediate: Target[];
  /** Combinations of atoms, each a violation when all its atoms are reachable. */
  combos: Target[][];
  /** Why a proof of this plan does not prove the whole property, or null when it does. */
  partial: string | null;
  /** Why the property cannot be searched for at all, or null. */
  notCheckable: string | null;
}

class TargetFactory {
  private readonly cache = new Map<string, Target>();

  constructor(readonly sys: SymbolicSystem) {}

  get(key: string, kind: TargetKind, build: () => AnyCond): Target {
    let t = this.cache.get(key);
    if (t === undefined) {
      t = { key, kind, cond: this.sys.sym.bool(build()) };
      this.cache.set(key, t);
    }
    return t;
  }

  violation(p: PropertyId): Target {
    return this.get(`violation:${p}`, 'transition', () => this.sys.violations.get(p)!);
  }

  stateViolation(p: PropertyId): Target {
    return this.get(`state:${p}`, 'state', () => this.sys.stateViolations.get(p)!);
  }

  /** A lock held in interrupt context ({IN-HARDIRQ-W}), as the irq-lock-safety monitor reads it off a state. */
  inHardirq(l: number): Target {
    return this.get(`in-hardirq:${l}`, 'state', () => {
      const { encoder } = this.sys;
      return inHardirqUsage(encoder.machine, encoder.state(this.sys.preVals), l);
    });
  }

  /** A lock held with interrupts enabled, at any interrupt level ({HARDIRQ-ON-W}). */
  hardirqOn(l: number): Target {
    return this.get(`hardirq-on:${l}`, 'state', () => {
      const { encoder } = this.sys;
      return hardirqOnUsage(encoder.machine, encoder.state(this.sys.preVals), l);
    });
  }

  /** lockdep dependency `from -> to`: `to` acquired (not a trylock) while `from` was held at the same level. */
  edge(from: number, to: number): Target {
    return this.get(`edge:${from}->${to}`, 'transition', () => {
      const { sym, encodings, ctx, choice, choiceBits } = this.sys;
      const cases: Cond[] = [];
      encodings.forEach((e, i) => {
        for (const a of e.acquires) {
          if (a.lock !== to || a.trylock) continue;
          cases.push(sym.and(choice.eq(ctx.BitVec.val(i, choiceBits)), a.when, a.held[from]!));
        }
      });
      return sym.or(...cases);
    });
  }

  /** irq-latency: some CPU's masked-step counter is past the declared bound. */
  latency(bound: number): Target {
    return this.get('latency', 'state', () => {
      const { sym, encoder } = this.sys;
      const s = encoder.state(this.sys.preVals);
      return sym.or(
        ...encoder.machine.layout.cpus.map((cpu) => (cpu.maskedSteps === null ? false : sym.ult(bound, s.read(cpu.maskedSteps)))),
      );
    });
  }
}

/** Every simple cycle of the complete dependency graph over `n` locks, each listed once (smallest lock first). */
export function simpleCycles(n: number): number[][] {
  const out: number[][] = [];
  const extend = (path: number[], onPath: Set<number>): void => {
    const start = path[0]!;
    for (let next = start; next < n; next++) {
      if (next === start) {
        if (path.length >= 2) out.push([...path]);
        continue;
      }
      if (onPath.has(next)) continue;
      path.push(next);
      onPath.add(next);
      extend(path, onPath);
      path.pop();
      onPath.delete(next);
    }
  };
  for (let start = 0; start < n; start++) extend([start], new Set([start]));
  return out;
}

/** More locks than this and lock-order's cycles are too many to enumerate. */
const MAX_CYCLE_LOCKS = 6;

export function planFor(sys: SymbolicSystem, property: PropertyId): PropertyPlan {
  const f = new TargetFactory(sys);
  const locks = sys.model.program.locks.length;
  const plan = (immediate: Target[], combos: Target[][] = [], partial: string | null = null): PropertyPlan => ({
    property,
    immediate,
    combos,
    partial,
    notCheckable: null,
  });
  switch (property) {
    case 'stack-integrity':
    case 'atomic-sleep':
      return plan([f.violation(property)]);
    case 'assertions':
      return plan([f.violation(property), f.stateViolation(property)]);
    case 'eoi-discipline':
      return plan(
        [f.violation(property)],
        [],
        'the SMT engine checks the immediate EOI rules only; "a line left in service forever" needs the explicit engine',
      );
    case 'no-deadlock':
      return plan(
        [f.get('stuck', 'state', () => sys.stuck)],
        [],
        'the SMT engine checks for stuck states only; "no progress reachable" (a livelock), a lost wake-up and a CPU that never progresses need the explicit engine',
      );
    case 'lock-order': {
      if (locks > MAX_CYCLE_LOCKS) {
        return { property, immediate: [], combos: [], partial: null, notCheckable: `more than ${MAX_CYCLE_LOCKS} locks` };
      }
      const cycles = simpleCycles(locks).map((cycle) => cycle.map((l, i) => f.edge(l, cycle[(i + 1) % cycle.length]!)));
      return plan([f.violation(property), f.stateViolation(property)], cycles);
    }
    case 'irq-lock-safety': {
      const combos: Target[][] = [];
      for (let l = 0; l < locks; l++) combos.push([f.inHardirq(l), f.hardirqOn(l)]);
      for (let a = 0; a < locks; a++) {
        for (let b = 0; b < locks; b++) if (a !== b) combos.push([f.inHardirq(a), f.hardirqOn(b), f.edge(a, b)]);
      }
      return plan([], combos);
    }
    case 'irq-latency': {
      const bound = sys.model.program.latencyBound;
      if (bound === null) {
        return { property, immediate: [], combos: [], partial: null, notCheckable: 'the model declares no latency bound (machine { latency N })' };
      }
      return plan([f.latency(bound)]);
    }
    case 'no-starvation':
      return {
        property,
        immediate: [],
        combos: [],
        partial: null,
        notCheckable: 'no-starvation is a liveness property: bounded model checking and k-induction only see safety properties',
      };
    default:
      return { property, immediate: [], combos: [], partial: null, notCheckable: `unknown property ${String(property)}` };
  }
}
