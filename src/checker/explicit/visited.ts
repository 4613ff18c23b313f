// What the rest of the checker may ask of a finished search's visited states: the exact stores and the original
// StateStore answer it themselves; where the stored states are not the states (hash compaction, symmetry) a
// replaying view answers for them.

import type { Model } from '../../ir/model.js';
import type { Symmetry } from './symmetry.js';

export interface VisitedStates {
  readonly count: number;
  /** Bytes the store holds for its states (arena, tables, trace records kept in memory). */
  readonly bytes: number;
  state(id: number): Uint32Array;
  parent(id: number): number;
  action(id: number): number;
  depth(id: number): number;
  /** States and actions from an initial state to `id`: states.length = actions.length + 1. */
  path(id: number): { states: Uint32Array[]; actions: number[] };
}

/** The path to `id` by parent pointers, for a store that keeps every state (VisitedStates.path). */
export function storedPath(
  store: Pick<VisitedStates, 'state' | 'parent' | 'action'>,
  id: number,
): { states: Uint32Array[]; actions: number[] } {
  const ids: number[] = [];
  for (let at = id; at >= 0; at = store.parent(at)) ids.push(at);
  ids.reverse();
  return { states: ids.map((i) => store.state(i)), actions: ids.slice(1).map((i) => store.action(i)) };
}

/**
 * A view of finished search whose paths are replayed: the actions along the parent pointers, applied to the
 * initial state the path starts from. Needed when the stored states are not the states themselves (hash
 * compaction keeps none, symmetry keeps a representative of each orbit).
 */
export function replaying(
  store: Pick<VisitedStates, 'count' | 'bytes' | 'parent' | 'action' | 'depth'> & { state(id: number): Uint32Array },
  model: Model,
  symmetry: Symmetry | null,
): VisitedStates {
  return {
    get count() {
      return store.count;
    },
    get bytes() {
      return store.bytes;
    },
    state: (id) => store.state(id),
    parent: (id) => store.parent(id),
    action: (id) => store.action(id),
    depth: (id) => store.depth(id),
    path(id) {
      const actions: number[] = [];
      let root = id;
      for (let at = id; at >= 0; at = store.parent(at)) {
        root = at;
        if (store.parent(at) >= 0) actions.push(store.action(at));
      }
      actions.reverse();
      const inits = model.initialStates();
      // The root is the root-th distinct initial state (initial states are admitted first, in order).
      const distinct: Uint32Array[] = [];
      const canon = (s: Uint32Array) => (symmetry === null ? s.join(',') : symmetry.canonical(s, new Uint32Array(s.length)).join(','));
      const seen = new Set<string>();
      for (const s of inits) {
        const key = canon(s);
        if (!seen.has(key)) {
          seen.add(key);
          distinct.push(s);
        }
      }
      const states = [distinct[root] ?? inits[0]!];
      for (const a of actions) states.push(model.successor(states[states.length - 1]!, a).next);
      return { states, actions };
    },
  };
}
