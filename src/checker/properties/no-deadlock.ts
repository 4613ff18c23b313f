// no-deadlock: a CPU or thread that waits for what can never come. Something waits when a thread is ready (for a
// CPU) or blocked (for a wake-up or a mutex), a CPU spins on a lock or tests a flag that never changes, or a line
// raised on a CPU can never be taken there (masked, or held off, forever). A CPU halted with nothing runnable,
// that an interrupt could still wake or that nothing waits on, is idle, and idle is not deadlock.
// (1) a reachable state in which no CPU can do anything but let interrupts become pending that it cannot take,
// while something waits: found when the state is discovered, so the path is shortest. (2) after a complete
// search: a reachable state from which no progress step is reachable at all, while something waits (a `wfi` loop
// with its line pending but masked, a spin on a flag nobody will set). Progress is every executed instruction
// except condition tests, `hlt`, `wfi` and a wait completing, plus every interrupt delivery; a fatal step also
// ends the question. (3) after a complete search: a thread blocked in a reachable state from which no path ever
// makes it runnable again, while the CPUs may go on making progress (a lost wake-up). (4) after a complete search,
// when (1)-(3) find nothing: a running CPU that never again makes progress at its own interrupt level, while the
// rest of the machine goes on (two CPUs spinning on each other's locks while the timer interrupts them).

import { contextOf, heldOffReason, lockName, pcLocation, threadName, whereIs } from '../../hw/describe.js';
import { lockIn } from '../../hw/locks.js';
import type { Machine } from '../../hw/machine.js';
import { exprText, instrText } from '../../ir/print.js';
import { actionCpu, actionKind, ActionKind, type Action, type Model } from '../../ir/model.js';
import { THREAD_STATES, type Expr } from '../../ir/ir.js';
import { readSlot } from '../../ir/layout.js';
import { EDGE_DELIVERY, EDGE_FATAL, EDGE_PROGRESS, edgeCpu, type StateGraph } from '../explicit/graph.js';
import type { Exploration, Finding, PropertyDefinition } from './property.js';
import { beat } from '../explicit/heartbeat.js';

function lines(m: Machine, mask: number): string {
  return m.program.lines.filter((l) => (mask & (1 << l.id)) !== 0).map((l) => l.name).join(', ');
}

/**
 * The lines pending on CPU `c`, grouped by why each is not taken ("; dev pending but IF=0"), or deliverable: the
 * CPU takes it next, and what waits is its handler's return.
 */
function pendingText(m: Machine, s: Uint32Array, c: number): string {
  const pending = m.pending(s, c);
  if (pending === 0) return '';
  if (m.ie(s, c) === 0 && (pending & m.nmiLines) === 0) return `; ${lines(m, pending)} pending but masked`;
  const byReason = new Map<string, string[]>();
  for (const l of m.program.lines) {
    if ((pending & (1 << l.id)) === 0) continue;
    const why = heldOffReason(m, s, c, l.id);
    const text = why === null ? 'and deliverable (taken next)' : `but ${why}`;
    byReason.set(text, [...(byReason.get(text) ?? []), l.name]);
  }
  return [...byReason].map(([why, names]) => `; ${names.join(', ')} pending ${why}`).join('');
}

/**
 * Where CPU `c`, which can make no progress, goes on looping: the pcs of its own steps from `s` until one comes
 * again (a wait loop's tests, past the branches that lead to it), or null when it is at no such step (a spinning
 * acquire, a `hlt`, a `wfi`: describeCpu says those) or its steps do not come round within a bound.
 */
