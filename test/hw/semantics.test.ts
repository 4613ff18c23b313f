// The hardware details real designs depend on, one behaviour per test, driven through the Model step by step.

import { describe, expect, it } from 'vitest';
import { stateView } from '../../src/checker/view.js';
import { machineOf } from '../../src/hw/build.js';
import { enabled, find, modelOf, walk } from '../checker/helpers.js';

const TIMER = 'machine x86_64 { cpus 1; irq timer line 0 }';

describe('x86_64 interrupt flag', () => {
  it('holds interrupts off for one instruction after sti (the shadow)', () => {
    const model = modelOf(`${TIMER}\nthread t on 0 { cli; sti; work; work }\nhandler timer { eoi timer; iret }`);
    const afterSti = walk(model, 'cli', 'sti');
    expect(stateView(model, afterSti).cpus[0]!.ie).toBe(true);
    // The timer may become pending, but cannot be taken before the next instruction.
    expect(enabled(model, afterSti)).toEqual(['0: work', '0: timer becomes pending']);
    const pending = walk(model, 'cli', 'sti', 'timer becomes pending');
    expect(enabled(model, pending)).toEqual(['0: work']);
    // After that instruction the pending interrupt is the CPU's only action (urgent delivery).
    const next = model.successor(pending, find(model, pending, 'work')).next;
    expect(enabled(model, next)).toEqual(['0: interrupt timer taken']);
  });

  it('lets `sti; hlt` execute the hlt in the shadow, then take the interrupt that wakes it, returning after the hlt', () => {
    const model = modelOf(`${TIMER}\nthread idle on 0 {\n  cli; sti; hlt\n  work\n}\nhandler timer { eoi timer; iret }`);
    // The shadow holds the interrupt off: the hlt executes first.
    expect(enabled(model, walk(model, 'cli', 'sti'))).toEqual(['0: hlt', '0: timer becomes pending']);
    const halted = walk(model, 'cli', 'sti', 'hlt');
    expect(enabled(model, halted)).toEqual(['0: interrupt timer arrives and is taken']);
    const inHandler = walk(model, 'cli', 'sti', 'hlt', 'interrupt timer arrives and is taken');
    const cpu = stateView(model, inHandler).cpus[0]!;
    expect(cpu.context).toBe('handler timer (on idle)');
    // The interrupt woke a halted CPU: its return point is the instruction after the hlt (line 4).
    expect(cpu.stack.map((f) => f.text)).toEqual(['irq frame (timer, IF=1, idle @ test.sched:4)']);
    expect(cpu.ie).toBe(false);
    expect(cpu.inService).toEqual(['timer']);
  });

  it('returns to a hlt that had not executed when the interrupt was taken, which then halts (SDM vol. 3, HLT)', () => {
    const model = modelOf(`${TIMER}\nthread idle on 0 {\n  work\n  hlt\n  work\n}\nhandler timer { eoi timer; iret }`);
    const inHandler = walk(model, 'work', 'interrupt timer arrives and is taken');
    expect(stateView(model, inHandler).cpus[0]!.stack.map((f) => f.text)).toEqual(['irq frame (timer, IF=1, idle @ test.sched:4)']);
    expect(enabled(model, walk(model, 'work', 'interrupt timer arrives and is taken', 'eoi timer', 'iret'))).toEqual([
      '0: hlt',
      '0: interrupt timer arrives and is taken',
    ]);
  });

  it('never wakes hlt with interrupts masked: only arrivals remain', () => {
    const model = modelOf(`${TIMER}\nthread idle on 0 { cli; hlt }\nhandler timer { eoi timer; iret }`);
    expect(enabled(model, walk(model, 'cli'))).toEqual(['0: hlt', '0: timer becomes pending']);
    expect(enabled(model, walk(model, 'cli', 'hlt'))).toEqual(['0: timer becomes pending']);
    expect(enabled(model, walk(model, 'cli', 'hlt', 'timer becomes pending'))).toEqual([]);
  });

  it('restores IF and the interrupt-context depth from the frame at iret', () => {
    const model = modelOf(`${TIMER}\nthread t on 0 { work; work }\nhandler timer { eoi timer; iret }`);
    const back = walk(model, 'interrupt timer arrives and is taken', 'eoi timer', 'iret');
    const cpu = stateView(model, back).cpus[0]!;
    expect([cpu.context, cpu.ie, cpu.hardirq, cpu.stack.length, cpu.inService.length]).toEqual(['thread t', true, 0, 0, 0]);
  });

  it('keeps IF set on entry through a trap gate and clears it through an interrupt gate', () => {
    const model = modelOf(
      'machine x86_64 { cpus 1; irq slow line 0 gate trap; irq fast line 1 priority 2 }\n' +
        'thread t on 0 { loop { work } }\nhandler slow { eoi slow; iret }\nhandler fast { eoi fast; iret }',
    );
    expect(stateView(model, walk(model, 'interrupt slow arrives and is taken')).cpus[0]!.ie).toBe(true);
    expect(stateView(model, walk(model, 'interrupt fast arrives and is taken')).cpus[0]!.ie).toBe(false);
  });

  it('holds a line off while a line of equal or higher priority is in service', () => {
    const model = modelOf(
      'machine x86_64 { cpus 1; irq low line 0 priority 1; irq high line 1 priority 2 }\n' +
        'thread t on 0 { loop { work } }\nhandler low { sti; work; cli; eoi low; iret }\nhandler high { sti; work; cli; eoi high; iret }',
    );
    const inHigh = walk(model, 'interrupt high arrives and is taken', 'sti', 'work');
    expect(enabled(model, inHigh)).toEqual(['0: cli', '0: high becomes pending', '0: low becomes pending']);
    const inLow = walk(model, 'interrupt low arrives and is taken', 'sti', 'work');
    expect(enabled(model, inLow)).toEqual(['0: cli', '0: interrupt high arrives and is taken', '0: low becomes pending']);
  });

  it('pushes and pops a flags frame for irqsave / irqrestore', () => {
    const model = modelOf(`${TIMER}\nthread t on 0 { irqsave; work; irqrestore }\nhandler timer { eoi timer; iret }`);
    const saved = stateView(model, walk(model, 'irqsave')).cpus[0]!;
    expect([saved.ie, saved.stack.map((f) => f.text)]).toEqual([false, ['flags frame (IF=1, t)']]);
    const restored = stateView(model, walk(model, 'irqsave', 'work', 'irqrestore')).cpus[0]!;
    expect([restored.ie, restored.stack.length]).toEqual([true, 0]);
  });
});

