// Procedure-local variables (`local x : T`): one instance per activation, at the activation's level of the stack
// it runs on (src/hw/access.ts: enterActivation, leaveActivation; src/hw/expr.ts: readLocal, writeLocal), so the
// reference interpreter, the compiled successor function, the SMT encoding and the Promela twin follow the same
// rules. Each regression model has a twin that keeps the local in a global, the approximation models without
// locals had to make, and is violated.

import { describe, expect, it } from 'vitest';
import { expectBothEngines } from './both-engines.js';
import { checkProgram } from '../../src/checker/check.js';
import { compileModel } from '../../src/checker/explicit/compile.js';
import { stateViewOf } from '../../src/checker/view.js';
import { machineOf } from '../../src/hw/build.js';
import { check, cexOf, load, modelOf, summary, walk } from './helpers.js';
import { buildModel } from '../../src/hw/build.js';
import { readFileSync } from 'node:fs';

/**
 * A twin that keeps the local in a global has no local: the explicit engine's verdict alone (the SMT engine's
 * search as deep as its counterexample would only make a slow test of what other models test).
 */
async function expectExplicit(name: string, explicit: string): Promise<void> {
  const file = `test/checker/models/${name}.sched`;
  const report = await checkProgram(load(readFileSync(file, 'utf8'), [], file), { properties: ['assertions'], progress: false });
  expect(summary(report, 'assertions')).toBe(explicit);
}

describe('procedure-local variables in both engines', () => {
  it('a re-entrant irqsave: the handler calls the procedure the thread is in, each keeps its saved flag', async () => {
    await expectBothEngines('locals-irqsave-local', 'assertions', 'holds 80', 'holds', 8);
    await expectExplicit('locals-irqsave-global', 'violated 103 16');
  });

  it("a two-CPU scheduler: each activation of schedule() keeps its own prev across the switch", async () => {
    await expectBothEngines('locals-prev-local', 'assertions', 'holds 1641', 'holds', 8);
    await expectBothEngines('locals-prev-global', 'assertions', 'violated 27 6', 'violated 6', 6);
  });

  it('nested exceptions on aarch64: the nested handler call has an activation of its own', async () => {
    await expectBothEngines('locals-nested-aarch64', 'assertions', 'holds 208', 'holds', 8);
    await expectExplicit('locals-nested-aarch64-global', 'violated 214 19');
  });

  it("a handler on its own stack: its locals and its callee's are levels of that stack", async () => {
    await expectBothEngines('locals-handler-stack', 'assertions', 'holds 427', 'holds', 8);
  });

  it('starts every activation with its locals at their defaults: after a return, and after restore_context', async () => {
    await expectBothEngines('locals-fresh-activation', 'assertions', 'holds 572', 'holds', 8);
    await expectBothEngines('locals-fresh-activation', 'stack-integrity', 'holds 572', 'holds', 8);
  });

  it('a new thread resumed through forged frames into a procedure runs it one activation up, with its own locals', async () => {
    await expectBothEngines('forged-locals', 'assertions', 'holds 76', 'holds', 8);
    await expectBothEngines('swtch-forged-locals', 'assertions', 'holds 4134', 'holds', 8);
    await expectBothEngines('forged-iret-locals', 'assertions', 'holds 40', 'holds', 8);
  }, 60_000);

  it("the GIC's one IRQ handler, nested: each entry's local keeps the INTID it acknowledged", async () => {
    await expectBothEngines('gic-nest-locals', 'assertions', 'holds 561', 'holds', 8);
  }, 60_000);

  it('compiles every locals model to WebAssembly', () => {
    for (const name of ['locals-irqsave-local', 'locals-prev-local', 'locals-nested-aarch64', 'locals-handler-stack']) {
      const file = `test/checker/models/${name}.sched`;
      expect(compileModel(buildModel(load(readFileSync(file, 'utf8'), [], file)))).not.toBeNull();
    }
  });
});

