// States and paths as reports show them: every CPU with its context, interrupt flag, locks and stack; every
// thread, lock and variable by name. Counterexamples, `simulate` and every report format read these views.

import { readFileSync } from 'node:fs';
import { machineOf } from '../hw/build.js';
import { contextOf, lineName, lockName, pcLocation, threadName } from '../hw/describe.js';
import { evaluateIn } from '../hw/expr.js';
import { valueText } from '../ir/print.js';
import type { Frame } from '../hw/frames.js';
import type { Machine } from '../hw/machine.js';
import { actionArg, actionCpu, actionKind, ActionKind, type Action, type Model } from '../ir/model.js';
import type { CpuView, FrameView, StateView, TraceStep } from './verdict.js';

function lineList(m: Machine, mask: number): string[] {
  return m.program.lines.filter((l) => (mask & (1 << l.id)) !== 0).map((l) => l.name);
}

function at(m: Machine, pc: number): string {
  return pcLocation(m, pc) ?? 'the end of its thread';
}

export function frameView(m: Machine, f: Frame): FrameView {
  const owner = threadName(m, f.owner);
  switch (f.kind) {
    case 'call':
      return { kind: 'call', text: `call frame (${owner} returns to ${at(m, f.pc)})` };
    case 'irq':
      return { kind: 'irq', text: `irq frame (${lineName(m, f.line)}, IF=${f.ie}, ${owner} @ ${at(m, f.pc)})` };
    case 'exc':
      return { kind: 'exc', text: `exc frame (${lineName(m, f.line)}, IRQs ${f.ie ? 'unmasked' : 'masked'}, ${owner} @ ${at(m, f.pc)})` };
    case 'flags':
      return { kind: 'flags', text: `flags frame (IF=${f.ie}, ${owner})` };
    case 'switch':
      return { kind: 'switch', text: `switch frame (${owner} resumes @ ${at(m, f.pc)})` };
    case 'none':
      return { kind: 'call', text: 'empty cell' };
  }
}

function cpuView(m: Machine, s: Uint32Array, c: number): CpuView {
  const stopped = m.stopped(s, c);
  const current = m.current(s, c);
  const view: CpuView = {
    cpu: c,
    context: contextOf(m, s, c),
    ie: m.ie(s, c) === 1,
    hardirq: m.hardirq(s, c),
    locksHeld: stopped || current === m.none ? [] : m.locksHeldBy(s, current).map((l) => lockName(m, l)),
    stack: current === m.none ? [] : m.frames(s, m.currentStack(s, c)).map((f) => frameView(m, f)),
    pending: lineList(m, m.pending(s, c)),
    inService: lineList(m, m.inService(s, c)),
  };
  if (m.program.arch === 'aarch64') {
    const state = m.elrState(s, c);
    view.elr = state === 'empty' ? 'empty' : `${state}: ${frameView(m, m.elr(s, c)).text}`;
  }
  const slots = m.layout.cpus[c]!;
  if (slots.tpr !== null) view.tpr = m.tpr(s, c);
  const arrived = m.program.lines.flatMap((l) => {
    const slot = slots.arrived[l.id];
    return slot === null || slot === undefined || l.limit === null ? [] : [{ line: l.name, count: m.read(s, slot), limit: l.limit }];
  });
  if (arrived.length > 0) view.arrived = arrived;
  const thread = current === m.none ? null : m.layout.threads[current];
  if (thread?.preempt !== null && thread?.preempt !== undefined) view.preemptCount = m.preemptCount(s, current);
  if (thread?.softirq !== null && thread?.softirq !== undefined) view.softirqCount = m.softirqCount(s, current);
  const owner = m.stackOwner(s, c);
  if (slots.sp !== null && !stopped && owner !== current && owner !== m.none) view.onStackOf = threadName(m, owner);
  return view;
}

/** Each wait queue's waiters, first to wait first. */
function waitQueuesView(m: Machine, s: Uint32Array): { name: string; waiters: string[] }[] {
  return m.program.waitQueues.map((q, i) => {
    const slots = m.layout.waitQueues[i]!;
    const len = m.read(s, slots.len);
    return { name: q.name, waiters: slots.entries.slice(0, len).map((slot) => threadName(m, m.read(s, slot))) };
  });
}

function varsView(m: Machine, s: Uint32Array): Record<string, string> {
  const out: Record<string, string> = {};
  m.program.vars.forEach((v, id) => {
    m.layout.vars[id]!.forEach((elements, instance) => {
      const owner = v.scope === 'global' ? '' : v.scope === 'percpu' ? `@cpu${instance}` : `@${threadName(m, instance)}`;
      elements.forEach((slot, e) => {
        const code = m.read(s, slot);
        const value = v.type.kind === 'int' ? code + v.type.min : code;
        out[`${v.name}${v.length === null ? '' : `[${e}]`}${owner}`] = valueText(m.program, v.type, value);
      });
    });
  });
  return out;
}

