// The WebAssembly search core (src/checker/explicit/wasmsearch.ts, wasmstore.ts) against the JavaScript search
// loop it replaces for exact searches: on every test model and every seed configuration small enough for a unit
// test, the same reports (verdicts, statistics, counterexamples, figures); the same store, state for state, id
// for id; the same stops at each bound; and a search that outgrows the core's memory runs again with the
// JavaScript store and ends as it would have.

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkProgram } from '../../src/checker/check.js';
import { ArenaStore } from '../../src/checker/explicit/arena.js';
import { explore, type ExploreBounds } from '../../src/checker/explicit/explore.js';
import { StateHasher } from '../../src/checker/explicit/hashing.js';
import { WasmStore } from '../../src/checker/explicit/wasmstore.js';
import type { Exploration, Monitor } from '../../src/checker/properties/property.js';
import { PROPERTIES } from '../../src/checker/properties/index.js';
import type { CheckReport } from '../../src/checker/verdict.js';
import { buildModel } from '../../src/hw/build.js';
import type { Program, PropertyId } from '../../src/ir/ir.js';
import { PINS, pinnedConfig } from '../gate/pins.js';
import { load, storeDifferences } from './helpers.js';

/** Seed configurations up to this many states run here (the gate runs every one with the core). */
const MAX_STATES = 100_000;

/** A report without its timings. */
function timeless(report: CheckReport): unknown {
  return JSON.parse(JSON.stringify(report, (key, value: unknown) => (key === 'seconds' ? 0 : value)));
}

async function both(program: Program): Promise<[unknown, unknown]> {
  const properties = [...new Set(program.expectations.map((e) => e.property))];
  const wasm = await checkProgram(program, { progress: false, properties, searchLoop: 'wasm' });
  const js = await checkProgram(program, { progress: false, properties, searchLoop: 'js' });
  return [timeless(wasm), timeless(js)];
}

const testModels = readdirSync('test/checker/models')
  .filter((f) => f.endsWith('.sched'))
  .map((f) => `test/checker/models/${f}`);
const seedConfigs = Object.entries(PINS)
  .filter(([, pin]) => pin.states <= MAX_STATES)
  .map(([key]) => ({ key, ...pinnedConfig(key) }));

describe('the WebAssembly core and the JavaScript loop give the same report', () => {
  for (const file of testModels) {
    it(file, async () => {
      const [wasm, js] = await both(load(readFileSync(file, 'utf8'), [], file));
      expect(wasm).toEqual(js);
    });
  }
  for (const { key, file, sets } of seedConfigs) {
    it(key, async () => {
      const [wasm, js] = await both(load(readFileSync(file, 'utf8'), sets, file));
      expect(wasm).toEqual(js);
    }, 60_000);
  }
});

/** A monitor that never finds anything: the search covers every reachable state. */
const inert = (): Map<PropertyId, Monitor> => new Map([['assertions', { needsGraph: false }]]);

function search(file: string, sets: string[], bounds: ExploreBounds) {
  const model = buildModel(load(readFileSync(file, 'utf8'), sets, file));
  return { model, result: explore(model, inert, { progress: false, ...bounds }) };
}

describe('the core stores the same states under the same ids', () => {
  const cases: [string, string[], number][] = [
    ['models/aethelos-001/lock-contention.sched', ['THREADS=3'], 18_019],
    ['models/aarch64-003/context-switch-lock.sched', ['CPUS=2', 'THREADS=3'], 32_900],
    ['models/forkexec-004/old-handler-abba.sched', ['CPUS=2', 'THREADS=2'], 78_633],
  ];
  for (const [file, sets, states] of cases) {
    it(`${file} ${sets.join(' ')}`, () => {
      // Act
      const wasm = search(file, sets, { searchLoop: 'wasm' });
      const js = search(file, sets, { searchLoop: 'js' });

      // Assert
      expect(wasm.result.store).toBeInstanceOf(WasmStore);
      expect(js.result.store).toBeInstanceOf(ArenaStore);
      expect(wasm.result.stats.states).toBe(states);
      expect({ ...wasm.result.stats, seconds: 0 }).toEqual({ ...js.result.stats, seconds: 0 });
      expect(wasm.result.figures).toEqual(js.result.figures);
      const a = wasm.result.store as WasmStore;
      const b = js.result.store as ArenaStore;
      const hasher = new StateHasher(wasm.model.layout.words);
      const differences: string[] = [];
      for (let id = 0; id < states && differences.length < 3; id++) {
        const state = a.state(id);
        if (!b.state(id).every((w, i) => w === state[i])) differences.push(`state ${id}`);
        if (a.parent(id) !== b.parent(id) || a.action(id) !== b.action(id)) differences.push(`parent of ${id}`);
        if (a.depth(id) !== b.depth(id)) differences.push(`depth of ${id}`);
        if (a.hashOf(id) !== hasher.hash(state)) differences.push(`hash of ${id}`);
        if (a.find(state) !== id) differences.push(`find ${id}`);
      }
      expect(differences).toEqual([]);
      expect(a.levelStart(3)).toBe(b.levelStart(3));
    }, 60_000);
  }
});