describe('x86_64 handler stacks (IST)', () => {
  it('enters an IST handler on its own stack and reports a reused stack', () => {
    const model = modelOf('machine x86_64 { cpus 1; irq nmi line 2 }\nthread t on 0 { loop { work } }\nhandler nmi stack 2 { eoi nmi; sti; work; cli; iret }');
    const inside = walk(model, 'interrupt nmi arrives and is taken');
    const view = stateView(model, inside);
    expect(view.cpus[0]!.stack.map((f) => f.text)).toEqual(['irq frame (nmi, IF=1, t @ test.sched:2)']);
    expect(view.threads[0]!.stack).toEqual([]);
    const open = walk(model, 'interrupt nmi arrives and is taken', 'eoi nmi', 'sti', 'work');
    const { events } = model.successor(open, find(model, open, 'interrupt nmi arrives and is taken'));
    expect(events).toEqual([
      {
        kind: 'violation',
        property: 'stack-integrity',
        message: 'handler stack reused while in use: nmi entry on CPU 0 restarts the nmi handler stack of CPU 0 at its top, overwriting 1 live frame',
        fatal: true,
        cpu: 0,
      },
    ]);
  });
});

describe('aarch64 exceptions and the GIC', () => {
  const GIC = 'machine aarch64 { cpus 1; irq timer line 0 }';

  it('writes ELR/SPSR on entry, pushes nothing, masks, and keeps the line pending until ack', () => {
    const model = modelOf(`${GIC}\nthread t on 0 { loop { work } }\nhandler timer { save_elr; ack timer; eoi timer; restore_elr; eret }`);
    const entered = stateView(model, walk(model, 'interrupt timer arrives and is taken')).cpus[0]!;
    expect(entered).toMatchObject({ ie: false, hardirq: 1, stack: [], pending: ['timer'], inService: [], elr: 'live: exc frame (timer, IRQs unmasked, t @ test.sched:2)' });
    const saved = stateView(model, walk(model, 'interrupt timer arrives and is taken', 'save_elr', 'ack timer')).cpus[0]!;
    expect(saved).toMatchObject({ pending: [], inService: ['timer'], elr: 'saved: exc frame (timer, IRQs unmasked, t @ test.sched:2)' });
    expect(saved.stack.map((f) => f.kind)).toEqual(['exc']);
  });

  it('re-enters a handler that unmasks before acknowledging (the line is still pending)', () => {
    const model = modelOf(`${GIC}\nthread t on 0 { loop { work } }\nhandler timer { save_elr; sti; work; cli; ack timer; eoi timer; restore_elr; eret }`);
    const unmasked = walk(model, 'interrupt timer arrives and is taken', 'save_elr', 'sti');
    expect(enabled(model, unmasked)).toEqual(['0: interrupt timer taken']);
  });

  it('executes wfi, then lets the wait complete at any time: a pending line, even masked, or spuriously (Arm ARM, WFI)', () => {
    const model = modelOf(`${GIC}\nthread t on 0 { cli; wfi; work }\nhandler timer { ack timer; eoi timer; eret }`);
    expect(enabled(model, walk(model, 'cli'))).toEqual(['0: wfi', '0: timer becomes pending']);
    expect(enabled(model, walk(model, 'cli', 'wfi'))).toEqual(['0: wfi wakes up', '0: timer becomes pending']);
    // Woken by the masked pending line, it continues without taking it.
    const woken = walk(model, 'cli', 'wfi', 'timer becomes pending', 'wfi wakes up');
    expect(enabled(model, woken)).toEqual(['0: work']);
    expect(stateView(model, woken).cpus[0]!.pending).toEqual(['timer']);
  });

  it('reports an exception taken while ELR/SPSR hold an unsaved context', () => {
    const model = modelOf(`machine aarch64 { cpus 1; irq timer line 0; irq uart line 1 priority 2 }
      thread t on 0 { loop { work } }
      handler timer { ack timer; sti; work; cli; eoi timer; eret }
      handler uart { ack uart; eoi uart; eret }`);
    const open = walk(model, 'interrupt timer arrives and is taken', 'ack timer', 'sti');
    const { events } = model.successor(open, find(model, open, 'interrupt uart arrives and is taken'));
    expect(events.map((e) => e.kind === 'violation' && `${e.property}: ${e.message}`)).toEqual([
      'stack-integrity: ELR/SPSR overwritten before they were saved: uart taken on CPU 0 while ELR/SPSR hold an unsaved context',
    ]);
  });
});

