// The bounds of a search (--max-states, --max-depth, --timeout, --max-memory) and the progress line. A bound
// reached ends the run as incomplete (a Stop the driver turns into the result), never a crash.

import type { Model } from '../../ir/model.js';
import type { Checkpoint, CheckpointOf } from './checkpoint.js';
import type { Admission } from './admission.js';
import type { InconclusiveReason } from '../verdict.js';
import { fatal, type Expander } from './expander.js';
import type { ProgressLine } from './progress.js';
import type { Store } from './searchstore.js';
import { MemoryBudgetExceeded } from './store.js';

export interface ExploreBounds {
  maxStates?: number;
  maxDepth?: number;
  timeoutSeconds?: number;
  maxMemoryMb?: number;
  progress?: boolean;
  /** Keep 64-bit fingerprints instead of whole states (hashcompact.ts). */
  hashCompaction?: boolean;
  /** Store one canonical state per permutation of interchangeable threads (symmetry.ts). */
  symmetry?: boolean;
  /**
   * Which loop runs an exact search: the WebAssembly core (coresearch.ts; the default when the model compiles
   * to WebAssembly) or the JavaScript one (bfs.ts; always used with a reduction). Tests hold the two to each other.
   */
  searchLoop?: 'wasm' | 'js';
  /**
   * What computes successors: the compiled code (the default when the model compiles) or the reference
   * interpreter alone. Tests hold the two to each other on whole state spaces.
   */
  successors?: 'compiled' | 'reference';
  /** The WebAssembly store's memory cap in bytes, a multiple of 64 KiB (default 4 GiB; tests set less). */
  wasmMemoryBytes?: number;
  /**
   * `check --spill-dir`: the chunks of states the WebAssembly store moves out of its memory go to a file in this
   * directory (movedchunks.ts), and the store moves them from half the memory limit on (or its cap, if lower).
   */
  spillDir?: string;
  /**
   * Swarm job `job` (1-based): a hash-compacted search with the job's own fingerprint functions and, past job 1,
   * its own order of each state's actions (swarmorder.ts). Implies hash compaction.
   */
  swarmJob?: number;
  /**
   * Hand the search over to `shards` shards (workers.ts) at the end of the first level that ends with at least
   * `handoverAt` states, where a partitioned search can check every property asked (each monitor is local, no
   * reduction, no --max-states or --max-depth): the result then carries the handover instead of a verdict.
   * `prepare` is called once when such a search first holds a twentieth of `at` states, so that the shards' threads
   * start while this one goes on; until `ready` says they have (the search reads it at the end of each level from
   * `at` states on), this one goes on searching instead of waiting for them.
   */
  handover?: { at: number; shards: number; prepare?: () => void; ready?: () => boolean };
  /** Write checkpoints of the search to `dir` (checkpoint.ts), every `everySeconds` and at a timeout. */
  checkpoint?: { dir: string; of: CheckpointOf; everySeconds: number };
  /** Go on with the search a checkpoint holds. */
  resume?: Checkpoint;
}

