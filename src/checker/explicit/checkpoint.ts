// Checkpoints of a long search (`check --checkpoint DIR`, `--resume DIR`; TLC's -recover is the model): every
// state stored so far, in id order, with its parent, action and hash, the level each begins, the next state to
// expand and the transitions made. A search resumed from one stores the same states under the same ids and goes
// on from the same place, so its counts, its counterexamples and its figures are those of a search never stopped.
//
// Only searches whose properties are decided by one state or one transition (Monitor.local) are checkpointed: the
// monitors that judge the state graph or gather lock dependencies keep what they saw in memory, which a
// checkpoint would have to carry as well.
//
// DIR holds `checkpoint.json` (the header below) and `states.bin`: little-endian i32s, for each chunk of 4,096 ids
// (the last one shorter) its states' parents, actions and hashes, then their words, as the store keeps them. Both are written under temporary names and renamed, the states first, so that a
// run stopped while writing leaves the previous checkpoint whole.

import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { PropertyId } from '../../ir/ir.js';
import type { WasmStore } from './wasmstore.js';
import { CHUNK, CTL } from './wasmsearch.js';

export const CHECKPOINT_FORMAT = 'schedcheck-checkpoint';

/** What a checkpoint says of its search, for a resume to check that it goes on with the same one. */
export interface CheckpointHeader {
  format: typeof CHECKPOINT_FORMAT;
  version: 1;
  /** The model as its file was given, a digest of its text and constants (`--set`), and the properties checked. */
  model: string;
  digest: string;
  properties: PropertyId[];
  words: number;
  states: number;
  /** The next state to expand: every state before it was expanded. */
  next: number;
  transitions: number;
  /** The first id of every level. */
  levels: number[];
  /** Seconds the search had run when the checkpoint was written. */
  seconds: number;
}

/** What the search is: the header fields a resume must find equal. */
export type CheckpointOf = Pick<CheckpointHeader, 'model' | 'digest' | 'properties'>;

/** A checkpoint read back. */
export interface Checkpoint {
  header: CheckpointHeader;
  /** states.bin: per chunk of ids, their parents, actions, hashes, then their words. */
  records: Int32Array;
}

/** Why a checkpoint cannot be read or does not belong to the search. */
export class CheckpointRefused extends Error {}

/** Writes the store's states and the search's place to `dir`. */
export function writeCheckpoint(dir: string, of: CheckpointOf, store: WasmStore, transitions: number, seconds: number): void {
  mkdirSync(dir, { recursive: true });
  const words = store.words;
  const count = store.count;
  const tmp = join(dir, 'states.bin.tmp');
  const fd = openSync(tmp, 'w');
  try {
    // Chunk by chunk, each part as the store keeps it: the write copies nothing.
    for (let first = 0; first < count; first += CHUNK) {
      const parts = store.chunkParts(first, Math.min(CHUNK, count - first));
      for (const part of [parts.parents, parts.actions, parts.hashes, parts.states]) writeSync(fd, new Uint8Array(part.buffer, part.byteOffset, part.byteLength));
    }
  } finally {
    closeSync(fd);
  }
  const levels: number[] = [];
  for (let d = 0; d < store.get(CTL.LEVEL_COUNT); d++) levels.push(store.levelStart(d));
  const header: CheckpointHeader = {
    format: CHECKPOINT_FORMAT,
    version: 1,
    ...of,
    words,
    states: count,
    next: store.get(CTL.NEXT),
    transitions,
    levels,
    seconds,
  };
  renameSync(tmp, join(dir, 'states.bin'));
  writeFileSync(join(dir, 'checkpoint.json.tmp'), `${JSON.stringify(header, null, 2)}\n`);
  renameSync(join(dir, 'checkpoint.json.tmp'), join(dir, 'checkpoint.json'));
}

/** The checkpoint in `dir`, checked against the search `of` it is to continue. */
export function readCheckpoint(dir: string, of: CheckpointOf): Checkpoint {
  let header: CheckpointHeader;
  try {
    header = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')) as CheckpointHeader;
  } catch (error) {
    throw new CheckpointRefused(`no checkpoint can be read in ${dir}: ${(error as Error).message}`);
  }
  if (header?.format !== CHECKPOINT_FORMAT || header.version !== 1) throw new CheckpointRefused(`${dir}/checkpoint.json is not a schedcheck checkpoint (format ${CHECKPOINT_FORMAT}, version 1)`);
  if (header.digest !== of.digest) throw new CheckpointRefused(`the checkpoint in ${dir} is of another model text or other constants (--set) than ${of.model}`);
  if ([...header.properties].sort().join(',') !== [...of.properties].sort().join(',')) {
    throw new CheckpointRefused(`the checkpoint in ${dir} checks ${header.properties.join(', ')}, not ${of.properties.join(', ')}`);
  }
  const records = readRecords(join(dir, 'states.bin'), header.states * (header.words + 3) * 4);
  if (records === null) throw new CheckpointRefused(`${dir}/states.bin does not hold the ${header.states} states its header counts`);
  return { header, records };
}

/** Bytes read at a time: one read of Node's is at most 2 GiB. */
const READ_AT_ONCE = 1 << 30;

/**
 * The records of states.bin, read into an array of their size piece by piece (Node's readFileSync refuses a file
 * past 2 GiB, the size of a checkpoint of ten million 51-word states); null when the file is not `bytes` long.
 */
function readRecords(file: string, bytes: number): Int32Array | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    throw new CheckpointRefused(`${file} cannot be read: ${(error as Error).message}`);
  }
  try {
    if (fstatSync(fd).size !== bytes) return null;
    const records = new Int32Array(bytes / 4);
    const view = new Uint8Array(records.buffer);
    for (let at = 0; at < bytes; ) {
      const n = readSync(fd, view, at, Math.min(READ_AT_ONCE, bytes - at), at);
      if (n === 0) return null;
      at += n;
    }
    return records;
  } catch (error) {
    throw new CheckpointRefused(`${file} cannot be read: ${(error as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

/** Stores a checkpoint's states in the empty `store`, under the same ids, and puts the search where it was. */
export function restore(store: WasmStore, { header, records }: Checkpoint): void {
  if (header.words !== store.words) throw new CheckpointRefused(`the checkpoint's states have ${header.words} words, the model's ${store.words}`);
  const words = header.words;
  let depth = 0;
  let at = 0;
  for (let first = 0; first < header.states; first += CHUNK) {
    const n = Math.min(CHUNK, header.states - first);
    store.maintain(n);
    const parents = at;
    const actions = at + n;
    const hashes = at + 2 * n;
    const states = at + 3 * n;
    for (let i = 0; i < n; i++) {
      const id = first + i;
      while (depth + 1 < header.levels.length && header.levels[depth + 1]! <= id) depth++;
      store.addFrom(records, states + i * words, records[parents + i]!, records[actions + i]!, depth, records[hashes + i]!);
    }
    at = states + n * words;
  }
  store.set(CTL.NEXT, header.next);
}
