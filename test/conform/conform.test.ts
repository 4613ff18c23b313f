// Conformance of the reference kernel's traces to the models: every design's runs are behaviours of its
// model, and mutated traces are rejected at the event that was changed.
import { describe, expect, it } from 'vitest';
import type { Model } from '../../src/ir/model.js';
import { type ConformResult, conformEvents } from '../../src/conform/check.js';
import type { TraceEvent } from '../../src/conform/trace.js';
import { DEFAULT_LIMITS, Tracker } from '../../src/conform/tracker.js';
import { replay } from '../../src/kernel/replay.js';
import { checkModelFile } from '../../src/checker/check.js';
import { buildModel, machineOf } from '../../src/hw/build.js';
import { DESIGNS } from '../../src/kernel/designs/index.js';
import { findDesign, runDesign } from '../../src/kernel/run.js';
import { loadModel, loadModelFromText } from '../../src/lang/load.js';

function modelOf(file: string): Model {
  const { program, diagnostics } = loadModel(file, []);
  if (program === null) throw new Error(`${file}: ${JSON.stringify(diagnostics)}`);
  return buildModel(program);
}

function traceOf(name: string, seed: number, cycles: number): TraceEvent[] {
  const events: TraceEvent[] = [];
  runDesign(findDesign(name)!, { seed, cycles, onEvent: (e) => events.push(e) });
  return events;
}

function rejected(result: ConformResult): Extract<ConformResult, { verdict: 'rejected' }> {
  expect(result.verdict).toBe('rejected');
  if (result.verdict !== 'rejected') throw new Error('conformed');
  return result;
}

describe('kernel traces conform to their models', () => {
  it.each(DESIGNS.map((d) => d.name))('%s: 50 seeded runs are behaviours of its model', (name) => {
    // Arrange: one tracker for all runs, so that the sets and transitions it learned carry over.
    const design = findDesign(name)!;
    const model = modelOf(design.model);
    const tracker = new Tracker(model, machineOf(model));
    // Broken designs run long enough to log their fault or hang.
    const cycles = design.expect === 'survives' ? 20_000 : 30_000;
    for (let seed = 1; seed <= 50; seed++) {
      // Act
      const events = traceOf(name, seed, cycles);
      const result = conformEvents(model, events, undefined, tracker);
      // Assert
      expect(result.verdict, `seed ${seed}`).toBe('conforms');
      if (result.verdict !== 'conforms') continue;
      expect(result.events).toBe(events.length);
      if (name === '002-ret-switch') {
        // The switch to the new thread is the model's fatal step; the fault after it is the corrupted machine.
        expect(result.corruption).toEqual({
          event: events.length - 1,
          line: events.length - 1,
          message: 'stack-integrity: switch_to resumes other[0] through an interrupt frame, not a switch frame',
        });
        expect(events.at(-1)!.event).toBe('fault');
      } else {
        expect(result.corruption, `seed ${seed}`).toBeNull();
      }
      if (design.expect === 'hangs' && events.at(-1)!.event === 'hang') expect(result.states).toBeGreaterThan(0);
    }
  });

  it('accepts events that leave out optional arguments (thread names are wildcards)', () => {
    const model = modelOf(findDesign('004-redesign')!.model);
    const events = traceOf('004-redesign', 2, 10_000).map(({ thread: _thread, ...rest }) => rest as TraceEvent);
    expect(conformEvents(model, events).verdict).toBe('conforms');
  });
});