function waitLoop(model: Model, m: Machine, s: Uint32Array, c: number): number[] | null {
  const op = m.code[m.pc(s, c)]?.op;
  if (op === 'acquire' || op === 'hlt' || op === 'wfi' || op === 'halted') return null;
  const seen = new Map<number, number>();
  const order: number[] = [];
  let state = s;
  for (let i = 0; i < 256; i++) {
    const pc = m.pc(state, c);
    const at = seen.get(pc);
    if (at !== undefined) return order.slice(at);
    seen.set(pc, order.length);
    order.push(pc);
    const step = model.actions(state).find((a) => actionKind(a) === ActionKind.step && actionCpu(a) === c);
    if (step === undefined) return null;
    const next = model.successor(state, step);
    if (next.events.some((e) => e.kind === 'violation' && e.fatal)) return null;
    state = next.next;
  }
  return null;
}

/** The source lines of a loop's pcs, in order, each once. */
function loopText(m: Machine, pcs: number[]): string {
  const at = [...new Set(pcs.map((pc) => `${pcLocation(m, pc)} (${instrText(m.program, m.code[pc]!)})`))];
  return at.join(', ');
}

/** What CPU `c` is doing in a state where it cannot make progress. */
export function describeCpu(m: Machine, s: Uint32Array, c: number): string {
  if (m.stopped(s, c)) return `CPU${c}: stopped (its thread ended)`;
  const context = contextOf(m, s, c);
  const pc = m.pc(s, c);
  const instr = m.code[pc]!;
  const masked = m.ie(s, c) === 0 ? ' with interrupts masked' : '';
  const pending = m.pending(s, c);
  const waiting = pendingText(m, s, c);
  const at = pcLocation(m, pc);
  switch (instr.op) {
    case 'acquire': {
      const lock = lockIn(m, s, c, instr);
      if (lock === null) break;
      const owner = m.lockOwner(s, lock);
      const name = lockName(m, lock);
      if (owner === 0) break;
      if (owner === m.current(s, c) + 1) {
        return `CPU${c}: ${context} spins on ${name} at ${at}${masked}, which ${threadName(m, owner - 1)} already holds (recursive locking)${waiting}`;
      }
      return `CPU${c}: ${context} spins on ${name} at ${at}${masked}, held by ${threadName(m, owner - 1)} (${whereIs(m, s, owner - 1)})${waiting}`;
    }
    case 'hlt':
    case 'wfi':
    case 'halted': {
      const by = instr.op === 'halted' ? instr.by : instr.op;
      if (by === 'hlt') {
        return m.ie(s, c) === 0
          ? `CPU${c}: ${context} halts (hlt at ${at}) with interrupts masked: only an NMI could wake it${waiting}`
          : `CPU${c}: ${context} halts (hlt at ${at}) and no interrupt can wake it${waiting}`;
      }
      if (m.ie(s, c) === 0) {
        return `CPU${c}: ${context} waits in wfi at ${at} with interrupts masked: a pending line wakes it but is never taken${pending === 0 ? '' : ` (${lines(m, pending)} pending)`}`;
      }
      return `CPU${c}: ${context} waits in wfi at ${at} and no interrupt can arrive${waiting}`;
    }
    default:
      break;
  }
  return `CPU${c}: ${context} at ${at} (${instrText(m.program, instr)})${masked} never makes progress${waiting}`;
}

/** Where CPU `c` is, claiming nothing of its future (the CPUs of a finding that the others may go on around). */
function whereCpu(m: Machine, s: Uint32Array, c: number): string {
  if (m.stopped(s, c)) return describeCpu(m, s, c);
  return `CPU${c}: ${contextOf(m, s, c)} at ${pcLocation(m, m.pc(s, c))} (${instrText(m.program, m.code[m.pc(s, c)]!)})`;
}

/**
 * Who holds what and which threads are waiting: the lines after the deadlock summary. `stuck`: nothing can make
 * progress any more, so a thread that is not running never runs again; otherwise only its state is said.
 */
