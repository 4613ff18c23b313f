// A worker thread running one shard of a partitioned search (workers.ts drives it): it seeds the shard with the
// states handed over, then answers the driver's requests one at a time.

import { parentPort, workerData } from 'node:worker_threads';
import { Shard, type Received, type ShardSpec } from './partition.js';

const port = parentPort!;
const { spec, seed, frontier } = workerData as { spec: ShardSpec; seed: Int32Array; frontier: number };

try {
  const shard = new Shard(spec);
  shard.seed(seed, frontier);
  port.postMessage({ kind: 'ready', count: shard.count });
  port.on('message', (msg: { kind: string; inboxes?: Received[]; depth?: number }) => {
    try {
      if (msg.kind === 'step') {
        const report = shard.step(msg.inboxes!, msg.depth!);
        const out = Array.from({ length: spec.shards }, (_, to) => shard.take(to));
        port.postMessage({ kind: 'stepped', report, out });
      } else if (msg.kind === 'figures') {
        port.postMessage({ kind: 'figures', figures: shard.figureWorsts() });
      }
    } catch (error) {
      port.postMessage({ kind: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  });
} catch (error) {
  port.postMessage({ kind: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
}
