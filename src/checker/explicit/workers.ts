// The driver of a partitioned search (partition.ts): shards in threads of their own (`check --workers N`), or all
// in this thread (`inProcess`: the tests, and the bench's simulated partitions). Level by level, every shard
// expands its part of the level, the records each found for the others are handed to their owners, and every
// shard stores what it received; the search ends when a level adds no state, a shard finds a violation, or a
// bound is reached.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { Program, PropertyId } from '../../ir/ir.js';
import type { InconclusiveReason, Stats } from '../verdict.js';
import { ProgressLine } from './progress.js';
import { Shard, type Batch, type LevelReport, type Received, type ShardSpec } from './partition.js';

/**
 * The shards could not start: a worker thread, or the memory of a shard's store, was refused (an address-space
 * limit, the thread limit). The driver runs the search in one thread instead.
 */
export class ShardsUnavailable extends Error {}

/** The search a one-shard run hands over at the end of a level (explore.ts). */
export interface Handover {
  /** Per shard: records of (depth, hash, words) in breadth-first order. */
  records: Int32Array[];
  /** The depth of the level to expand next. */
  frontier: number;
  /** Transitions made so far. */
  transitions: number;
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

interface ShardHandle {
  /** The states the shard holds once seeded. */
  ready(): Promise<number>;
  /** The shard's part of level `depth` (Shard.step), and per shard the records found for it. */
  step(inboxes: Received[], depth: number): Promise<{ report: LevelReport; out: Batch[] }>;
  figures(): Promise<number[]>;
  close(): Promise<void>;
}

export interface PartitionOptions {
  program: Program;
  properties: PropertyId[];
  shards: number;
  /** Run every shard in this thread instead of a worker thread each. */
  inProcess?: boolean;
  started: number;
  timeoutSeconds?: number;
  memoryLimit: number;
  wasmMemoryBytes?: number;
  /** The progress line on stderr (ExploreBounds.progress), once per level. */
  progress?: boolean;
}

function localShard(spec: ShardSpec, seed: Int32Array, frontier: number): ShardHandle {
  const shard = new Shard(spec);
  shard.seed(seed, frontier);
  return {
    ready: () => Promise.resolve(shard.count),
    step: (inboxes, depth) => {
      const report = shard.step(inboxes, depth);
      return Promise.resolve({ report, out: shard.takeAll() });
    },
    figures: () => Promise.resolve(shard.figureWorsts()),
    close: () => Promise.resolve(),
  };
}

/**
 * A worker thread running shardworker: the built file beside this one, or, run from source (the tests), the source
 * loaded through tsx, which a worker must register itself. The bootstrap holds two file URLs, nothing else.
 */
function shardWorker(options: WorkerOptions): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./shardworker.js', import.meta.url), options);
  const api = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  const entry = new URL('./shardworker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(api)}).then((m) => m.register()).then(() => import(${JSON.stringify(entry)}))`;
  return new Worker(boot, { ...options, eval: true });
}

function threadShard(spec: ShardSpec, seed: Int32Array, frontier: number): ShardHandle {
  const worker = shardWorker({ workerData: { spec, seed, frontier }, transferList: [seed.buffer as ArrayBuffer] });
  let waiting: { resolve: (v: any) => void; reject: (e: Error) => void } | null = null;
  let failed: Error | null = null;
  const fail = (error: Error): void => {
    failed = error;
    waiting?.reject(error);
    waiting = null;
  };
  worker.on('message', (msg: { kind: string; message?: string }) => {
    if (msg.kind === 'error') return fail(new Error(`a search worker failed: ${msg.message}`));
    const w = waiting;
    waiting = null;
    w?.resolve(msg);
  });
  worker.on('error', (error) => fail(error));
  worker.on('exit', (code) => {
    if (waiting !== null) fail(new Error(`a search worker stopped (exit code ${code})`));
  });
  const ask = <T>(msg: object): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (failed !== null) return reject(failed);
      waiting = { resolve, reject };
      worker.postMessage(msg);
    });
  const ready = new Promise<number>((resolve, reject) => {
    waiting = { resolve: (msg: { count: number }) => resolve(msg.count), reject };
  });
  return {
    ready: () => ready,
    step: (inboxes, depth) => ask({ kind: 'step', inboxes, depth }),
    figures: async () => (await ask<{ figures: number[] }>({ kind: 'figures' })).figures,
    close: async () => {
      await worker.terminate();
    },
  };
}

/** Runs the rest of a handed-over search over `options.shards` shards. */
export async function searchPartitioned(handover: Handover, options: PartitionOptions): Promise<PartitionedOutcome> {
  const { shards } = options;
  const spec = (shard: number): ShardSpec => ({
    program: options.program,
    properties: options.properties,
    shard,
    shards,
    started: options.started,
    timeoutSeconds: options.timeoutSeconds,
    memoryLimit: options.memoryLimit,
    wasmMemoryBytes: options.wasmMemoryBytes,
  });
  const handles: ShardHandle[] = [];
  const progress = ProgressLine.forStderr(options.progress);
  try {
    try {
      for (let s = 0; s < shards; s++) {
        const seed = handover.records[s]!;
        handles.push(options.inProcess === true ? localShard(spec(s), seed, handover.frontier) : threadShard(spec(s), seed, handover.frontier));
      }
      await Promise.all(handles.map((h) => h.ready()));
    } catch (error) {
      throw new ShardsUnavailable(error instanceof Error ? error.message : String(error));
    }
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
    // One exchange per level: every shard stores what the others found at this depth, then expands the level.
    let inboxes: Received[][] = handles.map(() => []);
    for (;;) {
      const stepped = await Promise.all(handles.map((h, s) => h.step(inboxes[s]!, depth)));
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
        const worsts = await Promise.all(handles.map((h) => h.figures()));
        const figureWorsts = worsts[0]!.map((_, i) => Math.max(...worsts.map((w) => w[i]!)));
        return outcome(false, null, reports, figureWorsts);
      }
      inboxes = handles.map((_, to) => stepped.map((e, from): Received => ({ from, ...e.out[to]! })).filter((b) => b.length > 0 || b.buffer !== null));
      depth++;
    }
  } finally {
    progress.done();
    await Promise.all(handles.map((h) => h.close()));
  }
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