export function holdsAndWaits(m: Machine, s: Uint32Array, stuck: boolean): string[] {
  const out: string[] = [];
  for (let l = 0; l < m.program.locks.length; l++) {
    const owner = m.lockOwner(s, l);
    if (owner === 0) continue;
    const level = m.lockLevel(s, l);
    const taken = level > 0 ? 'taken in interrupt context' : 'taken in thread context';
    out.push(`${lockName(m, l)} is held by ${threadName(m, owner - 1)} (${taken}; ${whereIs(m, s, owner - 1)})`);
  }
  const word = m.program.arch === 'aarch64' ? 'active' : 'in service';
  for (let c = 0; c < m.cpus; c++) {
    const dropped = m.dropped(s, c);
    const running = m.inService(s, c) & ~dropped;
    if (running !== 0) out.push(`CPU${c}: ${lines(m, running)} ${word}`);
    if (dropped !== 0) out.push(`CPU${c}: ${lines(m, dropped)} active, its priority dropped`);
  }
  for (let t = 0; t < m.threads; t++) {
    const state = m.threadState(s, t);
    if (state === 'running' || state === 'exited') continue;
    const on = m.cpuRunning(s, t);
    const still = on >= 0 ? `, still current on CPU${on} (it has not switched away)` : '';
    out.push(`${threadName(m, t)} is ${state}${still}${stuck && on < 0 ? ' and never runs again' : ''}`);
  }
  return out;
}

function stuckFinding(model: Model, m: Machine, s: Uint32Array, id: number, kind: 'deadlock' | 'livelock'): Finding {
  const cpus = Array.from({ length: m.cpus }, (_, c) => c);
  const busy = cpus.filter((c) => !m.stopped(s, c));
  const loops = new Map(busy.map((c) => [c, waitLoop(model, m, s, c)] as const));
  const described = (busy.length > 0 ? busy : cpus).map((c) => {
    const loop = loops.get(c);
    return loop === undefined || loop === null ? describeCpu(m, s, c) : `${describeCpu(m, s, c)}: it goes on testing at ${loopText(m, loop)} for ever`;
  });
  const summary =
    kind === 'deadlock'
      ? busy.length === 0
        ? 'deadlock: every CPU has stopped but not every thread has exited'
        : `deadlock: no CPU can make progress: ${described.join('; ')}`
      : `no progress is possible any more (only condition tests, wfi wake-ups and lines becoming pending): ${described.join('; ')}`;
  // Reports point at the instruction the first stuck CPU cannot get past (the spinning acquire, the hlt, the
  // wait loop's test), not at the last step that ran.
  const first = busy[0];
  const stuckPc = first === undefined ? null : (loops.get(first)?.[0] ?? m.pc(s, first));
  const stuckAt = stuckPc === null ? null : (m.code[stuckPc]?.span ?? null);
  return {
    message: summary,
    state: id,
    action: null,
    violationSpan: stuckAt,
    details: [...cpus.filter((c) => !busy.includes(c)).map((c) => describeCpu(m, s, c)), ...holdsAndWaits(m, s, true)],
  };
}

/**
 * The threads some code of the program could name to wake: the operand of a `wake`, an `enqueue` or a
 * `state(t) := ready` (or a state computed at run time), through what a variable can hold (threadValues). The
 * sleepers of wait queues and mutexes are found among their waiters instead (readStates).
 * A thread nothing in the program could ever wake is not waiting for a wake-up when it is blocked: it was
 * switched away from for good (an idle thread once the work has come, a thread that has done its part).
 */
function wakeableThreads(m: Machine): boolean[] {
  const can = new Array<boolean>(m.threads).fill(false);
  const named = threadValues(m);
  for (const instr of m.code) {
    // A process table: `state(t) := ready` (or a state computed at run time) makes t runnable.
    if (instr.op === 'set_state' && instr.value.kind === 'const' && instr.value.value !== THREAD_STATES.indexOf('ready')) continue;
    if (instr.op === 'wake' || instr.op === 'enqueue' || instr.op === 'set_state') {
      const ids = named(instr.thread);
      if (ids === null) can.fill(true);
      else for (const t of ids) if (t < m.threads) can[t] = true;
    }
    // A thread asleep on a wait queue or a mutex is found among its waiters, state by state (readStates).
  }
  return can;
}

