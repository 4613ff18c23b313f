// The context switch in separate steps (src/hw/threads.ts: saveSp, loadSp, setCurrent): `save_sp t`, `load_sp t`
// and `current := t`, with the stack the CPU runs on (its `sp` slot, only in the state of a model that uses them)
// apart from the software `current`. Saving a thread's context from a stack that is not its own (a tick between
// `load_sp next` and `current := next` that schedules) is stack corruption. The same rules run in the reference
// interpreter, the compiled successor function, the SMT encoding and the Promela twin.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runSpin } from '../../bench/spin.js';
import { checkProgram } from '../../src/checker/check.js';
import { explore } from '../../src/checker/explicit/explore.js';
import { buildModel, machineOf } from '../../src/hw/build.js';
import type { PropertyId } from '../../src/ir/ir.js';
import { loadModelFromText } from '../../src/lang/load.js';
import { expectBothEngines } from './both-engines.js';
import { enabled, load, modelOf, walk } from './helpers.js';

const SPLIT = `machine x86_64 { cpus 1 }
var prev : thread = none
var next : thread = none
thread a on 0 { loop { work; call schedule } }
thread b ready forged call { loop { work; call schedule } }
proc schedule { pick next; if next != none { prev := current; enqueue prev; call swtch } }
proc swtch { save_sp prev; load_sp next; current := next }`;

function codes(text: string): string[] {
  return loadModelFromText(text, 'm.sched', []).diagnostics.map((d) => `${d.code} at ${d.span.line}:${d.span.col}`);
}

describe('the split context switch', () => {
  it('load_sp moves the CPU onto the next stack while current stays; current := next then switches the thread', () => {
    const model = modelOf(SPLIT);
    const m = machineOf(model);
    const steps = ['work', 'call schedule', 'pick next', 'test next != none', 'prev := current', 'enqueue prev', 'call swtch', 'save_sp prev'];
    const loaded = walk(model, ...steps, 'load_sp next');
    expect([m.current(loaded, 0), m.stackOwner(loaded, 0), m.threadState(loaded, 0), m.threadState(loaded, 1)]).toEqual([0, 1, 'running', 'ready']);
    expect(enabled(model, loaded)).toEqual(['0: current := next']);
    const switched = walk(model, ...steps, 'load_sp next', 'current := next');
    expect([m.current(switched, 0), m.stackOwner(switched, 0), m.threadState(switched, 0), m.threadState(switched, 1)]).toEqual([1, 1, 'ready', 'running']);
    // swtch's ret pops b's forged call frame: b starts at its body.
    expect(enabled(model, walk(model, ...steps, 'load_sp next', 'current := next', 'ret'))).toEqual(['0: work']);
  });

  it('self is the thread whose body runs, on its own stack; current is what current := wrote', () => {
    const model = modelOf(`machine x86_64 { cpus 1 }
var who : thread = none
var cur : thread = none
thread s on 0 { current := t; who := self; cur := current; loop { work } }
thread t ready { loop { work } }`);
    const m = machineOf(model);
    const after = walk(model, 'current := t', 'who := self', 'cur := current');
    expect([m.read(after, model.layout.vars[0]![0]![0]!), m.read(after, model.layout.vars[1]![0]![0]!)]).toEqual([0, 1]);
  });

  it.each([
    ['load_sp of a stack another CPU runs on', 'thread a on 0 { load_sp b; loop { work } }', 'stack-integrity', 'load_sp b, whose stack CPU 1 runs on: one stack, two CPUs'],
    ['current := a thread current on another CPU', 'thread a on 0 { current := b; loop { work } }', 'stack-integrity', 'current := b, which is current on CPU 1: one thread, two CPUs'],
    ['save_sp on a handler stack', 'thread a on 0 { loop { work } }\nhandler timer stack 2 { save_sp current; eoi timer; iret }', 'stack-integrity', "save_sp a on CPU 0, which runs on a handler stack: no thread's stack pointer to save"],
    ['load_sp on a handler stack', 'thread a on 0 { loop { work } }\nhandler timer stack 2 { load_sp a; eoi timer; iret }', 'stack-integrity', 'load_sp a on CPU 0, which runs on a handler stack'],
    ['current := none', 'var n : thread = none\nthread a on 0 { current := n; loop { work } }', 'assertions', 'current := none: no thread to make current'],
  ] as const)('%s is a fatal violation with its message', async (_, body, property, message) => {
    const handler = body.includes('handler') ? '' : '\nhandler timer { eoi timer; iret }';
    const program = load(`machine x86_64 { cpus 2; irq timer line 0 on 0 }\n${body}\nthread b on 1 { loop { work } }${handler}`);
    const report = await checkProgram(program, { properties: [property], progress: false });
    const r = report.results[0]!;
    expect(r.verdict === 'violated' && r.counterexample.message).toBe(message);
  });

  it('keeps the stack pointer out of the state of a model that does not split the switch', () => {
    const model = modelOf(`machine x86_64 { cpus 1 }\nthread t on 0 { loop { work } }`);
    expect(model.layout.cpus[0]!.sp).toBeNull();
    expect(modelOf(SPLIT).layout.cpus[0]!.sp).not.toBeNull();
  });

  it('types the operands: a thread (E401)', () => {
    const base = `machine x86_64 { cpus 1 }\nvar n : 0..3 = 0\nthread t on 0 { `;
    expect(codes(`${base}save_sp n; loop { work } }`)).toEqual(['E401 at 3:25']);
    expect(codes(`${base}load_sp 1; loop { work } }`)).toEqual(['E401 at 3:25']);
    expect(codes(`${base}current := n; loop { work } }`)).toEqual(['E401 at 3:28']);
    expect(codes(`${base}current := t; save_sp current; load_sp t; loop { work } }`)).toEqual([]);
  });
});

