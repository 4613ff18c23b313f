import { describe, expect, it } from 'vitest';
import type { Counterexample } from '../../src/checker/verdict.js';
import { classifyStep, renderCounterexampleDot, violatingStep } from '../../src/report/dot.js';
import { renderSvg } from '../../src/report/svg.js';
import { abba, cpu, FIXTURES, handlerSwitch, nestedException, starvation, timerDeadlock } from './fixtures.js';
import { expectGolden } from './golden.js';

/** The DOT statement that declares node `id` (its attribute list included). */
function nodeStatement(dot: string, id: string): string {
  const start = dot.indexOf(`\n  ${id} [`);
  const line = start < 0 ? undefined : dot.slice(start + 1, dot.indexOf('];', start) + 2);
  if (line === undefined) throw new Error(`no node ${id}`);
  return line;
}

/** The ids in the `rank=same` group of each row, in lane order. */
function rows(dot: string): string[][] {
  return [...dot.matchAll(/\{ rank=same; ([^}]*?)(?: \[style=invis\])? \}/g)].map((m) => m[1]!.split(' -> '));
}

describe('renderCounterexampleDot', () => {
  for (const make of FIXTURES) {
    it(`matches the golden graph of ${make().name}`, () => {
      const f = make();
      expectGolden(`test/golden/dot/${f.name}.dot`, renderCounterexampleDot(f.cex, f.program));
    });
  }

  it('puts every step in the lane of its CPU, one row per step', () => {
    const { cex, program } = abba();
    const grid = rows(renderCounterexampleDot(cex, program));
    // Header row, then one row per step: steps 1-6 run on CPU0, 7-8 on CPU1.
    expect(grid[0]).toEqual(['lane0', 'lane1']);
    expect(grid.slice(1)).toEqual([
      ['s1', 'c1_1'],
      ['s2', 'c2_1'],
      ['s3', 'c3_1'],
      ['s4', 'c4_1'],
      ['s5', 'c5_1'],
      ['s6', 'c6_1'],
      ['c7_0', 's7'],
      ['c8_0', 's8'],
    ]);
  });

  it('shows what a step changed and nothing it left alone', () => {
    const { cex, program } = timerDeadlock();
    const dot = renderCounterexampleDot(cex, program);
    // Step 1 took the lock: the lock list changed, the interrupt flag did not.
    expect(nodeStatement(dot, 's1')).toContain('locks: LOOM');
    expect(nodeStatement(dot, 's1')).not.toContain('IF');
    // Step 3, the delivery: flag, nesting, in-service line and the pushed interrupt frame.
    const delivery = nodeStatement(dot, 's3');
    for (const text of ['now: handler timer (on worker)', 'IF 1 -&gt; 0', 'hardirq depth 0 -&gt; 1', 'in service: timer', 'irq frame (timer, IF=1, worker @ timer-deadlock.sched:12)']) {
      expect(delivery).toContain(text);
    }
    expect(delivery).not.toContain('locks:');
  });

  it('draws arrivals, EOIs, interrupt returns and switches apart from plain instructions', () => {
    const { cex } = handlerSwitch();
    const classes = cex.steps.slice(1).map((s) => classifyStep(s, cex.steps[s.index - 1]!.state));
    expect(classes).toEqual(['instruction', 'pending', 'interrupt', 'eoi', 'instruction', 'instruction', 'instruction', 'instruction', 'instruction', 'switch']);
    const dot = renderCounterexampleDot(cex);
    expect(nodeStatement(dot, 's3')).toContain('fillcolor="#ffc078", style="filled,bold", shape="box"');
    expect(nodeStatement(dot, 's2')).toContain('style="rounded,filled,dashed"');
    expect(nodeStatement(dot, 's4')).toContain('fillcolor="#b2f2bb"');
    expect(nodeStatement(dot, 's10')).toContain('peripheries="2"');
    expect(classifyStep(starvation().cex.steps[6]!, starvation().cex.steps[5]!.state)).toBe('iret');
  });

  it('calls a ret that lands in another thread a context switch', () => {
    const { cex } = handlerSwitch();
    const step = { ...cex.steps[10]!, label: 'ret' };
    expect(classifyStep(step, cex.steps[9]!.state)).toBe('switch');
  });

  it('marks the step of the violating instruction, and says where a stuck CPU is', () => {
    const deadlock = timerDeadlock();
    expect(violatingStep(deadlock.cex)).toBe(3);
    expect(nodeStatement(renderCounterexampleDot(deadlock.cex, deadlock.program), 's3')).toContain(
      'VIOLATION: no-deadlock (at timer-deadlock.sched:18)',
    );
    const ab = abba();
    expect(violatingStep(ab.cex)).toBe(8);
    const s8 = nodeStatement(renderCounterexampleDot(ab.cex, ab.program), 's8');
    expect(s8).toContain('color="#e03131", penwidth="3"');
    expect(s8).toContain('VIOLATION: lock-order</B>');
    // A hardware event with no span: the last step.
    expect(violatingStep(nestedException().cex)).toBe(7);
  });

  it('draws a lasso with its back edge and no single violating step', () => {
    const { cex, program } = starvation();
    expect(violatingStep(cex)).toBeNull();
    const dot = renderCounterexampleDot(cex, program);
    expect(dot).toContain('s6 -> s2 [constraint="false", color="#1c7ed6", fontcolor="#1c7ed6", penwidth="2", label="repeats forever"');
    expect(nodeStatement(dot, 's2')).toContain('loop starts here');
    expect(dot).not.toContain('VIOLATION');
  });

  it('names the interrupt flag as the architecture does', () => {
    const { cex } = nestedException();
    const dot = renderCounterexampleDot(cex);
    expect(nodeStatement(dot, 's5')).toContain('PSTATE.I 1 -&gt; 0');
    expect(nodeStatement(dot, 's4')).toContain('active: timer');
    expect(dot).not.toContain('IF ');
  });

  it('escapes model text so that Graphviz reads every label', async () => {
    const { cex } = timerDeadlock();
    const odd: Counterexample = {
      ...cex,
      message: 'a <weird> & "quoted" message \\ with a backslash',
      steps: cex.steps.map((s, i) => (i === 1 ? { ...s, label: 'x := a < b && c > d', sourceLine: "x := a < b && c > d // it's" } : s)),
    };
    const dot = renderCounterexampleDot(odd);
    expect(dot).toContain('x := a &lt; b &amp;&amp; c &gt; d');
    const svg = await renderSvg(dot);
    expect(svg.ok && svg.warnings).toEqual([]);
  });

  it('renders a trace with no steps (a violating initial state) and a step with no CPU', async () => {
    const { cex } = timerDeadlock();
    const init: Counterexample = { ...cex, length: 0, steps: [cex.steps[0]!], violationSpan: null };
    const dot = renderCounterexampleDot(init);
    expect(dot).not.toContain('s1');
    expect((await renderSvg(dot)).warnings).toEqual([]);
    const machineStep: Counterexample = {
      ...cex,
      steps: [...cex.steps, { ...cex.steps[2]!, index: 4, cpu: null, context: 'machine', label: 'nmi becomes pending' }],
      length: 4,
    };
    const grid = rows(renderCounterexampleDot(machineStep));
    expect(grid[0]).toEqual(['lane0', 'lane1']);
    expect(grid[4]).toEqual(['c4_0', 's4']);
  });

  it('keeps lanes for CPUs that never step', () => {
    const { cex } = timerDeadlock();
    const twoCpus: Counterexample = {
      ...cex,
      steps: cex.steps.map((s) => ({ ...s, state: { ...s.state, cpus: [...s.state.cpus, cpu(1, 'thread idle')] } })),
    };
    const grid = rows(renderCounterexampleDot(twoCpus));
    expect(grid.every((row) => row.length === 2)).toBe(true);
  });
});

describe('classifyStep on context changes', () => {
  it('does not call leaving a handler for the thread it interrupted a switch', () => {
    const { cex } = timerDeadlock();
    const before = cex.steps[3]!.state; // handler timer (on worker)
    const after = { ...before, cpus: [{ ...before.cpus[0]!, context: 'thread worker' }] };
    const step = { ...cex.steps[1]!, label: 'call schedule', state: after };
    expect(classifyStep(step, before)).toBe('instruction');
    const other = { ...before, cpus: [{ ...before.cpus[0]!, context: 'thread idle' }] };
    expect(classifyStep({ ...step, state: other }, before)).toBe('switch');
  });
});