/**
 * The threads an expression of thread type can name, or null for any: a constant; a thread-typed variable, whose
 * values are its initial one and every value assigned to it (flow-insensitive, so more than it can hold, never
 * fewer); an element of a thread array (`worker[i]`: any of them). Anything else (`current`, a `pick`, a holder)
 * may be any thread.
 */
function threadValues(m: Machine): (e: Expr) => ReadonlySet<number> | null {
  const vars = m.program.vars;
  const values = new Map<number, Set<number> | null>();
  for (const v of vars) if (v.type.kind === 'thread') values.set(v.id, new Set([v.init]));
  const of = (e: Expr): ReadonlySet<number> | null => {
    if (e.kind === 'const') return new Set([e.value]);
    if (e.kind === 'var') return values.get(e.var) ?? null;
    if (e.kind === 'thread_of') return new Set(Array.from({ length: e.count }, (_, k) => e.first + k));
    return null;
  };
  const writes: { target: number; value: Expr | null }[] = [];
  for (const instr of m.code) {
    if (instr.op === 'assign') writes.push({ target: instr.target.var, value: instr.value });
    else if (instr.op === 'alternative' && instr.assign !== null) writes.push({ target: instr.assign.target.var, value: instr.assign.value });
    else if (instr.op === 'pick' || instr.op === 'pick_where') writes.push({ target: instr.target.var, value: null });
    else if (instr.op === 'rmw') writes.push({ target: instr.target.var, value: null }, { target: instr.cell.var, value: null });
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (const { target, value } of writes) {
      const into = values.get(target);
      if (into === undefined || into === null) continue; // not thread-typed, or already any thread
      const from = value === null ? null : of(value);
      if (from === null) {
        values.set(target, null);
        changed = true;
        continue;
      }
      for (const t of from) {
        if (into.has(t)) continue;
        into.add(t);
        changed = true;
      }
    }
  }
  return of;
}

/** What the analyses after the search read of every state, in one pass (the states may be on disk: --spill-dir). */
interface StateFacts {
  /** The threads some code could wake (wakeableThreads), and those ever asleep on a wait queue or a mutex. */
  threads: number[];
  /** Per state, which threads are blocked, bit t for thread t (up to 32 threads; more take a pass each in lostWakeUp). */
  blocked: Uint32Array | null;
  /** Per CPU, its interrupt level in each state, and the highest of them. */
  levels: Uint8Array[];
  top: number;
  /** Per edge, 1 for the step of a CPU halted in `wfi` with nothing pending (a spurious wake-up); null: none. */
  spurious: Uint8Array | null;
}

function readStates(x: Exploration, graph: StateGraph): StateFacts {
  const m = x.machine;
  const n = graph.stateCount;
  const { offsets } = graph.edgeView();
  const wakeable = wakeableThreads(m);
  // A thread asleep on a wait queue or a mutex waits for a wake-up whether or not a statement names it: the
  // threads ever found among their waiters are checked too (more than 32 threads: every thread).
  const waiterSlots = [...m.layout.locks.map((l) => l.waiters), ...m.layout.waitQueues.map((q) => q.waiters)].filter((slot) => slot !== null);
  const blocked = m.threads <= 32 ? new Uint32Array(n) : null;
  let waited = blocked === null && waiterSlots.length > 0 ? -1 : 0;
  const levels = Array.from({ length: m.cpus }, () => new Uint8Array(n));
  let top = 0;
  const spurious = m.access.wfiHaltedPcs.length === 0 ? null : new Uint8Array(offsets[n]!);
  for (let id = 0; id < n; id++) {
    if ((id & 4095) === 0) beat();
    const state = x.view(id);
    if (blocked !== null) {
      let b = 0;
      for (let t = 0; t < m.threads; t++) if (m.threadState(state, t) === 'blocked') b |= 1 << t;
      blocked[id] = b;
      for (const slot of waiterSlots) waited |= readSlot(state, slot);
    }
    for (let c = 0; c < m.cpus; c++) {
      const level = m.interruptLevel(state, c); // as the hardware nests entries: irq_exit does not end one
      levels[c]![id] = level;
      if (level > top) top = level;
      if (spurious === null || !m.spuriousWakeUp(state, c)) continue;
      const start = offsets[id]!;
      x.model.actions(state).forEach((a, i) => {
        if (actionKind(a) === ActionKind.step && actionCpu(a) === c) spurious[start + i] = 1;
      });
    }
  }
  const threads = [...wakeable.keys()].filter((t) => wakeable[t] || (waited & (1 << t)) !== 0 || waited === -1);
  return { threads, blocked, levels, top, spurious };
}