describe('SMP: locks and IPIs', () => {
  it('masks interrupts first when an irqsave acquire has to wait, and restores them at release', () => {
    const model = modelOf(`machine x86_64 { cpus 2; irq timer line 0 on 0 }
      lock L : irqsave
      thread a on 0 { acquire L; release L; work }
      thread b on 1 { acquire L; work; release L }
      handler timer { eoi timer; iret }`);
    const waiting = walk(model, ['acquire L', 1]);
    expect(enabled(model, waiting)).toContain('0: acquire L (masks interrupts, then spins)');
    const masked = walk(model, ['acquire L', 1], 'acquire L (masks interrupts, then spins)');
    const view = stateView(model, masked);
    expect([view.cpus[0]!.ie, view.locks[0]!.holder]).toEqual([false, 'b']);
    // Spinning: no step on CPU 0, and the timer can only become pending there.
    expect(enabled(model, masked)).toEqual(['1: work', '0: timer becomes pending']);
    const taken = walk(model, ['acquire L', 1], 'acquire L (masks interrupts, then spins)', ['work', 1], ['release L', 1], 'acquire L');
    expect(stateView(model, taken).cpus[0]!).toMatchObject({ ie: false, locksHeld: ['L'] });
    const released = model.successor(taken, find(model, taken, 'release L')).next;
    expect(stateView(model, released).cpus[0]!.ie).toBe(true);
  });

  it('makes a line pending on every other CPU with raise', () => {
    const model = modelOf(`machine x86_64 { cpus 3; irq resched line 3 ipi }
      thread a on 0 { cli; raise resched }
      thread b on 1 { cli; work }
      thread c on 2 { cli; work }
      handler resched { eoi resched; iret }`);
    const raised = stateView(model, walk(model, 'cli', ['cli', 1], ['cli', 2], 'raise resched'));
    expect(raised.cpus.map((c) => c.pending)).toEqual([[], ['resched'], ['resched']]);
  });
});

