// Checkpoints (src/checker/explicit/checkpoint.ts): a search stopped by its timeout and resumed from its checkpoint
// reports what a search never stopped reports: the same states, transitions, depth, figures, verdicts and
// counterexamples; a checkpoint is refused for another model, other constants or other properties, and for
// properties a checkpoint cannot carry.

import { closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkProgram, type CheckOptions } from '../../src/checker/check.js';
import { CHECKPOINT_FORMAT, CheckpointRefused, readCheckpoint, type CheckpointOf } from '../../src/checker/explicit/checkpoint.js';
import type { CheckReport } from '../../src/checker/verdict.js';
import type { PropertyId } from '../../src/ir/ir.js';
import { loadModel } from '../../src/lang/load.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'schedcheck-checkpoint-'));
  dirs.push(d);
  return d;
}

function program(file: string, sets: string[]) {
  const loaded = loadModel(file, sets);
  if (loaded.program === null) throw new Error(JSON.stringify(loaded.diagnostics));
  return loaded.program;
}

const untimed = (r: CheckReport) => ({ ...r, results: r.results.map((x) => ({ ...x, stats: { ...x.stats, seconds: 0 } })) });

/**
 * A run stopped at `timeout` seconds (or not stopped) with checkpoints every `every` seconds, then resumed from
 * its last checkpoint, against a run without checkpoints.
 */
async function stopAndResume(file: string, sets: string[], properties: PropertyId[], timeout: number | undefined, every = 3600, wasmMemoryBytes?: number) {
  const p = program(file, sets);
  const of: CheckpointOf = { model: file, digest: `${file} ${sets.join(' ')}`, properties };
  const d = dir();
  const whole = await checkProgram(p, { properties, progress: false });
  const options: CheckOptions = { properties, progress: false, checkpoint: { dir: d, of, everySeconds: every }, wasmMemoryBytes };
  const stopped = await checkProgram(p, { ...options, timeoutSeconds: timeout });
  const checkpoint = readCheckpoint(d, of);
  const resumed = await checkProgram(p, { ...options, resume: checkpoint });
  return { whole, stopped, resumed, checkpoint, d, of };
}

