// A hash-partitioned breadth-first search, simulated on one machine: how the explicit engine's search would span
// machines. N partitions each own the states whose fingerprint falls to them (fingerprint mod N) and keep their
// own visited set; level by level, each expands its share of the frontier, keeps the successors it owns and sends
// the others to their owners, and all wait at the end of the level (so counterexamples stay shortest, as in one
// search). Here the partitions run one after the other in one process, each timed on its own (CPU time): a
// level's simulated time is its slowest partition's, plus what the network would add (the bytes each partition sends, at
// a given bandwidth, and one barrier per level at a given latency). The result is indicative: the machine is
// shared, and the visited sets are JavaScript maps, slower than the engine's store, so the ratios matter, not the
// seconds.
//
//   npx tsx bench/partition.ts [MODEL] [--set NAME=VALUE]... [--parts 1,2,4,8] [--gbit 1] [--barrier-ms 0.2]

import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildModel } from '../src/hw/build.js';
import { loadModel } from '../src/lang/load.js';
import { actionsInto, compileModel, maxActions } from '../src/checker/explicit/compile.js';
import { CompiledExpander } from '../src/checker/explicit/compiledexpander.js';
import type { Expander } from '../src/checker/explicit/expander.js';
import { ReferenceExpander } from '../src/checker/explicit/referenceexpander.js';
import { StateHasher } from '../src/checker/explicit/hashing.js';

export interface PartitionRun {
  parts: number;
  states: number;
  transitions: number;
  levels: number;
  /** Seconds of every partition's work added up: one machine doing it all. */
  work: number;
  /** Sum over the levels of the slowest partition's seconds. */
  slowest: number;
  /** The network's share: bytes sent at the bandwidth, and the barriers. */
  network: number;
  /** States owned by the fullest partition over the mean. */
  imbalance: number;
  /** Successors sent to another partition, over all successors. */
  crossing: number;
  /** Bytes sent per state stored. */
  bytesPerState: number;
}