/** A bound was reached: the search ends, incomplete. */
export class Stop extends Error {
  constructor(
    readonly reason: InconclusiveReason,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** The Stop for --max-states. */
export function statesReached(store: Store, maxStates: number | undefined): Stop {
  return new Stop('max-states', `stopped after ${store.count} states (--max-states ${maxStates})`);
}

/** States expanded between two looks at the bounds, at most (the store makes room for their successors first). */
export const BATCH = 1024;
/** What a batch should take, at most, in milliseconds: the time bound and the progress line are met to about this. */
const BATCH_MS = 100;

export class SearchBounds {
  /** A state at --max-depth had a step leading somewhere new (or crashing): the run is incomplete. */
  depthCut = false;
  readonly maxStates: number | undefined;
  readonly maxDepth: number | undefined;

  /**
   * @param started when the search began (Date.now()), for --timeout
   * @param fits the memory gauge (memory.ts)
   * @param admission for the key a state is stored under (its canonical form under symmetry)
   */
  constructor(
    private readonly bounds: ExploreBounds,
    private readonly started: number,
    private readonly fits: (extraBytes: number) => boolean,
    private readonly model: Model,
    private readonly store: Store,
    private readonly expander: Expander,
    private readonly admission: Admission,
    private readonly progress: ProgressLine,
    private readonly room: number,
  ) {
    this.maxStates = bounds.maxStates;
    this.maxDepth = bounds.maxDepth;
  }

  statesReached(): Stop {
    return statesReached(this.store, this.maxStates);
  }

  /**
   * States expanded between two calls of `periodic`: BATCH, fewer while each state takes long (adapt). It starts
   * at 1 and doubles while batches are quick: the first states may be the slow ones.
   */
  private stride = 1;
  private batchStarted = Date.now();
  /** When the memory gauge was last read: at least every 16384 states and every second. */
  private gaugedAt = { id: 0, time: Date.now() };

  /**
   * Every BATCH states or fewer (adapt): the time and memory bounds, room in the store for the successors of the
   * next batch (so that storing a state never allocates inside the hot loop), and the progress line. Returns the
   * id at which it is due next.
   */
  periodic(id: number): number {
    const store = this.store;
    const now = Date.now();
    const timeout = this.bounds.timeoutSeconds;
    if (timeout !== undefined && now - this.started >= timeout * 1000) {
      throw new Stop('timeout', `stopped after ${timeout} s (--timeout) with ${store.count} states`);
    }
    // Room for the successors of the next batch: of BATCH states of a few hundred successors each, a few hundred
    // thousand; of a state of thousands of successors of thousands of words, room for 1024 of them was gigabytes
    // of store made before the first step.
    const stride = this.adapt(now);
    store.maintain(stride * this.room);
    this.expander.rebind();
    // Allocations ask `fits` themselves; this catches what the monitors and the rest of the process hold.
    if (id - this.gaugedAt.id >= 16384 || now - this.gaugedAt.time >= 1000) {
      this.gaugedAt = { id, time: now };
      if (!this.fits(0)) throw new MemoryBudgetExceeded();
    }
    this.progress.tick(store.count, store.count - id, store.depth(id));
    // The next multiple of the stride: batches of BATCH stay aligned as they were (checkpoints are taken there).
    return (Math.floor(id / stride) + 1) * stride;
  }

  /**
   * The states to expand before the next `periodic`. A state of thousands of successors of thousands of words
   * takes tens of milliseconds: 1024 of them went a minute past --timeout, with no progress line. The stride
   * shrinks until a batch takes about BATCH_MS, and grows back to BATCH when states are quick again.
   */
  private adapt(now: number): number {
    const took = now - this.batchStarted;
    this.batchStarted = now;
    if (took > 2 * BATCH_MS) this.stride = Math.max(1, Math.floor((this.stride * BATCH_MS) / took));
    else if (took < BATCH_MS / 4 && this.stride < BATCH) this.stride = Math.min(BATCH, this.stride * 2);
    return this.stride;
  }

  /**
   * A state at --max-depth (in `expander.current`, its `count` actions in `actions`): whether the search is cut.
   * A state whose every step leads to a state already found is expanded like any other, so that the monitors
   * and the stored graph see all of its transitions. Once a step leads somewhere new (or crashes), the search is
   * cut at the bound for good, and the run is incomplete.
   */
  cutsAt(count: number, actions: Int32Array): boolean {
    if (this.depthCut) return true;
    const store = this.store;
    const current = this.expander.current;
    let cut = false;
    for (let j = 0; j < count && !cut; j++) {
      const { next: after, events } = this.model.successor(current, actions[j]!);
      const key = this.admission.keyOf(after);
      store.hashWhole(key);
      cut = fatal(events) || store.find(key, store.hasher.a, store.hasher.b) < 0;
    }
    this.depthCut = cut;
    return cut;
  }
}