describe('several forged frames', () => {
  const FORK = (forged: string, stack = 4): string => `machine x86_64 { cpus 1 }
lock RQ : spin handoff
thread parent on 0 { loop { work } }
thread child ready forged ${forged} stack ${stack} { loop { work } }
proc ret_from_fork { release RQ; iret }
proc forkret { ret }`;

  function stackOf(text: string): string[] {
    const model = modelOf(text);
    const m = machineOf(model);
    const s = model.initialStates()[0]!;
    return m.frames(s, model.layout.threads[1]!.stack).map((f) => `${f.kind} @ ${f.pc} ie=${f.ie} owner=${f.owner}`);
  }

  it('stacks them top first: a switch frame into the named routine over an interrupt frame into the body', () => {
    const model = modelOf(FORK('ret_from_fork, iret'));
    const body = model.layout.pcBase[model.program.threads[1]!.unit]!;
    const routine = model.layout.pcBase[model.program.units.findIndex((u) => u.name === 'ret_from_fork')]!;
    expect(stackOf(FORK('ret_from_fork, iret'))).toEqual([`irq @ ${body} ie=1 owner=1`, `switch @ ${routine} ie=1 owner=1`]);
    expect(model.program.threads[1]!.forgedFrames).toEqual([{ kind: 'switch', unit: 2 }, { kind: 'iret', unit: null }]);
    // A kind with `to`: the call frame swtch's ret pops (xv6 allocproc's forkret, then trapret).
    const forkret = model.layout.pcBase[model.program.units.findIndex((u) => u.name === 'forkret')]!;
    expect(stackOf(FORK('call to forkret, iret'))).toEqual([`irq @ ${body} ie=1 owner=1`, `call @ ${forkret} ie=1 owner=1`]);
    // One frame, as before.
    expect(stackOf(FORK('iret'))).toEqual([`irq @ ${body} ie=1 owner=1`]);
  });

  it('refuses frames that do not fit the stack (E511), a routine that is not a procedure (E304), a frame of the other architecture (E501)', () => {
    expect(codes(FORK('ret_from_fork, iret', 1))).toEqual(['E511 at 4:20']);
    expect(codes(FORK('parent, iret'))).toEqual(['E304 at 4:27']);
    expect(codes(FORK('switch to ret_from_fork, eret'))).toEqual(['E501 at 4:52']);
    expect(codes(FORK('ret_from_fork,'))).toEqual(['E202 at 4:48']);
  });
});

describe('a process table: thread states written by the design, a scan for a thread', () => {
  const TABLE = `machine x86_64 { cpus 1 }
var p : thread = none
thread scheduler on 0 {
  state(task[1]) := ready
  pick p where state(p) == ready
  state(task[0]) := ready
  pick p where state(p) == ready && p != task[0]
  pick p where state(p) == exited
  loop { work }
}
thread task[2] dormant { loop { work } }`;

  it('state(t) := s writes the state; pick x where c finds the first thread for which c holds, or none', () => {
    const model = modelOf(TABLE);
    const m = machineOf(model);
    const p = (s: Uint32Array): number => m.read(s, model.layout.vars[0]![0]![0]!);
    const one = walk(model, 'state(task[1]) := ready');
    expect([m.threadState(one, 1), m.threadState(one, 2), m.runQueue(one)]).toEqual(['dormant', 'ready', []]);
    expect(p(walk(model, 'state(task[1]) := ready', 'pick p where state(p) == ready'))).toBe(2);
    const both = ['state(task[1]) := ready', 'pick p where state(p) == ready', 'state(task[0]) := ready'];
    expect(p(walk(model, ...both, 'pick p where state(p) == ready && p != task[0]'))).toBe(2);
    expect(p(walk(model, ...both, 'pick p where state(p) == ready && p != task[0]', 'pick p where state(p) == exited'))).toBe(m.none);
  });

  it('types the target (a thread), the condition (bool) and the state (E401)', () => {
    const base = `machine x86_64 { cpus 1 }\nvar n : 0..3 = 0\nvar p : thread = none\nthread t on 0 { `;
    expect(codes(`${base}pick n where true; loop { work } }`)).toEqual(['E401 at 4:22']);
    expect(codes(`${base}pick p where 1; loop { work } }`)).toEqual(['E401 at 4:30']);
    expect(codes(`${base}state(t) := 2; loop { work } }`)).toEqual(['E401 at 4:29']);
    expect(codes(`${base}state(n) := ready; loop { work } }`)).toEqual(['E401 at 4:23']);
    expect(codes(`${base}state(t); loop { work } }`)).toEqual(['E202 at 4:25']);
    // `where` is contextual: a variable of that name still starts a statement after `pick`.
    expect(codes(`machine x86_64 { cpus 1 }\nvar where : 0..1 = 0\nvar p : thread = none\nthread t on 0 { pick p where := 1; loop { work } }`)).toEqual([]);
  });
});

