// Typed arguments of every command. The yargs declarations in main.ts produce exactly these.

export type Engine = 'explicit' | 'smt' | 'both';
export type CheckFormat = 'text' | 'json' | 'junit' | 'sarif';

export interface CheckArgs {
  models: string[];
  property: string[];
  engine: Engine;
  set: string[];
  maxDepth?: number;
  maxStates?: number;
  maxMemory?: number;
  timeout?: number;
  /** `--hash-compaction`: 64-bit fingerprints instead of whole states (CheckOptions.hashCompaction). */
  hashCompaction?: boolean;
  /** `--symmetry`: one state per renumbering of interchangeable threads (CheckOptions.symmetry). */
  symmetry?: boolean;
  /** `--workers N`: threads of the explicit search (CheckOptions.workers); default the cores available. */
  workers?: number;
  /** `--checkpoint DIR`, `--checkpoint-every S`, `--resume DIR` (CheckOptions.checkpoint, resume). */
  checkpoint?: string;
  /** `--spill-dir DIR` (CheckOptions.spillDir). */
  spillDir?: string;
  checkpointEvery?: number;
  resume?: string;
  /** `--learn-from`: smaller configurations (NAME=VALUE lists) the SMT engine learns invariants from. */
  learnFrom?: string[];
  /** `--pdr`: the SMT engine also tries ABC's IC3 (smt/aig/pdr.ts). */
  pdr?: boolean;
  format: CheckFormat;
  /** `--expect`: exit by whether every verdict matches the model's `expect` lines, not by the verdicts. */
  expect?: boolean;
  output?: string;
  /** Also write the JUnit / SARIF report to this file, in the same run. */
  junit?: string;
  sarif?: string;
  trace?: string;
  dot?: string;
  svg?: string;
  /** `--html FILE`: the interactive counterexample report. */
  html?: string;
  /** `--swarm I/N`: job I of N of a swarm search; the report is the job's result (JSON). */
  swarm?: string;
}

export interface ParseArgs {
  model: string;
  ir: boolean;
  set: string[];
}

export interface ExploreArgs {
  model: string;
  set: string[];
  dot?: string;
  svg?: string;
  property?: string;
  maxStates?: number;
}

export interface SimulateArgs {
  model: string;
  set: string[];
  seed: number;
  steps: number;
  /** Interrupts may arrive at any step (uniform choice), instead of a fair path. */
  storms?: boolean;
}

export interface ExportArgs {
  trace: string;
  dot?: string;
  svg?: string;
  html?: string;
}

export interface KernelRunArgs {
  /** Without a design, the command lists them. */
  design?: string;
  seed: number;
  cycles?: number;
  timeout?: number;
  trace?: string;
}

export interface KernelQemuArgs {
  design: string;
  seed: number;
  /** Events the kernel logs before its `end`. */
  events: number;
  trace?: string;
  /** Seconds before the harness watchdog ends the run as a hang. */
  timeout: number;
}

export interface ConformArgs {
  model: string;
  trace: string;
  set: string[];
  /** `--complete`: the trace must end with an end, fault or hang event. */
  complete?: boolean;
}

export interface ReplayArgs {
  model: string;
  cex: string;
  set: string[];
  /** `--hold N`: after the counterexample, hold the other CPUs for N cycles (0: none). */
  hold?: number;
}

export interface InitArgs {
  file: string;
  arch: 'x86_64' | 'aarch64';
  cpus: number;
}

export interface GateArgs {
  plans: string[];
  format: 'text' | 'junit' | 'sarif';
  output?: string;
  /** Also write the JUnit / SARIF report to this file, in the same run. */
  junit?: string;
  sarif?: string;
  /** `--html DIR`: an HTML report per counterexample found. */
  html?: string;
  /** `--shard I/N`: run only the checks dealt to shard I of N (validated by the CLI). */
  shard?: string;
}

export interface MergeArgs {
  files: string[];
  /** The merged JUnit report / SARIF log of `gate --shard` jobs goes to this file. */
  junit?: string;
  sarif?: string;
  /** Swarm jobs' results: the merged verdicts as text or JSON, on stdout or to `output`. */
  format: 'text' | 'json';
  output?: string;
  /** The merged shortest counterexample as ITF. */
  trace?: string;
}
