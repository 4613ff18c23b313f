// Runtime verification of a trace against a model. The model is nondeterministic (interleavings, interrupt
// arrivals, silent steps), so the tracker keeps the SET of model configurations that agree with the trace so
// far, closed under silent actions: each trace event maps the set to the configurations reachable by one
// action producing that event (plus the silent closure). An empty result is a non-conforming event.
//
// The sets are the states of the determinised model, built lazily: every set is interned and every (set,
// event) transition cached, so a long trace of a periodic kernel costs a hash lookup per event once its few
// hundred distinct sets have been seen. The caches are dropped when they grow past a bound, which keeps the
// memory of a million-event trace bounded.
//
// A configuration is a model state plus, per CPU, the events still owed by an action that produces several
// (restore_context: switch, then iret). An action the model reports as fatal (a double fault, a kernel BUG)
// leads to the crashed configuration: the model says nothing about what a corrupted machine does next except
// that it does not go on as if nothing happened, so it accepts only the fault or hang that the corruption
// becomes, and the verdict says from where the trace conforms only by that corruption.

import { ActionKind, actionCpu, actionKind, encodeAction, type Action, type Model, type Successor } from '../ir/model.js';
import { contextOf, lockName, pcLocation } from '../hw/describe.js';
import type { Machine } from '../hw/machine.js';
import { type Expected, expectedEvents, formatExpected, matches } from './expected.js';
import type { TraceEvent } from './trace.js';

export interface TrackerLimits {
  /** Configurations in one set (after closure) before the check is inconclusive. */
  maxSetSize: number;
  /** Distinct sets kept interned before the caches are dropped. */
  maxCachedSets: number;
  /** States explored to decide whether a CPU can still make progress (hang events). */
  maxProgressSearch: number;
}

export const DEFAULT_LIMITS: TrackerLimits = { maxSetSize: 200_000, maxCachedSets: 50_000, maxProgressSearch: 200_000 };

type Pending = readonly (readonly Expected[])[];

export type Config =
  | { kind: 'live'; state: Uint32Array; pending: Pending | null; key: string }
  /** `owed`: the rest of the events of the fatal action itself (restore_context's iret after its switch). */
  | { kind: 'crashed'; message: string; key: string; owed: readonly Expected[] };

export interface StateSet {
  id: number;
  /** Interned sets of an older generation (before the caches were dropped) have no cached transitions. */
  generation: number;
  configs: readonly Config[];
  /** The message of the crash this set contains, if any. */
  crash: string | null;
  /** Every configuration is the crashed one. */
  onlyCrashed: boolean;
}

export class BoundReached extends Error {}

function fatalMessage(succ: Successor): string | null {
  for (const e of succ.events) if (e.kind === 'violation' && e.fatal) return `${e.property}: ${e.message}`;
  return null;
}

export class Tracker {
  private sets: StateSet[] = [];
  private setIds = new Map<string, number>();
  private transitions = new Map<number, Map<string, number>>();
  /** Number of times the caches were dropped: also the current generation of interned sets. */
  cacheResets = 0;

  constructor(
    readonly model: Model,
    readonly machine: Machine,
    readonly limits: TrackerLimits = DEFAULT_LIMITS,
  ) {}

  // ---------------------------------------------------------------------------------------------------
  // Configurations and sets

  private live(state: Uint32Array, pending: Pending | null): Config {
    const hasPending = pending !== null && pending.some((p) => p.length > 0);
    const tail = hasPending ? `|${pending!.map((p) => p.map(formatExpected).join(';')).join('/')}` : '';
    return { kind: 'live', state, pending: hasPending ? pending : null, key: state.join(',') + tail };
  }

  private crashed(message: string, owed: readonly Expected[] = []): Config {
    return { kind: 'crashed', message, key: owed.length === 0 ? 'crashed' : `crashed|${owed.map(formatExpected).join(';')}`, owed };
  }

  private intern(configs: Config[]): StateSet {
    const key = configs.map((c) => c.key).sort().join('\n');
    const known = this.setIds.get(key);
    if (known !== undefined) return this.sets[known]!;
    if (this.sets.length >= this.limits.maxCachedSets) this.dropCaches();
    const crash = configs.find((c) => c.kind === 'crashed');
    const set: StateSet = {
      id: this.sets.length,
      generation: this.cacheResets,
      configs,
      crash: crash?.kind === 'crashed' ? crash.message : null,
      onlyCrashed: configs.length > 0 && configs.every((c) => c.kind === 'crashed'),
    };
    this.sets.push(set);
    this.setIds.set(key, set.id);
    return set;
  }

  private dropCaches(): void {
    this.sets = [];
    this.setIds.clear();
    this.transitions.clear();
    this.cacheResets++;
  }

  /** Whether CPU `cpu` must first log events it still owes before it can act again. */
  private owes(config: Config, cpu: number): boolean {
    return config.kind === 'live' && config.pending !== null && (config.pending[cpu]?.length ?? 0) > 0;
  }

