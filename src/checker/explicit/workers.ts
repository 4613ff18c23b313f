// The driver of a partitioned search (partition.ts): shards in threads of their own (`check --workers N`), or all
// in this thread (`inProcess`: the tests, and the bench's simulated partitions). Level by level, every shard
// expands its part of the level, the records each found for the others are handed to their owners, and every
// shard stores what it received; the search ends when a level adds no state, a shard finds a violation, or a
// bound is reached.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { Program, PropertyId } from '../../ir/ir.js';
import type { InconclusiveReason, Stats } from '../verdict.js';
import { ProgressLine } from './progress.js';
import { PROPERTIES } from '../properties/index.js';
import type { CompiledImage } from './compile.js';
import { Shard, type Batch, type Finished, type LevelReport, type Received, type ShardSpec } from './partition.js';

/**
 * The shards could not start: a worker thread, or the memory of a shard's store, was refused (an address-space
 * limit, the thread limit). The driver runs the search in one thread instead.
 */
export class ShardsUnavailable extends Error {}

/** The search a one-shard run hands over at the end of a level (explore.ts). */
export interface Handover {
  /** Per shard: records of (hash, words) in breadth-first order, as the core's absorb stores them. */
  records: Int32Array[];
  /** Per shard: how many of its records are of each depth, from 0 on. */
  levels: Int32Array[];
  /** The depth of the level to expand next. */
  frontier: number;
  /** The words the owner's hash leaves out (ownership.ts). */
  leftOut: number[];
  /** Transitions made so far. */
  transitions: number;
  /** What the monitors that gather (Monitor.gathered) gathered so far, by property. */
  gathered: [PropertyId, unknown][];
}

export interface PartitionedOutcome {
  /** A shard's monitor found a violation (where is left to a one-shard run). */
  found: boolean;
  stop: { reason: InconclusiveReason; detail: string } | null;
  stats: Stats;
  /** Worst value of every figure slot over every shard (figures.ts's order), for a complete search. */
  figureWorsts: number[] | null;
  /** Records handed from shard to shard, for the bench's figures on partitions. */
  handedOver: number;
}

/** A shard's answer to the states handed over. */
interface Seeded {
  count: number;
  stop: LevelReport['stop'];
}

interface ShardHandle {
  /** Runs in this thread: its steps run synchronously, after the threads' have been asked for theirs. */
  readonly local: boolean;
  /** Stores the states handed over; the states the shard then holds, and the bound that stopped it, if one did. */
  seed(records: Int32Array, levels: Int32Array, frontier: number, leftOut: number[]): Promise<Seeded>;
  /** The shard's part of level `depth` (Shard.step), and per shard the records found for it. */
  step(inboxes: Received[], depth: number): Promise<{ report: LevelReport; out: Batch[] }>;
  /** At the end of a complete search: the shard's figures and what its monitors gathered. */
  finish(): Promise<Finished>;
  close(): Promise<void>;
}

export interface PartitionOptions {
  program: Program;
  properties: PropertyId[];
  shards: number;
  /** Run every shard in this thread instead of a worker thread each (the tests, the bench's simulations). */
  inProcess?: boolean;
  started: number;
  timeoutSeconds?: number;
  memoryLimit: number;
  wasmMemoryBytes?: number;
  /** `check --spill-dir` (ExploreBounds.spillDir). */
  spillDir?: string;
  /** The progress line on stderr (ExploreBounds.progress), once per level. */
  progress?: boolean;
  /** The program's compiled module, for the shards to instantiate (ShardSpec.image). */
  image?: CompiledImage;
}

/**
 * A shard in this thread. Its methods are async, so that an error in its synchronous step becomes a rejected
 * promise beside the threads' (searchPartitioned awaits them all), not a throw that leaves theirs unawaited.
 */
function localShard(spec: ShardSpec): ShardHandle {
  let shard: Shard | null = null;
  const made = (): Shard => shard ?? (shard = new Shard(spec));
  return {
    local: true,
    seed: async (records, levels, frontier, leftOut) => {
      const stop = made().seed(records, levels, frontier, leftOut);
      return { count: made().count, stop };
    },
    step: async (inboxes, depth) => {
      const report = made().step(inboxes, depth);
      return { report, out: made().takeAll() };
    },
    finish: async () => made().finish(),
    close: async () => {},
  };
}

/**
 * A worker thread running shardworker: built, the one file the build bundles it into (scripts/bundle-worker.mjs,
 * quicker to load than its modules one by one) or, if there is none, the built file beside this one; run from
 * source (the tests), the source loaded through tsx, which a worker must register itself. The bootstrap holds two
 * file URLs, nothing else.
 */
