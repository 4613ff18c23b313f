// Where the WebAssembly store keeps the chunks it moved out of its memory (wasmstore.ts): JavaScript buffers, or,
// with `check --spill-dir DIR`, a file in DIR, read back through a small cache of chunks. The core reads a moved
// state only when a probe meets one with the hash it looks for; monitors, the graph's analyses and counterexample
// paths read them by id, mostly in id order.

import { closeSync, mkdtempSync, openSync, readSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryBudgetExceeded } from './store.js';

/** The file of states on disk could not be made or written (a full or read-only disk, say). */
export class SpillFailed extends Error {}

/** What failed, as a user reads it: the system's code (ENOSPC, EROFS, ...) when there is one. */
function why(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code ?? (error instanceof Error ? error.message : String(error));
}

export interface MovedChunks {
  /** Keeps chunk `c`'s words (copied: the caller reuses their room). */
  put(c: number, words: Uint32Array): void;
  /** Chunk `c`'s words if it was moved, else undefined. A view of it stays valid (and unchanged) while held. */
  get(c: number): Uint32Array | undefined;
  /** The `words` words of state `index` of moved chunk `c` (a view, or a copy read from disk). */
  state(c: number, index: number, words: number): Uint32Array;
  /** Chunks moved. */
  readonly count: number;
  /** Bytes they take in this process's memory. */
  readonly residentBytes: number;
  /** Gives back the file of chunks on disk, if there is one. */
  close(): void;
}

/**
 * Moved chunks as JavaScript buffers, each announced to the memory gauge first, while they take at most `budget`
 * bytes; the next ones go to `overflow` (a file in the system's temporary directory, made when first needed).
 */
export class ChunksInMemory implements MovedChunks {
  private readonly chunks: (Uint32Array | undefined)[] = [];
  private held = 0;
  private inMemory = 0;
  private disk: ChunksOnDisk | null = null;

  constructor(
    private readonly canGrow: (extraBytes: number) => boolean,
    private readonly budget: number,
    private readonly overflow: () => ChunksOnDisk,
  ) {}

  get count(): number {
    return this.inMemory + (this.disk?.count ?? 0);
  }

  get residentBytes(): number {
    return this.held + (this.disk?.residentBytes ?? 0);
  }

  put(c: number, words: Uint32Array): void {
    if (this.held + words.byteLength > this.budget) {
      this.disk ??= this.overflow();
      this.disk.put(c, words);
      return;
    }
    if (!this.canGrow(words.byteLength)) throw new MemoryBudgetExceeded();
    this.chunks[c] = words.slice();
    this.inMemory++;
    this.held += words.byteLength;
  }

  get(c: number): Uint32Array | undefined {
    return this.chunks[c] ?? this.disk?.get(c);
  }

  state(c: number, index: number, words: number): Uint32Array {
    const chunk = this.chunks[c];
    return chunk !== undefined ? chunk.subarray(index * words, (index + 1) * words) : this.disk!.state(c, index, words);
  }

  close(): void {
    this.disk?.close();
  }
}

/** Closes the file of a store nobody holds any more (a search's store lives as long as its result). */
const unheld = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
});

/** Chunks read back and kept at once (about 55 MiB of 51-word states). */
const CACHED = 64;

/**
 * Moved chunks in a file of their own in `dir`, chunk c at byte c * chunkBytes. The file is unlinked as soon as it
 * is open, so nothing is left behind however the process ends. A chunk read back is a new buffer, so a view a
 * caller holds stays valid when the cache lets the chunk go.
 */
export class ChunksOnDisk implements MovedChunks {
  /** The file, made at the first chunk moved (a search that moves none makes none). */
  private fd = -1;
  private readonly moved: Uint8Array[] = [];
  private readonly cache = new Map<number, Uint32Array>();
  count = 0;

  /**
   * @param named how messages name the directory (`--spill-dir DIR`, or the temporary directory)
   * @param write writeSync, or a stand-in (tests)
   */
  constructor(
    private readonly dir: string,
    private readonly chunkBytes: number,
    private readonly write: typeof writeSync = writeSync,
    private readonly named = `--spill-dir ${dir}`,
  ) {}

  private open(): void {
    try {
      const own = mkdtempSync(join(this.dir, 'schedcheck-states-'));
      const file = join(own, 'chunks');
      this.fd = openSync(file, 'w+');
      unlinkSync(file);
      rmdirSync(own);
    } catch (error) {
      throw new SpillFailed(`no file for the states could be made in ${this.named} (${why(error)})`);
    }
    unheld.register(this, this.fd, this);
  }

  state(c: number, index: number, words: number): Uint32Array {
    const cached = this.cache.get(c);
    if (cached !== undefined) return cached.subarray(index * words, (index + 1) * words);
    // One state, where a probe asks about it: not the whole chunk.
    return this.read(c, index * words * 4, words);
  }

  /** `words` words of chunk `c` from byte `offset` of it, read from the file into a new buffer. */
  private read(c: number, offset: number, words: number): Uint32Array {
    const out = new Uint32Array(words);
    const bytes = new Uint8Array(out.buffer);
    const at = c * this.chunkBytes + offset;
    for (let done = 0; done < bytes.length; ) {
      const n = readSync(this.fd, bytes, done, bytes.length - done, at + done);
      if (n === 0) throw new Error(`internal: chunk ${c} of the states moved to disk is cut short`);
      done += n;
    }
    return out;
  }

  get residentBytes(): number {
    return this.cache.size * this.chunkBytes;
  }

  put(c: number, words: Uint32Array): void {
    if (this.fd < 0) this.open();
    const bytes = new Uint8Array(words.buffer, words.byteOffset, this.chunkBytes);
    try {
      for (let done = 0; done < this.chunkBytes; ) done += this.write(this.fd, bytes, done, this.chunkBytes - done, c * this.chunkBytes + done);
    } catch (error) {
      throw new SpillFailed(`the states could not be written to ${this.named} (${why(error)})`);
    }
    (this.moved[c >>> 13] ??= new Uint8Array(1 << 13))[c & 8191] = 1;
    this.count++;
  }

  get(c: number): Uint32Array | undefined {
    if (this.moved[c >>> 13]?.[c & 8191] !== 1) return undefined;
    const hit = this.cache.get(c);
    if (hit !== undefined) {
      // Most recently used last.
      this.cache.delete(c);
      this.cache.set(c, hit);
      return hit;
    }
    const words = this.read(c, 0, this.chunkBytes / 4);
    if (this.cache.size >= CACHED) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(c, words);
    return words;
  }

  /** Closes the file (its room on disk is given back). */
  close(): void {
    if (this.fd < 0) return;
    unheld.unregister(this);
    closeSync(this.fd);
    this.fd = -1;
  }
}
