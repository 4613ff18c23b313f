// The options of every command, with their help texts: main.ts declares them to yargs, unknown.ts checks a
// command line against them before yargs reads it.

import { COLOUR_MODES } from './colour.js';

const set = {
  type: 'string',
  array: true,
  default: [] as string[],
  describe: 'override a model constant, NAME=VALUE (repeatable)',
} as const;

/** Options every command takes. */
export const GLOBAL_OPTIONS = {
  color: { choices: COLOUR_MODES, default: 'auto' as const, describe: 'colour verdicts and diagnostics: auto (a terminal, unless NO_COLOR is set), always or never' },
} as const;

export const OPTIONS = {
  check: {
    property: { type: 'string', array: true, default: [] as string[], describe: 'property id to check (repeatable); default: every property the model gives a meaning to' },
    engine: { choices: ['explicit', 'smt', 'both'] as const, default: 'explicit' as const, describe: 'explicit-state search, SMT (Z3), or both held against each other' },
    set,
    'max-depth': { type: 'number', describe: 'bound on search depth' },
    'max-states': { type: 'number', describe: 'bound on distinct states' },
    'max-memory': { type: 'number', describe: 'bound on memory, in MB' },
    timeout: { type: 'number', describe: 'bound on time, in seconds' },
    'hash-compaction': { type: 'boolean', default: false, describe: 'store 64-bit fingerprints, not states (prints the collision probability)' },
    symmetry: { type: 'boolean', default: false, describe: 'one state per renumbering of interchangeable threads' },
    checkpoint: { type: 'string', describe: 'write checkpoints of the explicit search to this directory (every --checkpoint-every seconds, and at --timeout)' },
    'checkpoint-every': { type: 'number', describe: 'seconds between two checkpoints (default 300)' },
    resume: { type: 'string', describe: 'go on with the search of the checkpoint in this directory' },
    'spill-dir': {
      type: 'string',
      describe: 'explicit search: keep the states of expanded levels on disk, in a file in this directory, once the store has half the memory limit',
    },
    workers: {
      type: 'number',
      describe: 'threads of the explicit search (1 to 256; default: the cores available): past 20,000 states a search goes on hash-partitioned over them when its properties allow',
    },
    'learn-from': {
      type: 'string',
      array: true,
      default: [] as string[],
      describe: 'SMT: a smaller configuration, NAME=VALUE[,NAME=VALUE], to learn per-thread invariants from (repeatable)',
    },
    pdr: { type: 'boolean', default: false, describe: "SMT: also try a bit-level IC3 proof (ABC's pdr, berkeley-abc) where the explicit exploration does not complete" },
    format: { choices: ['text', 'json', 'junit', 'sarif'] as const, default: 'text' as const, describe: 'report format on stdout (or --output)' },
    expect: { type: 'boolean', default: false, describe: "exit 0 when every verdict matches the model's `expect` lines, 1 when one does not" },
    output: { type: 'string', describe: 'write the report to this file' },
    junit: { type: 'string', describe: 'also write a JUnit report to this file (with any --format)' },
    sarif: { type: 'string', describe: 'also write a SARIF report to this file (with any --format)' },
    trace: { type: 'string', describe: 'write the counterexample as ITF JSON' },
    dot: { type: 'string', describe: 'write the counterexample graph as DOT' },
    svg: { type: 'string', describe: 'write the counterexample graph as SVG' },
    html: { type: 'string', describe: 'write the counterexample as an interactive HTML report' },
    swarm: { type: 'string', describe: "run job I of N (I/N) of a swarm search: hash compaction, the job's own hash functions and action order; the report is its result (JSON) for 'schedcheck merge'" },
  },
  properties: {},
  init: {
    arch: { choices: ['x86_64', 'aarch64'] as const, default: 'x86_64' as const, describe: 'the architecture of the starter model' },
    cpus: { type: 'number', default: 1, describe: 'number of CPUs (1 to 32)' },
  },
  parse: {
    ir: { type: 'boolean', default: false, describe: 'print the lowered IR' },
    set,
  },
  explore: {
    set,
    dot: { type: 'string', describe: 'write the state graph as DOT (default: DOT on stdout)' },
    svg: { type: 'string', describe: 'write the state graph as SVG' },
    property: { type: 'string', describe: 'draw the counterexample path of this property in colour' },
    'max-states': { type: 'number', describe: 'refuse a graph with more states than this (default 1000)' },
  },
  simulate: {
    set,
    seed: { type: 'number', default: 1, describe: 'seed of the random choices (the same seed, the same path)' },
    steps: { type: 'number', default: 50, describe: 'length of the path, in steps (at most 100000)' },
    storms: { type: 'boolean', default: false, describe: 'let interrupts arrive at any step (default: a fair path, arrivals now and then)' },
  },
  export: {
    dot: { type: 'string', describe: 'write the counterexample graph as DOT (default: DOT on stdout)' },
    svg: { type: 'string', describe: 'write the counterexample graph as SVG' },
    html: { type: 'string', describe: 'write an interactive HTML report' },
  },
  kernel: {},
  'kernel run': {
    seed: { type: 'number', default: 1, describe: 'seed of the timer jitter' },
    cycles: { type: 'number', describe: 'cycles to run before stopping (default 200000)' },
    timeout: { type: 'number', describe: 'stop after S seconds (default 300), exit 3' },
    trace: { type: 'string', describe: 'write the event trace (JSON lines)' },
  },
  'kernel qemu': {
    seed: { type: 'number', default: 1, describe: 'varies the timer period and the work lengths' },
    events: { type: 'number', default: 2000, describe: 'events the kernel logs before its end' },
    trace: { type: 'string', describe: 'write the event trace (JSON lines)' },
    timeout: { type: 'number', default: 60, describe: 'seconds before the harness watchdog calls it a hang' },
  },
  conform: {
    set,
    complete: { type: 'boolean', default: false, describe: 'the trace must end with an end, fault or hang event' },
  },
  replay: {
    set,
    hold: { type: 'number', default: 0, describe: 'then hold the other CPUs for this many cycles' },
  },
  gate: {
    format: { choices: ['text', 'junit', 'sarif'] as const, default: 'text' as const, describe: 'report format on stdout (or --output)' },
    output: { type: 'string', describe: 'write the report to this file' },
    junit: { type: 'string', describe: 'also write a JUnit report to this file (with any --format)' },
    sarif: { type: 'string', describe: 'also write a SARIF report to this file (with any --format)' },
    html: { type: 'string', describe: 'write an HTML report of every counterexample into this directory' },
    shard: { type: 'string', describe: "run shard I of N (I/N): every Nth check, for a CI matrix; 'schedcheck merge' joins the shards' reports" },
  },
  merge: {
    junit: { type: 'string', describe: "write the merged JUnit report of the gate shards' JUnit reports to this file" },
    sarif: { type: 'string', describe: "write the merged SARIF log of the gate shards' SARIF logs to this file" },
    format: { choices: ['text', 'json'] as const, default: 'text' as const, describe: "the swarm jobs' merged verdicts as text or JSON (on stdout or --output)" },
    output: { type: 'string', describe: "write the swarm jobs' merged verdicts to this file" },
    trace: { type: 'string', describe: "write the swarm jobs' shortest counterexample as ITF JSON" },
  },
  lsp: {
    stdio: { type: 'boolean', describe: 'talk over stdin and stdout (the only transport; editors pass it)' },
  },
} as const;
