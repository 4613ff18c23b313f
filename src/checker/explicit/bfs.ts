// Breadth-first search in JavaScript, over a Store (arena, hash compaction, or the WebAssembly store when the
// core cannot run) and an Expander (compiled code or the reference model). Ids are discovery order, so the queue
// is the id range still to expand and every counterexample rebuilt from parent pointers is a shortest one. The
// driver (explore.ts) builds the parts and turns a bound reached into the result.

import type { Admission } from './admission.js';
import type { SearchBounds } from './bounds.js';
import type { Expander } from './expander.js';
import type { SearchObserver } from './observer.js';
import type { Store } from './searchstore.js';

/** What a search loop works with (this one, and the WebAssembly core's in coresearch.ts). */
export interface SearchParts {
  readonly store: Store;
  readonly expander: Expander;
  readonly admission: Admission;
  readonly observer: SearchObserver;
  readonly bounds: SearchBounds;
  /** The most actions a state can have. */
  readonly room: number;
}

/** Expands every state in id order until none is left or no monitor is open. */
export function breadthFirst(parts: SearchParts): void {
  const { store, expander, observer, bounds } = parts;
  const open = observer.monitors.open;
  const actions = new Int32Array(parts.room);
  let due = 0;
  for (let id = 0; id < store.count && open.size > 0; id++) {
    if (id >= due) due = bounds.periodic(id);
    const current = expander.current;
    store.copyInto(id, current);
    store.expanding(id);
    const depth = store.depth(id);
    observer.begin(id);
    const count = expander.actions(current, actions);
    if (bounds.maxDepth !== undefined && depth >= bounds.maxDepth && bounds.cutsAt(count, actions)) continue;
    expandState(parts, id, depth, actions, count);
  }
}

/**
 * Every transition of state `id` (in `expander.current`), whose `count` actions are in `actions`. Its own
 * function, so that the JIT compiles the hot loop alone.
 */
function expandState(parts: SearchParts, id: number, depth: number, actions: Int32Array, count: number): void {
  const { store, expander, admission, observer } = parts;
  const current = expander.current;
  const currentA = store.hashOf(id);
  const currentB = store.hashBOf(id);
  const observed = observer.monitors.readsEvents;
  for (let j = 0; j < count; j++) {
    const action = actions[j]!;
    const successor = expander.step(current, action, observed);
    observer.transitions++;
    const to = successor === null ? -1 : admission.admit(successor, id, action, depth + 1, current, currentA, currentB, expander.written);
    if (observed) observer.transition(id, action, expander.events, to, successor === null);
  }
}
