// A swarm job's search order (swarm verification: Holzmann, Joshi and Groce, IEEE TSE 2011). Job I of N lists
// each state's enabled actions in an order of its own, drawn from a generator seeded by I, so that under the
// same bound the N jobs reach different states first; with their different fingerprint functions
// (hashcompact.ts, salted by the job) a state one job loses to a collision another keeps. The search itself is
// unchanged: this expander wraps the one explore.ts chose, and only a swarm job pays for it.

import type { ModelEvent } from '../../ir/model.js';
import type { Expander } from './expander.js';

/** The salt of job `job` (1-based): 0 for job 1, whose search is the plain hash-compacted one. */
export function swarmSalt(job: number): number {
  if (job <= 1) return 0;
  let h = Math.imul(job, 0x9e3779b9);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return (h | 1) >>> 0; // never 0: another hash function than job 1's
}

export class SwarmOrderExpander implements Expander {
  /** xorshift32 state: never 0. */
  private seed: number;

  constructor(
    private readonly inner: Expander,
    job: number,
  ) {
    this.seed = swarmSalt(job) || 1;
  }

  get current(): Uint32Array {
    return this.inner.current;
  }

  get events(): readonly ModelEvent[] {
    return this.inner.events;
  }

  get written(): number {
    return this.inner.written;
  }

  get dirty(): Int32Array | null {
    return this.inner.dirty;
  }

  /** The inner expander's actions, shuffled (Fisher-Yates) by the job's generator. */
  actions(state: Uint32Array, out: Int32Array): number {
    const count = this.inner.actions(state, out);
    let x = this.seed;
    for (let i = count - 1; i > 0; i--) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const j = (x >>> 0) % (i + 1);
      const t = out[i]!;
      out[i] = out[j]!;
      out[j] = t;
    }
    this.seed = x >>> 0 || 1;
    return count;
  }

  step(state: Uint32Array, action: number, observed: boolean): Uint32Array | null {
    return this.inner.step(state, action, observed);
  }

  stateEvents(state: Uint32Array): readonly ModelEvent[] {
    return this.inner.stateEvents(state);
  }

  rebind(): void {
    this.inner.rebind();
  }
}