describe('mutated traces are rejected at the mutated event', () => {
  const option2 = findDesign('001-option2')!;

  it('a dropped EOI: the next event is not expected, and the EOI is what would have been', () => {
    const events = traceOf('001-option2', 1, 10_000);
    const eoi = events.findIndex((e) => e.event === 'eoi');
    const mutated = [...events.slice(0, eoi), ...events.slice(eoi + 1)];
    const r = rejected(conformEvents(modelOf(option2.model), mutated));
    expect(r.event).toBe(eoi + 1);
    // The tick preempted the hog: after the EOI the return path takes LOOM to yield.
    expect(r.found).toBe('cpu0 lock_acquire lock=LOOM thread=hog');
    expect(r.allowed).toEqual(['cpu0 eoi line=timer']);
  });

  it('a swapped lock order: fork taking SCHED before PROC', () => {
    const events = traceOf('004-redesign', 1, 10_000);
    const proc = events.findIndex((e) => e.event === 'lock_acquire' && e.lock === 'PROC');
    const sched = events.findIndex((e, i) => i > proc && e.cpu === events[proc]!.cpu && e.event === 'lock_acquire');
    expect(events[sched]!.lock).toBe('SCHED');
    const mutated = events.map((e, i) => (i === proc ? { ...e, lock: 'SCHED' } : i === sched ? { ...e, lock: 'PROC' } : e));
    const r = rejected(conformEvents(modelOf(findDesign('004-redesign')!.model), mutated));
    expect(r.event).toBe(proc + 1);
    expect(r.found).toBe('cpu0 lock_acquire lock=SCHED thread=boot[0]');
    expect(r.allowed).toContain('cpu0 lock_acquire lock=PROC thread=boot[0]');
  });

  it('an iret on the wrong thread', () => {
    const events = traceOf('001-option2', 1, 10_000);
    const iret = events.findIndex((e) => e.event === 'iret');
    expect(events[iret]!.thread).toBe('hog');
    const mutated = events.map((e, i) => (i === iret ? { ...e, thread: 'worker[0]' } : e));
    const r = rejected(conformEvents(modelOf(option2.model), mutated));
    expect([r.event, r.found, r.allowed]).toEqual([iret + 1, 'cpu0 iret thread=worker[0]', ['cpu0 iret thread=hog']]);
  });

  it('a switch with interrupts enabled: an sti logged before the switch on the interrupt return path', () => {
    const events = traceOf('001-option2', 1, 10_000);
    const at = events.findIndex((e) => e.event === 'switch');
    const mutated = [...events.slice(0, at), { cpu: 0, cycle: events[at]!.cycle, event: 'sti' } as TraceEvent, ...events.slice(at)];
    const r = rejected(conformEvents(modelOf(option2.model), mutated));
    expect([r.event, r.found]).toEqual([at + 1, 'cpu0 sti']);
    expect(r.allowed).toEqual([`cpu0 switch from=${events[at]!.from} to=${events[at]!.to}`]);
  });

  it('a fault where the model cannot crash, and a hang where it can still make progress', () => {
    const events = traceOf('001-option2', 1, 5_000);
    const model = modelOf(option2.model);
    const fault = rejected(conformEvents(model, [...events, { cpu: 0, cycle: 0, event: 'fault', reason: '#GP' }]));
    expect([fault.event, fault.found]).toEqual([events.length + 1, 'cpu0 fault']);
    const hang = rejected(conformEvents(model, [...events, { cpu: 0, cycle: 0, event: 'hang', cpus: [0] }]));
    expect([hang.event, hang.found]).toEqual([events.length + 1, 'cpu0 hang']);
  });

  it('a CPU the model does not have is bad input (T004), as a name it lacks is', () => {
    const model = modelOf(option2.model);
    expect(conformEvents(model, [{ cpu: 3, cycle: 0, event: 'sti' }])).toEqual({
      verdict: 'bad-input',
      line: 1,
      col: 1,
      message: 'unknown CPU 3; the model has one CPU, cpu0',
      code: 'T004',
    });
    expect(conformEvents(model, [{ cpu: 0, cycle: 0, event: 'hang', cpus: [0, 1] }])).toMatchObject({ verdict: 'bad-input', code: 'T004', message: 'unknown CPU 1; the model has one CPU, cpu0' });
  });

  it('names the model states the trace had reached', () => {
    const r = rejected(conformEvents(modelOf(option2.model), [{ cpu: 0, cycle: 0, event: 'cli' }]));
    expect(r.totalStates).toBe(1); // a tick would be taken at once: no state with it merely pending
    expect(r.states).toEqual([
      { cpus: ['cpu0: thread hog at `sti` (models/aethelos-001/option2-yield-pending.sched:35), IF=1, holds nothing'], count: 1 },
    ]);
    expect(r.allowed).toEqual(['cpu0 irq_entry line=timer thread=hog', 'cpu0 sti']);
  });
});