  /** Closes configurations under silent actions. */
  private closure(start: Config[]): StateSet {
    const seen = new Map<string, Config>();
    const queue: Config[] = [];
    const add = (c: Config): void => {
      if (seen.has(c.key)) return;
      seen.set(c.key, c);
      queue.push(c);
      if (seen.size > this.limits.maxSetSize) {
        throw new BoundReached(`more than ${this.limits.maxSetSize} model states agree with the trace at once`);
      }
    };
    for (const c of start) add(c);
    while (queue.length > 0) {
      const c = queue.pop()!;
      if (c.kind === 'crashed') continue;
      for (const a of this.model.actions(c.state)) {
        if (actionKind(a) !== ActionKind.arrive && this.owes(c, actionCpu(a))) continue;
        if (expectedEvents(this.model, this.machine, c.state, a).length > 0) continue;
        const succ = this.model.successor(c.state, a);
        const fatal = fatalMessage(succ);
        add(fatal === null ? this.live(succ.next, c.pending) : this.crashed(fatal));
      }
    }
    return this.intern([...seen.values()]);
  }

  initial(): StateSet {
    return this.closure(this.model.initialStates().map((s) => this.live(s, null)));
  }

  // ---------------------------------------------------------------------------------------------------
  // Events

  /** The set after `event`, or null if no configuration allows it. Cached per (set, event key). */
  step(set: StateSet, event: TraceEvent, key: string): StateSet | null {
    const current = set.generation === this.cacheResets;
    const cached = current ? this.transitions.get(set.id)?.get(key) : undefined;
    if (cached !== undefined) return cached < 0 ? null : this.sets[cached]!;
    const next = this.compute(set, event);
    // Computing may have dropped the caches: only a transition between two current sets is cached.
    if (set.generation === this.cacheResets && (next === null || next.generation === this.cacheResets)) {
      let row = this.transitions.get(set.id);
      if (row === undefined) {
        row = new Map();
        this.transitions.set(set.id, row);
      }
      row.set(key, next === null ? -1 : next.id);
    }
    return next;
  }

  private compute(set: StateSet, event: TraceEvent): StateSet | null {
    switch (event.event) {
      case 'fault':
        return this.onFault(set, event.cpu);
      case 'hang':
        return this.onHang(set, event.cpus ?? [event.cpu]);
      case 'hlt':
        return this.keepLive(set, (c) => {
          const instr = this.machine.code[this.machine.pc(c.state, event.cpu)];
          return instr?.op === 'halted' && instr.by === 'hlt';
        });
      case 'end':
        // The kernel stopped logging on purpose: any live configuration may stop here, a crashed one may not.
        return this.keepLive(set, () => true);
      default:
        return this.onAction(set, event);
    }
  }

  private onAction(set: StateSet, event: TraceEvent): StateSet | null {
    const next: Config[] = [];
    for (const c of set.configs) {
      if (c.kind === 'crashed') {
        // A corrupted machine does not go on logging as if nothing happened, but it does finish logging the
        // action that corrupted it.
        if (c.owed.length > 0 && matches(c.owed[0]!, event)) next.push(this.crashed(c.message, c.owed.slice(1)));
        continue;
      }
      if (this.owes(c, event.cpu)) {
        const owed = c.pending![event.cpu]!;
        if (matches(owed[0]!, event)) next.push(this.live(c.state, c.pending!.map((p, i) => (i === event.cpu ? p.slice(1) : p))));
        continue;
      }
      for (const a of this.model.actions(c.state)) {
        if (actionCpu(a) !== event.cpu || actionKind(a) === ActionKind.arrive) continue;
        const produced = expectedEvents(this.model, this.machine, c.state, a);
        if (produced.length === 0 || !matches(produced[0]!, event)) continue;
        const succ = this.model.successor(c.state, a);
        const fatal = fatalMessage(succ);
        if (fatal !== null) {
          next.push(this.crashed(fatal, produced.slice(1)));
          continue;
        }
        const pending = produced.length === 1 ? c.pending : this.withOwed(c.pending, event.cpu, produced.slice(1));
        next.push(this.live(succ.next, pending));
      }
    }
    return next.length === 0 ? null : this.closure(next);
  }

  private withOwed(pending: Pending | null, cpu: number, owed: readonly Expected[]): Pending {
    const out = Array.from({ length: this.machine.cpus }, (_, i) => pending?.[i] ?? []);
    out[cpu] = owed;
    return out;
  }

  /** The configurations that pass `test`; a crashed one is kept as it is (it allows faults and hangs). */
  private keep(set: StateSet, test: (c: Extract<Config, { kind: 'live' }>) => boolean): StateSet | null {
    const kept = set.configs.filter((c) => c.kind === 'crashed' || test(c));
    return kept.length === 0 ? null : this.intern(kept);
  }

