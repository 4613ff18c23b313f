// Real kernels under QEMU: the freestanding kernels of kernels/ (C and assembly, built by gcc and the AArch64
// cross compiler), booted with `-kernel`: i386 multiboot images under qemu-system-i386, ELF images on
// qemu-system-aarch64's virt machine. One-CPU kernels run under `-icount shift=0`, so that a seed's run is the
// same run every time; two-CPU kernels on two host threads. The seed goes on the kernel command line (AArch64:
// written into a copy of the image) and varies the timer period and the work lengths. The kernel logs its trace
// over the serial port and ends its run through isa-debug-exit (AArch64: semihosting): with `end` after its
// number of events, or after a fault or a hang it logged. What it cannot log, the harness adds: QEMU resetting
// the machine (a triple fault, under -no-reboot) and a run that outlasts the timeout (the harness watchdog).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TraceEvent } from '../conform/trace.js';

export interface QemuDesign {
  name: string;
  /** Seed file and section it encodes. */
  seed: string;
  summary: string;
  /** The model its traces must be behaviours of. */
  model: string;
  /** What the seed's evidence implies the kernel does. */
  expect: 'survives' | 'faults' | 'hangs';
  /** The emulator and the folder of kernels/ that builds it (build/NAME.elf). */
  emulator: 'qemu-system-i386' | 'qemu-system-aarch64';
  folder: string;
  cpus: number;
}

const X86 = { emulator: 'qemu-system-i386', folder: 'x86', cpus: 1 } as const;
const X86_SMP = { ...X86, cpus: 2 } as const;
const AARCH64 = { emulator: 'qemu-system-aarch64', folder: 'aarch64', cpus: 1 } as const;

export const QEMU_DESIGNS: readonly QemuDesign[] = [
  {
    ...X86,
    name: '001-naive',
    seed: '001_2ccd5835c35eb7e9.txt, before Phase 1 (spin::Mutex locks; the timer handler takes LOOM)',
    summary: 'LOOM is a spin::Mutex that yield_now() holds with interrupts on; the timer handler takes LOOM',
    model: 'models/aethelos-001/spin-mutex-loom.sched',
    expect: 'hangs',
  },
  {
    ...X86,
    name: '001-option2',
    seed: '001_2ccd5835c35eb7e9.txt, Step 3.4 Option 2 with Phase 1 done (InterruptSafeLock everywhere)',
    summary: 'irq-safe locks; the handler marks a yield pending, taken on the interrupt return path',
    model: 'models/aethelos-001/option2-yield-pending.sched',
    expect: 'survives',
  },
  {
    ...X86,
    name: '002-ret-switch',
    seed: '002_40260a4a6be5a521.txt, "Remaining Concerns" 4 (context_switch ends with ret under the interrupt frame)',
    summary: "the stub calls the scheduler, whose context_switch ends with ret; threads are created for the stub's iret",
    model: 'models/ckernel-002/stub-ret-switch.sched',
    expect: 'faults',
  },
  {
    ...X86,
    name: '002-option-c',
    seed: '002_40260a4a6be5a521.txt, "Possible Solutions", Option C (the stub restores from thread->context)',
    summary: 'the stub saves the frame as thread->context and returns through the context of the thread chosen to run',
    model: 'models/ckernel-002/option-c-context-stub.sched',
    expect: 'survives',
  },
  {
    ...X86_SMP,
    name: '004-old',
    seed: '004_bc203f168223d5e6.txt, "Current Problems" (the design before the redesign)',
    summary: "the timer takes SCHED then PROC and leaves through the next thread's frame; fork takes PROC then SCHED",
    model: 'models/forkexec-004/old-handler-abba.sched',
    expect: 'hangs',
  },
  {
    ...X86_SMP,
    name: '004-redesign',
    seed: '004_bc203f168223d5e6.txt, "Correct Architecture" (minimal handler, need_resched, switch on the return path)',
    summary: 'the handler sets need_resched; the return path switches holding SCHED, released by the thread switched to',
    model: 'models/forkexec-004/redesign-need-resched.sched',
    expect: 'survives',
  },
  {
    ...AARCH64,
    name: '003-aarch64',
    seed: '003_2b0e7a205e879def.txt, Phase 2 design: timer preemption with ELR_EL1/SPSR_EL1 saved before anything unmasks',
    summary: 'GICv2 and the generic timer on virt; the IRQ stub saves ELR/SPSR first, acks, EOIs, schedules, restores',
    model: 'models/aarch64-003/elr-saved-before-unmask.sched',
    expect: 'survives',
  },
  {
    ...AARCH64,
    name: '003-wfi-masked',
    seed: '003_2b0e7a205e879def.txt, "Q3" with "Q4": the idle task entered with IRQs masked, looping on wfi',
    summary: 'the idle task loops on wfi with IRQs still masked: the tick that would wake the worker is never taken',
    model: 'models/aarch64-003/idle-wfi-masked.sched',
    expect: 'hangs',
  },
  {
    ...AARCH64,
    name: '003-elr-unsaved',
    seed: '003_2b0e7a205e879def.txt, the Phase 2 design with the ELR_EL1/SPSR_EL1 save left out',
    summary: "the IRQ stub keeps the preempted task's return state only in ELR/SPSR; the next task unmasks and the next tick overwrites them",
    model: 'models/aarch64-003/elr-unsaved.sched',
    expect: 'faults',
  },
  {
    ...AARCH64,
    cpus: 2,
    name: '003-csl',
    seed: '003_2b0e7a205e879def.txt, "Global Lock": CONTEXT_SWITCH_LOCK held across the switch on two CPUs',
    summary: 'schedule() takes CONTEXT_SWITCH_LOCK with IRQs masked; the task switched to releases it',
    model: 'models/aarch64-003/context-switch-lock.sched',
    expect: 'survives',
  },
  {
    ...AARCH64,
    name: '003-idle',
    seed: '003_2b0e7a205e879def.txt, "Q3: Idle Task Behavior" done right (mask, wfi, unmask)',
    summary: 'the idle task masks, waits with wfi and unmasks; the tick wakes a sleeping worker',
    model: 'models/aarch64-003/idle-wfi-unmask.sched',
    expect: 'survives',
  },
  {
    ...AARCH64,
    name: '003-reaper',
    seed: '003_2b0e7a205e879def.txt, "Q2: Task Termination & Cleanup" (the next task reaps the exited one)',
    summary: "a task exits under CONTEXT_SWITCH_LOCK; the task switched to frees its stack (no timer)",
    model: 'models/aarch64-003/next-task-reaps.sched',
    expect: 'survives',
  },
];

