// Running a design: build its image, boot the machine, run it for a number of cycles, and summarise what
// happened. This is what `schedcheck kernel run` and the tests call.

import type { TraceEvent } from '../conform/trace.js';
import type { Design } from './designs/design.js';
import { DESIGNS } from './designs/index.js';
import { Machine, type Outcome } from './machine.js';
import { hex } from './memory.js';
import type { TimerMode } from './timer.js';

export const DEFAULT_CYCLES = 200_000;
export const DEFAULT_WATCHDOG = 20_000;
/** `kernel run` stops after this long unless `--timeout` says otherwise: no cycle count can make it run forever. */
export const DEFAULT_KERNEL_TIMEOUT_SECONDS = 300;
/** Cycles run between two looks at the clock (about a quarter of a second). */
const SLICE = 1 << 20;

export interface RunOptions {
  seed?: number;
  cycles?: number;
  watchdog?: number;
  /** Override the design's periodic timer (replay forces interrupts at instruction counts). */
  timer?: TimerMode;
  /** Override the design's stall probability (replay runs without stalls). */
  stall?: number;
  onEvent?: (event: TraceEvent) => void;
  /** Stop after this long, with what ran so far (`RunSummary.stopped`). */
  timeoutSeconds?: number;
}

export interface RunSummary {
  design: string;
  seed: number;
  cycles: number;
  instructions: number;
  interrupts: number;
  switches: number;
  eois: number;
  lockAcquires: number;
  faults: number;
  hangs: number;
  outcome: Outcome;
  /** Set when the run reached its time limit before its cycles were done (the outcome is then `ok` so far). */
  stopped?: 'timeout';
}

export function findDesign(name: string): Design | undefined {
  return DESIGNS.find((d) => d.name === name);
}

export function bootDesign(design: Design, options: RunOptions = {}): Machine {
  return new Machine(design.build(), {
    seed: options.seed ?? 1,
    timer: options.timer ?? { kind: 'periodic', ...design.timer },
    watchdog: options.watchdog ?? DEFAULT_WATCHDOG,
    stall: options.stall ?? design.stall,
    onEvent: options.onEvent,
  });
}

export function runDesign(design: Design, options: RunOptions = {}): RunSummary {
  const machine = bootDesign(design, options);
  const cycles = options.cycles ?? DEFAULT_CYCLES;
  if (options.timeoutSeconds === undefined) return summarise(design, options.seed ?? 1, machine, machine.run(cycles));
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  let left = cycles;
  for (;;) {
    const outcome = machine.run(Math.min(left, SLICE));
    left -= Math.min(left, SLICE);
    if (outcome.kind !== 'ok' || left <= 0) return summarise(design, options.seed ?? 1, machine, outcome);
    if (Date.now() >= deadline) return { ...summarise(design, options.seed ?? 1, machine, outcome), stopped: 'timeout' };
  }
}

export function summarise(design: Design, seed: number, machine: Machine, outcome: Outcome): RunSummary {
  const c = machine.counters;
  return {
    design: design.name,
    seed,
    cycles: machine.cycle,
    instructions: c.instructions,
    interrupts: c.interrupts,
    switches: c.switches,
    eois: c.eois,
    lockAcquires: c.lockAcquires,
    faults: outcome.kind === 'fault' ? 1 : 0,
    hangs: outcome.kind === 'hang' ? 1 : 0,
    outcome,
  };
}

/** The summary as the CLI prints it. */
export function formatSummary(s: RunSummary): string {
  const lines = [
    `design ${s.design}, seed ${s.seed}: ${s.cycles} cycles, ${s.instructions} instructions`,
    `  context switches ${s.switches}, interrupts ${s.interrupts}, EOIs ${s.eois}, lock acquisitions ${s.lockAcquires}`,
    `  faults ${s.faults}, hangs ${s.hangs}`,
  ];
  const o = s.outcome;
  if (o.kind === 'fault') {
    const address = o.fault.address === null ? '' : ` at ${hex(o.fault.address)}`;
    lines.push(`FAULT on cpu${o.cpu} (${o.thread}): ${o.fault.vector} ${o.fault.reason}${address}`);
    lines.push(`  executing ${o.at}`);
  } else if (o.kind === 'hang') {
    lines.push(`HANG: the watchdog saw no progress on ${o.cpus.map((c) => `cpu${c}`).join(', ')}`);
    for (const d of o.detail) lines.push(`  ${d}`);
  } else {
    lines.push('no fault, no hang');
  }
  return lines.join('\n');
}
