// The bit-level IC3 path (src/checker/smt/aig/): the AIGER file, ABC's verdicts on the AIG against the explicit
// engine's, and the Z3 certificate check that a proof rests on. Needs ABC (`berkeley-abc`, .ci/run installs it).

import { describe, expect, it } from 'vitest';
import { checkProgram } from '../../../src/checker/check.js';
import { parseInvariant, runPdr } from '../../../src/checker/smt/aig/abc.js';
import { Aig, neg } from '../../../src/checker/smt/aig/aig.js';
import { checkCertificate, type CubeInvariant } from '../../../src/checker/smt/aig/certificate.js';
import { BitSystem } from '../../../src/checker/smt/aig/system.js';
import { checkWithSmt } from '../../../src/checker/smt/check.js';
import { SymbolicSystem, slotValue } from '../../../src/checker/smt/system.js';
import { planFor } from '../../../src/checker/smt/targets.js';
import { exclusive } from '../../../src/checker/smt/z3.js';
import { buildModel } from '../../../src/hw/build.js';
import type { PropertyId, Program } from '../../../src/ir/ir.js';
import { loadModel } from '../../../src/lang/load.js';
import { formatText } from '../../../src/report/text.js';
import { load } from '../helpers.js';
import { modelPath } from './model-files.js';

function program(file: string): Program {
  const { program: p } = loadModel(modelPath(`test/checker/models/${file}`), []);
  if (p === null) throw new Error(`${file} does not load`);
  return p;
}

/** The AIG's output for a property: any of its immediate targets. */
function badOf(bits: BitSystem, property: PropertyId): number {
  const keys = property === 'assertions' ? ['violation:assertions', 'state:assertions'] : [`violation:${property}`];
  return bits.aig.orAll(keys.map((k) => bits.target(k)!));
}

describe('AIGER writer', () => {
  it('writes the binary format, restricted to the cone of influence of the output', () => {
    // Latch 0 toggles when input 0 is set; latch 1 is a free-running bit no output depends on.
    const aig = new Aig(1, 2);
    const x = aig.latch(0);
    aig.setNext(0, aig.xor(x, aig.input(0)));
    aig.setNext(1, neg(aig.latch(1)));
    const { bytes, latches, ands } = aig.toAiger([x]);
    expect({ latches, ands }).toEqual({ latches: [0], ands: 3 });
    const head = 'aig 5 1 1 1 3\n11\n4\n';
    // Gates 3 = 4 & 3 (x & !in), 4 = 5 & 2 (!x & in), 5 = 9 & 7 (the negated or): deltas lhs - rhs0, rhs0 - rhs1.
    expect([...bytes]).toEqual([...new TextEncoder().encode(head), 2, 1, 3, 3, 1, 2]);
  });
});

describe("ABC's invariant", () => {
  it('is read as cubes over the latches .ilb names (the invariant excludes each cube)', () => {
    const pla = ['# Clauses of the last timeframe', '.i 3', '.o 1', '.p 2', '.ilb lo00 lo07 lo12', '.ob inv', '1-0 1', '-1- 1', '.e', ''].join('\n');
    expect(parseInvariant(pla)).toEqual([
      [
        { latch: 0, value: true },
        { latch: 12, value: false },
      ],
      [{ latch: 7, value: true }],
    ]);
    expect(() => parseInvariant('.ilb lo00\n1x 1\n')).toThrow("ABC's invariant has a line 1x 1");
  });
});

