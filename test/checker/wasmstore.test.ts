// The WebAssembly store's allocations at the sizes a large store reaches: a store of 2^26 states grows its table
// to 2^28 slots, 2 GiB. A size past 2^31 must be refused as too large for the memory (WasmStoreFull, which ends a
// shard inconclusive and sends a one-thread search to the JavaScript store), never wrapped by 32-bit arithmetic
// into a negative size that moves the allocation top back over the store's own arrays.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/checker/explicit/explore.js';
import { aligned, chunkWords, WasmStore, WasmStoreFull } from '../../src/checker/explicit/wasmstore.js';
import { chunkLayout, CTL } from '../../src/checker/explicit/wasmsearch.js';
import { buildModel } from '../../src/hw/build.js';
import type { PropertyId } from '../../src/ir/ir.js';
import { load } from './helpers.js';

describe('WasmStore allocations', () => {
  it('rounds sizes up to 8 bytes up to the whole 4 GiB', () => {
    expect([0, 1, 8, 9, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, 2 ** 32 - 9].map(aligned)).toEqual([0, 8, 8, 16, 2 ** 31, 2 ** 31, 2 ** 31 + 8, 2 ** 32 - 8]);
  });

  it('refuses a 2 GiB table in a smaller memory instead of wrapping its size', () => {
    const file = 'models/aethelos-001/lock-contention-racy.sched';
    const model = buildModel(load(readFileSync(file, 'utf8'), ['THREADS=2'], file));
    const inert = () => new Map([['assertions' as PropertyId, { needsGraph: false }]]);
    const store = explore(model, inert, { progress: false, wasmMemoryBytes: 64 << 20 }).store as WasmStore;
    expect(store).toBeInstanceOf(WasmStore);
    const before = store.bytes;
    const alloc = (bytes: number): number => (store as unknown as { alloc(bytes: number, fromHole: boolean): number }).alloc(bytes, false);
    expect(() => alloc(2 ** 31)).toThrow(WasmStoreFull);
    expect(() => alloc(2 ** 32 - 8)).toThrow(WasmStoreFull);
    expect(store.bytes).toBe(before);
  });

  it('keeps every table doubling up to 1 GiB and 16 MiB for the small arrays free in a 4 GiB memory', () => {
    // With the small arrays' room taken as 2^32 >>> 6 (0), a one-thread store of 2^25 states could not double its
    // table to 1 GiB: it outgrew the memory by a few kilobytes and the search started again in JavaScript.
    const file = 'models/aethelos-001/lock-contention-racy.sched';
    const model = buildModel(load(readFileSync(file, 'utf8'), ['THREADS=2'], file));
    const inert = () => new Map([['assertions' as PropertyId, { needsGraph: false }]]);
    const reserveOf = (wasmMemoryBytes: number | undefined): { reserve: number; tables: number } => {
      const store = explore(model, inert, { progress: false, wasmMemoryBytes }).store as WasmStore;
      const inside = store as unknown as { reserve(): number; maxBytes: number };
      let tables = 0;
      for (let table = (store.get(CTL.MASK) + 1) * 16; table <= inside.maxBytes / 4; table *= 2) tables += table;
      return { reserve: inside.reserve(), tables };
    };
    const whole = reserveOf(undefined);
    // From the table after this store's 2^15 slots (512 KiB) to the 1 GiB one.
    expect(whole.tables).toBe(2 ** 31 - 2 ** 19);
    expect(whole.reserve - whole.tables).toBe(16 << 20);
    const small = reserveOf(64 << 20);
    expect(small.reserve - small.tables).toBe(1 << 20);
  });

  it('moves out a chunk at the top of a 4 GiB memory whole, its address read back negative', () => {
    // 4 GiB of WebAssembly memory, reserved and not touched but for one page.
    const memory = new WebAssembly.Memory({ initial: 65536, maximum: 65536 });
    const u32 = new Uint32Array(memory.buffer);
    const { bytes } = chunkLayout(13);
    const top = 2 ** 32 - bytes;
    u32[(top >>> 2) + 5] = 0xabcd;
    const at = new Int32Array([top])[0]!;
    expect(at).toBe(-bytes);
    const words = chunkWords(u32, at, bytes);
    expect([words.length, words[5], words.byteOffset]).toEqual([bytes / 4, 0xabcd, top]);
    // Below 2 GiB too.
    expect(chunkWords(u32, 4096, bytes).byteOffset).toBe(4096);
  });
});