  /** The live configurations that pass `test`: the event is one a crashed machine does not log. */
  private keepLive(set: StateSet, test: (c: Extract<Config, { kind: 'live' }>) => boolean): StateSet | null {
    const kept = set.configs.filter((c) => c.kind === 'live' && test(c));
    return kept.length === 0 ? null : this.intern(kept);
  }

  /** A fault is allowed where the model has crashed, or can take a fatal action on that CPU now. */
  private onFault(set: StateSet, cpu: number): StateSet | null {
    for (const c of set.configs) {
      if (c.kind === 'crashed') return this.intern([c]);
      for (const a of this.model.actions(c.state)) {
        if (actionCpu(a) !== cpu || actionKind(a) === ActionKind.arrive) continue;
        const fatal = fatalMessage(this.model.successor(c.state, a));
        if (fatal !== null) return this.intern([this.crashed(fatal)]);
      }
    }
    return null;
  }

  /** A hang is allowed where none of the hung CPUs can ever make progress again. */
  private onHang(set: StateSet, cpus: number[]): StateSet | null {
    return this.keep(set, (c) => !this.canProgress(c.state, cpus));
  }

  private canProgress(start: Uint32Array, cpus: number[]): boolean {
    const seen = new Set<string>([start.join(',')]);
    const queue = [start];
    while (queue.length > 0) {
      const s = queue.pop()!;
      for (const a of this.model.actions(s)) {
        if (cpus.includes(actionCpu(a)) && this.model.progress(a)) return true;
        const succ = this.model.successor(s, a);
        if (fatalMessage(succ) !== null) continue;
        const key = succ.next.join(',');
        if (seen.has(key)) continue;
        if (seen.size >= this.limits.maxProgressSearch) {
          throw new BoundReached(`more than ${this.limits.maxProgressSearch} model states searched for progress of the hung CPUs`);
        }
        seen.add(key);
        queue.push(succ.next);
      }
    }
    return false;
  }

  // ---------------------------------------------------------------------------------------------------
  // Explaining a rejection

  /** Events the configurations of a set would have allowed next, each once. */
  allowed(set: StateSet): string[] {
    const out = new Set<string>();
    for (const c of set.configs) for (const e of this.allowedBy(c)) out.add(e);
    return [...out].sort();
  }

  /** Events one configuration allows next: what it still owes, and the first event of each visible action. */
  allowedBy(config: Config): string[] {
    if (config.kind === 'crashed') {
      const rest = config.owed.length > 0 ? [formatExpected(config.owed[0]!)] : [];
      return [...rest, 'a fault or a hang on any CPU (the model has crashed)'];
    }
    const out: string[] = [];
    const owing = new Set<number>();
    config.pending?.forEach((p, cpu) => {
      if (p.length > 0) {
        out.push(formatExpected(p[0]!));
        owing.add(cpu);
      }
    });
    for (const a of this.model.actions(config.state)) {
      if (owing.has(actionCpu(a))) continue;
      const produced = expectedEvents(this.model, this.machine, config.state, a);
      if (produced.length > 0) out.push(formatExpected(produced[0]!));
    }
    return out;
  }

  /**
   * The configurations worth showing for a rejection: those waiting to log an event (the others are on their
   * way there through silent steps), grouped when they read the same.
   */
  frontier(set: StateSet, limit: number): { cpus: string[]; count: number }[] {
    const groups = new Map<string, { cpus: string[]; count: number }>();
    for (const c of set.configs) {
      if (this.allowedBy(c).length === 0) continue;
      const cpus = this.describe(c);
      const key = cpus.join('\n');
      const group = groups.get(key);
      if (group !== undefined) group.count++;
      else groups.set(key, { cpus, count: 1 });
    }
    return [...groups.values()].slice(0, limit);
  }

  /** One line per CPU for a configuration: context, next instruction and where it is, IF, locks held. */
  describe(config: Config): string[] {
    if (config.kind === 'crashed') return [`crashed: ${config.message}`];
    const m = this.machine;
    const s = config.state;
    return Array.from({ length: m.cpus }, (_, c) => {
      if (m.stopped(s, c)) return `cpu${c}: stopped`;
      const pc = m.pc(s, c);
      const label = this.model.label(encodeAction(ActionKind.step, c, pc) as Action).text;
      const where = pcLocation(m, pc);
      const held = m.locksHeldBy(s, m.current(s, c)).map((l) => lockName(m, l));
      const owed = config.pending?.[c]?.length ? `, still to log ${config.pending[c]!.map(formatExpected).join(', ')}` : '';
      const lines = (mask: number): string[] => m.program.lines.filter((l) => (mask & (1 << l.id)) !== 0).map((l) => l.name);
      const pending = lines(m.pending(s, c));
      return (
        `cpu${c}: ${contextOf(m, s, c)} at \`${label}\`${where === null ? '' : ` (${where})`}, ` +
        `IF=${m.ie(s, c)}, holds ${held.length === 0 ? 'nothing' : held.join(', ')}` +
        `${pending.length === 0 ? '' : `, ${pending.join(', ')} pending`}${owed}`
      );
    });
  }
}
