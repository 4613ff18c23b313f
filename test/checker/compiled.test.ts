// The compiled successor function (src/checker/explicit/compile.ts) against the reference Model (src/hw): on
// every reachable state of every test model and seed model, the same enabled actions in the same order, and for
// every action either the same successor and the same events (with every changed word reported as written),
// or a hand-back to the reference (SLOW); an atomic-sleep warning the compiled code reports (WARNED) must be
// the reference's event exactly. The correct seed designs never need the hand-back. Generated code carries no
// text from the model.

import { readdirSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { compiledModule, compileModel, compileUncached, maxActions, SLOW, WARNED, warnedEvents } from '../../src/checker/explicit/compile.js';
import { ActionKind, actionKind, type Model, type ModelEvent } from '../../src/ir/model.js';
import { machineOf } from '../../src/hw/build.js';
import { ConcreteState } from '../../src/hw/state.js';
import { watchBits, watchedFacts } from '../../src/hw/watch.js';
import { buildModel } from '../../src/hw/build.js';
import { checkProgram } from '../../src/checker/check.js';
import { load, referenceWalk } from './helpers.js';
import { PINS, pinnedConfig } from '../gate/pins.js';

/**
 * At most this many states of a model are compared transition by transition (the first ones in breadth-first
 * order); whole-space.test.ts holds the two to the same whole state space of every seed model.
 */
const LIMIT = 10_000;

interface Agreement {
  states: number;
  transitions: number;
  slow: number;
  disagreements: string[];
}

/** The watched facts of states of `model` by the concrete instantiation of src/hw/watch.ts's rules, as bits. */
function referenceWatch(model: Model): (s: Uint32Array) => number {
  const machine = machineOf(model);
  const bits = watchBits(model.program.locks.length, model.program.cpus, model.program.lines.length);
  return (s) => {
    if (bits === null) return 0;
    const facts = watchedFacts(machine.access, new ConcreteState(machine, s, null, []), bits);
    return facts.reduce<number>((word, fact, i) => (fact === true ? word | (1 << i) : word), 0);
  };
}

function compare(model: Model): Agreement {
  const compiled = compileUncached(model);
  if (compiled === null) throw new Error('the model was not compiled');
  const out = new Int32Array(maxActions(model.program));
  const next = new Uint32Array(model.layout.words);
  const result: Agreement = { states: 0, transitions: 0, slow: 0, disagreements: [] };
  const machine = machineOf(model);
  const watch = referenceWatch(model);
  const disagree = (what: string) => {
    if (result.disagreements.length < 5) result.disagreements.push(what);
  };
  referenceWalk(
    model,
    LIMIT,
    (s, i) => {
      result.states++;
      const count = compiled.actions(s, out);
      if (!isDeepStrictEqual(Array.from(out.subarray(0, count)), model.actions(s))) disagree(`actions of state ${i}`);
      if (!compiled.stateCheck(s) && model.stateEvents(s).length > 0) disagree(`stateCheck missed the events of state ${i}`);
      // The search core's filter of new states (coresearch.ts): the watched facts and progress, as the reference has them.
      if (compiled.watch(s) !== watch(s)) disagree(`watched facts of state ${i}`);
      const progress = model.actions(s).some((a) => actionKind(a) !== ActionKind.arrive && !machine.haltedStep(a));
      if (compiled.progress(s) !== progress) disagree(`progress of state ${i}`);
    },
    (s, i, action, r) => {
      result.transitions++;
      const events: ModelEvent[] = [];
      const made = compiled.apply(s, action, next, events);
      // A warned step: the compiled events are the reference's but its warnings, which only the reference words.
      if (made === WARNED) {
        const warnings = r.events.filter((e) => e.kind === 'violation');
        if (warnings.length === 0 || warnings.some((e) => e.kind === 'violation' && e.fatal)) disagree(`WARNED without a warning: ${model.label(action).text} in state ${i}`);
        if (!isDeepStrictEqual(events, r.events.filter((e) => e.kind !== 'violation'))) disagree(`warned events: ${model.label(action).text} in state ${i}`);
        events.splice(0, events.length, ...warnedEvents(model, s, action));
      }
      if (made === SLOW) {
        result.slow++;
        return;
      }
      if (!isDeepStrictEqual(next, r.next) || !isDeepStrictEqual(events, [...r.events])) {
        disagree(`${model.label(action).text} in state ${i}`);
      }
      // Every word that changed is among the words the step reports as written (hashes follow them alone).
      const written = new Set(compiled.dirty.subarray(0, compiled.dirtyCount()));
      if (s.some((w, k) => w !== next[k] && !written.has(k))) disagree(`unreported write: ${model.label(action).text} in state ${i}`);
    },
  );
  return result;
}

describe('compiled successors agree with the reference model', () => {
  const dir = 'test/checker/models';
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.sched'))) {
    it(name, () => {
      const file = `${dir}/${name}`;
      const model = buildModel(load(readFileSync(file, 'utf8'), [], file));
      // The compiler's limit (32-bit lock and line masks, bits 30 and 31 spare): past it the reference runs.
      if (model.program.lines.length > 30 || model.program.locks.length > 30) {
        expect(compileUncached(model)).toBeNull();
        return;
      }
      const r = compare(model);
      expect(r.disagreements).toEqual([]);
      expect(r.transitions).toBeGreaterThan(0);
    });
  }

  for (const key of Object.keys(PINS)) {
    const { file, sets } = pinnedConfig(key);
    it(`${file} ${sets.join(' ')}`, () => {
      const program = load(readFileSync(file, 'utf8'), sets, file);
      const r = compare(buildModel(program));
      expect(r.disagreements).toEqual([]);
      // A design whose every property holds never needs the reference: nothing it does is a violation.
      const correct = program.expectations.every((e) => e.verdict === 'holds' || e.property === 'no-starvation');
      if (correct) expect(r.slow).toBe(0);
    });
  }
});