describe('bounds end the core where they end the JavaScript loop', () => {
  const file = 'models/aarch64-003/context-switch-lock.sched';
  const sets = ['CPUS=2', 'THREADS=3'];
  const bounded: [string, ExploreBounds][] = [
    ['--max-states 5000', { maxStates: 5000 }],
    ['--max-depth 12', { maxDepth: 12 }],
    ['--max-depth 1000 (not reached)', { maxDepth: 1000 }],
  ];
  for (const [label, bounds] of bounded) {
    it(label, () => {
      const wasm = search(file, sets, { ...bounds, searchLoop: 'wasm' }).result;
      const js = search(file, sets, { ...bounds, searchLoop: 'js' }).result;
      expect(wasm.stop).toEqual(js.stop);
      expect({ ...wasm.stats, seconds: 0 }).toEqual({ ...js.stats, seconds: 0 });
    });
  }

  it('--max-states 5000 stops after exactly 5000 states', () => {
    const { result } = search(file, sets, { maxStates: 5000, searchLoop: 'wasm' });
    expect(result.stop?.reason).toBe('max-states');
    expect(result.stats.states).toBe(5000);
  });

  it('a search whose table and last levels outgrow the memory the core may use runs again with the JavaScript store', () => {
    // Act: 2 MiB holds the module and some 20,000 of the 32,900 states, too few to move any out
    const capped = search(file, sets, { searchLoop: 'wasm', wasmMemoryBytes: 2 * 1024 * 1024 }).result;
    const js = search(file, sets, { searchLoop: 'js' }).result;

    // Assert
    expect(capped.store).toBeInstanceOf(ArenaStore);
    expect(capped.stop).toBeNull();
    expect({ ...capped.stats, seconds: 0 }).toEqual({ ...js.stats, seconds: 0 });
  });

  // A cap below what the store would take: the chunks of expanded levels move out of the memory into JavaScript
  // buffers (wasmstore.ts), and the core asks JavaScript to compare a successor with a state moved out. Every
  // expected property's report (graph properties, lock orders, counterexamples) is the one of an uncapped search.
  const moved: [string, string[], number][] = [
    ['models/forkexec-004/old-handler-abba.sched', ['CPUS=2', 'THREADS=2'], 1.05],
    ['models/aethelos-001/lock-contention-racy.sched', ['THREADS=3'], 1.3],
    ['models/aarch64-003/context-switch-lock.sched', ['CPUS=2', 'THREADS=4'], 1.3],
  ];
  for (const [model, modelSets, fraction] of moved) {
    it(`${model} ${modelSets.join(' ')} in ${fraction} times less memory than it takes: states moved out, the same states and report`, async () => {
      const whole = search(model, modelSets, { searchLoop: 'wasm' }).result;
      const cap = Math.floor((whole.store as WasmStore).bytes / fraction / 65536) * 65536;
      const capped = search(model, modelSets, { searchLoop: 'wasm', wasmMemoryBytes: cap }).result;
      expect(capped.store).toBeInstanceOf(WasmStore);
      const a = capped.store as WasmStore;
      const b = whole.store as WasmStore;
      expect(a.movedOut).toBeGreaterThan(0);
      expect({ ...capped.stats, seconds: 0 }).toEqual({ ...whole.stats, seconds: 0 });
      expect(storeDifferences(a, b)).toEqual([]);
      const program = load(readFileSync(model, 'utf8'), modelSets, model);
      const properties = [...new Set(program.expectations.map((e) => e.property))];
      const one = await checkProgram(program, { progress: false, properties });
      const less = await checkProgram(program, { progress: false, properties, wasmMemoryBytes: cap });
      expect(timeless(less)).toEqual(timeless(one));
    }, 60_000);
  }

  it('the memory limit ends the core inconclusive, as it ends the JavaScript loop', async () => {
    const program = load(readFileSync('models/aarch64-003/context-switch-lock.sched', 'utf8'), ['CPUS=2', 'THREADS=5'], file);
    const report = await checkProgram(program, { progress: false, properties: ['no-deadlock'], maxMemoryMb: 1 });
    expect(report.results[0]!.verdict).toBe('inconclusive');
    expect(report.results[0]!.verdict === 'inconclusive' && report.results[0]!.reason).toBe('max-memory');
  });
});