/**
 * (3) After a complete search: a reachable state in which a thread that some code could wake is blocked and no
 * path from it ever makes the thread anything but blocked, while the machine goes on (the CPUs may still make progress: a scheduler loop
 * polling its run queue). Nothing will ever wake the thread: a lost wake-up, or a mutex never released. A thread
 * with a `waits for` condition counts only where the condition holds on every path on (awaits): where it is false
 * the thread is idle, and where it may become false another thread may take the work. The
 * first such state in breadth-first order, so the path to it is shortest; a fatal step ends the question.
 */
function lostWakeUp(
  m: Machine,
  states: number,
  facts: StateFacts,
  stateOf: (id: number) => Uint32Array,
  viewOf: (id: number) => Uint32Array,
  canReach: (start: Uint8Array, flags: number) => Uint8Array,
): Finding | null {
  const { threads, blocked: bits } = facts;
  let first: { id: number; thread: number } | null = null;
  for (const t of threads) {
    // The states where the thread is not blocked: a blocked state is woken when a path from it reaches one.
    const awake = new Uint8Array(states);
    let any = false;
    for (let id = 0; id < states; id++) {
      if ((id & 4095) === 0) beat();
      if (bits !== null ? ((bits[id]! >>> t) & 1) === 0 : m.threadState(viewOf(id), t) !== 'blocked') awake[id] = 1;
      else any = true;
    }
    if (!any) continue;
    const woken = canReach(awake, EDGE_FATAL);
    // With a `waits for` condition, asleep for good is lost only where the condition holds for good: a state from
    // which it may become false (the work done by another worker, nothing left to do) is not reported.
    let idle: Uint8Array | null = null;
    if (m.program.threads[t]!.waitsFor !== undefined) {
      const none = new Uint8Array(states);
      for (let id = 0; id < states; id++) if (!m.awaits(viewOf(id), t)) none[id] = 1;
      idle = canReach(none, EDGE_FATAL);
    }
    for (let id = 0; id < states && (first === null || id < first.id); id++) {
      if (awake[id] === 0 && woken[id] === 0 && (idle === null || idle[id] === 0)) {
        first = { id, thread: t };
        break;
      }
    }
  }
  if (first === null) return null;
  const s = stateOf(first.id);
  const name = threadName(m, first.thread);
  const cond = m.program.threads[first.thread]!.waitsFor;
  const though = cond === undefined ? '' : `, though what it waits for holds for good (${exprText(m.program, cond)})`;
  return {
    message: `${name} is blocked and nothing can ever wake it${though} (a lost wake-up, or a lock never released): no path from here makes it runnable again`,
    state: first.id,
    action: null,
    violationSpan: null,
    details: [...Array.from({ length: m.cpus }, (_, c) => whereCpu(m, s, c)), ...holdsAndWaits(m, s, false)],
  };
}

