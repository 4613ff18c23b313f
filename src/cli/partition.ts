// `--shard I/N` (gate) and `--swarm I/N` (check): job I of N, as a CI matrix, a Kubernetes Indexed Job or a Slurm
// array numbers its jobs. A value that is not such a pair is bad usage, with a code (docs/cli.md, M001).

import { MAX_JOBS } from '../report/shard.js';

export { MAX_JOBS };

export interface Partition {
  /** 1-based: job `index` of `of`. */
  index: number;
  of: number;
}

/** `I/N` with 1 <= I <= N <= MAX_JOBS, or null. */
export function parsePartition(text: string): Partition | null {
  const m = /^([1-9][0-9]{0,4})\/([1-9][0-9]{0,4})$/.exec(text);
  if (m === null) return null;
  const index = Number(m[1]);
  const of = Number(m[2]);
  return index <= of && of <= MAX_JOBS ? { index, of } : null;
}

/** A yargs `.check`: the option, when given, is a valid `I/N` (given once). */
export function checkPartition(name: 'shard' | 'swarm'): (argv: Record<string, unknown>) => true {
  return (argv) => {
    const value = argv[name];
    if (value === undefined) return true;
    const text = Array.isArray(value) ? null : String(value);
    if (text === null || parsePartition(text) === null) {
      const shown = Array.isArray(value) ? value.join(' ') : String(value);
      throw new Error(`error M001: --${name} needs I/N, job I of N with 1 <= I <= N <= ${MAX_JOBS}, found '${shown.slice(0, 40)}'`);
    }
    return true;
  };
}
