// Names for what a CPU is doing, shared by violation messages, counterexample views and deadlock reports.

import type { Machine } from './machine.js';

export function threadName(m: Machine, t: number): string {
  return t === m.none ? 'none' : (m.program.threads[t]?.name ?? `thread${t}`);
}

export function lockName(m: Machine, l: number): string {
  return m.program.locks[l]?.name ?? `lock${l}`;
}

export function lineName(m: Machine, l: number): string {
  return m.program.lines[l]?.name ?? `line${l}`;
}

/** The handler unit CPU `c` is serving at its innermost interrupt level, or null in thread context. */
export function innermostHandler(m: Machine, s: Uint32Array, c: number): number | null {
  const unit = m.unitAt(m.pc(s, c));
  if (unit?.kind === 'handler') return unit.id;
  if (m.hardirq(s, c) === 0) return null;
  // Code a handler calls: the newest interrupt frame on the stack (x86) or the exception context (aarch64)
  // names the line being served.
  if (m.elrState(s, c) !== 'empty') return m.program.lines[m.elr(s, c).line]?.handler ?? null;
  const frames = m.frames(s, m.currentStack(s, c));
  for (let i = frames.length - 1; i >= 0; i--) {
    const f = frames[i]!;
    if (f.kind === 'irq' || f.kind === 'exc') return m.program.lines[f.line]?.handler ?? null;
  }
  return null;
}

/** `thread worker[0]`, `handler timer (on worker[0])`, `stopped`. */
export function contextOf(m: Machine, s: Uint32Array, c: number): string {
  if (m.stopped(s, c)) return 'stopped';
  const current = threadName(m, m.current(s, c));
  const handler = innermostHandler(m, s, c);
  if (handler !== null) return `handler ${m.program.units[handler]!.name} (on ${current})`;
  if (m.hardirq(s, c) > 0) return `interrupt context (on ${current})`;
  if (m.inUserMode(s, c)) return `thread ${current} (user mode)`;
  return `thread ${current}`;
}

/** `file:line` of a pc, or null for the stopped pc. */
export function pcLocation(m: Machine, pc: number): string | null {
  const instr = m.code[pc];
  if (instr === undefined) return null;
  const span = m.program.spans[instr.span];
  return span === undefined ? null : `${span.file}:${span.line}`;
}

/** Where thread `t` is: `running on CPU 0`, `interrupted on CPU 1`, `ready`, `blocked`... */
export function whereIs(m: Machine, s: Uint32Array, t: number): string {
  const c = m.cpuRunning(s, t);
  if (c >= 0) {
    const handler = innermostHandler(m, s, c);
    return handler === null && m.hardirq(s, c) === 0 ? `running on CPU ${c}` : `interrupted on CPU ${c}`;
  }
  const state = m.threadState(s, t);
  return state === 'ready' ? 'ready, not running' : `${state}, not running`;
}

/**
 * Why pending line `l` is not taken on CPU `c` in state `s` ("IF=0", "held off by timer in service", ...), or
 * null when it is deliverable (it is taken next, or after a more urgent one).
 */
export function heldOffReason(m: Machine, s: Uint32Array, c: number, l: number): string | null {
  if (m.deliverable(s, c, l)) return null;
  if (m.program.lines[l]!.nmi === true) return 'NMIs blocked until the next iret';
  if (m.ie(s, c) === 0) return m.program.arch === 'aarch64' ? 'IRQs masked' : 'IF=0';
  const word = m.program.arch === 'aarch64' ? 'active' : 'in service';
  // A dropped line (GIC EOImode 1) no longer sets the running priority, but stays active until deactivated.
  const running = m.inService(s, c) & ~m.dropped(s, c);
  const inService = m.program.lines.filter((x) => (running & m.blockers[l]! & (1 << x.id)) !== 0).map((x) => x.name);
  if (inService.length > 0) return `held off by ${inService.join(', ')} ${word}`;
  if ((m.dropped(s, c) & (1 << l)) !== 0) return `itself active, its priority dropped but not deactivated`;
  const tpr = m.tpr(s, c);
  if (tpr >= m.program.lines[l]!.priority) return `held off by the task priority, class ${tpr}`;
  if (!m.pmrAllows(s, c, l)) return 'held off by the priority mask (ICC_PMR_EL1)';
  return 'in the sti shadow';
}
