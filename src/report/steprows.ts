// What a step changed, as short lines a kernel developer reads at a glance ("IF 1 -> 0", "locks: LOOM",
// the stack top first). Graph nodes show only these, so an unchanged interrupt flag or stack never repeats.
// Plain ASCII on purpose: Graphviz sizes boxes from built-in metrics that have no widths for other characters.

import type { CpuView, FrameView, StateView } from '../checker/verdict.js';
import type { Arch } from '../ir/ir.js';

export type Row =
  | { kind: 'change'; text: string }
  | { kind: 'frame'; frame: FrameView['kind']; text: string }
  | { kind: 'note'; text: string };

const MAX_FRAMES = 8;

/** The interrupt-enable bit as the architecture's manual names it. */
export function interruptFlag(ie: boolean, arch: Arch): string {
  return arch === 'aarch64' ? `PSTATE.I=${ie ? 0 : 1}` : `IF=${ie ? 1 : 0}`;
}

function flagChange(before: boolean, after: boolean, arch: Arch): string {
  return arch === 'aarch64' ? `PSTATE.I ${before ? 0 : 1} -> ${after ? 0 : 1}` : `IF ${before ? 1 : 0} -> ${after ? 1 : 0}`;
}

function list(items: readonly string[]): string {
  return items.length === 0 ? 'none' : items.join(', ');
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameStack(a: readonly FrameView[], b: readonly FrameView[]): boolean {
  return a.length === b.length && a.every((f, i) => f.kind === b[i]!.kind && f.text === b[i]!.text);
}

/** The stack, top frame first (the order a debugger prints a backtrace in). */
function stackRows(stack: readonly FrameView[], prefix: string): Row[] {
  if (stack.length === 0) return [{ kind: 'change', text: `${prefix}stack: empty` }];
  const top = [...stack].reverse();
  const rows: Row[] = [{ kind: 'change', text: `${prefix}stack (top first):` }];
  for (const frame of top.slice(0, MAX_FRAMES)) rows.push({ kind: 'frame', frame: frame.kind, text: frame.text });
  if (top.length > MAX_FRAMES) rows.push({ kind: 'note', text: `  ... ${top.length - MAX_FRAMES} more` });
  return rows;
}

function inServiceName(arch: Arch): string {
  return arch === 'aarch64' ? 'active' : 'in service';
}

/** A CPU in full, for the lane headers (the initial state). */
export function cpuSnapshotRows(cpu: CpuView, arch: Arch): Row[] {
  const rows: Row[] = [
    { kind: 'change', text: cpu.context },
    { kind: 'change', text: `${interruptFlag(cpu.ie, arch)}   locks: ${list(cpu.locksHeld)}` },
  ];
  if (cpu.hardirq > 0) rows.push({ kind: 'change', text: `hardirq depth ${cpu.hardirq}` });
  if (cpu.pending.length > 0) rows.push({ kind: 'change', text: `pending: ${list(cpu.pending)}` });
  if (cpu.inService.length > 0) rows.push({ kind: 'change', text: `${inServiceName(arch)}: ${list(cpu.inService)}` });
  if (cpu.elr !== undefined && cpu.elr !== 'empty') rows.push({ kind: 'change', text: `ELR/SPSR: ${cpu.elr}` });
  if (cpu.tpr !== undefined) rows.push({ kind: 'change', text: `TPR class ${cpu.tpr}` });
  if (cpu.preemptCount !== undefined && cpu.preemptCount > 0) rows.push({ kind: 'change', text: `preempt_count ${cpu.preemptCount}` });
  if (cpu.onStackOf !== undefined) rows.push({ kind: 'change', text: `on ${cpu.onStackOf}'s stack` });
  rows.push(...stackRows(cpu.stack, ''));
  return rows;
}

/** Variables, run queue and thread states of the initial state, for the graph's title. */
export function globalSnapshotRows(state: StateView): Row[] {
  const rows: Row[] = [];
  const vars = Object.entries(state.vars).map(([name, value]) => `${name} = ${value}`);
  if (vars.length > 0) rows.push({ kind: 'note', text: `initially: ${vars.join(', ')}` });
  const threads = state.threads.map((t) => `${t.name} ${t.state}`);
  if (threads.length > 0) rows.push({ kind: 'note', text: `threads: ${threads.join(', ')}` });
  rows.push({ kind: 'note', text: `run queue: ${list(state.runQueue)}` });
  return rows;
}

function cpuChangeRows(before: CpuView, after: CpuView, arch: Arch, prefix: string): Row[] {
  const rows: Row[] = [];
  const change = (text: string): void => {
    rows.push({ kind: 'change', text: `${prefix}${text}` });
  };
  if (before.context !== after.context) change(`now: ${after.context}`);
  if (before.ie !== after.ie) change(flagChange(before.ie, after.ie, arch));
  if (before.hardirq !== after.hardirq) change(`hardirq depth ${before.hardirq} -> ${after.hardirq}`);
  if (!sameList(before.locksHeld, after.locksHeld)) change(`locks: ${list(after.locksHeld)}`);
  if (!sameList(before.pending, after.pending)) change(`pending: ${list(after.pending)}`);
  if (!sameList(before.inService, after.inService)) change(`${inServiceName(arch)}: ${list(after.inService)}`);
  if (before.elr !== after.elr && after.elr !== undefined) change(`ELR/SPSR: ${after.elr}`);
  for (const text of cpuStateChanges(before, after)) change(text);
  if (!sameStack(before.stack, after.stack)) rows.push(...stackRows(after.stack, prefix));
  return rows;
}

/** Everything a step changed: its own CPU first, then other CPUs (an IPI), then threads and variables. */
export function changedRows(before: StateView, after: StateView, cpu: number | null, arch: Arch): Row[] {
  const rows: Row[] = [];
  const order = after.cpus.map((c) => c.cpu).sort((a, b) => (a === cpu ? -1 : b === cpu ? 1 : a - b));
  for (const id of order) {
    const was = before.cpus.find((c) => c.cpu === id);
    const now = after.cpus.find((c) => c.cpu === id);
    if (was === undefined || now === undefined) continue;
    rows.push(...cpuChangeRows(was, now, arch, id === cpu ? '' : `CPU${id} `));
  }
  for (const thread of after.threads) {
    const was = before.threads.find((t) => t.name === thread.name);
    if (was !== undefined && was.state !== thread.state) {
      rows.push({ kind: 'change', text: `${thread.name}: ${was.state} -> ${thread.state}` });
    }
  }
  if (!sameList(before.runQueue, after.runQueue)) rows.push({ kind: 'change', text: `run queue: ${list(after.runQueue)}` });
  for (const text of waitQueueChanges(before, after)) rows.push({ kind: 'change', text });
  for (const [name, value] of Object.entries(after.vars)) {
    const was = before.vars[name];
    if (was !== value) rows.push({ kind: 'change', text: `${name}: ${was ?? '?'} -> ${value}` });
  }
  return rows;
}

/** The parts of a CPU's view only some states have (TPR, arrivals, preempt_count, the stack a split switch is on). */
export function cpuStateChanges(before: CpuView, after: CpuView): string[] {
  const out: string[] = [];
  if (before.tpr !== after.tpr && after.tpr !== undefined) out.push(`TPR class ${after.tpr}`);
  const arrivals = (c: CpuView): string => (c.arrived ?? []).map((a) => `${a.line} ${a.count}/${a.limit}`).join(', ');
  if (arrivals(before) !== arrivals(after)) out.push(`arrived: ${arrivals(after)}`);
  if (before.preemptCount !== after.preemptCount && after.preemptCount !== undefined) out.push(`preempt_count ${after.preemptCount}`);
  if (before.softirqCount !== after.softirqCount && after.softirqCount !== undefined) out.push(`softirq count ${after.softirqCount}`);
  if (before.onStackOf !== after.onStackOf) out.push(after.onStackOf === undefined ? `on the current thread's stack` : `on ${after.onStackOf}'s stack`);
  return out;
}

/** The waiters of each wait queue whose waiters changed: `wait queue WQ: b, a`. */
export function waitQueueChanges(before: StateView, after: StateView): string[] {
  return (after.waitQueues ?? []).flatMap((q, i) => {
    const was = before.waitQueues?.[i];
    return was !== undefined && list(was.waiters) === list(q.waiters) ? [] : [`wait queue ${q.name}: ${list(q.waiters)}`];
  });
}
