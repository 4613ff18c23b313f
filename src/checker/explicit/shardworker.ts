// A worker thread running one shard of a partitioned search (workers.ts drives it): it seeds the shard with the
// states handed over, then answers the driver's requests one at a time.

import { parentPort, workerData } from 'node:worker_threads';
import { Shard, type Received, type ShardSpec } from './partition.js';

const port = parentPort!;

/** Tells the driver what went wrong (workers.ts turns it into an error of the search). */
function failed(error: unknown): void {
  port.postMessage({ kind: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
}
const { spec, seed, frontier } = workerData as { spec: ShardSpec; seed: Int32Array; frontier: number };

try {
  const shard = new Shard(spec);
  shard.seed(seed, frontier);
  port.postMessage({ kind: 'ready', count: shard.count });
  port.on('message', (msg: { kind: string; inboxes?: Received[]; depth?: number }) => {
    try {
      if (msg.kind === 'step') {
        const report = shard.step(msg.inboxes!, msg.depth!);
        port.postMessage({ kind: 'stepped', report, out: shard.takeAll() });
      } else if (msg.kind === 'figures') {
        port.postMessage({ kind: 'figures', figures: shard.figureWorsts() });
      }
    } catch (error) {
      failed(error);
    }
  });
} catch (error) {
  failed(error);
}
