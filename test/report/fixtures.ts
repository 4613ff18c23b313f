// Hand-made counterexamples shaped like the checker's: each one replays a real design bug of the seeds on
// a small model in test/report/fixtures/*.sched, with spans pointing at that file's actual lines.

import { readFileSync } from 'node:fs';
import type { CheckReport, Counterexample, CpuView, FrameView, LockEdge, StateView, TraceStep } from '../../src/checker/verdict.js';
import type { Arch, LockKind, Program, SourceSpan } from '../../src/ir/ir.js';
import { computeLayout } from '../../src/ir/layout.js';

export const FIXTURE_DIR = 'test/report/fixtures';

/** A fixture model file: its text, and span ids handed out as steps refer to its lines. */
class Source {
  readonly lines: string[];
  readonly spans: SourceSpan[] = [];

  constructor(readonly file: string) {
    this.lines = readFileSync(file, 'utf8').split('\n');
  }

  /** Span id of `needle` on 1-based `line` (registered on first use). */
  span(line: number, needle: string): number {
    const text = this.lines[line - 1];
    if (text === undefined) throw new Error(`${this.file} has no line ${line}`);
    const col = text.indexOf(needle);
    if (col < 0) throw new Error(`${this.file}:${line} does not contain ${needle}`);
    const existing = this.spans.findIndex((s) => s.line === line && s.col === col + 1 && s.endCol === col + 1 + needle.length);
    if (existing >= 0) return existing;
    this.spans.push({ file: this.file, line, col: col + 1, endLine: line, endCol: col + 1 + needle.length });
    return this.spans.length - 1;
  }

  sourceLine(line: number): string {
    return this.lines[line - 1]!.trim();
  }
}

export function cpu(id: number, context: string, over: Partial<CpuView> = {}): CpuView {
  return { cpu: id, context, ie: true, hardirq: 0, locksHeld: [], stack: [], pending: [], inService: [], ...over };
}

