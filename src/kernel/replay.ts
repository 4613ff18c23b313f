// `schedcheck replay`: impose a counterexample's interleaving and interrupt timing on the reference kernel and
// let it run into whatever the hardware does next.
//
// The counterexample is replayed on the model first, to recover its actions; the actions give the events the
// kernel must log, in order (expected.ts). The kernel is then driven one CPU at a time: the CPU of the next
// expected event runs until it logs an event, which must be that one. Interrupts are forced: the model takes
// an interrupt between two of its steps, the kernel must take it between two instructions, and the silent
// instructions in between have no counterpart in the model; so for each interrupt the driver searches the
// number of instructions the CPU runs (after its previous event) before the line is raised, the smallest
// that lets the kernel go on agreeing with the counterexample. Once every event agrees, the machine runs on
// freely, timer ticking, until it faults, hangs, or survives.

import type { Model } from '../ir/model.js';
import type { Counterexample } from '../checker/verdict.js';
import { actionsOf } from '../checker/view.js';
import { machineOf } from '../hw/build.js';
import type { Design } from './designs/design.js';
import type { Machine, Outcome } from './machine.js';
import { bootDesign, DEFAULT_WATCHDOG } from './run.js';
import { type Expected, expectedEvents, formatExpected, matches } from '../conform/expected.js';
import type { TraceEvent } from '../conform/trace.js';

/** Instructions a CPU may run without logging the event the counterexample expects next. */
const EVENT_BUDGET = 20_000;
/** Largest number of instructions an interrupt is held back by while searching for its position. */
const MAX_DELAY = 400;
/** Cycles the machine runs freely after the counterexample, long enough for the watchdog to decide. */
export const FREE_CYCLES = 3 * DEFAULT_WATCHDOG;

export interface ForcedInterrupt {
  cpu: number;
  line: string;
  /** Instructions the CPU had retired when the line was raised. */
  retired: number;
}

/**
 * How the machine goes on after the counterexample. With `hold` > 0, the CPUs other than the one of the
 * counterexample's last event stay where they are for `hold` cycles (an NMI, an SMI or a preempted vCPU does
 * this to a real CPU) while that one runs on, its timer raised at once; then all run. A race the model found
 * can need it: left to run, the other CPU leaves the window before anything reaches it.
 */
export interface Continuation {
  hold: number;
}

/** What the continuation did: the CPUs it held, for how long, and the CPU that ran (at which instruction). */
export interface Held {
  cpus: number[];
  cycles: number;
  cpu: number;
  retired: number;
}

export type ReplayResult =
  | { kind: 'not-replayable'; step: number; message: string }
  | { kind: 'diverged'; event: number; expected: string; got: string; forced: ForcedInterrupt[] }
  | {
      kind: 'replayed';
      events: number;
      forced: ForcedInterrupt[];
      outcome: Outcome;
      trace: TraceEvent[];
      cycles: number;
      /** The continuation's hold, when it was asked for. */
      held: Held | null;
    };

interface Attempt {
  /** Expected events the kernel logged in agreement. */
  matched: number;
  /** Why it stopped before `stopAt`: the expected event and what the kernel did instead. */
  failure: { expected: string; got: string; overshoot: boolean } | null;
  machine: Machine;
  forced: ForcedInterrupt[];
  trace: TraceEvent[];
}

/** One guided run: the kernel follows `expected` up to `stopAt`, each interrupt raised after its delay. */
function attempt(design: Design, expected: readonly Expected[], delays: number[], stopAt: number): Attempt {
  const queues: TraceEvent[][] = Array.from({ length: design.cpus }, () => []);
  const trace: TraceEvent[] = [];
  const machine = bootDesign(design, {
    timer: { kind: 'off' },
    stall: 0,
    onEvent: (e) => {
      trace.push(e);
      queues[e.cpu]?.push(e);
    },
  });
  const forced: ForcedInterrupt[] = [];
  const step = (cpu: number): void => {
    machine.stepCpu(cpu);
    machine.cycle++;
  };
  const fail = (k: number, got: string, overshoot = false): Attempt => ({
    matched: k,
    failure: { expected: formatExpected(expected[k]!), got, overshoot },
    machine,
    forced,
    trace,
  });
  let irq = 0;
  for (let k = 0; k < stopAt; k++) {
    const e = expected[k]!;
    const queue = queues[e.cpu]!;
    if (e.event === 'irq_entry') {
      for (let i = 0; i < (delays[irq] ?? 0); i++) {
        step(e.cpu);
        if (queue.length > 0 || machine.outcome.kind !== 'running') return fail(k, 'an event before the interrupt could be forced', true);
      }
      forced.push({ cpu: e.cpu, line: e.line!, retired: machine.cpus[e.cpu]!.retired });
      machine.raise(e.cpu, e.line!);
      irq++;
    }
    for (let n = 0; queue.length === 0; n++) {
      if (machine.outcome.kind !== 'running') return fail(k, `a ${machine.outcome.kind} of the kernel`);
      if (n >= EVENT_BUDGET) return fail(k, `nothing in ${EVENT_BUDGET} instructions of cpu${e.cpu}`);
      // A CPU waiting in wfi for a line the model made pending silently: the line arrives.
      const cpu = machine.cpus[e.cpu]!;
      if (cpu.halted === 'wfi' && e.event === 'wfi' && machine.image.lines.length > 0) machine.raise(e.cpu, machine.image.lines[0]!.name);
      step(e.cpu);
    }
    const got = queue.shift()!;
    if (!matches(e, got)) return fail(k, formatExpected(got as Expected));
  }
  return { matched: stopAt, failure: null, machine, forced, trace };
}