describe('the bit-level system follows the explicit model', () => {
  // For reachable states and every action: the AIG, simulated with the state in its latches and the action's
  // index as its input, says enabled, fatal and the successor as the explicit model does, and the violation
  // outputs as the step's events and the state's.
  it.each(['cpustate-irq-flags.sched', 'assert-lost-update.sched', 'assert-statement.sched', 'gic-pmr-nmi.sched', 'i8259-ir0-preempts.sched', 'deadlock-sti-spin.sched'])(
    '%s',
    (file) => {
      const model = buildModel(program(file));
      const bits = new BitSystem(model);
      const { aig, latchBits, slots, encoder } = bits;
      const stackBad = bits.target('violation:stack-integrity')!;
      const assertStep = bits.target('violation:assertions')!;
      const assertState = bits.target('state:assertions')!;
      const latchesOf = (s: Uint32Array): boolean[] =>
        latchBits.map(({ slot, bit }) => (Math.floor(slotValue(s, slots[slot]!) / 2 ** bit) % 2 === 1) !== (Math.floor(bits.initialValue(slot) / 2 ** bit) % 2 === 1));
      const seen = new Set<string>();
      const queue = [...model.initialStates()];
      let checked = 0;
      while (queue.length > 0 && checked < 150) {
        const s = queue.shift()!;
        const key = s.join(',');
        if (seen.has(key)) continue;
        seen.add(key);
        checked++;
        const enabled = model.actions(s);
        const stateBad = model.stateEvents(s).some((e) => e.kind === 'violation' && e.property === 'assertions');
        encoder.actions.forEach((a, i) => {
          const choice = Array.from({ length: bits.choiceBits }, (_, b) => Math.floor(i / 2 ** b) % 2 === 1);
          const sim = aig.simulate(choice, latchesOf(s));
          const on = enabled.includes(a);
          expect(sim.value(bits.enabled), `enabled ${a}`).toBe(on);
          expect(sim.value(assertState)).toBe(stateBad);
          if (!on) return;
          const { next, events } = model.successor(s, a);
          const violated = (p: PropertyId): boolean => events.some((e) => e.kind === 'violation' && e.property === p);
          const fatal = events.some((e) => e.kind === 'violation' && e.fatal);
          expect([sim.value(bits.fatal), sim.value(stackBad), sim.value(assertStep)], `action ${a}`).toEqual([fatal, violated('stack-integrity'), violated('assertions')]);
          if (fatal) return;
          expect(sim.next, `action ${a}`).toEqual(latchesOf(next));
          queue.push(next);
        });
      }
      expect(checked).toBeGreaterThan(10);
    },
    20_000,
  );
});

describe("ABC's pdr on the bit-level system agrees with the explicit engine", () => {
  // [model, property, the frame ABC asserts the output in, or null for a proof]. A step's violation is on the
  // step after the frame's state (the explicit counterexample is one step longer); an invariant's is in that
  // state. ABC's counterexamples need not be shortest (pdr is not breadth-first), but these are.
  it.each([
    ['cpustate-irq-flags.sched', 'stack-integrity', null, 0],
    ['cpustate-irq-flags.sched', 'assertions', null, 0],
    ['gic-pmr-lock-safety.sched', 'stack-integrity', null, 0],
    ['gic-pmr-lock-safety.sched', 'assertions', null, 0],
    ['irqsafety-spin-in-handler.sched', 'stack-integrity', null, 0],
    ['assert-lost-update.sched', 'assertions', 6, 6],
    ['assert-statement.sched', 'assertions', 5, 6],
    ['assert-range.sched', 'assertions', 2, 3],
    ['choice-any-budget.sched', 'assertions', 3, 4],
    ['gic-pmr-nmi.sched', 'assertions', 5, 6],
  ] as const)('%s %s', async (file, property, frame, length) => {
    const p = program(file);
    const bits = new BitSystem(buildModel(p));
    const { bytes } = bits.aig.toAiger([badOf(bits, property)]);
    const [explicit] = (await checkProgram(p, { properties: [property], progress: false })).results;
    const abc = await runPdr(bytes, 10);
    if (frame === null) {
      expect([explicit!.verdict, abc.verdict]).toEqual(['holds', 'proved']);
    } else {
      expect([explicit!.verdict, abc.verdict]).toEqual(['violated', 'counterexample']);
      expect([explicit!.verdict === 'violated' && explicit!.counterexample.length, abc.verdict === 'counterexample' && abc.frame]).toEqual([length, frame]);
    }
  }, 20_000);
});