describe('the WebAssembly back end', () => {
  it('compiles every seed model, so that the search runs on it', () => {
    for (const key of Object.keys(PINS)) {
      const { file, sets } = pinnedConfig(key);
      const compiled = compileModel(buildModel(load(readFileSync(file, 'utf8'), sets, file)));
      expect([key, compiled !== null]).toEqual([key, true]);
    }
  });

  it('leaves to the reference model a program whose arithmetic could leave the 32-bit range', async () => {
    const text = `machine x86_64 { cpus 1 }
      var big : 0..100000 = 3
      thread t on 0 { loop { big := (big * big) % 7 } }`;
    const program = load(text);
    expect(compileModel(buildModel(program))).toBeNull();
    const report = await checkProgram(program, { progress: false, properties: ['assertions', 'no-deadlock'] });
    expect(report.results.map((r) => [r.property, r.verdict, r.stats.states])).toEqual([
      ['assertions', 'holds', 3],
      ['no-deadlock', 'holds', 3],
    ]);
  });
});

describe('generated code', () => {
  it('contains no name, string or message of the model, only numbers and the compiler own text', () => {
    const text = `machine x86_64 { cpus 1; irq zzline line 0 }
      lock ZZLOCK : irqsave
      var zzvar : 0..3 = 1
      thread zzthread on 0 { sti; loop { acquire ZZLOCK; zzvar := (zzvar + 1) % 3; assert zzvar != 7 "zzmessage"; release ZZLOCK } }
      handler zzline { eoi zzline; iret }`;
    const model = buildModel(load(text));
    // The module: no name section, and no byte sequence of the model's names.
    const module = compiledModule(model);
    expect(module).not.toBeNull();
    const bytes = Buffer.from(module!).toString('latin1');
    expect(bytes).not.toMatch(/zz/i);
    expect(WebAssembly.Module.customSections(new WebAssembly.Module(module!), 'name')).toEqual([]);
    expect(WebAssembly.Module.exports(new WebAssembly.Module(module!)).map((e) => e.name).sort()).toEqual(
      ['absorb', 'actions', 'apply', 'dirtyCount', 'eventCount', 'fatal', 'find', 'insert', 'memory', 'progress', 'rehash', 'run', 'stateCheck', 'watch'],
    );
  });
});