export function stateViewOf(m: Machine, s: Uint32Array): StateView {
  const view: StateView = {
    cpus: Array.from({ length: m.cpus }, (_, c) => cpuView(m, s, c)),
    threads: m.program.threads.map((t) => ({
      name: t.name,
      state: m.freed(s, t.id) ? `${m.threadState(s, t.id)}, stack freed` : m.threadState(s, t.id),
      stack: m.frames(s, m.layout.threads[t.id]!.stack).map((f) => frameView(m, f)),
    })),
    locks: m.program.locks.map((l) => {
      const owner = m.lockOwner(s, l.id);
      return { name: l.name, holder: owner === 0 ? null : threadName(m, owner - 1) };
    }),
    runQueue: m.runQueue(s).map((t) => threadName(m, t)),
    vars: varsView(m, s),
  };
  if (m.program.waitQueues.length > 0) view.waitQueues = waitQueuesView(m, s);
  return view;
}

export function stateView(model: Model, state: Uint32Array): StateView {
  return stateViewOf(machineOf(model), state);
}

const sources = new Map<string, string[] | null>();

/** The trimmed source line of a span, or null when the file cannot be read. */
export function sourceLineOf(model: Model, span: number | null): string | null {
  if (span === null) return null;
  const where = model.program.spans[span];
  if (where === undefined) return null;
  if (!sources.has(where.file)) {
    try {
      sources.set(where.file, readFileSync(where.file, 'utf8').split(/\r?\n/));
    } catch {
      sources.set(where.file, null);
    }
  }
  return sources.get(where.file)?.[where.line - 1]?.trim() ?? null;
}

/** The action's label, with what only the state before it shows: a test's outcome, whom a switch resumes. */
function stepLabel(model: Model, m: Machine, before: Uint32Array, action: Action): string {
  const text = model.label(action).text;
  const kind = actionKind(action);
  if (kind !== ActionKind.step) return text;
  const c = actionCpu(action);
  const instr = m.code[actionArg(action)]!;
  const value = (e: Parameters<typeof evaluateIn>[3]): number | null => {
    try {
      return evaluateIn(m, before, c, e);
    } catch {
      return null;
    }
  };
  switch (instr.op) {
    case 'branch': {
      const v = value(instr.cond);
      return v === null ? text : `${text} (${v !== 0 ? 'true' : 'false'})`;
    }
    case 'switch_to':
    case 'restore_context':
    case 'enqueue':
    case 'wake':
    case 'spawn':
    case 'free_stack':
    case 'save_sp':
    case 'load_sp':
    case 'set_current': {
      if (instr.thread.kind === 'const') return text;
      const v = value(instr.thread);
      return v === null ? text : `${text} (${threadName(m, v)})`;
    }
    case 'pick': {
      const queue = m.runQueue(before);
      return `${text} (${queue.length === 0 ? 'none: the run queue is empty' : threadName(m, queue[0]!)})`;
    }
    case 'try_acquire':
      return `${text} (${m.lockOwner(before, instr.lock) === 0 ? 'taken' : 'busy'})`;
    case 'acquire': {
      const owner = m.lockOwner(before, instr.lock);
      return owner === 0 ? text : `${text} (held by ${threadName(m, owner - 1)}: sleeps)`;
    }
    default:
      return text;
  }
}

/** The trace of a path: states.length = actions.length + 1; step i leads from states[i - 1] to states[i]. */
export function traceOf(model: Model, states: Uint32Array[], actions: Action[]): TraceStep[] {
  const m = machineOf(model);
  const steps: TraceStep[] = [
    {
      index: 0,
      kind: 'init',
      cpu: null,
      context: '',
      label: 'initial state',
      span: null,
      location: null,
      sourceLine: null,
      state: stateViewOf(m, states[0]!),
    },
  ];
  actions.forEach((action, i) => {
    const label = model.label(action);
    const before = states[i]!;
    const where = label.span === null ? undefined : model.program.spans[label.span];
    steps.push({
      index: i + 1,
      kind: label.kind,
      cpu: label.cpu,
      context: label.cpu === null ? '' : contextOf(m, before, label.cpu),
      label: stepLabel(model, m, before, action),
      span: label.span,
      location: where === undefined ? null : `${where.file}:${where.line}`,
      sourceLine: sourceLineOf(model, label.span),
      state: stateViewOf(m, states[i + 1]!),
    });
  });
  return steps;
}