describe('where a trace may stop, and what may follow a crash', () => {
  const retSwitch = findDesign('002-ret-switch')!;
  const end: TraceEvent = { cpu: 0, cycle: 0, event: 'end' };

  /** 002-ret-switch up to the switch the model says corrupts the machine (the fault left off). */
  function upToCrash(): TraceEvent[] {
    const events = traceOf('002-ret-switch', 1, 1_000);
    expect(events.at(-1)!.event).toBe('fault');
    return events.slice(0, -1);
  }

  it('a trace that goes on after the model crashed is rejected at the first event that is neither a fault nor a hang', () => {
    const events = upToCrash();
    const r = rejected(conformEvents(modelOf(retSwitch.model), [...events, { cpu: 0, cycle: 0, event: 'iret', thread: 'other[0]' }]));
    expect([r.event, r.found, r.states, r.allowed]).toEqual([events.length + 1, 'cpu0 iret thread=other[0]', [], []]);
    expect(r.reason).toEqual({
      kind: 'after-crash',
      crashEvent: events.length,
      crashLine: events.length,
      message: 'stack-integrity: switch_to resumes other[0] through an interrupt frame, not a switch frame',
    });
  });

  it('a crashed machine may fault or hang, but not end as if nothing happened', () => {
    const events = upToCrash();
    const model = modelOf(retSwitch.model);
    expect(conformEvents(model, [...events, { cpu: 0, cycle: 0, event: 'hang', cpus: [0] }]).verdict).toBe('conforms');
    const r = rejected(conformEvents(model, [...events, end]));
    expect([r.event, r.found, r.reason?.kind]).toEqual([events.length + 1, 'cpu0 end', 'after-crash']);
  });

  it('the rest of the fatal action is still logged: restore_context\'s iret after its fatal switch', async () => {
    // 004-old's stack-integrity counterexample ends with cpu1's restore_context of the thread cpu0 still runs.
    const design = findDesign('004-old')!;
    const model = modelOf(design.model);
    const { report } = await checkModelFile(design.model, [], { properties: ['stack-integrity'], progress: false });
    const verdict = report!.results[0]!;
    if (verdict.verdict !== 'violated') throw new Error(verdict.verdict);
    const run = replay(model, verdict.counterexample, design);
    if (run.kind !== 'replayed') throw new Error(run.kind);
    const events = run.trace.slice(0, run.events);
    expect(events.slice(-2).map((e) => [e.cpu, e.event])).toEqual([
      [1, 'switch'],
      [1, 'iret'],
    ]);
    const result = conformEvents(model, events);
    expect(result).toMatchObject({
      verdict: 'conforms',
      corruption: { event: events.length - 1, message: 'stack-integrity: restore_context boot[0], which is running on CPU 0: one stack, two CPUs' },
    });
    const after = rejected(conformEvents(model, [...events, { cpu: 0, cycle: 0, event: 'eoi', line: 'timer' }]));
    expect([after.event, after.reason?.kind]).toEqual([events.length + 1, 'after-crash']);
  });

  it('after the crash, a line naming what the model lacks is the corrupted machine going on, not bad input', () => {
    const events = upToCrash();
    const r = rejected(conformEvents(modelOf(retSwitch.model), [...events, { cpu: 0, cycle: 0, event: 'eoi', line: 'other[0]' }]));
    expect([r.event, r.found, r.reason?.kind]).toEqual([
      events.length + 1,
      "a line naming what the model lacks (unknown line 'other[0]'; the model has the line timer)",
      'after-crash',
    ]);
  });

  it('end is allowed wherever the model is live, and nothing may follow it', () => {
    const model = modelOf(findDesign('001-option2')!.model);
    const events = traceOf('001-option2', 1, 5_000);
    expect(conformEvents(model, [...events, end]).verdict).toBe('conforms');
    const r = rejected(conformEvents(model, [...events, end, events[0]!]));
    expect([r.event, r.found, r.reason]).toEqual([events.length + 2, 'cpu0 sti', { kind: 'after-end', endEvent: events.length + 1, endLine: events.length + 1 }]);
  });

  it('complete: a trace must end with end, fault or hang', () => {
    const model = modelOf(findDesign('001-option2')!.model);
    const events = traceOf('001-option2', 1, 5_000);
    const r = rejected(conformEvents(model, events, undefined, undefined, true));
    expect([r.event, r.line, r.found, r.reason]).toEqual([events.length, events.length, describeLast(events), { kind: 'incomplete' }]);
    expect(conformEvents(model, [...events, end], undefined, undefined, true).verdict).toBe('conforms');
    expect(conformEvents(modelOf(retSwitch.model), traceOf('002-ret-switch', 1, 1_000), undefined, undefined, true).verdict).toBe('conforms');
  });

  it('names the model lacks are bad input (T004), listing the names it has', () => {
    const model = modelOf(findDesign('001-option2')!.model);
    const hog: TraceEvent = { cpu: 0, cycle: 0, event: 'irq_entry', line: 'timer', thread: 'Hog' };
    expect(conformEvents(model, [{ cpu: 0, cycle: 0, event: 'sti' }, hog])).toEqual({
      verdict: 'bad-input',
      line: 2,
      col: 1,
      message: "unknown thread 'Hog'; the model has the threads hog, worker[0]",
      code: 'T004',
    });
    const lock = conformEvents(model, [{ cpu: 0, cycle: 0, event: 'lock_acquire', lock: 'loom' }]);
    expect(lock).toMatchObject({ verdict: 'bad-input', message: "unknown lock 'loom'; the model has the locks LOOM, WRITER" });
    const line = conformEvents(model, [{ cpu: 0, cycle: 0, event: 'eoi', line: 'irq0' }]);
    expect(line).toMatchObject({ verdict: 'bad-input', message: "unknown line 'irq0'; the model has the line timer" });
  });
});