/**
 * QEMU's exit status for the value the kernel writes to isa-debug-exit, (value << 1) | 1: 1 end, 2 fault,
 * 3 hang (value 0 would read as status 1, which is also QEMU's own failure).
 */
const EXIT_STATUS: Record<number, 'end' | 'fault' | 'hang'> = { 3: 'end', 5: 'fault', 7: 'hang' };

export function findQemuDesign(name: string): QemuDesign | undefined {
  return QEMU_DESIGNS.find((d) => d.name === name);
}

/** The folder holding kernels/ (the repository or the installed package), found from this module's place. */
export function kernelsRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  // Found by its x86 Makefile; the AArch64 kernels sit beside it.
  for (;;) {
    if (existsSync(join(dir, 'kernels', 'x86', 'Makefile'))) return join(dir, 'kernels');
    const up = dirname(dir);
    if (up === dir) throw new Error('internal: kernels/ not found above the schedcheck module');
    dir = up;
  }
}

/** Why a kernel could not be run: a tool missing, a failed build. The CLI prints these with their codes. */
export class QemuSetupError extends Error {
  constructor(
    readonly code: 'Q001' | 'Q002',
    message: string,
  ) {
    super(message);
  }
}

function onPath(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

/** Builds the design's image if it is missing or older than its sources (make decides); returns its path. */
export function buildKernel(design: QemuDesign): string {
  const compiler = design.emulator === 'qemu-system-aarch64' ? 'aarch64-linux-gnu-gcc' : 'gcc';
  for (const tool of ['make', compiler]) {
    if (!onPath(tool)) throw new QemuSetupError('Q002', `${tool} is not installed (the kernels are built with make and ${compiler})`);
  }
  const folder = join(kernelsRoot(), design.folder);
  const target = `build/${design.name}.elf`;
  const made = spawnSync('make', ['-s', '--no-print-directory', '-C', folder, target], { encoding: 'utf8' });
  if (made.status !== 0) {
    const why = `${made.stderr ?? ''}${made.stdout ?? ''}`.trim().split('\n').slice(-8).join('\n');
    throw new QemuSetupError('Q001', `the kernel ${design.name} cannot be built (make -C ${folder} ${target}):\n${why}`);
  }
  return join(folder, target);
}

export interface QemuOptions {
  seed: number;
  /** Events the kernel logs before its `end`. */
  events: number;
  /** Seconds of wall time before the harness watchdog ends the run as a hang. */
  timeout: number;
}

export type QemuOutcome =
  | { kind: 'end' }
  | { kind: 'fault'; event: TraceEvent }
  | { kind: 'hang'; event: TraceEvent }
  | { kind: 'reset'; event: TraceEvent }
  | { kind: 'timeout'; event: TraceEvent }
  | { kind: 'silent'; status: number | null; signal: string | null };

export interface QemuRun {
  design: string;
  seed: number;
  /** The serial output as the trace: events as JSON lines, anything else as `#` comments. */
  lines: string[];
  events: number;
  seconds: number;
  outcome: QemuOutcome;
  command: string[];
}

export function qemuCommand(design: QemuDesign, image: string, serial: string, options: QemuOptions): string[] {
  const machine =
    design.emulator === 'qemu-system-aarch64'
      ? ['-M', 'virt', '-cpu', 'cortex-a57', '-semihosting-config', 'enable=on,target=native']
      : ['-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-append', commandLine(options)];
  return [
    design.emulator,
    ...machine,
    '-nodefaults',
    '-display',
    'none',
    '-no-reboot',
    '-m',
    '32',
    '-smp',
    String(design.cpus),
    // One CPU: -icount, one instruction per virtual ns, so a seed's run is repeatable. Two CPUs: under -icount
    // Debian's QEMU 7.2 stops scheduling the second vCPU after a while, so they run on two host threads
    // (MTTCG) and interleave as the host schedules them: not repeatable, and finely interleaved.
    ...(design.cpus === 1 ? ['-icount', 'shift=0,sleep=off'] : ['-accel', 'tcg,thread=multi']),
    '-serial',
    `file:${serial}`,
    '-kernel',
    image,
  ];
}

function commandLine(options: QemuOptions): string {
  return `seed=${options.seed} events=${options.events}`;
}

/** Where the AArch64 kernels keep their command line: QEMU hands a bare ELF none, so a copy is patched. */
const CMDLINE_MARKER = 'SCHEDCHECK_CMDLINE ';
const CMDLINE_BYTES = 63;

/** A copy of the image in `dir` with the run's command line written into it (AArch64), or the image itself. */
function imageFor(design: QemuDesign, image: string, dir: string, options: QemuOptions): string {
  if (design.emulator !== 'qemu-system-aarch64') return image;
  const bytes = readFileSync(image);
  const at = bytes.indexOf(CMDLINE_MARKER, 0, 'latin1');
  if (at < 0) throw new QemuSetupError('Q001', `the kernel ${design.name} has no ${CMDLINE_MARKER.trim()} string to patch`);
  const text = `${CMDLINE_MARKER}${commandLine(options)}`.padEnd(CMDLINE_BYTES, ' ');
  bytes.write(text, at, CMDLINE_BYTES, 'latin1');
  const copy = join(dir, `${design.name}.elf`);
  writeFileSync(copy, bytes);
  return copy;
}

/** Builds (if needed) and boots the design once; resolves when QEMU exits or the timeout kills it. */
export async function runQemu(design: QemuDesign, options: QemuOptions): Promise<QemuRun> {
  if (!onPath(design.emulator)) {
    const pkg = design.emulator === 'qemu-system-aarch64' ? 'qemu-system-arm' : 'qemu-system-x86';
    throw new QemuSetupError('Q002', `${design.emulator} is not installed (Debian: apt-get install ${pkg})`);
  }
  const image = buildKernel(design);
  const dir = mkdtempSync(join(tmpdir(), 'schedcheck-qemu-'));
  const serial = join(dir, 'com1.txt');
  const command = qemuCommand(design, imageFor(design, image, dir, options), serial, options);
  const started = Date.now();
  try {
    const { status, signal, timedOut } = await new Promise<{ status: number | null; signal: string | null; timedOut: boolean }>((resolve, reject) => {
      const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += String(chunk)));
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, options.timeout * 1000);
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on('exit', (code, sig) => {
        clearTimeout(timer);
        if (!timedOut && code !== null && EXIT_STATUS[code] === undefined && code !== 0) {
          reject(new QemuSetupError('Q002', `${design.emulator} failed (exit ${code}): ${stderr.trim()}`));
          return;
        }
        resolve({ status: code, signal: sig, timedOut });
      });
    });
    const seconds = (Date.now() - started) / 1000;
    const text = existsSync(serial) ? readFileSync(serial, 'latin1') : '';
    const lines: string[] = [];
    const events: TraceEvent[] = [];
    const raws = text.split('\n');
    // A line QEMU was writing when the watchdog killed it is cut short: it is kept as a note, not an event.
    const cut = timedOut && !text.endsWith('\n') ? raws.pop()! : '';
    for (const raw of raws) {
      const line = raw.replace(/\r$/, '');
      if (line.trim() === '') continue;
      if (!line.startsWith('{')) {
        lines.push(line.startsWith('#') ? line : `# ${line}`);
        continue;
      }
      lines.push(line);
      const event = eventOf(line);
      if (event !== null) events.push(event);
    }
    if (cut !== '') lines.push(`# schedcheck: the line being written when QEMU was killed: ${cut}`);
    const outcome = outcomeOf(design, { status, signal, timedOut }, events, options, lines);
    return { design: design.name, seed: options.seed, lines, events: events.length, seconds, outcome, command };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A serial line that is a trace event (a JSON object with an event name); `conform` checks the rest of it. A
 * line garbled on the wire stays in the trace as it is, for `conform` to reject at its line.
 */