describe('the certificate', () => {
  it('proves with IC3 what k-induction cannot without the invariant line, and says so', async () => {
    // x stays even, but the assertion looks only every eighth round: no window of 6 steps proves it
    // (kinduction.test.ts); no state explored.
    const even = load(`
machine x86_64 { cpus 1 }
var x : 0..15 = 0
var n : 0..7 = 0
thread t on 0 stack 2 {
  loop {
    x := (x + 2) % 16
    if n == 7 { n := 0; assert x % 2 == 0 "x stays even" } else { n := n + 1 }
  }
}
`);
    const [r] = await checkWithSmt(even, ['assertions'], { maxDepth: 6, mineStates: 0, pdr: true, timeoutSeconds: 60 });
    expect(r!.verdict === 'holds' && r!.complete).toBe(true);
    expect(r!.proof?.method).toBe('ic3');
    expect(r!.proof?.configuration).toEqual({});
    expect(r!.proof?.ic3?.latches).toBeGreaterThan(0);
    const text = formatText({ model: 'even.sched', results: [r!] }, even);
    expect(text).toContain('assertions  holds: proved by IC3 (ABC), its invariant checked by Z3  [smt]');
    expect(text).toMatch(new RegExp(`assertions  an invariant of ${r!.proof?.ic3?.clauses} clauses, \\d+\\.\\d\\d s`));
    const [without] = await checkWithSmt(even, ['assertions'], { maxDepth: 6, mineStates: 0, timeoutSeconds: 60 });
    expect(without!.verdict === 'inconclusive' && without!.reason).toBe('max-depth');
  }, 20_000);

  it('proves a seed design with no state explored: executor-000 with preemption disabled', async () => {
    const { program: p } = loadModel(modelPath('models/executor-000/preemption-disabled.sched'), []);
    const properties: PropertyId[] = ['stack-integrity', 'assertions', 'atomic-sleep'];
    const results = await checkWithSmt(p!, properties, { mineStates: 0, pdr: true, timeoutSeconds: 60 });
    for (const r of results) {
      expect([r.property, r.verdict === 'holds' && r.complete, r.proof?.method]).toEqual([r.property, true, 'ic3']);
      // One AIG for the three properties: its size is pinned (the cone of influence of their targets).
      expect([r.proof?.ic3?.latches, r.proof?.ic3?.ands]).toEqual([149, 3733]);
    }
    expect(results.map((r) => r.property)).toEqual(properties);
  }, 20_000);

  it('leaves a property open, saying why, where ABC finds the target reachable (bounded model checking reports violations)', async () => {
    // The failing assert is 6 steps away; the search stops at 3.
    const [r] = await checkWithSmt(program('assert-statement.sched'), ['assertions'], { maxDepth: 3, mineStates: 0, pdr: true, timeoutSeconds: 60 });
    expect(r!.verdict === 'inconclusive' && [r!.reason, r!.detail]).toEqual([
      'max-depth',
      "no violation on any path of up to 3 steps (bounded model checking); IC3 (ABC's pdr) proved nothing: ABC's pdr found a target reachable in frame 5",
    ]);
  }, 20_000);

  it('is rejected where it does not hold initially, is not closed, or does not exclude the violation', async () => {
    const p = program('cpustate-irq-flags.sched');
    const model = buildModel(p);
    const init = model.initialStates()[0]!;
    const slots = model.layout.slots;
    // A bit the first step changes.
    const next = model.successor(init, model.actions(init)[0]!).next;
    const j = slots.findIndex((s) => slotValue(init, s) !== slotValue(next, s));
    const b = [...Array(slots[j]!.bits).keys()].find((k) => Math.floor(slotValue(init, slots[j]!) / 2 ** k) % 2 !== Math.floor(slotValue(next, slots[j]!) / 2 ** k) % 2)!;
    const initBit = Math.floor(slotValue(init, slots[j]!) / 2 ** b) % 2 === 1;
    const excludeInitial: CubeInvariant = [[{ slot: j, bit: b, value: initBit }]];
    const notClosed: CubeInvariant = [[{ slot: j, bit: b, value: !initBit }]];
    const answers = await exclusive(async (ctx) => {
      const sys = new SymbolicSystem(ctx, model);
      const plan = planFor(sys, 'assertions');
      const check = (inv: CubeInvariant) => checkCertificate(ctx, sys, init, inv, plan.immediate, Date.now() + 30_000);
      return [await check(excludeInitial), await check(notClosed), await check([])];
    });
    expect(answers).toEqual([
      { valid: false, failed: 'initial' },
      { valid: false, failed: 'step' },
      // "true" is closed, but some state (not a reachable one) fails an assertion.
      { valid: false, failed: 'violation:assertions' },
    ]);
  }, 20_000);
});
