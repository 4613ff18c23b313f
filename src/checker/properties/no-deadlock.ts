// no-deadlock: (1) a reachable state in which no CPU can do anything but let interrupts become pending that it
// cannot take, while some thread has not exited: found when the state is discovered, so the path is shortest.
// (2) after a complete search: a reachable state from which no progress step is reachable at all (a `wfi` loop
// with its line pending but masked, a spin on a flag nobody will set). Progress is every executed instruction
// except condition tests and `wfi`, plus every interrupt delivery; a fatal step also ends the question.

import { contextOf, lockName, pcLocation, threadName, whereIs } from '../../hw/describe.js';
import type { Machine } from '../../hw/machine.js';
import { instrText } from '../../hw/text.js';
import { actionKind, ActionKind } from '../../ir/model.js';
import { EDGE_FATAL, EDGE_PROGRESS } from '../explicit/graph.js';
import type { Finding, PropertyDefinition } from './property.js';

function lines(m: Machine, mask: number): string {
  return m.program.lines.filter((l) => (mask & (1 << l.id)) !== 0).map((l) => l.name).join(', ');
}

/** What CPU `c` is doing in a state where it cannot make progress. */
export function describeCpu(m: Machine, s: Uint32Array, c: number): string {
  if (m.stopped(s, c)) return `CPU${c}: stopped (its thread ended)`;
  const context = contextOf(m, s, c);
  const pc = m.pc(s, c);
  const instr = m.code[pc]!;
  const masked = m.ie(s, c) === 0 ? ' with interrupts masked' : '';
  const pending = m.pending(s, c);
  const waiting = pending === 0 ? '' : `; ${lines(m, pending)} pending but ${m.ie(s, c) === 0 ? 'masked' : `held off by ${lines(m, m.inService(s, c))}`}`;
  const at = pcLocation(m, pc);
  switch (instr.op) {
    case 'acquire': {
      const owner = m.lockOwner(s, instr.lock);
      const name = lockName(m, instr.lock);
      if (owner === 0) break;
      if (owner === m.current(s, c) + 1) {
        return `CPU${c}: ${context} spins on ${name} at ${at}${masked}, which ${threadName(m, owner - 1)} already holds (recursive locking)${waiting}`;
      }
      return `CPU${c}: ${context} spins on ${name} at ${at}${masked}, held by ${threadName(m, owner - 1)} (${whereIs(m, s, owner - 1)})${waiting}`;
    }
    case 'hlt':
      return m.ie(s, c) === 0
        ? `CPU${c}: ${context} halts (hlt at ${at}) with interrupts masked: only an NMI could wake it${waiting}`
        : `CPU${c}: ${context} halts (hlt at ${at}) and no interrupt can wake it${waiting}`;
    case 'wfi':
      if (m.ie(s, c) === 0) {
        return `CPU${c}: ${context} waits in wfi at ${at} with interrupts masked: a pending line wakes it but is never taken${pending === 0 ? '' : ` (${lines(m, pending)} pending)`}`;
      }
      return `CPU${c}: ${context} waits in wfi at ${at} and no interrupt can arrive${waiting}`;
    default:
      break;
  }
  return `CPU${c}: ${context} at ${at} (${instrText(m.program, instr)})${masked} never makes progress${waiting}`;
}

/** Who holds what and which threads are waiting: the lines after the deadlock summary. */
export function holdsAndWaits(m: Machine, s: Uint32Array): string[] {
  const out: string[] = [];
  for (let l = 0; l < m.program.locks.length; l++) {
    const owner = m.lockOwner(s, l);
    if (owner === 0) continue;
    const level = m.lockLevel(s, l);
    const taken = level > 0 ? 'taken in interrupt context' : 'taken in thread context';
    out.push(`${lockName(m, l)} is held by ${threadName(m, owner - 1)} (${taken}; ${whereIs(m, s, owner - 1)})`);
  }
  for (let c = 0; c < m.cpus; c++) {
    const inService = m.inService(s, c);
    if (inService !== 0) out.push(`CPU${c}: ${lines(m, inService)} in service`);
  }
  for (let t = 0; t < m.threads; t++) {
    const state = m.threadState(s, t);
    if (state !== 'running' && state !== 'exited') out.push(`${threadName(m, t)} is ${state} and never runs again`);
  }
  return out;
}

function stuckFinding(m: Machine, s: Uint32Array, id: number, kind: 'deadlock' | 'livelock'): Finding {
  const cpus = Array.from({ length: m.cpus }, (_, c) => c);
  const busy = cpus.filter((c) => !m.stopped(s, c));
  const described = (busy.length > 0 ? busy : cpus).map((c) => describeCpu(m, s, c));
  const summary =
    kind === 'deadlock'
      ? busy.length === 0
        ? 'deadlock: every CPU has stopped but not every thread has exited'
        : `deadlock: no CPU can make progress: ${described.join('; ')}`
      : `no progress is possible any more (only condition tests, wfi wake-ups and lines becoming pending): ${described.join('; ')}`;
  // Reports point at the instruction the first stuck CPU cannot get past (the spinning acquire, the hlt, the
  // wait loop's test), not at the last step that ran.
  const stuckAt = busy.length > 0 ? m.code[m.pc(s, busy[0]!)]?.span ?? null : null;
  return {
    message: summary,
    state: id,
    action: null,
    violationSpan: stuckAt,
    details: [...cpus.filter((c) => !busy.includes(c)).map((c) => describeCpu(m, s, c)), ...holdsAndWaits(m, s)],
  };
}

export const noDeadlock: PropertyDefinition = {
  id: 'no-deadlock',
  kind: 'safety',
  meaning: 'some CPU can always make progress until every thread has exited (no lock spin, halt or wait forever)',
  monitor: (x) => {
    // The enabled actions of every state, through the engine's compiled code into one buffer: this runs on
    // every state discovered, and almost every state has a step that is not a mere arrival.
    const enabled = new Int32Array(x.actionRoom);
    const canProgress = (state: Uint32Array): boolean => {
      const count = x.enabled(state, enabled);
      for (let i = 0; i < count; i++) if (actionKind(enabled[i]!) !== ActionKind.arrive) return true;
      return false;
    };
    return {
      needsGraph: true,
      onState(id, state): Finding | null {
        if (canProgress(state) || x.model.allExited(state)) return null;
        const actions = x.model.actions(state);
        // A line becoming pending can still wake a CPU waiting in `wfi` (even masked): not stuck yet.
        const wakes = actions.some((a) => x.model.actions(x.model.successor(state, a).next).some((b) => actionKind(b) !== ActionKind.arrive));
        return wakes ? null : stuckFinding(x.machine, state, id, 'deadlock');
      },
      onComplete(graph): Finding | null {
        if (graph === null) return null;
        const good = graph.canReach(EDGE_PROGRESS | EDGE_FATAL);
        for (let id = 0; id < graph.stateCount; id++) {
          if (good[id] === 1) continue;
          const state = x.state(id);
          if (!x.model.allExited(state)) return stuckFinding(x.machine, state, id, 'livelock');
        }
        return null;
      },
    };
  },
};