function eventOf(line: string): TraceEvent | null {
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value !== 'object' || value === null || typeof (value as { event?: unknown }).event !== 'string') return null;
    return value as TraceEvent;
  } catch {
    return null;
  }
}

/**
 * How a run ended, from QEMU's exit and the events the kernel logged; what the kernel could not log (a reset,
 * the harness watchdog) is appended to `events` and `lines`.
 */
export function outcomeOf(
  design: QemuDesign,
  exit: { status: number | null; signal: string | null; timedOut: boolean },
  events: TraceEvent[],
  options: QemuOptions,
  lines: string[],
): QemuOutcome {
  const last = events.at(-1);
  const add = (comment: string, event: TraceEvent): TraceEvent => {
    lines.push(`# schedcheck: ${comment}`, JSON.stringify(event));
    events.push(event);
    return event;
  };
  if (exit.timedOut) {
    const cpus = Array.from({ length: design.cpus }, (_, i) => i);
    const detail = [`no end, fault or hang event within the timeout of ${options.timeout} s (the harness watchdog)`];
    return { kind: 'timeout', event: add('the run outlasted --timeout; QEMU was killed', { cpu: 0, cycle: 0, event: 'hang', cpus, detail }) };
  }
  const said = exit.status === null ? undefined : EXIT_STATUS[exit.status];
  if (said === 'end' && last?.event === 'end') return { kind: 'end' };
  if (said === 'fault' && last?.event === 'fault') return { kind: 'fault', event: last };
  if (said === 'hang' && last?.event === 'hang') return { kind: 'hang', event: last };
  if (exit.status === 0) {
    // Under -no-reboot QEMU exits when the guest resets; these kernels never reset on purpose.
    const event: TraceEvent = { cpu: 0, cycle: 0, event: 'fault', reason: 'triple fault: the machine reset', vector: 'triple fault' };
    return { kind: 'reset', event: add('QEMU reset the machine (a triple fault; -no-reboot ended the run)', event) };
  }
  return { kind: 'silent', status: exit.status, signal: exit.signal };
}