function shardWorker(options: WorkerOptions): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    const bundle = new URL('./shardworker.bundle.js', import.meta.url);
    return new Worker(existsSync(bundle) ? bundle : new URL('./shardworker.js', import.meta.url), options);
  }
  const api = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  const entry = new URL('./shardworker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(api)}).then((m) => m.register()).then(() => import(${JSON.stringify(entry)}))`;
  return new Worker(boot, { ...options, eval: true });
}

/**
 * A shard in a worker thread of its own, which starts (and builds its shard) at once and waits for its states. It
 * adds 1 to `settled[0]` once it has built its shard or failed to.
 */
function threadShard(spec: ShardSpec, settled: Int32Array): ShardHandle {
  const worker = shardWorker({ workerData: { spec, settled } });
  // Replies come in the order of the requests, one request at a time; 'booted' comes first, unasked.
  const waiting: { resolve: (v: any) => void; reject: (e: Error) => void }[] = [];
  let failed: Error | null = null;
  const fail = (error: Error): void => {
    failed = error;
    for (const w of waiting.splice(0)) w.reject(error);
  };
  worker.on('message', (msg: { kind: string; message?: string }) => {
    if (msg.kind === 'error') return fail(new Error(`a search worker failed: ${msg.message}`));
    if (msg.kind === 'booted') return;
    waiting.shift()?.resolve(msg);
  });
  worker.on('error', (error) => fail(error));
  worker.on('exit', (code) => fail(new Error(`a search worker stopped (exit code ${code})`)));
  const ask = <T>(msg: object, transfer: ArrayBuffer[] = []): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (failed !== null) return reject(failed);
      waiting.push({ resolve, reject });
      worker.postMessage(msg, transfer);
    });
  return {
    local: false,
    seed: (records, levels, frontier, leftOut) => ask<Seeded>({ kind: 'seed', seed: records, levels, frontier, leftOut }, [records.buffer as ArrayBuffer]),
    step: (inboxes, depth) => ask({ kind: 'step', inboxes, depth }),
    finish: async () => (await ask<{ finished: Finished }>({ kind: 'finish' })).finished,
    close: async () => {
      await worker.terminate();
    },
  };
}

/**
 * The shards of a partitioned search, started before its states are handed over: shard 0 in this thread (which
 * would otherwise only wait), each other one in a worker thread of its own, which boots while this thread still
 * searches. `inProcess`: every shard in this thread.
 */
export class ShardPool {
  readonly handles: ShardHandle[] = [];
  /** Why a worker thread could not be started, if one could not. */
  private refused: Error | null = null;
  /** How many of the worker threads have built their shard or failed to (the threads write it). */
  private readonly settled = new Int32Array(new SharedArrayBuffer(4));
  private threads = 0;

  constructor(readonly options: PartitionOptions) {
    const spec = (shard: number): ShardSpec => ({
      program: options.program,
      properties: options.properties,
      shard,
      shards: options.shards,
      started: options.started,
      timeoutSeconds: options.timeoutSeconds,
      memoryLimit: options.memoryLimit,
      wasmMemoryBytes: options.wasmMemoryBytes,
      spillDir: options.spillDir,
      ...(options.image === undefined ? {} : { image: options.image }),
    });
    try {
      for (let s = 0; s < options.shards; s++) {
        const local = s === 0 || options.inProcess === true;
        this.handles.push(local ? localShard(spec(s)) : threadShard(spec(s), this.settled));
        if (!local) this.threads++;
      }
    } catch (error) {
      this.refused = error instanceof Error ? error : new Error(String(error));
    }
  }

  /**
   * Whether every worker thread has built its shard (or failed to, which the handover then reports): read by the
   * search that hands its states over, which goes on until then instead of waiting (ExploreBounds.handover.ready).
   */
  ready(): boolean {
    return this.refused !== null || Atomics.load(this.settled, 0) >= this.threads;
  }

  /**
   * Hands each shard its states: the bound a shard met storing them (the memory limit), if one did;
   * ShardsUnavailable when a shard cannot take them.
   */
  async seed(handover: Handover): Promise<LevelReport['stop']> {
    let seeded: Seeded[];
    try {
      if (this.refused !== null) throw this.refused;
      seeded = await Promise.all(this.handles.map((h, s) => h.seed(handover.records[s]!, handover.levels[s]!, handover.frontier, handover.leftOut)));
    } catch (error) {
      throw new ShardsUnavailable(error instanceof Error ? error.message : String(error));
    }
    return seeded.find((s) => s.stop !== null)?.stop ?? null;
  }