/**
 * (4) After a complete search: a running CPU, not halted, in a reachable state from which it never again makes
 * progress at its own interrupt level or below, while the rest of the machine may go on: taking an interrupt, and
 * what the handler does, is not progress of the code it interrupted. Two CPUs that spin on each other's locks
 * while the timer still interrupts them (what Linux's soft-lockup watchdog reports), a handler spinning on a lock
 * its CPU's thread holds while another CPU runs on. The first such state in breadth-first order, so the path to
 * it is shortest; a CPU whose own steps take it to a hlt or wfi is idle, not waiting; a fatal step ends the
 * question.
 */
function stuckCpu(x: Exploration, graph: StateGraph, facts: StateFacts, neverHalts: (state: Uint32Array, c: number) => boolean): Finding | null {
  const m = x.machine;
  const n = graph.stateCount;
  const { offsets, flags } = graph.edgeView();
  const { levels, top } = facts;
  const NEVER = 255;
  // seeds[c][s]: the lowest interrupt level at which CPU c makes progress on an edge of s itself (an interrupt
  // taken aside; a fatal step ends every question, at level 0), for every CPU in one pass over the edges.
  const seeds = Array.from({ length: m.cpus }, () => new Uint8Array(n).fill(NEVER));
  for (let s = 0; s < n; s++) {
    for (let e = offsets[s]!; e < offsets[s + 1]!; e++) {
      const f = flags[e]!;
      if ((f & EDGE_FATAL) !== 0) for (const seed of seeds) seed[s] = 0;
      else if ((f & (EDGE_PROGRESS | EDGE_DELIVERY)) === EDGE_PROGRESS) {
        const c = edgeCpu(f);
        const level = levels[c]![s]!;
        if (level < seeds[c]![s]!) seeds[c]![s] = level;
      }
    }
  }
  const reach = new Uint8Array(n);
  const queue = new Int32Array(n);
  let first: { id: number; cpu: number } | null = null;
  for (let c = 0; c < m.cpus; c++) {
    const at = levels[c]!;
    const seedAt = seeds[c]!;
    // reach[s]: the lowest interrupt level at which CPU c makes progress on some path from s. A CPU at level L in
    // s waits forever when reach[s] > L. By sweeps over the edges (StateGraph.leastReachable); else the seeds
    // level by level, closed backwards over the reversed graph: each state is queued once.
    reach.set(seedAt);
    if (!graph.leastReachable(reach)) {
      const { sources, offsets: into } = graph.reversed();
      reach.fill(NEVER);
      for (let level = 0; level <= top; level++) {
        let tail = 0;
        for (let s = 0; s < n; s++) {
          if ((s & 4095) === 0) beat();
          if (seedAt[s] !== level || reach[s] !== NEVER) continue;
          reach[s] = level;
          queue[tail++] = s;
        }
        for (let head = 0; head < tail; head++) {
          const t = queue[head]!;
          for (let i = into[t]!; i < into[t + 1]!; i++) {
            const u = sources[i]!;
            if (reach[u] !== NEVER) continue;
            reach[u] = level;
            queue[tail++] = u;
          }
        }
      }
    }
    const limit = first?.id ?? n;
    for (let id = 0; id < limit; id++) {
      if (reach[id]! <= at[id]!) continue;
      const view = x.view(id);
      if (m.stopped(view, c) || !m.waiting(view).busy[c] || !neverHalts(x.state(id), c)) continue;
      first = { id, cpu: c };
      break;
    }
  }
  if (first === null) return null;
  const s = x.state(first.id);
  const others = Array.from({ length: m.cpus }, (_, c) => c).filter((c) => c !== first.cpu);
  return {
    message: `${describeCpu(m, s, first.cpu)}, forever: no path from here lets it past, though the rest of the machine may go on (interrupts taken, other CPUs running)`,
    state: first.id,
    action: null,
    violationSpan: m.code[m.pc(s, first.cpu)]?.span ?? null,
    details: [...others.map((c) => whereCpu(m, s, c)), ...holdsAndWaits(m, s, false)],
  };
}