describe('symmetry reduction', () => {
  // Interchangeable workers on two CPUs, each keeping its own thread in a local of its body across switches: a
  // renumbering of the workers must move their locals with them, or the representative state has a worker
  // whose `me` names another (a false violation).
  const POOL = `machine x86_64 { cpus 2; irq timer line 0 }
lock RQ : irqsave handoff
thread boot[2] on each stack 4 { local next : thread; acquire RQ; exit; pick next; switch_to next }
thread worker[2] ready stack 4 {
  local me : thread = current
  local next : thread
  release RQ
  loop { work; acquire RQ; enqueue current; pick next; switch_to next; release RQ; assert me == current "me" }
}
handler timer { eoi timer; iret }`;

  it('renumbers the locals of thread stacks with their threads', async () => {
    const exact = await check(POOL, ['assertions']);
    const reduced = await check(POOL, ['assertions'], { symmetry: true });
    expect(summary(exact, 'assertions')).toBe('holds 16524');
    expect(summary(reduced, 'assertions')).toBe('holds 12980');
    expect(reduced.reductions?.symmetry?.groups).toEqual(['worker[0..1]']);
  });
});

describe('activations', () => {
  const CALLS = `machine x86_64 { cpus 1; irq timer line 0 at most 1 }
thread t on 0 stack 3 { local n : 0..3 = 2; loop { call p } }
proc p { local x : 0..3; x := 3; work }
handler timer { call p; eoi timer; iret }`;

  it('gives each activation its own instance, at its level of the stack, and resets it when the activation ends', () => {
    const m = modelOf(CALLS);
    const view = (s: Uint32Array) => stateViewOf(machineOf(m), s).vars;
    const inP = walk(m, 'n := 2', 'call p', 'x := 3');
    expect(view(inP)).toEqual({ 't.n@t#0': '2', 'p.x@t#1': '3' });
    // The timer's call of p is two levels up: the handler's activation, then p's.
    const nested = walk(m, 'n := 2', 'call p', 'x := 3', 'interrupt timer arrives and is taken', 'call p', 'x := 3');
    expect(view(nested)).toEqual({ 't.n@t#0': '2', 'p.x@t#1': '3', 'p.x@t#3': '3' });
    // Returning resets p's x: the state after the call is the state before it, but for the pc.
    const back = walk(m, 'n := 2', 'call p', 'x := 3', 'work', 'ret');
    expect(view(back)).toEqual({ 't.n@t#0': '2' });
    const layout = m.layout;
    expect(Array.from(back).filter((_, w) => w !== layout.cpus[0]!.pc.word)).toEqual(
      Array.from(walk(m, 'n := 2')).filter((_, w) => w !== layout.cpus[0]!.pc.word),
    );
  });

  it('keeps state counts small: dead locals are not told apart', async () => {
    const report = await check(CALLS, ['assertions']);
    expect(summary(report, 'assertions')).toBe('holds 40');
  });

  it('counts activations against the stack depth where entry pushes no frame (aarch64)', async () => {
    const report = await check(
      `machine aarch64 { cpus 1; irq timer line 0 }
thread t on 0 stack 1 { local busy : bool; call p }
proc p { local y : bool; loop { work } }
handler timer { ack timer; eoi timer; eret }`,
      ['stack-integrity'],
    );
    expect(summary(report, 'stack-integrity')).toBe('violated 3 2');
    expect(cexOf(report, 'stack-integrity').message).toBe("stack overflow: t's stack holds more than 1 activations");
  });

  it('adds nothing to the state of a model without locals', () => {
    const m = modelOf(`machine x86_64 { cpus 1 }\nthread t on 0 { loop { work } }`);
    expect(m.layout.threads[0]!.stack.act).toBeNull();
    expect(m.layout.slots.some((s) => s.name.endsWith('.act'))).toBe(false);
  });

  it('reads `local` as a name where no declaration follows', async () => {
    const report = await check(`machine x86_64 { cpus 1 }\nvar local : 0..1\nthread t on 0 { local := 1; assert local == 1; loop { work } }`, ['assertions']);
    expect(summary(report, 'assertions')).toBe('holds 3');
  });
});