describe('interrupt sources', () => {
  it('lets a `once` line arrive once on each CPU, and `raise` make it pending again without counting', () => {
    const model = modelOf(`machine x86_64 { cpus 2; irq tick line 0 once }
      thread a on 0 { cli; work; sti; work; cli; raise tick to cpu; work }
      thread b on 1 { cli; loop { work } }
      handler tick { eoi tick; iret }`);
    const m = machineOf(model);
    const masked = walk(model, 'cli', ['cli', 1]);
    expect(enabled(model, masked)).toEqual(['0: work', '1: work', '0: tick becomes pending', '1: tick becomes pending']);
    const once = walk(model, 'cli', ['cli', 1], 'tick becomes pending');
    expect([m.canStillArrive(once, 0, 0), m.canStillArrive(once, 1, 0)]).toEqual([false, true]);
    // Taken and EOIed on CPU 0: no longer pending there, and still it cannot arrive again; on CPU 1 it can.
    const served = walk(model, 'cli', ['cli', 1], 'tick becomes pending', 'work', 'sti', 'work', 'interrupt tick taken', 'eoi tick', 'iret');
    expect(enabled(model, served)).toEqual(['0: cli', '1: work', '1: tick becomes pending']);
    // A self-IPI makes it pending on CPU 0 all the same, and counts against nothing.
    const raised = walk(model, 'cli', ['cli', 1], 'tick becomes pending', 'work', 'sti', 'work', 'interrupt tick taken', 'eoi tick', 'iret', 'cli', 'raise tick to cpu');
    expect(stateView(model, raised).cpus.map((c) => c.pending)).toEqual([['tick'], []]);
    expect([m.canStillArrive(raised, 0, 0), m.canStillArrive(raised, 1, 0)]).toEqual([false, true]);
  });

  it('lets an `at most 2` line arrive twice, then no more', () => {
    const model = modelOf(`machine x86_64 { cpus 1; irq tick line 0 at most 2 }
      thread t on 0 { loop { work } }
      handler tick { eoi tick; iret }`);
    const m = machineOf(model);
    const twice = walk(model, 'interrupt tick arrives and is taken', 'eoi tick', 'iret', 'interrupt tick arrives and is taken', 'eoi tick', 'iret');
    expect(enabled(model, twice)).toEqual(['0: work']);
    expect(m.canStillArrive(twice, 0, 0)).toBe(false);
    expect(m.canStillArrive(walk(model, 'interrupt tick arrives and is taken'), 0, 0)).toBe(true);
  });

  it('never lets a `none` line arrive by itself; `raise L to cpu` makes it pending on the executing CPU', () => {
    const model = modelOf(`machine x86_64 { cpus 2; irq kick line 0 none }
      thread a on 0 { cli; raise kick to cpu; work }
      thread b on 1 { loop { work } }
      handler kick { eoi kick; iret }`);
    const m = machineOf(model);
    expect(enabled(model, model.initialStates()[0]!)).toEqual(['0: cli', '1: work']);
    expect([m.canStillArrive(model.initialStates()[0]!, 0, 0), m.canStillArrive(model.initialStates()[0]!, 1, 0)]).toEqual([false, false]);
    const raised = walk(model, 'cli', 'raise kick to cpu');
    expect(stateView(model, raised).cpus.map((c) => c.pending)).toEqual([['kick'], []]);
  });
});

