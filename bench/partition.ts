// The engine's hash-partitioned search (src/checker/explicit/partition.ts) with its shards run one after the other
// in this process: how it would span machines. Each shard owns the states whose hash falls to it and keeps their
// store; level by level, each expands its share of the frontier, keeps the successors it owns and sends the
// others to their owners, and all wait at the end of the level. Every shard's part of a level is timed on its own
// (CPU time): a level's simulated time is its slowest shard's, plus what a network would add (the bytes the
// busiest shard sends, at a given bandwidth, and one barrier per level at a given latency). The machine is shared and
// the runs are single: the ratios are indicative.
//
//   npx tsx bench/partition.ts [MODEL] [--set NAME=VALUE]... [--property ID]... [--parts 1,2,4,8] [--gbit 1]
//                              [--barrier-ms 0.2]

import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PARTITION_AT } from '../src/checker/check.js';
import { explore } from '../src/checker/explicit/explore.js';
import { Shard, type Batch, type Received } from '../src/checker/explicit/partition.js';
import { PROPERTIES } from '../src/checker/properties/index.js';
import type { Monitor } from '../src/checker/properties/property.js';
import { buildModel } from '../src/hw/build.js';
import type { PropertyId } from '../src/ir/ir.js';
import { loadModel } from '../src/lang/load.js';

export interface PartitionRun {
  parts: number;
  states: number;
  transitions: number;
  levels: number;
  /** Seconds of every shard's work added up: one machine doing it all. */
  work: number;
  /** Sum over the levels of the slowest shard's seconds. */
  slowest: number;
  /** The network's share: bytes sent at the bandwidth, and the barriers. */
  network: number;
  /** States owned by the fullest shard over the mean. */
  imbalance: number;
  /** Successors sent to another shard, over all transitions. */
  crossing: number;
  /** Bytes sent per state stored. */
  bytesPerState: number;
}

/** CPU seconds of the process: on a shared machine, time preempted by other work would bill a shard. */
function now(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** States a one-shard search reaches before the shards take over: the checker's own threshold. */
const HANDOVER = PARTITION_AT;

export function simulate(file: string, sets: string[], properties: PropertyId[], parts: number, gbit: number, barrierMs: number): PartitionRun {
  const loaded = loadModel(file, sets);
  if (loaded.program === null) throw new Error(loaded.diagnostics.map((d) => d.message).join('\n'));
  const program = loaded.program;
  const model = buildModel(program);
  const first = explore(model, (x) => new Map(properties.map((id) => [id, PROPERTIES[id].monitor(x) as Monitor])), { handover: { at: HANDOVER, shards: parts } });
  if (first.handover === null) throw new Error('the search ended before it could be partitioned (a violation, or fewer states than the handover)');
  const handover = first.handover;
  const shards = Array.from({ length: parts }, (_, shard) => new Shard({ program, properties, shard, shards: parts, started: Date.now(), memoryLimit: 16 * 2 ** 30 }));
  shards.forEach((s, i) => s.seed(handover.records[i]!, handover.levels[i]!, handover.frontier, handover.leftOut));
  const recordBytes = (model.layout.words + 1) * 4;
  let transitions = handover.transitions;
  let work = 0;
  let slowest = 0;
  let network = 0;
  let sent = 0;
  let levels = 0;
  let depth = handover.frontier;
  let inboxes: Received[][] = shards.map(() => []);
  for (;;) {
    const seconds = shards.map(() => 0);
    const out: Batch[][] = [];
    let levelSent = 0;
    let busiest = 0;
    let level = 0;
    shards.forEach((s, i) => {
      const t = now();
      const r = s.step(inboxes[i]!, depth);
      out.push(s.takeAll());
      seconds[i]! += now() - t;
      transitions += r.transitions;
      levelSent += r.sent;
      level += r.level;
      busiest = Math.max(busiest, r.sent);
    });
    work += seconds.reduce((a, b) => a + b, 0);
    slowest += Math.max(...seconds);
    if (level === 0) break;
    levels++;
    sent += levelSent;
    // Each machine has its own link: a level waits for the one that sends the most.
    if (parts > 1) network += (busiest * recordBytes * 8) / (gbit * 1e9) + barrierMs / 1000;
    inboxes = shards.map((_, to) => out.map((o, from): Received => ({ from, ...o[to]! })));
    depth++;
  }
  const states = shards.reduce((n, s) => n + s.count, 0);
  const owned = shards.map((s) => s.count);
  return {
    parts,
    states,
    transitions,
    levels,
    work,
    slowest,
    network,
    imbalance: Math.max(...owned) / (states / parts),
    crossing: sent / Math.max(transitions, 1),
    bytesPerState: (sent * recordBytes) / states,
  };
}

function main(argv: string[]): void {
  let model = 'models/forkexec-004/redesign-need-resched.sched';
  const sets: string[] = [];
  const properties: PropertyId[] = [];
  let partsList = [1, 2, 4, 8];
  let gbit = 1;
  let barrierMs = 0.2;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--set') sets.push(argv[++i]!);
    else if (a === '--property') properties.push(argv[++i]! as PropertyId);
    else if (a === '--parts') partsList = argv[++i]!.split(',').map(Number);
    else if (a === '--gbit') gbit = Number(argv[++i]);
    else if (a === '--barrier-ms') barrierMs = Number(argv[++i]);
    else model = a;
  }
  if (sets.length === 0 && model.endsWith('redesign-need-resched.sched')) sets.push('CPUS=2', 'THREADS=3');
  if (properties.length === 0) properties.push('stack-integrity');
  process.stdout.write(`${model} ${sets.join(' ')} (${properties.join(', ')}); network: ${gbit} Gbit/s, ${barrierMs} ms a barrier\n`);
  process.stdout.write('parts  states  levels  crossing  B sent/state  imbalance  work s  slowest s  network s  speed-up\n');
  simulate(resolve(model), sets, properties, 1, gbit, barrierMs); // the JIT warms up on a first run, not measured
  let base = 0;
  for (const parts of partsList) {
    const r = simulate(resolve(model), sets, properties, parts, gbit, barrierMs);
    if (parts === 1) base = r.slowest;
    const total = r.slowest + r.network;
    process.stdout.write(
      `${String(parts).padStart(5)}  ${String(r.states).padStart(6)}  ${String(r.levels).padStart(6)}  ${(100 * r.crossing).toFixed(1).padStart(7)}%  ${r.bytesPerState.toFixed(0).padStart(12)}  ${r.imbalance.toFixed(3).padStart(9)}  ${r.work.toFixed(2).padStart(6)}  ${r.slowest.toFixed(2).padStart(9)}  ${r.network.toFixed(3).padStart(9)}  ${base > 0 ? (base / total).toFixed(2).padStart(7) : '-'}x\n`,
    );
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
