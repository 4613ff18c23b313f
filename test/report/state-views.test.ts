// What a counterexample shows of the state parts only some models have: the local APIC's task priority, the
// arrivals of a bounded source, the current thread's preempt_count, the stack a split switch is on, and the
// waiters of each wait queue, first to wait first. The text trace and the SVG rows name them where they change; the
// ITF trace carries them (only where the state has them) and reads them back.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkProgram } from '../../src/checker/check.js';
import type { Counterexample } from '../../src/checker/verdict.js';
import type { Program, PropertyId } from '../../src/ir/ir.js';
import { fromItf, toItf } from '../../src/report/itf.js';
import { changedRows } from '../../src/report/steprows.js';
import { traceLines } from '../../src/report/text.js';
import { load } from '../checker/helpers.js';
import { validate, type Schema } from './jsonschema.js';

const SCHEMA: Schema = JSON.parse(readFileSync('test/report/schemas/schedcheck-itf.schema.json', 'utf8'));

async function counterexample(program: Program, property: PropertyId): Promise<Counterexample> {
  const report = await checkProgram(program, { properties: [property], progress: false });
  const r = report.results[0]!;
  if (r.verdict !== 'violated') throw new Error(`${property} ${r.verdict}`);
  return r.counterexample;
}

const file = (name: string): Program => load(readFileSync(`test/checker/models/${name}.sched`, 'utf8'), [], `test/checker/models/${name}.sched`);

const CASES: [string, () => Program, PropertyId, string[]][] = [
  ['the stack a split switch is on', () => file('switch-split-tick-window'), 'stack-integrity', ['on b\'s stack']],
  ['wait-queue waiters in order', () => file('wq-lost-wakeup'), 'no-deadlock', ['wait queue WQ: waiter']],
  ['the current thread\'s preempt_count', () => file('preempt-yield-disabled'), 'atomic-sleep', ['preempt_count 1']],
  [
    'the task priority and the arrivals of a bounded source',
    () =>
      load(`machine x86_64 { cpus 1; controller lapic; irq timer line 32 at most 2 }
var inside : bool = false
thread t on 0 { loop { tpr := 16; inside := true; work; inside := false; tpr := 0 } }
handler timer { assert !inside "timer inside the critical section"; eoi; iret }`),
    'assertions',
    ['TPR class 1', 'arrived: timer 1/2'],
  ],
];

describe('state parts only some models have, in counterexamples', () => {
  it.each(CASES)('%s', async (_, make, property, shown) => {
    const program = make();
    const cex = await counterexample(program, property);
    const text = traceLines(cex, program.arch, true, program).join('\n');
    for (const s of shown) expect(text).toContain(s);
    const rows = cex.steps.slice(1).flatMap((step, i) => changedRows(cex.steps[i]!.state, step.state, step.cpu, program.arch).map((r) => r.text));
    for (const s of shown) expect(rows.some((r) => r.includes(s))).toBe(true);
    const itf = JSON.parse(JSON.stringify(toItf(cex, program)));
    expect(validate(SCHEMA, itf)).toEqual([]);
    const read = fromItf(itf);
    if (!read.ok) throw new Error(read.problem.message);
    expect(read.counterexample).toStrictEqual(cex);
  });

  it('leaves them out where the state has none', async () => {
    const program = load(`machine x86_64 { cpus 1; irq timer line 0 }
var x : 0..1 = 0
thread t on 0 { x := 1; assert x == 0 "x"; loop { work } }
handler timer { eoi timer; iret }`);
    const cex = await counterexample(program, 'assertions');
    const cpu = cex.steps[1]!.state.cpus[0]!;
    expect(Object.keys(cpu).sort()).toEqual(['context', 'cpu', 'hardirq', 'ie', 'inService', 'locksHeld', 'pending', 'stack']);
    expect(cex.steps[1]!.state.waitQueues).toBeUndefined();
    expect(toItf(cex, program).vars).not.toContain('waitQueues');
  });
});