describe('wake_one in the order the threads began to wait', () => {
  it('wakes the first to wait, not the lowest-numbered, and keeps the others in order', () => {
    const model = modelOf(`machine x86_64 { cpus 2; scheduler schedule }
wq WQ
percpu var next : thread = none
thread a ready { sleep WQ; loop { work } }
thread b on 0 { sleep WQ; loop { work } }
thread c on 1 { wake_one WQ; wake_one WQ; loop { work } }
proc schedule { pick next; if next != none { switch_to next } }`);
    const m = machineOf(model);
    const q = model.layout.waitQueues[0]!;
    const order = (s: Uint32Array): number[] => Array.from({ length: m.read(s, q.len) }, (_, i) => m.read(s, q.entries[i]!));
    // b (thread 1) sleeps first, then a (thread 0).
    const asleep = walk(model, 'sleep WQ', 'pick next', 'test next != none', 'switch_to next', 'sleep WQ');
    expect(order(asleep)).toEqual([1, 0]);
    const once = walk(model, 'sleep WQ', 'pick next', 'test next != none', 'switch_to next', 'sleep WQ', ['wake_one WQ', 1]);
    expect([m.threadState(once, 0), m.threadState(once, 1), order(once)]).toEqual(['blocked', 'ready', [0]]);
    const twice = walk(model, 'sleep WQ', 'pick next', 'test next != none', 'switch_to next', 'sleep WQ', ['wake_one WQ', 1], ['wake_one WQ', 1]);
    expect([m.threadState(twice, 0), order(twice), m.read(twice, q.entries[0]!)]).toEqual(['running', [], 0]);
  });
});

/** Exact verdicts, state counts and lengths; the SMT engine's answer within the same depth. */
const MODELS: [string, PropertyId, string, string][] = [
  ['switch-split-tick-window', 'stack-integrity', 'violated 166 13', 'violated 13'],
  ['switch-split-masked', 'stack-integrity', 'holds 119', 'holds'],
  ['forged-ret-from-fork', 'stack-integrity', 'holds 70', 'holds'],
  ['forged-ret-from-fork-no-regs', 'stack-integrity', 'violated 23 8', 'violated 8'],
  ['ptable-first-fit', 'stack-integrity', 'holds 64', 'holds'],
  ['ptable-round-robin', 'stack-integrity', 'holds 120', 'holds'],
  ['wq-wake-one-fifo', 'assertions', 'holds 23', 'holds'],
  // Its lost wake-up is found after a complete search (no-deadlock (3)), which only the explicit engine looks for
  // (models.test.ts pins it: violated 39 7).
  ['ptable-lost-wakeup', 'stack-integrity', 'holds 39', 'holds'],
];

describe('the split-switch models in both engines', () => {
  it.each(MODELS)('%s %s', (name, property, explicit, smt) => expectBothEngines(name, property, explicit, smt, 6), 60_000);
});

describe('the Promela twins of a split switch, forged frames, a process table and a FIFO wait queue', () => {
  it.each([
    ['switch-split-masked', 119],
    ['forged-ret-from-fork', 70],
    ['ptable-first-fit', 64],
    ['wq-wake-one-fifo', 23],
  ])('%s: SPIN stores one state more than the explicit engine explores (its pre-boot state)', (name, pinned) => {
    const c = { model: `test/checker/models/${name}.sched`, sets: {} };
    const model = buildModel(load(readFileSync(c.model, 'utf8'), [], c.model));
    const states = explore(model, () => new Map([['assertions', { needsGraph: false }]]), { progress: false }).stats.states;
    expect(states).toBe(pinned);
    const spin = runSpin(c, 'full', states, 120);
    expect('error' in spin ? spin.error : spin.states).toBe(states + 1);
  }, 120_000);
});
