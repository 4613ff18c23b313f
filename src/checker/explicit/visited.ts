// What the rest of the checker may ask of a finished search's visited states: the exact store, the
// hash-compaction store and the original StateStore all answer it.

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
