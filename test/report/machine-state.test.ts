// The machine's own state that a model's variables do not show (StateView.machine): the LAPIC's task-priority
// class, how often a counted source has arrived, each thread's preempt_count, and who waits on a wait queue. A
// counterexample shows them where the model has them, in every report, and an ITF trace keeps them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkModelFile } from '../../src/checker/check.js';
import type { Counterexample } from '../../src/checker/verdict.js';
import type { Program, PropertyId } from '../../src/ir/ir.js';
import { renderCounterexampleDot } from '../../src/report/dot.js';
import { fromItf, toItf } from '../../src/report/itf.js';
import { traceLines } from '../../src/report/text.js';
import { validate, type Schema } from './jsonschema.js';

const FILE = 'test/report/fixtures/machine-state.sched';
const SCHEDCHECK_SCHEMA: Schema = JSON.parse(readFileSync('test/report/schemas/schedcheck-itf.schema.json', 'utf8'));

async function counterexample(file: string, property: PropertyId = 'assertions'): Promise<{ cex: Counterexample; program: Program }> {
  const { program, report } = await checkModelFile(file, [], { properties: [property], progress: false });
  const result = report!.results[0]!;
  if (result.verdict !== 'violated') throw new Error(`${file}: ${result.verdict}`);
  return { cex: result.counterexample, program: program! };
}

describe("the machine's own state in a counterexample", () => {
  it('is in every state of the trace, by name, and the text trace shows each change', async () => {
    const { cex, program } = await counterexample(FILE);
    expect(cex.steps[0]!.state.machine).toEqual({
      'TPR class@cpu0': '0',
      'arrived tick@cpu0': '0',
      'preempt_count@main': '0',
      'preempt_count@other': '0',
      'W waiters': 'none',
    });
    expect(cex.steps.at(-1)!.state.machine).toEqual({
      'TPR class@cpu0': '0',
      'arrived tick@cpu0': '1',
      'preempt_count@main': '1',
      'preempt_count@other': '0',
      'W waiters': 'none',
    });
    const text = traceLines(cex, 'x86_64', true, program).join('\n');
    expect(text).toContain('| fired = false, next = none, TPR class@cpu0 = 0, arrived tick@cpu0 = 0, preempt_count@main = 0, preempt_count@other = 0, W waiters = none\n');
    expect(text).toContain('tpr := 32\n      | TPR class@cpu0 = 2\n');
    expect(text).toContain('preempt_disable\n      | preempt_count@main = 1\n');
    expect(text).toContain('prepare_to_wait W\n      | main: running -> blocked\n      | W waiters = main\n');
    expect(text).toContain('finish_wait W\n      | main: blocked -> running\n      | W waiters = none\n');
    expect(text).toContain('interrupt tick arrives and is taken\n      | now handler tick (on main); IF=0; stack: 1 frame, top: irq frame (tick, IF=1, main @ line 13); in service: tick\n      | arrived tick@cpu0 = 1\n');
  });

  it('is drawn in the graph as a change of the step that made it', async () => {
    const { cex, program } = await counterexample(FILE);
    const dot = renderCounterexampleDot(cex, program);
    expect(dot).toContain('preempt_count@main: 0 -&gt; 1');
    expect(dot).toContain('W waiters: none -&gt; main');
    expect(dot).toContain('TPR class@cpu0: 0 -&gt; 2');
  });

  it('is written to an ITF trace as the variable "machine" and read back exactly', async () => {
    const { cex, program } = await counterexample(FILE);
    const itf = JSON.parse(JSON.stringify(toItf(cex, program))) as { vars: string[]; states: Record<string, unknown>[] };
    expect(validate(SCHEDCHECK_SCHEMA, itf)).toEqual([]);
    expect(itf.vars.at(-1)).toBe('machine');
    expect(itf.states[5]!.machine).toEqual({
      '#map': [
        ['TPR class@cpu0', '0'],
        ['arrived tick@cpu0', '0'],
        ['preempt_count@main', '1'],
        ['preempt_count@other', '0'],
        ['W waiters', 'none'],
      ],
    });
    const read = fromItf(itf);
    if (!read.ok) throw new Error(read.problem.message);
    expect(read.counterexample).toStrictEqual(cex);
  });

  it('is absent from a model that has none of it', async () => {
    const { cex } = await counterexample('models/aethelos-001/spin-mutex-loom.sched', 'no-deadlock');
    expect(cex.steps.every((s) => s.state.machine === undefined)).toBe(true);
  });
});
