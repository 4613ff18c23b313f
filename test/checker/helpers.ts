// Models for tests, written in the model language: loading them, building their Model, checking them.

import { checkProgram, type CheckOptions } from '../../src/checker/check.js';
import type { Action, Model, Successor } from '../../src/ir/model.js';
import type { CheckReport, Counterexample, PropertyResult } from '../../src/checker/verdict.js';
import { buildModel } from '../../src/hw/build.js';
import type { Program, PropertyId } from '../../src/ir/ir.js';
import { formatDiagnostic } from '../../src/lang/diagnostics.js';
import { loadModelFromText } from '../../src/lang/load.js';
import type { WasmStore } from '../../src/checker/explicit/wasmstore.js';

/** The program of a model text; a diagnostic is a test bug, so it throws with the diagnostics printed. */
export function load(text: string, sets: string[] = [], file = 'test.sched'): Program {
  const { diagnostics, program } = loadModelFromText(text, file, sets);
  if (program === null) throw new Error(diagnostics.map((d) => formatDiagnostic(d, text)).join('\n'));
  return program;
}

export function modelOf(text: string, sets: string[] = []): Model {
  return buildModel(load(text, sets));
}

export async function check(text: string, properties?: PropertyId[], options: CheckOptions = {}): Promise<CheckReport> {
  return checkProgram(load(text), { progress: false, ...options, ...(properties ? { properties } : {}) });
}

export function result(report: CheckReport, property: PropertyId): PropertyResult {
  const r = report.results.find((x) => x.property === property);
  if (r === undefined) throw new Error(`no result for ${property}`);
  return r;
}

export function cexOf(report: CheckReport, property: PropertyId): Counterexample {
  const r = result(report, property);
  if (r.verdict !== 'violated') throw new Error(`${property} is ${r.verdict}, not violated`);
  return r.counterexample;
}

/** `verdict states length` of one result, for compact pinned expectations. */
export function summary(report: CheckReport, property: PropertyId): string {
  const r = result(report, property);
  if (r.verdict === 'violated') return `violated ${r.stats.states} ${r.counterexample.length}`;
  if (r.verdict === 'inconclusive') return `inconclusive ${r.reason}`;
  return `holds ${r.stats.states}`;
}

/** Labels of the enabled actions, as `cpu: text`. */
export function enabled(model: Model, state: Uint32Array): string[] {
  return model.actions(state).map((a) => `${model.label(a).cpu}: ${model.label(a).text}`);
}

/** The enabled action labelled `text` on `cpu`. */
export function find(model: Model, state: Uint32Array, text: string, cpu = 0): Action {
  const action = model.actions(state).find((a) => model.label(a).text === text && model.label(a).cpu === cpu);
  if (action === undefined) throw new Error(`'${text}' on CPU ${cpu} is not enabled; enabled: ${enabled(model, state).join(' | ')}`);
  return action;
}

/** Follows actions by their labels (`text` on CPU 0, or [text, cpu]) from the initial state. */
export function walk(model: Model, ...texts: (string | [string, number])[]): Uint32Array {
  let state = model.initialStates()[0]!;
  for (const t of texts) {
    const [text, cpu] = typeof t === 'string' ? [t, 0] : t;
    state = model.successor(state, find(model, state, text, cpu)).next;
  }
  return state;
}

/**
 * Breadth-first over the reference model's reachable states, the first `limit` of them, a fatal step ending its
 * path: `onState` sees each state with its index, then `onStep` each of its actions with the reference successor.
 */
export function referenceWalk(
  model: Model,
  limit: number,
  onState: (state: Uint32Array, index: number) => void,
  onStep: (state: Uint32Array, index: number, action: Action, successor: Successor) => void,
): void {
  const seen = new Set<string>();
  const queue = model.initialStates();
  for (const s of queue) seen.add(s.join(','));
  for (let i = 0; i < queue.length && i < limit; i++) {
    const s = queue[i]!;
    onState(s, i);
    for (const action of model.actions(s)) {
      const r = model.successor(s, action);
      onStep(s, i, action, r);
      if (r.events.some((e) => e.kind === 'violation' && e.fatal)) continue;
      const key = r.next.join(',');
      if (!seen.has(key)) {
        seen.add(key);
        queue.push(r.next);
      }
    }
  }
}

/**
 * Where store `a` differs from store `b` (the first three places): a state, its entries (parent, action, hash),
 * or what `find` answers for it. For stores that must hold the same states under the same ids.
 */
export function storeDifferences(a: WasmStore, b: WasmStore): string[] {
  const differences: string[] = [];
  for (let id = 0; id < a.count && differences.length < 3; id++) {
    const state = a.state(id);
    if (!b.state(id).every((w, i) => w === state[i])) differences.push(`state ${id}`);
    if (a.parent(id) !== b.parent(id) || a.action(id) !== b.action(id) || a.hashOf(id) !== b.hashOf(id)) differences.push(`entries of ${id}`);
    if (a.find(state) !== id) differences.push(`find ${id}`);
  }
  return differences;
}
