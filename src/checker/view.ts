// States and paths as reports show them: every CPU with its context, interrupt flag, locks and stack; every
// thread, lock and variable by name. Counterexamples, `simulate` and every report format read these views.

import { readFileSync } from 'node:fs';
import { machineOf } from '../hw/build.js';
import { contextOf, lineName, lockName, pcLocation, threadName } from '../hw/describe.js';
import { evaluateIn, queueOf } from '../hw/expr.js';
import { ConcreteState } from '../hw/state.js';
import { valueText } from '../ir/print.js';
import { GIC_SPURIOUS } from '../ir/ir.js';
import type { Frame } from '../hw/frames.js';
import { lockIn } from '../hw/locks.js';
import type { Machine } from '../hw/machine.js';
import { actionArg, actionCpu, actionKind, ActionKind, type Action, type Model } from '../ir/model.js';
import type { Counterexample, CpuView, FrameView, StateView, TraceStep } from './verdict.js';

function lineList(m: Machine, mask: number): string[] {
  return m.program.lines.filter((l) => (mask & (1 << l.id)) !== 0).map((l) => l.name);
}

function at(m: Machine, pc: number): string {
  return pcLocation(m, pc) ?? 'the end of its thread';
}

/** Per program, whether its code makes synchronous entries (syscall, svc, int). */
const syncEntries = new WeakMap<Machine['program'], boolean>();

/** The line an entry was taken for; a synchronous entry (syscall, svc, int) and a forged frame record none. */
function entryName(m: Machine, f: Frame): string {
  if (f.line < m.program.lines.length) return lineName(m, f.line);
  let sync = syncEntries.get(m.program);
  if (sync === undefined) {
    sync = m.program.units.some((u) => u.code.some((i) => i.op === 'syscall' || i.op === 'svc' || i.op === 'int'));
    syncEntries.set(m.program, sync);
  }
  if (!sync) return 'forged';
  return `${m.program.arch === 'aarch64' ? 'svc' : 'syscall or int'}, or forged`;
}

/** An entry taken in user mode returns to it. */
function userMark(m: Machine, f: Frame): string {
  return m.isUserPc(f.pc) ? ', user mode' : '';
}

export function frameView(m: Machine, f: Frame): FrameView {
  const owner = threadName(m, f.owner);
  switch (f.kind) {
    case 'call':
      return { kind: 'call', text: `call frame (${owner} returns to ${at(m, f.pc)})` };
    case 'irq':
      return { kind: 'irq', text: `irq frame (${entryName(m, f)}, IF=${f.ie}, ${owner} @ ${at(m, f.pc)}${userMark(m, f)})` };
    case 'exc':
      return { kind: 'exc', text: `exc frame (${entryName(m, f)}, IRQs ${f.ie ? 'unmasked' : 'masked'}, ${owner} @ ${at(m, f.pc)}${userMark(m, f)})` };
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
    if (v.scope === 'local') {
      localsView(m, s, id, out);
      return;
    }
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

/**
 * A local's instances that differ from its initial value (a local is reset to it when its activation ends, so
 * these are all live), as `schedule.prev@a[0]#1`: the body, the local, the stack and the activation's level.
 */
function localsView(m: Machine, s: Uint32Array, id: number, out: Record<string, string>): void {
  const v = m.program.vars[id]!;
  const unit = m.program.units[v.unit!]!.name;
  const stacks = [
    ...m.layout.threads.map((t, i) => ({ name: threadName(m, i), stack: t.stack })),
    ...m.layout.cpus.flatMap((c, cpu) => c.handlerStacks.map((stack, k) => ({ name: `cpu${cpu}.${m.program.units[m.layout.handlerStackUnits[k]!]!.name}`, stack }))),
  ];
  for (const { name, stack } of stacks) {
    const local = stack.locals[id] ?? null;
    local?.slots.forEach((slot, i) => {
      const code = m.read(s, slot);
      if (code === v.init) return;
      out[`${unit}.${v.name}@${name}#${local.from + i}`] = valueText(m.program, v.type, v.type.kind === 'int' ? code + v.type.min : code);
    });
  }
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
    // Declared run queues: each as `rq[0]: a b` (the global queue is then always empty).
    runQueue:
      m.layout.runQueues.length === 0
        ? m.runQueue(s).map((t) => threadName(m, t))
        : (m.program.runQueues ?? []).map((q, i) => `${q.name}:${m.runQueue(s, m.layout.runQueues[i]).map((t) => ` ${threadName(m, t)}`).join('')}`),
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
    case 'dequeue':
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
      let queue: number[] = [];
      try {
        const [only] = queueOf(m.access, new ConcreteState(m, before, c, []), c, instr.from);
        queue = only === undefined ? [] : m.runQueue(before, only.q);
      } catch {
        return text;
      }
      return `${text} (${queue.length === 0 ? 'none: the run queue is empty' : threadName(m, queue[0]!)})`;
    }
    case 'ack_read': {
      const line = m.acknowledgedLine(before, c);
      return `${text} (${line < 0 ? `${GIC_SPURIOUS}: spurious` : `${m.program.lines[line]!.number}: ${m.program.lines[line]!.name}`})`;
    }
    case 'eoi_id': {
      const v = value(instr.value);
      const line = m.program.lines.find((l) => l.number === v);
      return v === null ? text : `${text} (${v}: ${line === undefined ? 'no line' : line.name})`;
    }
    case 'try_acquire': {
      const lock = lockIn(m, before, c, instr);
      const named = instr.index === undefined || lock === null ? '' : `${lockName(m, lock)} `;
      return lock === null ? text : `${text} (${named}${m.lockOwner(before, lock) === 0 ? 'taken' : 'busy'})`;
    }
    case 'acquire':
    case 'release': {
      const lock = lockIn(m, before, c, instr);
      if (lock === null) return text;
      const owner = m.lockOwner(before, lock);
      const named = instr.index === undefined ? '' : lockName(m, lock);
      if (instr.op === 'release' || owner === 0) return named === '' ? text : `${text} (${named})`;
      return `${text} (${named === '' ? '' : `${named} `}held by ${threadName(m, owner - 1)}: sleeps)`;
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

/** The model actions a counterexample took, recovered by matching each step's CPU, kind, span and label. */
export function actionsOf(model: Model, cex: Counterexample): { states: Uint32Array[]; actions: Action[] } | { step: number; message: string } {
  const m = machineOf(model);
  const states = [model.initialStates()[0]!];
  const actions: Action[] = [];
  for (const step of cex.steps.slice(1)) {
    const s = states[states.length - 1]!;
    const candidates = model.actions(s).filter((a) => {
      const label = model.label(a);
      return (
        label.cpu === step.cpu &&
        label.kind === step.kind &&
        label.span === step.span &&
        (step.label === label.text || step.label.startsWith(`${label.text} (`))
      );
    });
    // Several arrivals can share a label's shape; the state the step shows decides.
    const shown = JSON.stringify(step.state);
    const chosen =
      candidates.length <= 1
        ? candidates[0]
        : (candidates.find((a) => JSON.stringify(stateViewOf(m, model.successor(s, a).next)) === shown) ?? candidates[0]);
    if (chosen === undefined) {
      return { step: step.index, message: `step ${step.index} (cpu${step.cpu ?? '-'}: ${step.label}) is not an action the model allows there` };
    }
    actions.push(chosen);
    states.push(model.successor(s, chosen).next);
  }
  return { states, actions };
}