describe('x86_64 local APIC', () => {
  const LAPIC = 'machine x86_64 { cpus 1; controller lapic; irq low line 33; irq high line 40; irq top line 64 }';
  const HANDLERS = 'handler low { eoi; iret }\nhandler high { eoi; iret }\nhandler top { eoi; iret }';

  it('takes the higher vector first within a class, and holds a class off while the same class is in service', () => {
    const model = modelOf(`${LAPIC}\nthread t on 0 { cli; work; sti; work; work }\nhandler low { eoi; iret }\nhandler high { sti; work; eoi; iret }\nhandler top { eoi; iret }`);
    const both = walk(model, 'cli', 'low becomes pending', 'high becomes pending', 'work', 'sti', 'work');
    expect(enabled(model, both)).toEqual(['0: interrupt high taken', '0: interrupt top arrives and is taken']);
    // In `high` (vector 40) with interrupts enabled again, `low` (vector 33, the same class 2) stays pending,
    // while `top` (class 4) would nest.
    const inHigh = walk(model, 'cli', 'low becomes pending', 'high becomes pending', 'work', 'sti', 'work', 'interrupt high taken', 'sti', 'work');
    expect(stateView(model, inHigh).cpus[0]!).toMatchObject({ ie: true, pending: ['low'], inService: ['high'] });
    expect(enabled(model, inHigh)).toEqual(['0: eoi', '0: interrupt top arrives and is taken', '0: high becomes pending']);
  });

  it('holds off every line whose class is not above the task priority', () => {
    const model = modelOf(`${LAPIC}\nthread t on 0 { tpr := 47; work; tpr := 48; work }\n${HANDLERS}`);
    const at2 = walk(model, 'tpr := 47');
    expect(machineOf(model).tpr(at2, 0)).toBe(2);
    expect(enabled(model, at2)).toEqual(['0: work', '0: interrupt top arrives and is taken', '0: high becomes pending', '0: low becomes pending']);
    const pending = walk(model, 'tpr := 47', 'low becomes pending', 'work');
    // `low` waits while the task priority is class 2 or above.
    expect(enabled(model, pending)).toEqual(['0: tpr := 48', '0: interrupt top arrives and is taken', '0: high becomes pending']);
  });

  it('clears the highest in-service vector at a bare eoi, and warns when nothing is in service', () => {
    const model = modelOf(`${LAPIC}\nthread t on 0 { eoi; loop { work } }\nhandler low { sti; work; eoi; iret }\nhandler high { eoi; iret }\nhandler top { eoi; iret }`);
    const m = machineOf(model);
    const nested = walk(model, 'interrupt low arrives and is taken', 'sti', 'work', 'interrupt top arrives and is taken');
    expect(stateView(model, nested).cpus[0]!.inService).toEqual(['low', 'top']);
    expect(m.highestInService(nested, 0)).toBe(2);
    const afterEoi = model.successor(nested, find(model, nested, 'eoi')).next;
    expect(stateView(model, afterEoi).cpus[0]!.inService).toEqual(['low']);
    const stray = model.successor(model.initialStates()[0]!, find(model, model.initialStates()[0]!, 'eoi'));
    expect(stray.events.map((e) => (e.kind === 'violation' ? `${e.property}: ${e.message}` : e.kind))).toEqual([
      'eoi-discipline: EOI on CPU 0, where no line is in service',
    ]);
  });
});

describe('threads and switches', () => {
  it('switch_to saves a switch frame, keeps IF, and resumes the target from its switch frame', () => {
    const model = modelOf(`machine x86_64 { cpus 1 }
      thread a on 0 { cli; switch_to b; work }
      thread b ready { work }`);
    const switched = stateView(model, walk(model, 'cli', 'switch_to b'));
    expect(switched.cpus[0]).toMatchObject({ context: 'thread b', ie: false, stack: [] });
    expect(switched.threads.map((t) => [t.name, t.state, t.stack.map((f) => f.text)])).toEqual([
      ['a', 'blocked', ['switch frame (a resumes @ test.sched:2)']],
      ['b', 'running', []],
    ]);
    // b is still in the run queue it was put in at boot: switch_to does not dequeue.
    expect(switched.runQueue).toEqual(['b']);
  });

  it('puts a thread sleeping on a contended mutex to sleep in the scheduler, and wakes it on release', () => {
    const model = modelOf(`machine x86_64 { cpus 1; scheduler schedule }
      lock M : mutex
      percpu var next : thread = none
      thread a on 0 { acquire M; enqueue current; pick next; switch_to next; release M; pick next; switch_to next }
      thread b ready { acquire M; work }
      proc schedule { pick next; switch_to next }`);
    const asleep = walk(model, 'acquire M', 'enqueue current', 'pick next', 'switch_to next', 'acquire M');
    const view = stateView(model, asleep);
    expect(view.threads.find((t) => t.name === 'b')).toMatchObject({ state: 'blocked', stack: [{ kind: 'call', text: 'call frame (b returns to test.sched:5)' }] });
    expect(view.cpus[0]!.context).toBe('thread b');
    const woken = walk(model, 'acquire M', 'enqueue current', 'pick next', 'switch_to next', 'acquire M', 'pick next', 'switch_to next', 'release M');
    const after = stateView(model, woken);
    expect([after.threads.find((t) => t.name === 'b')!.state, after.runQueue, after.locks[0]!.holder]).toEqual(['ready', ['b'], null]);
  });

  it('restore_context returns through the interrupt frame on top of the target stack', () => {
    const model = modelOf(`${TIMER}
      thread a on 0 { loop { work } }
      thread b ready forged iret { loop { work } }
      handler timer { eoi timer; restore_context b }`);
    const resumed = stateView(model, walk(model, 'interrupt timer arrives and is taken', 'eoi timer', 'restore_context b'));
    expect(resumed.cpus[0]).toMatchObject({ context: 'thread b', ie: true, hardirq: 0, stack: [] });
    // a's continuation is the interrupt frame its entry pushed; nothing else was saved for it.
    expect(resumed.threads[0]).toMatchObject({ state: 'blocked', stack: [{ kind: 'irq' }] });
  });
});