/** The run as `kernel qemu` prints it. */
export function formatQemuRun(run: QemuRun, design: QemuDesign, trace: string | undefined): string {
  const lines = [`design ${run.design} under ${design.emulator}, seed ${run.seed}: ${run.events} events in ${run.seconds.toFixed(1)} s`];
  const o = run.outcome;
  const describe = (e: TraceEvent): string =>
    [e.vector, e.reason, e.address === undefined ? undefined : `at ${e.address}`, e.pc === undefined ? undefined : `(pc ${e.pc})`]
      .filter((x) => x !== undefined)
      .join(' ');
  switch (o.kind) {
    case 'end':
      lines.push('no fault, no hang: the kernel logged its end');
      break;
    case 'fault':
    case 'reset':
      lines.push(`FAULT on cpu${o.event.cpu}${o.event.thread === undefined ? '' : ` (${o.event.thread})`}: ${describe(o.event)}`);
      break;
    case 'hang':
    case 'timeout':
      lines.push(`HANG: ${o.kind === 'timeout' ? 'the harness watchdog' : "the kernel's watchdog"} saw no progress on ${(o.event.cpus ?? []).map((c) => `cpu${c}`).join(', ')}`);
      for (const d of o.event.detail ?? []) lines.push(`  ${d}`);
      break;
    case 'silent':
      lines.push(`the kernel stopped without an end, fault or hang event (QEMU ${o.signal === null ? `exit ${o.status}` : `signal ${o.signal}`})`);
      break;
  }
  if (trace !== undefined) lines.push(`check it: schedcheck conform ${design.model} ${trace} --complete`);
  return lines.join('\n');
}

/** Exit code of `kernel qemu`: 0 the run ended with `end`, 1 it faulted, hung or stopped silently. */
export function qemuExitCode(run: QemuRun): number {
  return run.outcome.kind === 'end' ? 0 : 1;
}