/** CPU seconds of the process: on a shared machine, time preempted by other work would bill a partition. */
function now(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** A growable buffer of whole states, as a partition's frontier or a message to another partition. */
class StateBuffer {
  data: Uint32Array;
  keys: Float64Array;
  count = 0;
  constructor(private readonly words: number) {
    this.data = new Uint32Array(1024 * words);
    this.keys = new Float64Array(1024);
  }
  push(state: Uint32Array, key: number): void {
    if (this.count === this.keys.length) {
      const data = new Uint32Array(this.data.length * 2);
      data.set(this.data);
      this.data = data;
      const keys = new Float64Array(this.keys.length * 2);
      keys.set(this.keys);
      this.keys = keys;
    }
    this.data.set(state, this.count * this.words);
    this.keys[this.count++] = key;
  }
  state(i: number): Uint32Array {
    return this.data.subarray(i * this.words, (i + 1) * this.words);
  }
}

export function simulate(file: string, sets: string[], parts: number, gbit: number, barrierMs: number): PartitionRun {
  const loaded = loadModel(file, sets);
  if (loaded.program === null) throw new Error(loaded.diagnostics.map((d) => d.message).join('; '));
  const model = buildModel(loaded.program);
  const compiled = compileModel(model);
  const expander: Expander = compiled !== null ? new CompiledExpander(model, compiled, compiled) : new ReferenceExpander(model);
  const words = model.layout.words;
  const hasher = new StateHasher(words);
  const actions = new Int32Array(maxActions(model.program));
  // Visited sets keyed by 53 bits of the 64-bit fingerprint (exact enough for a few million states).
  const seen: Set<number>[] = Array.from({ length: parts }, () => new Set());
  const buffers = (): StateBuffer[] => Array.from({ length: parts }, () => new StateBuffer(words));
  let frontier = buffers();
  let part = 0;
  const keyOf = (s: Uint32Array): number => {
    hasher.whole(s, true);
    part = ((hasher.a ^ hasher.b) >>> 0) % parts;
    return (hasher.a >>> 0) * 2097152 + (hasher.b & 0x1fffff);
  };
  for (const init of model.initialStates()) {
    const key = keyOf(init);
    if (!seen[part]!.has(key)) {
      seen[part]!.add(key);
      frontier[part]!.push(init, key);
    }
  }
  let transitions = 0;
  let sent = 0;
  let levels = 0;
  let work = 0;
  let slowest = 0;
  let network = 0;
  const stateBytes = words * 4;
  while (frontier.some((f) => f.count > 0)) {
    levels++;
    const next = buffers();
    // A sent state travels with its fingerprint, as it would on the wire: the owner does not hash it again.
    const inbox = buffers();
    const seconds = new Array<number>(parts).fill(0);
    let levelBytes = 0;
    // Expansion: each partition its own frontier; successors it owns are checked at once, the rest sent.
    for (let p = 0; p < parts; p++) {
      const t = now();
      let out = 0;
      const mine = frontier[p]!;
      for (let i = 0; i < mine.count; i++) {
        expander.current.set(mine.state(i));
        const count = actionsInto(model, compiled, expander.current, actions);
        for (let j = 0; j < count; j++) {
          const succ = expander.step(expander.current, actions[j]!, false);
          transitions++;
          if (succ === null) continue;
          const key = keyOf(succ);
          if (part === p) {
            if (!seen[p]!.has(key)) {
              seen[p]!.add(key);
              next[p]!.push(succ, key);
            }
          } else {
            inbox[part]!.push(succ, key);
            out++;
          }
        }
      }
      seconds[p] += now() - t;
      sent += out;
      levelBytes = Math.max(levelBytes, out * (stateBytes + 8));
    }
    // Delivery: each owner checks what it received against its visited set.
    for (let p = 0; p < parts; p++) {
      const t = now();
      const received = inbox[p]!;
      for (let i = 0; i < received.count; i++) {
        const key = received.keys[i]!;
        if (!seen[p]!.has(key)) {
          seen[p]!.add(key);
          next[p]!.push(received.state(i), key);
        }
      }
      seconds[p] += now() - t;
    }
    work += seconds.reduce((a, b) => a + b, 0);
    slowest += Math.max(...seconds);
    if (parts > 1) network += (levelBytes * 8) / (gbit * 1e9) + barrierMs / 1000;
    frontier = next;
  }
  const owned = seen.map((x) => x.size);
  const states = owned.reduce((a, b) => a + b, 0);
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
    bytesPerState: (sent * (stateBytes + 8)) / states,
  };
}

function main(argv: string[]): void {
  let model = 'models/forkexec-004/redesign-need-resched.sched';
  const sets: string[] = [];
  let partsList = [1, 2, 4, 8];
  let gbit = 1;
  let barrierMs = 0.2;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--set') sets.push(argv[++i]!);
    else if (a === '--parts') partsList = argv[++i]!.split(',').map(Number);
    else if (a === '--gbit') gbit = Number(argv[++i]);
    else if (a === '--barrier-ms') barrierMs = Number(argv[++i]);
    else model = a;
  }
  if (sets.length === 0 && model.endsWith('redesign-need-resched.sched')) sets.push('CPUS=2', 'THREADS=2');
  process.stdout.write(`${model} ${sets.join(' ')}; network: ${gbit} Gbit/s, ${barrierMs} ms a barrier\n`);
  process.stdout.write('parts  states  levels  crossing  B sent/state  imbalance  work s  slowest s  network s  speed-up\n');
  simulate(resolve(model), sets, 1, gbit, barrierMs); // the JIT warms up on a first run, not measured
  let base = 0;
  for (const parts of partsList) {
    const r = simulate(resolve(model), sets, parts, gbit, barrierMs);
    if (parts === 1) base = r.slowest;
    const total = r.slowest + r.network;
    process.stdout.write(
      `${String(parts).padStart(5)}  ${String(r.states).padStart(6)}  ${String(r.levels).padStart(6)}  ${(100 * r.crossing).toFixed(1).padStart(7)}%  ${r.bytesPerState.toFixed(0).padStart(12)}  ${r.imbalance.toFixed(3).padStart(9)}  ${r.work.toFixed(2).padStart(6)}  ${r.slowest.toFixed(2).padStart(9)}  ${r.network.toFixed(3).padStart(9)}  ${base > 0 ? (base / total).toFixed(2).padStart(7) : '-'}x\n`,
    );
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
