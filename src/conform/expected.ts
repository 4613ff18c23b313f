// What a kernel logs for each model action: the bridge between the model's transitions and trace events.
// Interrupt delivery and the instructions a kernel can observe produce events (interrupt entry, cli/sti,
// EOI, locks, returns, switches, thread life cycle); pure computation, assignments, branches, calls, the run
// queue and a line merely becoming pending are silent. `restore_context` is one model action that a kernel
// logs as two events: the switch, then the return through the resumed thread's frame.

import { ActionKind, actionArg, actionCpu, actionKind, type Action, type Model } from '../ir/model.js';
import type { Instr } from '../ir/ir.js';
import { evaluateIn } from '../hw/expr.js';
import { lockIn } from '../hw/locks.js';
import type { Machine } from '../hw/machine.js';
import { unreachable } from '../ir/unreachable.js';
import { MATCHED_ARGS, type EventName, type TraceEvent } from './trace.js';

/** An event a model action produces, with every argument the model knows. */
export interface Expected {
  cpu: number;
  event: EventName;
  line?: string;
  lock?: string;
  thread?: string;
  from?: string;
  to?: string | number;
}

/** A trace event matches when CPU and name agree and every matched argument the trace gives agrees. */
export function matches(expected: Expected, event: TraceEvent): boolean {
  if (expected.cpu !== event.cpu || expected.event !== event.event) return false;
  for (const arg of MATCHED_ARGS) {
    const given = event[arg];
    if (given !== undefined && given !== expected[arg]) return false;
  }
  return true;
}

/** The key of a trace event for caching: the fields that decide what it matches. */
export function eventKey(event: TraceEvent): string {
  let key = `${event.cpu}|${event.event}`;
  for (const arg of MATCHED_ARGS) {
    const v = event[arg];
    if (v !== undefined) key += `|${arg}=${v}`;
  }
  // A hang is judged by the CPUs it lists.
  if (event.cpus !== undefined) key += `|cpus=${event.cpus.join(',')}`;
  return key;
}

export function formatExpected(e: Expected): string {
  const args = MATCHED_ARGS.filter((a) => e[a] !== undefined).map((a) => `${a}=${e[a]}`);
  return `cpu${e.cpu} ${e.event}${args.length > 0 ? ` ${args.join(' ')}` : ''}`;
}

/** A trace event as conformance reports show it (the matched arguments only). */
export function describeEvent(e: TraceEvent): string {
  return formatExpected(e as Expected);
}

const NONE: readonly Expected[] = Object.freeze([]);

/**
 * The events action `a` from state `s` produces. `next` is its successor (for a fatal action, `s` itself:
 * arguments are then read from `s`, as the kernel would log the attempt).
 */
export function expectedEvents(model: Model, m: Machine, s: Uint32Array, action: Action): readonly Expected[] {
  const kind = actionKind(action);
  const cpu = actionCpu(action);
  const arg = actionArg(action);
  switch (kind) {
    case ActionKind.deliver:
    case ActionKind.arriveTake:
      return [{ cpu, event: 'irq_entry', line: m.program.lines[arg]!.name, thread: threadOf(m, m.current(s, cpu)) }];
    case ActionKind.arrive:
    case ActionKind.maskWait:
      return NONE;
    case ActionKind.step:
      return stepEvents(m, s, cpu, m.code[arg]!);
    default:
      throw new Error(`internal: unknown action kind ${kind} in ${model.program.file}`);
  }
}

function threadOf(m: Machine, t: number): string {
  return t === m.none ? 'none' : m.program.threads[t]!.name;
}

