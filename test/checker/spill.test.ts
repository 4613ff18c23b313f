// `check --spill-dir DIR`: the chunks the WebAssembly store moves out of its memory go to a file in DIR, which
// is unlinked as soon as it is open; the states, every report and the figures are those of a search that kept
// them all in memory.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkProgram } from '../../src/checker/check.js';
import { explore } from '../../src/checker/explicit/explore.js';
import { WasmStore } from '../../src/checker/explicit/wasmstore.js';
import { ChunksInMemory, ChunksOnDisk, SpillFailed } from '../../src/checker/explicit/movedchunks.js';
import type { PropertyId } from '../../src/ir/ir.js';
import { buildModel } from '../../src/hw/build.js';
import type { CheckReport } from '../../src/checker/verdict.js';
import { load, storeDifferences } from './helpers.js';

const dirs: string[] = [];
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'schedcheck-spill-'));
  dirs.push(d);
  return d;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const timeless = (r: CheckReport): unknown => JSON.parse(JSON.stringify(r, (key, value: unknown) => (key === 'seconds' ? 0 : value)));

describe('states moved to disk', () => {
  const cases: [string, string[], number][] = [
    ['models/forkexec-004/old-handler-abba.sched', ['CPUS=2', 'THREADS=2'], 1.05],
    ['models/aethelos-001/lock-contention-racy.sched', ['THREADS=3'], 1.3],
  ];
  for (const [file, sets, fraction] of cases) {
    it(`${file} ${sets.join(' ')}: the same states, entries and reports, and no file left`, async () => {
      const program = load(readFileSync(file, 'utf8'), sets, file);
      const model = buildModel(program);
      const inert = () => new Map([['assertions' as PropertyId, { needsGraph: false }]]);
      const whole = explore(model, inert, { progress: false });
      const cap = Math.floor((whole.store as WasmStore).bytes / fraction / 65536) * 65536;
      const spill = dir();
      const spilled = explore(model, inert, { progress: false, wasmMemoryBytes: cap, spillDir: spill });
      const a = spilled.store as WasmStore;
      const b = whole.store as WasmStore;
      expect(a).toBeInstanceOf(WasmStore);
      expect(a.movedOut).toBeGreaterThan(0);
      // Nothing to see in the directory: the file was unlinked when it was opened.
      expect(readdirSync(spill)).toEqual([]);
      expect({ ...spilled.stats, seconds: 0 }).toEqual({ ...whole.stats, seconds: 0 });
      expect(storeDifferences(a, b)).toEqual([]);
      a.close();
      const properties = [...new Set(program.expectations.map((e) => e.property))];
      const one = await checkProgram(program, { progress: false, properties });
      const onDisk = await checkProgram(program, { progress: false, properties, wasmMemoryBytes: cap, spillDir: spill });
      expect(timeless(onDisk)).toEqual(timeless(one));
    }, 60_000);
  }

  it('shards move their states to files of their own', async () => {
    const file = 'models/forkexec-004/redesign-need-resched.sched';
    const sets = ['CPUS=2', 'THREADS=3'];
    const program = load(readFileSync(file, 'utf8'), sets, file);
    const properties: PropertyId[] = ['stack-integrity', 'atomic-sleep'];
    const one = await checkProgram(program, { progress: false, properties });
    const split = await checkProgram(program, { progress: false, properties, workers: 2, partitionAt: 20_000, partitionInProcess: true, wasmMemoryBytes: 32 << 20, spillDir: dir() });
    expect(timeless(split)).toEqual(timeless(one));
    expect(one.results[0]!.stats.states).toBe(712_722);
  }, 30_000);

  it('a disk that refuses the file or its writes ends the search inconclusive, as the memory limit does', () => {
    const words = Uint32Array.from({ length: 1024 }, (_, i) => i);
    const full = new ChunksOnDisk(dir(), 4096, () => {
      throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    });
    expect(() => full.put(0, words)).toThrow(SpillFailed);
    expect(() => full.put(0, words)).toThrow(/^the states could not be written to --spill-dir .* \(ENOSPC\)$/);
    const gone = join(dir(), 'gone');
    expect(() => new ChunksOnDisk(gone, 4096).put(0, words)).toThrow(`no file for the states could be made in --spill-dir ${gone} (ENOENT)`);
    // A search whose store must move states to a directory that is not there (the command line refuses one: M004).
    const file = 'models/aethelos-001/lock-contention-racy.sched';
    const model = buildModel(load(readFileSync(file, 'utf8'), ['THREADS=3'], file));
    const inert = () => new Map([['assertions' as PropertyId, { needsGraph: false }]]);
    const whole = explore(model, inert, { progress: false });
    const cap = Math.floor((whole.store as WasmStore).bytes / 1.3 / 65536) * 65536;
    const r = explore(model, inert, { progress: false, wasmMemoryBytes: cap, spillDir: gone });
    expect(r.stop).toEqual({ reason: 'max-memory', detail: `stopped: no file for the states could be made in --spill-dir ${gone} (ENOENT), with ${r.stats.states} states` });
    expect(r.stats.states).toBeLessThan(whole.stats.states);
  });

  it('without --spill-dir, moved chunks stay in memory up to their budget, and the next go to a file', () => {
    const chunk = (c: number) => Uint32Array.from({ length: 1024 }, (_, i) => c * 1024 + i);
    const spill = dir();
    let made = 0;
    const moved = new ChunksInMemory(() => true, 2 * 4096, () => {
      made++;
      return new ChunksOnDisk(spill, 4096);
    });
    for (let c = 0; c < 5; c++) moved.put(c, chunk(c));
    // Two chunks of 4 KiB fit the 8 KiB budget; three went to one file, unlinked at once.
    expect([moved.count, moved.residentBytes >= 2 * 4096, made]).toEqual([5, true, 1]);
    expect(readdirSync(spill)).toEqual([]);
    for (let c = 0; c < 5; c++) {
      expect(Array.from(moved.get(c)!.subarray(0, 3))).toEqual([c * 1024, c * 1024 + 1, c * 1024 + 2]);
      expect(Array.from(moved.state(c, 5, 4))).toEqual([20, 21, 22, 23].map((i) => c * 1024 + i));
    }
    expect(moved.get(5)).toBeUndefined();
    moved.close();
  });
});