// The core hands a monitor's onState only the new states it could learn something from (Monitor.stateReads,
// coresearch.ts): states with events, watched facts not seen before, or no progress. The JavaScript loop hands
// it every state. Both must end with the same findings, figures and statistics.
describe('the core hands the monitors only the new states they read', () => {
  const properties: PropertyId[] = ['no-deadlock', 'irq-lock-safety', 'eoi-discipline', 'lock-order', 'assertions'];
  function counted(file: string, sets: string[], searchLoop: 'wasm' | 'js') {
    const calls = new Map<PropertyId, number>();
    const model = buildModel(load(readFileSync(file, 'utf8'), sets, file));
    const monitors = (x: Exploration): Map<PropertyId, Monitor> => {
      const map = new Map<PropertyId, Monitor>();
      for (const id of properties) {
        const m = PROPERTIES[id].monitor(x);
        if ('notCheckable' in m) continue;
        calls.set(id, 0);
        const onState = m.onState?.bind(m);
        map.set(id, onState === undefined ? m : { ...m, onState: (i, s, e) => (calls.set(id, calls.get(id)! + 1), onState(i, s, e)) });
      }
      return map;
    };
    const result = explore(model, monitors, { progress: false, searchLoop });
    return { result, calls: Object.fromEntries(calls) };
  }
  const cases: [string, string[], Record<string, number>, Record<string, number>][] = [
    // A correct design: nothing found, every state searched. The initial state, and two whose lock usage or lines
    // in service had not been seen before, of 163,989.
    ['models/forkexec-004/redesign-need-resched.sched', ['CPUS=2', 'THREADS=2'], { 'no-deadlock': 3, 'irq-lock-safety': 3, 'eoi-discipline': 3, 'lock-order': 3, assertions: 3 }, { 'no-deadlock': 163_989, 'irq-lock-safety': 163_989, 'eoi-discipline': 163_989, 'lock-order': 163_989, assertions: 163_989 }],
    // The ABBA of the old handler: the same first finding of each property by both loops, from 6 states of
    // 78,633 (lock-order closes at its first finding).
    ['models/forkexec-004/old-handler-abba.sched', ['CPUS=2', 'THREADS=2'], { 'no-deadlock': 6, 'irq-lock-safety': 6, 'eoi-discipline': 6, 'lock-order': 5, assertions: 6 }, { 'no-deadlock': 853, 'irq-lock-safety': 78_633, 'eoi-discipline': 78_633, 'lock-order': 295, assertions: 78_633 }],
  ];
  for (const [file, sets, expected, everyState] of cases) {
    it(`${file} ${sets.join(' ')}`, () => {
      const wasm = counted(file, sets, 'wasm');
      const js = counted(file, sets, 'js');
      expect(wasm.calls).toEqual(expected);
      expect(js.calls).toEqual(everyState);
      const findings = (r: typeof wasm.result) => [...r.findings].map(([id, f]) => [id, f.finding.state, f.finding.action, f.finding.message, f.stats.states]);
      expect(findings(wasm.result)).toEqual(findings(js.result));
      expect({ ...wasm.result.stats, seconds: 0 }).toEqual({ ...js.result.stats, seconds: 0 });
      expect(wasm.result.figures).toEqual(js.result.figures);
    }, 60_000);
  }
});
