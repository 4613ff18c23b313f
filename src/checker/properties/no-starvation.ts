// no-starvation: every thread that is ready eventually runs, G(ready(t) -> F running(t)) for every thread t,
// on every fair infinite path. It is violated by a fair infinite path on which some thread stays ready forever:
// after a complete search, for each thread, a fair non-trivial strongly connected component of the states where
// it is ready (src/checker/explicit/liveness.ts). The counterexample is a lasso: the shortest path to the
// component's first-reached state, then a fair loop through it.
//
// Paths that end (a deadlock, a crash) are not infinite and are not starvation: no-deadlock and the safety
// properties report them. A thread that is never made ready (dormant forever, blocked forever) does not starve
// by this definition either.

import { heldOffReason, lineName, lockName, pcLocation, threadName } from '../../hw/describe.js';
import { lockIn } from '../../hw/locks.js';
import type { Machine } from '../../hw/machine.js';
import { instrText } from '../../ir/print.js';
import { MAX_HARDIRQ } from '../../ir/layout.js';
import type { Action } from '../../ir/model.js';
import { FairCycles, HardwareFairness, type FairComponent, type Loop } from '../explicit/liveness.js';
import type { Csr } from '../explicit/scc.js';
import type { Exploration, Finding, PropertyDefinition } from './property.js';
import { beat } from '../explicit/heartbeat.js';

/** The assumption every no-starvation verdict is relative to, as reports print it (docs/liveness.md). */
export const FAIRNESS =
  'an interrupt line that can keep arriving on a CPU, or stays deliverable there, is eventually taken (weak ' +
  "fairness per CPU and line; an 'at most N' source may stop arriving at any time); " +
  'code at one interrupt level of a CPU that can execute again and again eventually ' +
  'does (strong fairness per CPU and level: each CPU keeps executing, and interrupts never arrive so fast that ' +
  'the code they interrupt cannot execute another instruction). Spinning on a held lock, hlt, and wfi with ' +
  'nothing pending execute nothing, so no CPU is assumed to get out of them';

/** What a model with user-mode code assumes besides (docs/semantics.md 5.2, fairness 4). */
export const USER_MODE_FAIRNESS =
  'a line that is deliverable in user mode again and again is eventually taken in user mode (its arrivals do not ' +
  'depend on the mode the CPU runs in)';

/** What a fair loop is, in the one-sentence message of a counterexample. */
const FAIR_LOOP = 'every CPU keeps executing what it can, and every interrupt line that can keep arriving or being taken is';

/** Why CPU `c` has no instruction step in state `s`. */
function cpuCannotStep(m: Machine, s: Uint32Array, c: number): string {
  if (m.stopped(s, c)) return `CPU${c} has stopped`;
  const urgent = m.urgentLine(s, c);
  if (urgent >= 0) return `CPU${c} must take ${lineName(m, urgent)} first`;
  const pc = m.pc(s, c);
  const instr = m.code[pc]!;
  const at = pcLocation(m, pc) ?? `pc ${pc}`;
  switch (instr.op) {
    case 'halted':
      return instr.by === 'hlt' ? `CPU${c} halts at ${at}` : `CPU${c} waits in wfi at ${at}`;
    case 'acquire': {
      const lock = lockIn(m, s, c, instr);
      if (lock === null) return `CPU${c} cannot execute ${instrText(m.program, instr)} at ${at}`;
      const owner = m.lockOwner(s, lock);
      const holder = owner === 0 ? 'nobody' : threadName(m, owner - 1);
      return `CPU${c} spins on ${lockName(m, lock)} at ${at}, held by ${holder}`;
    }
    default:
      return `CPU${c} cannot execute ${instrText(m.program, instr)} at ${at}`;
  }
}

/** Why line `l` can neither arrive nor be taken on CPU `c` in state `s`. */
function lineCannotBeTaken(m: Machine, s: Uint32Array, c: number, l: number): string {
  const name = lineName(m, l);
  if (m.stopped(s, c)) return `CPU${c} has stopped`;
  if ((m.pending(s, c) & (1 << l)) === 0) {
    const line = m.program.lines[l]!;
    if (line.source === 'external' && !m.canStillArrive(s, c, l)) {
      return `${name} has arrived ${line.limit === 1 ? 'once' : `${line.limit} times`} on CPU${c}, all its source fires`;
    }
    if (line.source === 'external' && !line.fair) {
      return `${name} need not arrive on CPU${c} (its source fires at most ${line.limit === 1 ? 'once' : `${line.limit} times`}, perhaps never)`;
    }
    return `${name} is not raised on CPU${c}`; // an IPI: only `raise` makes it pending
  }
  const why = heldOffReason(m, s, c, l);
  if (why === null) return `${name} is pending and deliverable on CPU${c}, but a more urgent line is taken first`;
  return `${name} is pending on CPU${c} but not deliverable (${why})`;
}