function describeLast(events: TraceEvent[]): string {
  const e = events.at(-1)!;
  const args = (['line', 'lock', 'thread', 'from', 'to'] as const).filter((a) => e[a] !== undefined).map((a) => `${a}=${e[a]}`);
  return `cpu${e.cpu} ${e.event}${args.length > 0 ? ` ${args.join(' ')}` : ''}`;
}

describe('hangs, and bounds', () => {
  // cpu0 spins for ever on the lock it holds; cpu1 goes on taking and giving back its own.
  const twoCpus = `machine x86_64 {
  cpus 2
  irq timer line 0 priority 1
}
lock L : spin
lock M : spin
thread a on 0 stack 6 {
  cli
  acquire L
  acquire L
}
thread b on 1 stack 6 {
  loop {
    acquire M
    release M
  }
}
handler timer {
  eoi timer
  iret
}
`;
  const fromText = (text: string): Model => {
    const { program, diagnostics } = loadModelFromText(text, 'inline.sched', []);
    if (program === null) throw new Error(JSON.stringify(diagnostics));
    return buildModel(program);
  };
  const hungOn0: TraceEvent[] = [
    { cpu: 0, cycle: 0, event: 'cli' },
    { cpu: 0, cycle: 0, event: 'lock_acquire', lock: 'L' },
  ];

  it('a hang is judged by the CPUs it lists, also after a hang of fewer CPUs', () => {
    const model = fromText(twoCpus);
    expect(conformEvents(model, [...hungOn0, { cpu: 0, cycle: 0, event: 'hang', cpus: [0] }]).verdict).toBe('conforms');
    expect(rejected(conformEvents(model, [...hungOn0, { cpu: 0, cycle: 0, event: 'hang', cpus: [0, 1] }])).event).toBe(3);
    // The answer for cpus [0] was cached: it must not answer for [0, 1].
    const r = rejected(conformEvents(model, [...hungOn0, { cpu: 0, cycle: 0, event: 'hang', cpus: [0] }, { cpu: 0, cycle: 0, event: 'hang', cpus: [0, 1] }]));
    expect([r.event, r.line]).toEqual([4, 4]);
  });

  it('a bound met while deciding a hang is inconclusive, not a rejection', () => {
    const model = fromText(twoCpus);
    const limits = { ...DEFAULT_LIMITS, maxProgressSearch: 2 };
    expect(conformEvents(model, [...hungOn0, { cpu: 0, cycle: 0, event: 'hang', cpus: [0] }], limits)).toEqual({
      verdict: 'inconclusive',
      event: 3,
      line: 3,
      reason: 'more than 2 model states searched for progress of the hung CPUs',
    });
  });

  it('a bound met by the states before the first event is inconclusive, not an internal error', () => {
    const model = fromText(`machine x86_64 {
  cpus 1
}
var a : 0..9
var b : 0..9
thread t on 0 stack 6 {
  a := any 0..9
  b := any 0..9
  sti
}
`);
    const limits = { ...DEFAULT_LIMITS, maxSetSize: 50 };
    expect(conformEvents(model, [{ cpu: 0, cycle: 0, event: 'sti' }], limits)).toEqual({
      verdict: 'inconclusive',
      event: 0,
      line: 1,
      reason: 'more than 50 model states agree with the trace at once',
    });
    expect(conformEvents(model, [{ cpu: 0, cycle: 0, event: 'sti' }]).verdict).toBe('conforms');
  });
});
