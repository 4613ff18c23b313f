// A worker thread running one shard of a partitioned search (workers.ts drives it): it builds the shard at once,
// then answers the driver's requests one at a time (the states handed over, each level, the end's figures and
// what its monitors gathered).

import { parentPort, workerData } from 'node:worker_threads';
import { Shard, type Received, type ShardSpec } from './partition.js';

const port = parentPort!;

/** Tells the driver what went wrong (workers.ts turns it into an error of the search): the message, no stack. */
function failed(error: unknown): void {
  port.postMessage({ kind: 'error', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
}
const { spec, settled } = workerData as { spec: ShardSpec; settled: Int32Array };

try {
  // Built at once, while the search that will hand it its states still runs; that search reads `settled` to know
  // when to hand them over.
  let shard: Shard;
  try {
    shard = new Shard(spec);
  } finally {
    Atomics.add(settled, 0, 1);
  }
  port.postMessage({ kind: 'booted' });
  port.on('message', (msg: { kind: string; inboxes?: Received[]; depth?: number; seed?: Int32Array; levels?: Int32Array; frontier?: number; leftOut?: number[] }) => {
    try {
      if (msg.kind === 'seed') {
        const stop = shard.seed(msg.seed!, msg.levels!, msg.frontier!, msg.leftOut!);
        port.postMessage({ kind: 'seeded', count: shard.count, stop });
      } else if (msg.kind === 'step') {
        const report = shard.step(msg.inboxes!, msg.depth!);
        port.postMessage({ kind: 'stepped', report, out: shard.takeAll() });
      } else if (msg.kind === 'finish') {
        port.postMessage({ kind: 'finished', finished: shard.finish() });
      }
    } catch (error) {
      failed(error);
    }
  });
} catch (error) {
  failed(error);
}
