// What lock-order and irq-lock-safety share, as lockdep has it: lock classes (here: each declared lock), the
// dependency graph "B was acquired while A was held at the same interrupt level" collected over every
// reachable state, and the "possible unsafe locking scenario" tables lockdep prints.

import { contextOf, lockName, pcLocation } from '../../hw/describe.js';
import { actionArg, actionCpu, actionKind, ActionKind, type Action, type ModelEvent } from '../../ir/model.js';
import type { Exploration } from './property.js';
import type { LockEdge } from '../verdict.js';

/** Where something was first observed: `thread worker at m.sched:12 (acquire B)`. */
export function whereText(x: Exploration, from: number, action: Action): string {
  const label = x.model.label(action);
  const cpu = actionCpu(action);
  const context = contextOf(x.machine, x.view(from), cpu); // read at once: a view needs no copy
  const kind = actionKind(action);
  const at = kind === ActionKind.step || kind === ActionKind.maskWait ? pcLocation(x.machine, actionArg(action)) : null;
  return `${context} on CPU ${cpu}${at === null ? '' : ` at ${at}`} (${label.text})`;
}

export interface Dependency {
  from: number;
  to: number;
  /** The transition that first showed it. */
  state: number;
  action: Action;
  where: string;
}

/** A dependency as reports draw it (names, the acquiring context and the acquire's source location). */
export function lockEdge(x: Exploration, from: number, to: number, state: number, action: Action): LockEdge {
  const label = x.model.label(action);
  const span = label.span === null ? undefined : x.model.program.spans[label.span];
  return {
    from: lockName(x.machine, from),
    to: lockName(x.machine, to),
    context: contextOf(x.machine, x.view(state), actionCpu(action)),
    span: label.span,
    location: span === undefined ? null : `${span.file}:${span.line}`,
  };
}

export class DependencyGraph {
  private readonly out = new Map<number, Map<number, Dependency>>();

  has(from: number, to: number): boolean {
    return this.out.get(from)?.has(to) ?? false;
  }

  add(dep: Dependency): void {
    let edges = this.out.get(dep.from);
    if (edges === undefined) this.out.set(dep.from, (edges = new Map()));
    edges.set(dep.to, dep);
  }

  get(from: number, to: number): Dependency | undefined {
    return this.out.get(from)?.get(to);
  }

  all(): Dependency[] {
    return [...this.out.values()].flatMap((edges) => [...edges.values()]);
  }

  /** The dependencies as (from, to) pairs: what a monitor gathers (Monitor.gathered). */
  pairs(): [number, number][] {
    return this.all().map((d) => [d.from, d.to]);
  }

  /** A graph of the dependencies `pairs` lists (each first seen nowhere in particular). */
  static of(pairs: Iterable<readonly [number, number]>): DependencyGraph {
    const graph = new DependencyGraph();
    for (const [from, to] of pairs) graph.add({ from, to, state: -1, action: -1, where: '' });
    return graph;
  }

  /** Whether some dependency closes a cycle. */
  cyclic(): boolean {
    return this.all().some((d) => this.path(d.to, d.from) !== null);
  }

  /** The locks of a shortest dependency path from `from` to `to` (both included), or null. */
  path(from: number, to: number): number[] | null {
    const previous = new Map<number, number>([[from, -1]]);
    const queue = [from];
    for (let i = 0; i < queue.length; i++) {
      const at = queue[i]!;
      if (at === to) {
        const path: number[] = [];
        for (let l = to; l !== -1; l = previous.get(l)!) path.push(l);
        return path.reverse();
      }
      for (const next of [...(this.out.get(at)?.keys() ?? [])].sort((a, b) => a - b)) {
        if (!previous.has(next)) {
          previous.set(next, at);
          queue.push(next);
        }
      }
    }
    return null;
  }
}

/** Dependencies an acquire adds: held → acquired, for locks held at the same interrupt level (not trylocks). */
export function dependenciesOf(events: readonly ModelEvent[]): { from: number; to: number }[] {
  const deps: { from: number; to: number }[] = [];
  for (const e of events) {
    if (e.kind !== 'acquire' || e.trylock) continue;
    for (const held of e.held) if (held !== e.lock) deps.push({ from: held, to: e.lock });
  }
  return deps;
}

const COLUMN = 32;

function table(rows: [string, string][], twoCpus: boolean): string[] {
  const lines = [' Possible unsafe locking scenario:', ''];
  lines.push(twoCpus ? `       ${'CPU0'.padEnd(COLUMN)}CPU1` : '       CPU0');
  lines.push(twoCpus ? `       ${'----'.padEnd(COLUMN)}----` : '       ----');
  for (const [left, right] of rows) lines.push(`  ${left.padEnd(COLUMN + 5)}${right}`.trimEnd());
  lines.push('', ' *** DEADLOCK ***');
  return lines;
}

/**
 * lockdep's circular scenario. `path` is the existing dependency chain from the lock being acquired (source) to
 * the lock held while acquiring it (target): the new dependency target → source closes the cycle.
 */
export function circularScenario(path: string[]): string[] {
  const source = path[0]!;
  const target = path[path.length - 1]!;
  const parent = path[path.length - 2] ?? source;
  const chain = path.length > 2 ? [' Chain exists of:', `   ${path.join(' --> ')}`, ''] : [];
  return [
    ...chain,
    ...table(
      [
        [`lock(${target});`, ''],
        ['', `lock(${parent});`],
        ['', `lock(${target});`],
        [`lock(${source});`, ''],
      ],
      true,
    ),
  ];
}

export function recursiveScenario(name: string): string[] {
  return [...table([[`lock(${name});`, ''], [`lock(${name});`, '']], false), '', ' May be due to missing lock nesting notation'];
}

/** A lock taken in interrupt context while the interrupted context holds it (or could). */
export function interruptScenario(name: string): string[] {
  return table(
    [
      [`lock(${name});`, ''],
      ['<Interrupt>', ''],
      [`  lock(${name});`, ''],
    ],
    false,
  );
}

/** lockdep's irq-safe → irq-unsafe scenario. */
export function safeUnsafeScenario(safe: string, unsafe: string): string[] {
  return table(
    [
      [`lock(${unsafe});`, ''],
      ['', 'local_irq_disable();'],
      ['', `lock(${safe});`],
      ['', `lock(${unsafe});`],
      ['<Interrupt>', ''],
      [`  lock(${safe});`, ''],
    ],
    true,
  );
}

export function lockNames(x: Exploration, locks: number[]): string[] {
  return locks.map((l) => lockName(x.machine, l));
}
