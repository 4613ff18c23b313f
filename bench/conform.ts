// Conformance throughput: stream a trace of a million events (or --events N) from a file through
// `schedcheck conform`'s checker and print events per second and the memory it took. The trace is a run of
// the reference kernel (--design, default 001-option2), written once to the system's temp directory and reused.
//
//   npx tsx bench/conform.ts [--design NAME] [--events N]

import { closeSync, existsSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conformFile } from '../src/conform/check.js';
import { formatEvent } from '../src/conform/trace.js';
import { buildModel } from '../src/hw/build.js';
import { findDesign } from '../src/kernel/run.js';
import { bootDesign } from '../src/kernel/run.js';
import { loadModel } from '../src/lang/load.js';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const designName = option('design', '001-option2');
const wanted = Number(option('events', '1000000'));
const design = findDesign(designName);
if (design === undefined) throw new Error(`unknown design ${designName}`);

/** Runs the kernel until it has logged `wanted` events, writing them as JSON lines. */
function writeTrace(file: string): void {
  const partial = `${file}.partial`;
  const fd = openSync(partial, 'w');
  let buffer: string[] = [];
  let count = 0;
  const machine = bootDesign(design!, {
    seed: 1,
    onEvent: (e) => {
      if (count >= wanted) return;
      buffer.push(formatEvent(e));
      count++;
      if (buffer.length >= 10_000) {
        writeSync(fd, `${buffer.join('\n')}\n`);
        buffer = [];
      }
    },
  });
  while (count < wanted && machine.outcome.kind === 'running') machine.run(100_000);
  if (buffer.length > 0) writeSync(fd, `${buffer.join('\n')}\n`);
  closeSync(fd);
  if (count < wanted) throw new Error(`${designName} stopped (${machine.outcome.kind}) after ${count} events`);
  renameSync(partial, file);
}

const file = join(tmpdir(), `schedcheck-bench-${designName}-${wanted}.jsonl`);
if (!existsSync(file)) {
  const t0 = performance.now();
  writeTrace(file);
  console.log(`wrote ${file} (${(statSync(file).size / 1e6).toFixed(1)} MB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

const program = loadModel(design.model, []).program;
if (program === null) throw new Error(`${design.model} does not load`);
const model = buildModel(program);
const heapBefore = process.memoryUsage().heapUsed;
let heapPeak = heapBefore;
const sampler = setInterval(() => {
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
}, 50);
const start = performance.now();
const result = await conformFile(model, file);
const seconds = (performance.now() - start) / 1000;
clearInterval(sampler);
heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);

const events = result.verdict === 'conforms' ? result.events : 0;
console.log(`${designName} against ${design.model}: ${result.verdict}`);
console.log(`${events} events in ${seconds.toFixed(2)} s: ${Math.round(events / seconds)} events/s`);
console.log(`heap: ${(heapBefore / 1e6).toFixed(1)} MB before, ${(heapPeak / 1e6).toFixed(1)} MB at most while checking`);