/** What the loop does for each fairness class: where it takes it, or where it cannot be taken. */
function fairnessLines(x: Exploration, fairness: HardwareFairness, loop: Loop, stem: number): string[] {
  const m = x.machine;
  const out: string[] = [];
  const stepAt = (i: number): number => stem + i + 1;
  const stateAt = (i: number): number => stem + i;
  const levelName = (level: number): string => (level === 0 ? 'thread code' : `code at interrupt level ${level}`);
  for (let c = 0; c < m.cpus; c++) {
    const levels: string[] = [];
    for (let level = 0; level <= MAX_HARDIRQ; level++) {
      const d = loop.discharges[fairness.levelClass(c, level)]!;
      if (d.how === 'taken') levels.push(`${levelName(level)} at step ${stepAt(d.step)}`);
    }
    out.push(levels.length > 0 ? `CPU${c} executes ${levels.join(', ')}` : `CPU${c} executes nothing: ${cpuCannotStep(m, x.state(loop.states[0]!), c)}`);
  }
  for (let c = 0; c < m.cpus; c++) {
    for (let l = 0; l < m.program.lines.length; l++) {
      if (m.program.lines[l]!.source === 'external' && !m.arrivals[c]!.includes(l)) continue; // never on this CPU
      const d = loop.discharges[fairness.lineClass(c, l)]!;
      const what = `${lineName(m, l)} on CPU${c}`;
      if (m.userPcs.length > 0) {
        // Its actions in user mode are a class of their own (fairness 4); the weak class holds the kernel-mode ones.
        const u = loop.discharges[fairness.userLineClass(c, l)]!;
        if (u.how === 'taken') out.push(`${what} is taken in user mode at step ${stepAt(u.step)}`);
        if (d.how === 'taken') out.push(`${what} is taken in kernel mode at step ${stepAt(d.step)}`);
        else if (d.how === 'disabled' && m.inUserMode(x.state(loop.states[d.state]!), c)) {
          if (u.how !== 'taken') out.push(`${what} cannot be taken in kernel mode after step ${stateAt(d.state)}: CPU${c} runs in user mode there`);
        } else if (d.how === 'disabled') out.push(`${what} cannot be taken after step ${stateAt(d.state)}: ${lineCannotBeTaken(m, x.state(loop.states[d.state]!), c, l)}`);
        continue;
      }
      if (d.how === 'taken') out.push(`${what} is taken at step ${stepAt(d.step)}`);
      else if (d.how === 'disabled') out.push(`${what} cannot be taken after step ${stateAt(d.state)}: ${lineCannotBeTaken(m, x.state(loop.states[d.state]!), c, l)}`);
    }
  }
  return out;
}

function starvation(x: Exploration, thread: number, found: FairComponent, cycles: FairCycles, fairness: HardwareFairness): Finding {
  const loop = cycles.loop(found);
  // The loop's actions were recovered from the model's action order; replaying them must close the loop.
  let at = x.state(found.entry);
  for (const action of loop.actions) at = x.model.successor(at, action).next;
  if (at.join() !== x.state(found.entry).join()) throw new Error('internal: the starvation loop does not return to its entry');
  const stem = x.depth(found.entry);
  const first = stem + 1;
  const last = stem + loop.actions.length;
  const name = threadName(x.machine, thread);
  const repeat = first === last ? `step ${first} repeats` : `steps ${first}..${last} repeat`;
  return {
    message: `${name} starves: it is ready after step ${stem} and never runs again, as ${repeat} forever, and that loop is fair (${FAIR_LOOP})`,
    state: found.entry,
    action: null,
    loop: loop.actions,
    violationSpan: null,
    details: ['In the loop:', ...fairnessLines(x, fairness, loop, stem).map((l) => `  ${l}`)],
  };
}

export const noStarvation: PropertyDefinition = {
  id: 'no-starvation',
  kind: 'liveness',
  meaning: 'under fairness of CPUs and interrupt lines, every ready thread eventually runs (liveness)',
  fairness: FAIRNESS,
  monitor: (x) => ({
    needsGraph: true,
    onComplete(graph): Finding | null {
      // Without the graph there is nothing to decide on: never a silent "holds".
      if (graph === null) throw new Error('internal: no-starvation needs the explored state graph');
      const m = x.machine;
      const view = graph.edgeView();
      const csr: Csr = { nodes: graph.stateCount, offsets: view.offsets, targets: view.targets };
      // Which threads are ready in which states: one pass over the states for all threads.
      const ready = Array.from({ length: m.threads }, () => new Uint8Array(csr.nodes));
      for (let s = 0; s < csr.nodes; s++) {
        if ((s & 4095) === 0) beat();
        const state = x.view(s);
        for (let t = 0; t < m.threads; t++) if (m.threadState(state, t) === 'ready') ready[t]![s] = 1;
      }
      const fairness = new HardwareFairness(m, x, csr);
      const actionOf = (s: number, e: number): Action => x.model.actions(x.state(s))[e - csr.offsets[s]!]!;
      const cycles = new FairCycles(csr, fairness, actionOf);
      // The starving thread whose fair component is reached first (ties: the thread declared first).
      let best: { thread: number; found: FairComponent } | null = null;
      for (let t = 0; t < m.threads; t++) {
        const found = cycles.leastFairComponent(ready[t]!, best?.found.entry ?? Number.POSITIVE_INFINITY);
        if (found !== null) best = { thread: t, found };
      }
      return best === null ? null : starvation(x, best.thread, best.found, cycles, fairness);
    },
  }),
};