describe('a search resumed from its checkpoint', () => {
  it('reports what a search never stopped reports', async () => {
    const { whole, stopped, resumed, checkpoint } = await stopAndResume('models/forkexec-004/redesign-need-resched.sched', ['CPUS=2', 'THREADS=3'], ['stack-integrity', 'atomic-sleep'], 0.1);
    expect(stopped.results.map((r) => [r.verdict, 'reason' in r ? r.reason : null])).toEqual([['inconclusive', 'timeout'], ['inconclusive', 'timeout']]);
    // The checkpoint is where the timeout stopped the search: every state it holds, and the next to expand.
    expect(checkpoint.header.states).toBe(stopped.results[0]!.stats.states);
    expect(checkpoint.header.transitions).toBe(stopped.results[0]!.stats.transitions);
    // (Where depends on the machine's speed: on a slow one the search may stop at its first batch.)
    expect(checkpoint.header.next).toBeLessThan(checkpoint.header.states);
    expect(untimed(resumed)).toEqual(untimed(whole));
    expect(whole.results[0]!.stats).toMatchObject({ states: 712_722, transitions: 2_118_450 });
    expect(resumed.figures).toEqual(whole.figures);
  });

  it('reports the same when the store moved states out of its memory (written from them, resumed into them)', async () => {
    // 64 MiB: the store moves 107 of its 175 chunks out of its memory (wasmstore.ts), from early on, so before or
    // after the checkpoint as the machine's speed has it, and again while resuming.
    const { whole, resumed, checkpoint } = await stopAndResume('models/forkexec-004/redesign-need-resched.sched', ['CPUS=2', 'THREADS=3'], ['stack-integrity'], 0.2, 3600, 64 << 20);
    expect(checkpoint.header.states).toBeGreaterThan(0);
    expect(untimed(resumed)).toEqual(untimed(whole));
    expect(resumed.figures).toEqual(whole.figures);
  });

  it('finds a violation past the checkpoint with the counterexample of a search never stopped', async () => {
    // A checkpoint at every batch of 1,024 states, none once a violation is found: the last is from before it.
    const { whole, stopped, resumed, checkpoint } = await stopAndResume('models/forkexec-004/old-handler-abba.sched', [], ['stack-integrity', 'atomic-sleep'], undefined, 0);
    expect(whole.results.map((r) => [r.verdict, r.stats.states])).toEqual([['violated', 15_715], ['violated', 6_960]]);
    expect(untimed(stopped)).toEqual(untimed(whole));
    expect(checkpoint.header.next).toBe(5_120);
    expect(untimed(resumed)).toEqual(untimed(whole));
  });

  it('is refused for other constants, other properties, or a damaged file', async () => {
    const { d, of } = await stopAndResume('models/forkexec-004/redesign-need-resched.sched', ['CPUS=2', 'THREADS=3'], ['stack-integrity'], 0.05);
    expect(() => readCheckpoint(d, { ...of, digest: 'other' })).toThrow(new CheckpointRefused(`the checkpoint in ${d} is of another model text or other constants (--set) than ${of.model}`));
    expect(() => readCheckpoint(d, { ...of, properties: ['atomic-sleep'] })).toThrow(new CheckpointRefused(`the checkpoint in ${d} checks stack-integrity, not atomic-sleep`));
    const header = JSON.parse(readFileSync(join(d, 'checkpoint.json'), 'utf8')) as { states: number };
    expect(() => readCheckpoint(join(d, 'none'), of)).toThrow(CheckpointRefused);
    expect(header.states).toBeGreaterThan(0);
  });

  it('reads a states.bin past 2 GiB (ten million 51-word states), which one readFileSync refuses', () => {
    const d = dir();
    const words = 51;
    const states = Math.ceil(2 ** 31 / ((words + 3) * 4));
    const of: CheckpointOf = { model: 'm', digest: 'd', properties: ['stack-integrity'] };
    const header = { format: CHECKPOINT_FORMAT, version: 1, model: 'm', digest: 'd', properties: of.properties, words, states, next: 0, transitions: 0, levels: [0], seconds: 0 };
    writeFileSync(join(d, 'checkpoint.json'), JSON.stringify(header));
    // A sparse file of zeros but for one word at each end.
    const bytes = states * (words + 3) * 4;
    const fd = openSync(join(d, 'states.bin'), 'w');
    ftruncateSync(fd, bytes);
    writeSync(fd, new Uint8Array(new Int32Array([7]).buffer), 0, 4, 0);
    writeSync(fd, new Uint8Array(new Int32Array([-9]).buffer), 0, 4, bytes - 4);
    closeSync(fd);
    const { records } = readCheckpoint(d, of);
    expect([records.length, records[0], records[1], records[records.length - 1]]).toEqual([bytes / 4, 7, 0, -9]);
    // One word short: refused, not read.
    truncateSync(join(d, 'states.bin'), bytes - 4);
    expect(() => readCheckpoint(d, of)).toThrow(new CheckpointRefused(`${d}/states.bin does not hold the ${states} states its header counts`));
    rmSync(join(d, 'states.bin'));
  });

  it('is refused for a property that keeps what it saw (the state graph, lock dependencies)', async () => {
    const p = program('models/forkexec-004/redesign-need-resched.sched', []);
    for (const property of ['no-deadlock', 'lock-order'] as PropertyId[]) {
      const of: CheckpointOf = { model: 'm', digest: 'd', properties: [property] };
      await expect(checkProgram(p, { properties: [property], progress: false, checkpoint: { dir: dir(), of, everySeconds: 1 } })).rejects.toThrow(CheckpointRefused);
    }
  });
});