export function replay(model: Model, cex: Counterexample, design: Design, continuation: Continuation = { hold: 0 }): ReplayResult {
  const path = actionsOf(model, cex);
  if ('message' in path) return { kind: 'not-replayable', step: path.step, message: path.message };
  const m = machineOf(model);
  const expected = path.actions.flatMap((a, i) => expectedEvents(model, m, path.states[i]!, a));
  const irqAt = expected.flatMap((e, k) => (e.event === 'irq_entry' ? [k] : []));

  // Each interrupt's delay, in order: the smallest that keeps the kernel in agreement up to the next one.
  const delays: number[] = [];
  for (let j = 0; j < irqAt.length; j++) {
    const stopAt = irqAt[j + 1] ?? expected.length;
    let best: Attempt | null = null;
    for (let d = 0; d <= MAX_DELAY; d++) {
      delays[j] = d;
      const a = attempt(design, expected, delays, stopAt);
      if (a.failure === null) {
        best = null;
        break;
      }
      if (best === null || a.matched > best.matched) best = a;
      if (a.failure.overshoot || a.matched < irqAt[j]!) break;
    }
    if (best !== null) {
      return { kind: 'diverged', event: best.matched + 1, expected: best.failure!.expected, got: best.failure!.got, forced: best.forced };
    }
  }
  const run = attempt(design, expected, delays, expected.length);
  if (run.failure !== null) {
    return { kind: 'diverged', event: run.matched + 1, expected: run.failure.expected, got: run.failure.got, forced: run.forced };
  }
  // The counterexample is reproduced; the hardware carries on from there.
  if (continuation.hold > 0 && design.cpus > 1 && run.machine.image.lines.some((l) => l.name === 'timer')) {
    return holdOthers(design, expected, run, continuation.hold);
  }
  const outcome = runFreely(run.machine, design);
  return { kind: 'replayed', events: expected.length, forced: run.forced, outcome, trace: run.trace, cycles: run.machine.cycle, held: null };
}

/**
 * The continuation that holds every CPU but the one of the counterexample's last event for `hold` cycles,
 * that one's timer raised at once (a tick that came between its EOI and its return is one the model allows).
 */
function holdOthers(design: Design, expected: readonly Expected[], run: Attempt, hold: number): ReplayResult {
  const machine = run.machine;
  const cpu = expected.at(-1)!.cpu;
  const held: Held = { cpus: machine.cpus.map((c) => c.id).filter((c) => c !== cpu), cycles: hold, cpu, retired: machine.cpus[cpu]!.retired };
  machine.raise(cpu, 'timer');
  for (const c of held.cpus) machine.held.add(c);
  let outcome = machine.run(hold);
  machine.release();
  if (outcome.kind === 'ok') outcome = runFreely(machine, design);
  return { kind: 'replayed', events: expected.length, forced: run.forced, outcome, trace: run.trace, cycles: machine.cycle, held };
}

/** Runs the machine on, its timer ticking again, until it faults, hangs or has run FREE_CYCLES. */
function runFreely(machine: Machine, design: Design): Outcome {
  // CPUs the driver held still made no progress, and are not hung for it: the watchdog starts afresh.
  for (const cpu of machine.cpus) cpu.lastProgress = machine.cycle;
  machine.setTimer({ kind: 'periodic', ...design.timer });
  return machine.run(FREE_CYCLES);
}