export const noDeadlock: PropertyDefinition = {
  id: 'no-deadlock',
  kind: 'safety',
  meaning: 'no CPU or thread waits for what can never come (a lock, a flag, a CPU, an interrupt); an idle CPU is not a deadlock',
  monitor: (x) => {
    // The enabled actions of every state, through the engine's compiled code into one buffer: this runs on
    // every state discovered, and almost every state has a step that is not a mere arrival.
    const enabled = new Int32Array(x.actionRoom);
    // A wfi completing with nothing pending is no way out: it may happen, but never has to.
    const spurious = (state: Uint32Array, action: Action): boolean => x.machine.haltedStep(action) && x.machine.spuriousWakeUp(state, actionCpu(action));
    const canProgress = (state: Uint32Array): boolean => {
      const count = x.enabled(state, enabled);
      for (let i = 0; i < count; i++) if (actionKind(enabled[i]!) !== ActionKind.arrive && !spurious(state, enabled[i]!)) return true;
      return false;
    };
    // Where no progress is reachable, a CPU that is not halted tests a flag or spins on a lock. It waits for it
    // unless its own steps (condition tests, wfi, a wait completing: none is progress) take it to a hlt or wfi:
    // then it is an idle loop (Linux's `while (!need_resched()) wfi()`), idle like the halted CPU it becomes.
    const neverHalts = (start: Uint32Array, c: number): boolean => {
      const seen = new Set<number>();
      let state = start;
      for (;;) {
        if (!x.machine.waiting(state).busy[c]) return false;
        const pc = x.machine.pc(state, c);
        if (seen.has(pc)) return true;
        seen.add(pc);
        const own = x.model.actions(state).find((a) => actionCpu(a) === c && actionKind(a) !== ActionKind.arrive);
        if (own === undefined) return true; // it spins on a lock
        state = x.model.successor(state, own).next;
      }
    };
    return {
      needsGraph: true,
      stateReads: { progress: true },
      onState(id, state): Finding | null {
        if (canProgress(state)) return null;
        // Nothing can act: a CPU left is halted or spins. Something must wait for it to be a deadlock.
        const w = x.machine.waiting(state);
        if (!w.threads && !w.busy.includes(true) && !w.pending.includes(true)) return null;
        const actions = x.model.actions(state);
        // A line becoming pending can still wake a CPU waiting in `wfi` (even masked): not stuck yet.
        const wakes = actions.some((a) => {
          if (actionKind(a) !== ActionKind.arrive) return false; // a spurious wfi completion
          const next = x.model.successor(state, a).next;
          return x.model.actions(next).some((b) => actionKind(b) !== ActionKind.arrive && !spurious(next, b));
        });
        return wakes ? null : stuckFinding(x.model, x.machine, state, id, 'deadlock');
      },
      onComplete(graph): Finding | null {
        if (graph === null) return null;
        const facts = readStates(x, graph);
        // Progress reachable without relying on a wfi completing spuriously.
        const good = graph.canReach(EDGE_PROGRESS | EDGE_FATAL, null, facts.spurious);
        for (let id = 0; id < graph.stateCount; id++) {
          if ((id & 4095) === 0) beat();
          if (good[id] === 1) continue;
          const w = x.machine.waiting(x.view(id));
          if (!w.threads && !w.pending.includes(true) && !w.busy.includes(true)) continue;
          const state = x.state(id);
          const waits = w.threads || w.pending.includes(true) || w.busy.some((busy, c) => busy && neverHalts(state, c));
          if (waits) return stuckFinding(x.model, x.machine, state, id, 'livelock');
        }
        return (
          lostWakeUp(x.machine, graph.stateCount, facts, (id) => x.state(id), (id) => x.view(id), (start, flags) => graph.canReach(flags, null, null, start)) ??
          stuckCpu(x, graph, facts, neverHalts)
        );
      },
    };
  },
};