  async close(): Promise<void> {
    await Promise.all(this.handles.map((h) => h.close()));
  }
}

/**
 * Runs the rest of a handed-over search over `options.shards` shards: those of `pool` when the caller started them
 * ahead, else new ones.
 */
export async function searchPartitioned(handover: Handover, options: PartitionOptions, pool = new ShardPool(options)): Promise<PartitionedOutcome> {
  const handles = pool.handles;
  const progress = ProgressLine.forStderr(options.progress);
  try {
    const seeded = await pool.seed(handover);
    let depth = handover.frontier;
    let transitions = handover.transitions;
    let handedOver = 0;
    const outcome = (found: boolean, stop: PartitionedOutcome['stop'], reports: LevelReport[], figureWorsts: number[] | null): PartitionedOutcome => ({
      found,
      stop,
      stats: { states: reports.reduce((n, r) => n + r.count, 0), transitions, depth, seconds: (Date.now() - options.started) / 1000 },
      figureWorsts,
      handedOver,
    });
    if (seeded !== null) {
      // A bound met storing the states handed over: the search ends with them.
      const states = handover.levels.reduce((n, l) => n + l.reduce((a, b) => a + b, 0), 0);
      const reports = [{ count: states, level: 0, transitions: 0, sent: 0, found: false, stop: seeded }];
      return outcome(false, endOf(reports, options)!.stop, reports, null);
    }
    // One exchange per level: every shard stores what the others found at this depth, then expands the level. The
    // threads are asked first: a shard in this thread steps synchronously, while they work.
    const order = handles.map((h, s) => s).sort((a, b) => Number(handles[a]!.local) - Number(handles[b]!.local));
    let inboxes: Received[][] = handles.map(() => []);
    for (;;) {
      const asked: Promise<{ report: LevelReport; out: Batch[] }>[] = new Array(handles.length);
      for (const s of order) asked[s] = handles[s]!.step(inboxes[s]!, depth);
      const stepped = await Promise.all(asked);
      const reports = stepped.map((e) => e.report);
      const states = reports.reduce((n, r) => n + r.count, 0);
      progress.tick(states, reports.reduce((n, r) => n + r.sent, 0), depth);
      transitions += reports.reduce((n, r) => n + r.transitions, 0);
      handedOver += reports.reduce((n, r) => n + r.sent, 0);
      const ended = endOf(reports, options);
      if (ended !== null) return outcome(ended.found, ended.stop, reports, null);
      if (reports.every((r) => r.level === 0)) {
        // The level is empty: the search is complete, its depth the level before.
        depth--;
        const finished = await Promise.all(handles.map((h) => h.finish()));
        const figureWorsts = finished[0]!.figures.map((_, i) => Math.max(...finished.map((f) => f.figures[i]!)));
        // What the monitors that gather gathered, in the search before the handover and in every shard: a
        // violation there is found again, with its path, by one thread.
        const found = combinedViolation([handover.gathered, ...finished.map((f) => f.gathered)]);
        return outcome(found, null, reports, found ? null : figureWorsts);
      }
      inboxes = handles.map((_, to) => stepped.map((e, from): Received => ({ from, ...e.out[to]! })).filter((b) => b.length > 0 || b.buffer !== null));
      depth++;
    }
  } finally {
    progress.done();
    await pool.close();
  }
}

/** Whether what monitors gathered (per part of the search: by property, Monitor.gathered) shows a violation together. */
function combinedViolation(parts: [PropertyId, unknown][][]): boolean {
  const byProperty = new Map<PropertyId, unknown[]>();
  for (const part of parts) for (const [id, gathered] of part) byProperty.set(id, [...(byProperty.get(id) ?? []), gathered]);
  return [...byProperty].some(([id, gathered]) => PROPERTIES[id].violatedBy!(gathered));
}

/** A level's reports: a violation found or a bound reached ends the search. */
function endOf(reports: LevelReport[], options: PartitionOptions): { found: boolean; stop: PartitionedOutcome['stop'] } | null {
  if (reports.some((r) => r.found)) return { found: true, stop: null };
  const stopped = reports.find((r) => r.stop !== null);
  if (stopped === undefined) return null;
  const states = reports.reduce((n, r) => n + r.count, 0);
  const stop = stopped.stop!;
  if (stop.reason === 'timeout') return { found: false, stop: { reason: 'timeout', detail: `stopped after ${options.timeoutSeconds} s (--timeout) with ${states} states` } };
  return { found: false, stop: { reason: stop.reason, detail: `${stop.detail} with ${states} states` } };
}