/** Called for every action of every configuration the tracker explores: no closures, few allocations. */
function stepEvents(m: Machine, s: Uint32Array, cpu: number, instr: Instr): readonly Expected[] {
  switch (instr.op) {
    case 'work':
    case 'assign':
    case 'rmw':
    case 'branch':
    case 'jump':
    case 'call':
    case 'ret':
    case 'assert':
    case 'irq_exit':
    case 'save_elr':
    case 'restore_elr':
    case 'enqueue':
    case 'dequeue':
    case 'pick':
    case 'hlt': // the kernel logs `hlt` when the CPU is halted (tracker.ts), not when the instruction executes
    case 'wfi':
    case 'choose':
    case 'alternative':
    case 'preempt_disable':
    case 'local_bh_disable':
    case 'local_bh_enable':
    case 'preempt_enable':
    case 'sleep':
    case 'prepare_to_wait':
    case 'finish_wait':
    case 'wake_one':
    case 'wake_all':
    case 'to_user':
    case 'syscall':
    case 'svc':
    case 'sysret':
    case 'int':
      return NONE;
    case 'halted': // a kernel logs `wfi` when the wait completes
      return instr.by === 'wfi' ? [{ cpu, event: 'wfi' }] : NONE;
    case 'cli':
    case 'sti':
    case 'irqsave':
    case 'irqrestore':
      return [{ cpu, event: instr.op }];
    case 'eoi':
    case 'ack':
      // With a GIC in EOImode 1 the EOIR write only drops the priority; the deactivation is the EOI a kernel logs.
      if (instr.op === 'eoi' && m.program.gicSplitEoi === true) return NONE;
      // A local APIC's EOI names no vector: `eoi L` ends the highest in service, as a bare `eoi` (below).
      if (instr.op === 'eoi' && m.program.controller === 'lapic') return highestEoi(m, s, cpu);
      return [{ cpu, event: instr.op, line: m.program.lines[instr.line]!.name }];
    case 'eoi_highest':
      return highestEoi(m, s, cpu);
    case 'tpr':
    case 'pmr':
      return NONE;
    case 'ack_read': {
      const line = m.acknowledgedLine(s, cpu);
      return line < 0 ? NONE : [{ cpu, event: 'ack', line: m.program.lines[line]!.name }];
    }
    case 'eoi_id': {
      // With EOImode 1 the EOIR write only drops the priority; the deactivation is the EOI a kernel logs.
      if (m.program.gicSplitEoi === true) return NONE;
      const id = evaluateIn(m, s, cpu, instr.value);
      const line = m.program.lines.find((l) => l.number === id);
      return line === undefined ? NONE : [{ cpu, event: 'eoi', line: line.name }];
    }
    case 'deactivate': {
      const id = evaluateIn(m, s, cpu, instr.value);
      const line = m.program.lines.find((l) => l.number === id);
      return line === undefined ? NONE : [{ cpu, event: 'eoi', line: line.name }];
    }
    case 'iret':
    case 'eret':
      return [{ cpu, event: instr.op, thread: threadOf(m, m.current(s, cpu)) }];
    case 'raise': {
      const line = m.program.lines[instr.line]!.name;
      return instr.cpu === null ? [{ cpu, event: 'ipi', line }] : [{ cpu, event: 'ipi', line, to: evaluateIn(m, s, cpu, instr.cpu) }];
    }
    case 'acquire':
    case 'try_acquire': {
      // A contended mutex puts the thread to sleep instead: nothing is acquired.
      const lock = lockIn(m, s, cpu, instr);
      return lock !== null && m.lockOwner(s, lock) === 0
        ? [{ cpu, event: 'lock_acquire', lock: m.program.locks[lock]!.name, thread: threadOf(m, m.current(s, cpu)) }]
        : NONE;
    }
    case 'release': {
      const lock = lockIn(m, s, cpu, instr);
      return lock === null ? NONE : [{ cpu, event: 'lock_release', lock: m.program.locks[lock]!.name, thread: threadOf(m, m.current(s, cpu)) }];
    }
    case 'wake':
      return [{ cpu, event: 'wake', thread: threadOf(m, evaluateIn(m, s, cpu, instr.thread)) }];
    case 'spawn':
      return [{ cpu, event: 'spawn', thread: threadOf(m, evaluateIn(m, s, cpu, instr.thread)) }];
    case 'free_stack':
      return [{ cpu, event: 'free_stack', thread: threadOf(m, evaluateIn(m, s, cpu, instr.thread)) }];
    case 'exit':
    case 'end':
      return [{ cpu, event: 'exit', thread: threadOf(m, m.current(s, cpu)) }];
    case 'switch_to': {
      const t = evaluateIn(m, s, cpu, instr.thread);
      const current = m.current(s, cpu);
      return t === current ? NONE : [{ cpu, event: 'switch', from: threadOf(m, current), to: threadOf(m, t) }];
    }
    case 'restore_context': {
      const t = evaluateIn(m, s, cpu, instr.thread);
      const current = m.current(s, cpu);
      const back: Expected = { cpu, event: m.program.arch === 'x86_64' ? 'iret' : 'eret', thread: threadOf(m, t) };
      return t === current ? [back] : [{ cpu, event: 'switch', from: threadOf(m, current), to: threadOf(m, t) }, back];
    }
    case 'save_sp':
    case 'load_sp':
    case 'set_current':
    case 'pick_where':
    case 'set_state':
    case 'unpend':
      return NONE;
    default:
      return unreachable(instr);
  }
}

/** The EOI event of a write that ends the highest line in service on `cpu` (none: nothing in service). */
function highestEoi(m: Machine, s: Uint32Array, cpu: number) {
  const line = m.highestInService(s, cpu);
  return line < 0 ? NONE : [{ cpu, event: 'eoi' as const, line: m.program.lines[line]!.name }];
}
