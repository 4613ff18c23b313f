// Where each breadth-first level starts in a store's ids (ids are given in breadth-first order), shared by the
// exact store and the hash-compaction store: the depth of a state is found from its id, never stored per state.

export class LevelStarts {
  private starts = new Int32Array(16);
  /** Number of levels begun. */
  count = 0;

  /** Levels up to `depth` begin at `id` (a state at `depth` is the first of its level). */
  reach(depth: number, id: number): void {
    while (this.count <= depth) {
      if (this.count === this.starts.length) {
        const bigger = new Int32Array(this.starts.length * 2);
        bigger.set(this.starts);
        this.starts = bigger;
      }
      this.starts[this.count++] = id;
    }
  }

  /** The first id of level `d` (d < count). */
  start(d: number): number {
    return this.starts[d]!;
  }

  /** The level of `id`: the last one that starts at or before it. */
  depthOf(id: number): number {
    return levelOf(this.starts, 0, this.count, id);
  }

  get byteLength(): number {
    return this.starts.byteLength;
  }
}

/** The level of `id` among `count` level starts at `starts[at..]`: the last one that starts at or before it. */
export function levelOf(starts: Int32Array, at: number, count: number, id: number): number {
  let lo = 0;
  let hi = count - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (starts[at + mid]! <= id) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