export function frame(kind: FrameView['kind'], text: string): FrameView {
  return { kind, text };
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

class Trace {
  readonly steps: TraceStep[];
  private state: StateView;

  constructor(
    readonly source: Source,
    init: StateView,
  ) {
    this.state = clone(init);
    this.steps = [
      { index: 0, kind: 'init', cpu: null, context: '', label: 'initial state', span: null, location: null, sourceLine: null, state: clone(init) },
    ];
  }

  private push(step: Omit<TraceStep, 'index' | 'state' | 'context'>, change: (s: StateView) => void): void {
    const context = step.cpu === null ? 'machine' : this.state.cpus[step.cpu]!.context;
    change(this.state);
    this.steps.push({ ...step, index: this.steps.length, context, state: clone(this.state) });
  }

  /** An instruction at `line` of the model, whose text is `label`. */
  instr(cpuId: number, line: number, label: string, change: (s: StateView) => void = () => {}): number {
    const span = this.source.span(line, label);
    const location = `${this.source.file}:${line}`;
    this.push({ kind: 'instruction', cpu: cpuId, label, span, location, sourceLine: this.source.sourceLine(line) }, change);
    return span;
  }

  pending(cpuId: number, line: string): void {
    this.push({ kind: 'pending', cpu: cpuId, label: `${line} becomes pending`, span: null, location: null, sourceLine: null }, (s) => {
      s.cpus[cpuId]!.pending.push(line);
    });
  }

  interrupt(cpuId: number, line: string, change: (s: StateView) => void): void {
    this.push({ kind: 'interrupt', cpu: cpuId, label: `interrupt ${line} delivered`, span: null, location: null, sourceLine: null }, change);
  }
}

export interface Fixture {
  name: string;
  cex: Counterexample;
  program: Program;
}

/** A Program with what reports read (file, arch, locks, lines, handlers, spans); no code. */
export function fakeProgram(
  source: Source,
  arch: Arch,
  cpus: number,
  locks: [string, LockKind][],
  lines: { name: string; handlerLine: number }[],
  expectLine: number,
): Program {
  const units = lines.map((l, id) => ({
    id,
    kind: 'handler' as const,
    name: l.name,
    code: [],
    lines: [id],
    stack: null,
    span: source.span(l.handlerLine, 'handler'),
  }));
  const irqLines = lines.map((l, id) => ({
    id,
    name: l.name,
    number: id,
    priority: 1,
    gate: 'interrupt' as const,
    source: 'external' as const,
    cpus: [],
    limit: null,
    fair: true,
    handler: id,
    span: units[id]!.span,
  }));
  const expectation = source.span(expectLine, 'expect');
  const property = source.lines[expectLine - 1]!.split(/\s+/)[1] as Program['expectations'][number]['property'];
  return {
    file: source.file,
    arch,
    cpus,
    constants: {},
    lines: irqLines,
    locks: locks.map(([name, kind], id) => ({ id, name, kind, handoff: false, span: 0 })),
    waitQueues: [],
    vars: [],
    threads: [],
    units,
    scheduler: null,
    latencyBound: null,
    controller: null,
    preemptOffset: 0,
    invariants: [],
    expectations: [{ property, verdict: 'violated', span: expectation }],
    spans: source.spans,
    layout: computeLayout({ arch, cpus, lines: [], locks: [], vars: [], threads: [], units: [] }),
  };
}

/** x86_64: the timer handler spins on LOOM, which the thread it interrupted holds (seed 001, Phase 3). */
export function timerDeadlock(): Fixture {
  const source = new Source(`${FIXTURE_DIR}/timer-deadlock.sched`);
  const init: StateView = {
    cpus: [cpu(0, 'thread worker')],
    threads: [{ name: 'worker', state: 'running', stack: [] }],
    locks: [{ name: 'LOOM', holder: null }],
    runQueue: [],
    vars: { ticks: '0' },
  };
  const t = new Trace(source, init);
  t.instr(0, 11, 'acquire LOOM', (s) => {
    s.cpus[0]!.locksHeld = ['LOOM'];
    s.locks[0]!.holder = 'worker';
  });
  t.pending(0, 'timer');
  t.interrupt(0, 'timer', (s) => {
    const c = s.cpus[0]!;
    c.context = 'handler timer (on worker)';
    c.ie = false;
    c.hardirq = 1;
    c.pending = [];
    c.inService = ['timer'];
    c.stack = [frame('irq', `irq frame (timer, IF=1, worker @ ${source.file}:12)`)];
  });
  const program = fakeProgram(source, 'x86_64', 1, [['LOOM', 'spin']], [{ name: 'timer', handlerLine: 17 }], 25);
  const spin = source.span(18, 'acquire LOOM');
  return {
    name: 'timer-deadlock',
    program,
    cex: {
      property: 'no-deadlock',
      message: 'CPU0 spins forever in handler timer on LOOM, held by worker, the thread it interrupted',
      length: t.steps.length - 1,
      steps: t.steps,
      scenario: ['       CPU0', '       ----', '  lock(LOOM);', '  <Interrupt>', '    lock(LOOM);', '', ' *** DEADLOCK ***'],
      violationSpan: spin,
    },
  };
}

/** aarch64: the timer handler unmasks IRQs before saving ELR/SPSR; a nested uart exception overwrites them. */
export function nestedException(): Fixture {
  const source = new Source(`${FIXTURE_DIR}/nested-eret.sched`);
  const init: StateView = {
    cpus: [cpu(0, 'thread idle', { elr: 'empty' })],
    threads: [{ name: 'idle', state: 'running', stack: [] }],
    locks: [],
    runQueue: [],
    vars: {},
  };
  const t = new Trace(source, init);
  t.instr(0, 8, 'work');
  t.pending(0, 'timer');
  t.interrupt(0, 'timer', (s) => {
    const c = s.cpus[0]!;
    c.context = 'handler timer (on idle)';
    c.ie = false;
    c.hardirq = 1;
    c.elr = `live: idle @ ${source.file}:8, PSTATE.I=0`;
  });
  t.instr(0, 11, 'ack timer', (s) => {
    s.cpus[0]!.pending = [];
    s.cpus[0]!.inService = ['timer'];
  });
  t.instr(0, 12, 'sti', (s) => {
    s.cpus[0]!.ie = true;
  });
  t.pending(0, 'uart');
  t.interrupt(0, 'uart', (s) => {
    const c = s.cpus[0]!;
    c.context = 'handler uart (on idle)';
    c.ie = false;
    c.hardirq = 2;
    c.elr = `live: handler timer @ ${source.file}:13, PSTATE.I=0`;
  });
  const program = fakeProgram(source, 'aarch64', 1, [], [{ name: 'timer', handlerLine: 10 }, { name: 'uart', handlerLine: 21 }], 27);
  return {
    name: 'nested-exception',
    program,
    cex: {
      property: 'stack-integrity',
      message: 'the uart exception overwrote ELR_EL1/SPSR_EL1 before handler timer saved them: its eret cannot return to idle',
      length: t.steps.length - 1,
      steps: t.steps,
      details: ['ELR/SPSR before: live: idle @ nested-eret.sched:8', 'ELR/SPSR after:  live: handler timer @ nested-eret.sched:13'],
      violationSpan: null,
    },
  };
}

/** Two CPUs take SCHED and PROC in opposite orders (seed 004): a lock-order cycle, no deadlock needed. */
export function abba(): Fixture {
  const source = new Source(`${FIXTURE_DIR}/abba.sched`);
  const init: StateView = {
    cpus: [cpu(0, 'thread tick'), cpu(1, 'thread fork')],
    threads: [
      { name: 'tick', state: 'running', stack: [] },
      { name: 'fork', state: 'running', stack: [] },
    ],
    locks: [
      { name: 'SCHED', holder: null },
      { name: 'PROC', holder: null },
      { name: 'STATS', holder: null },
    ],
    runQueue: [],
    vars: {},
  };
  const t = new Trace(source, init);
  const hold = (c: number, lock: string, holder: string | null) => (s: StateView) => {
    const held = s.cpus[c]!.locksHeld;
    s.cpus[c]!.locksHeld = holder === null ? held.filter((l) => l !== lock) : [...held, lock];
    s.locks.find((l) => l.name === lock)!.holder = holder;
    if (lock !== 'STATS') s.cpus[c]!.ie = s.cpus[c]!.locksHeld.some((l) => l !== 'STATS') ? false : true;
  };
  t.instr(0, 10, 'acquire SCHED', hold(0, 'SCHED', 'tick'));
  const stats = t.instr(0, 11, 'acquire STATS', hold(0, 'STATS', 'tick'));
  t.instr(0, 12, 'release STATS', hold(0, 'STATS', null));
  const proc = t.instr(0, 13, 'acquire PROC', hold(0, 'PROC', 'tick'));
  t.instr(0, 14, 'release PROC', hold(0, 'PROC', null));
  t.instr(0, 15, 'release SCHED', hold(0, 'SCHED', null));
  t.instr(1, 19, 'acquire PROC', hold(1, 'PROC', 'fork'));
  const sched = t.instr(1, 20, 'acquire SCHED', hold(1, 'SCHED', 'fork'));
  const lockGraph: LockEdge[] = [
    { from: 'SCHED', to: 'STATS', context: 'thread tick', span: stats, location: `${source.file}:11` },
    { from: 'SCHED', to: 'PROC', context: 'thread tick', span: proc, location: `${source.file}:13` },
    { from: 'PROC', to: 'SCHED', context: 'thread fork', span: sched, location: `${source.file}:20` },
  ];
  const program = fakeProgram(source, 'x86_64', 2, [['SCHED', 'irqsave'], ['PROC', 'irqsave'], ['STATS', 'spin']], [], 25);
  return {
    name: 'abba',
    program,
    cex: {
      property: 'lock-order',
      message: 'lock order cycle SCHED -> PROC -> SCHED: tick takes PROC under SCHED, fork takes SCHED under PROC',
      length: t.steps.length - 1,
      steps: t.steps,
      scenario: [
        '       CPU0                    CPU1',
        '       ----                    ----',
        '  lock(SCHED);',
        '                               lock(PROC);',
        '  lock(PROC);',
        '                               lock(SCHED);',
        '',
        ' *** DEADLOCK ***',
      ],
      violationSpan: sched,
      lockGraph,
    },
  };
}

/** A lasso: the hog never yields and the timer only counts, so worker never runs (seed 000's workaround). */
export function starvation(): Fixture {
  const source = new Source(`${FIXTURE_DIR}/hog.sched`);
  const init: StateView = {
    cpus: [cpu(0, 'thread hog')],
    threads: [
      { name: 'hog', state: 'running', stack: [] },
      { name: 'worker', state: 'ready', stack: [frame('switch', 'switch frame (forged, worker)')] },
    ],
    locks: [],
    runQueue: ['worker'],
    vars: {},
  };
  const t = new Trace(source, init);
  t.instr(0, 7, 'work');
  t.pending(0, 'timer');
  t.interrupt(0, 'timer', (s) => {
    const c = s.cpus[0]!;
    c.context = 'handler timer (on hog)';
    c.ie = false;
    c.hardirq = 1;
    c.pending = [];
    c.inService = ['timer'];
    c.stack = [frame('irq', `irq frame (timer, IF=1, hog @ ${source.file}:7)`)];
  });
  t.instr(0, 11, 'work');
  t.instr(0, 12, 'eoi timer', (s) => {
    s.cpus[0]!.inService = [];
  });
  t.instr(0, 13, 'iret', (s) => {
    const c = s.cpus[0]!;
    c.context = 'thread hog';
    c.ie = true;
    c.hardirq = 0;
    c.stack = [];
  });
  const program = fakeProgram(source, 'x86_64', 1, [], [{ name: 'timer', handlerLine: 10 }], 16);
  return {
    name: 'starvation',
    program,
    cex: {
      property: 'no-starvation',
      message: 'worker is ready forever but never runs: hog never yields and the timer handler only returns to it',
      length: t.steps.length - 1,
      steps: t.steps,
      loop: 2,
      violationSpan: null,
    },
  };
}

/** x86_64: the timer handler calls the cooperative switch, resuming a thread whose stack holds an iret frame. */
export function handlerSwitch(): Fixture {
  const source = new Source(`${FIXTURE_DIR}/handler-switch.sched`);
  const forged = frame('irq', 'irq frame (forged, IF=1, worker)');
  const init: StateView = {
    cpus: [cpu(0, 'thread hog')],
    threads: [
      { name: 'hog', state: 'running', stack: [] },
      { name: 'worker', state: 'ready', stack: [forged] },
    ],
    locks: [{ name: 'RQ', holder: null }],
    runQueue: ['worker'],
    vars: { next: 'none' },
  };
  const t = new Trace(source, init);
  t.instr(0, 9, 'work');
  t.pending(0, 'timer');
  const irqFrame = frame('irq', `irq frame (timer, IF=1, hog @ ${source.file}:9)`);
  t.interrupt(0, 'timer', (s) => {
    const c = s.cpus[0]!;
    c.context = 'handler timer (on hog)';
    c.ie = false;
    c.hardirq = 1;
    c.pending = [];
    c.inService = ['timer'];
    c.stack = [irqFrame];
  });
  t.instr(0, 21, 'eoi timer', (s) => {
    s.cpus[0]!.inService = [];
  });
  t.instr(0, 22, 'call yield_now', (s) => {
    s.cpus[0]!.stack.push(frame('call', `call frame (return to handler timer @ ${source.file}:23)`));
  });
  t.instr(0, 13, 'acquire RQ', (s) => {
    s.cpus[0]!.locksHeld = ['RQ'];
    s.locks[0]!.holder = 'hog';
  });
  t.instr(0, 14, 'enqueue current', (s) => {
    s.runQueue.push('hog');
  });
  t.instr(0, 15, 'pick next', (s) => {
    s.runQueue.shift();
    s.vars.next = 'worker';
  });
  t.instr(0, 16, 'release RQ', (s) => {
    s.cpus[0]!.locksHeld = [];
    s.locks[0]!.holder = null;
  });
  const violation = t.instr(0, 17, 'switch_to next', (s) => {
    const c = s.cpus[0]!;
    c.context = 'thread worker';
    c.stack = [forged];
    s.threads[0]!.state = 'ready';
    s.threads[0]!.stack = [irqFrame, frame('call', `call frame (return to handler timer @ ${source.file}:23)`), frame('switch', `switch frame (hog @ ${source.file}:17)`)];
    s.threads[1]!.state = 'running';
  });
  const program = fakeProgram(source, 'x86_64', 1, [['RQ', 'irqsave']], [{ name: 'timer', handlerLine: 20 }], 26);
  return {
    name: 'handler-switch',
    program,
    cex: {
      property: 'stack-integrity',
      message: "switch_to worker pops a switch frame, but worker's stack holds an interrupt frame: it resumes through the wrong kind of frame",
      length: t.steps.length - 1,
      steps: t.steps,
      violationSpan: violation,
    },
  };
}

export const FIXTURES: (() => Fixture)[] = [timerDeadlock, nestedException, abba, starvation, handlerSwitch];

// ---------------------------------------------------------------------------------------------------------
// Check reports around the fixtures

const stats = (states: number, seconds: number) => ({ states, transitions: states * 2, depth: 9, seconds });

/** Two models: the timer deadlock (violated, holds, inconclusive, not checkable) and ABBA (violated). */
export function sampleReports(): { reports: CheckReport[]; programs: Program[] } {
  const deadlock = timerDeadlock();
  const ab = abba();
  const reports: CheckReport[] = [
    {
      model: deadlock.program.file,
      results: [
        { verdict: 'violated', counterexample: deadlock.cex, property: 'no-deadlock', engine: 'explicit', stats: stats(12, 0.0125) },
        { verdict: 'holds', complete: true, property: 'stack-integrity', engine: 'explicit', stats: stats(40, 0.5) },
        { verdict: 'holds', complete: false, property: 'eoi-discipline', engine: 'smt', stats: stats(0, 1.25) },
        { verdict: 'inconclusive', reason: 'max-states', detail: 'stopped at 1000 states', property: 'irq-latency', engine: 'explicit', stats: stats(1000, 2) },
        { verdict: 'inconclusive', reason: 'not-checkable', detail: 'the model declares no latency bound', property: 'assertions', engine: 'explicit', stats: stats(0, 0) },
      ],
    },
    {
      model: ab.program.file,
      results: [{ verdict: 'violated', counterexample: ab.cex, property: 'lock-order', engine: 'explicit', stats: stats(30, 0.25) }],
    },
  ];
  return { reports, programs: [deadlock.program, ab.program] };
}
