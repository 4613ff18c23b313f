// What the bench runs: every seed model (SPIN runs its Promela twin, printed from the semantics by
// bench/promela.ts), in one configuration each, and the growth series of the correct designs as threads go from
// 2 to 6 and CPUs from 1 to 2.

export interface BenchCase {
  /** The .sched model, relative to the repository root. */
  model: string;
  /** Constants, as `--set` for schedcheck and `-D` for SPIN. */
  sets: Record<string, number>;
}

/** Every seed model: the largest configuration its verification plan checks, or its own constants. */
export const SEED_CASES: BenchCase[] = [
  seed('executor-000/async-spawned-tasks', { THREADS: 3 }),
  seed('executor-000/preemption-disabled', {}),
  seed('executor-000/restore-from-main-loop', {}),
  seed('aethelos-001/cpu-hog-cooperative', {}),
  seed('aethelos-001/lock-contention', { THREADS: 3 }),
  seed('aethelos-001/lock-contention-racy', {}),
  seed('aethelos-001/missing-eoi', {}),
  seed('aethelos-001/option2-yield-pending', { THREADS: 3 }),
  seed('aethelos-001/phase33-preemptive-yield', {}),
  seed('aethelos-001/spin-mutex-fixed', { THREADS: 3 }),
  seed('aethelos-001/spin-mutex-loom', {}),
  seed('ckernel-002/option-a-iretq-switch', { THREADS: 3 }),
  seed('ckernel-002/option-c-context-stub', { THREADS: 3 }),
  seed('ckernel-002/option-c-old-context-layout', {}),
  seed('ckernel-002/stub-ret-switch', {}),
  seed('ckernel-002/stub-ret-switch-matching', { THREADS: 3 }),
  seed('aarch64-003/context-switch-lock', { CPUS: 2, THREADS: 4 }),
  seed('aarch64-003/context-switch-lock-early-release', {}),
  seed('aarch64-003/elr-saved-before-unmask', { THREADS: 3 }),
  seed('aarch64-003/elr-unsaved', {}),
  seed('aarch64-003/idle-wfi-masked', {}),
  seed('aarch64-003/idle-wfi-unmask', { THREADS: 3 }),
  seed('aarch64-003/next-task-reaps', { CPUS: 2, THREADS: 4 }),
  seed('aarch64-003/reaper-races-exit', {}),
  seed('aarch64-003/schedule-frees-exiting', {}),
  seed('forkexec-004/old-handler-abba', { CPUS: 2, THREADS: 2 }),
  seed('forkexec-004/redesign-need-resched', { CPUS: 2, THREADS: 3 }),
];

/**
 * A design whose thread count (and for the SMP ones, CPU count) is a constant. `minThreads` is the smallest
 * count the model accepts for a CPU count (the SMP seeds count the per-CPU boot threads in THREADS).
 */
export interface GrowthSeries {
  model: string;
  cpus: number[];
  /** The constant that counts the threads. */
  threads: string;
  minThreads: (cpus: number) => number;
}

export const GROWTH: GrowthSeries[] = [
  growth('aethelos-001/option2-yield-pending', [1], () => 2),
  growth('aethelos-001/lock-contention', [1], () => 2),
  growth('ckernel-002/option-a-iretq-switch', [1], () => 2),
  growth('aarch64-003/idle-wfi-unmask', [1], () => 2),
  growth('aarch64-003/context-switch-lock', [1, 2], (cpus) => cpus + 1),
  growth('aarch64-003/next-task-reaps', [1, 2], (cpus) => cpus + 1),
  growth('forkexec-004/redesign-need-resched', [1, 2], () => 2),
  // Not a seed design: identical workers with no thread of their own in the rotation, where symmetry applies.
  { model: 'bench/models/worker-pool.sched', cpus: [1, 2], threads: 'WORKERS', minThreads: (cpus) => cpus },
];

export const MAX_THREADS = 6;

function seed(path: string, sets: Record<string, number>): BenchCase {
  return { model: `models/${path}.sched`, sets };
}

function growth(path: string, cpus: number[], minThreads: (cpus: number) => number): GrowthSeries {
  return { model: `models/${path}.sched`, cpus, threads: 'THREADS', minThreads };
}

/** The cases of one growth series, smallest first: for each CPU count, the threads from the minimum to `max`. */
export function growthCases(series: GrowthSeries, max = MAX_THREADS): BenchCase[] {
  const cases: BenchCase[] = [];
  const smp = series.cpus.length > 1;
  for (const cpus of series.cpus) {
    for (let threads = Math.max(2, series.minThreads(cpus)); threads <= max; threads++) {
      const sets: Record<string, number> = smp ? { CPUS: cpus } : {};
      sets[series.threads] = threads;
      cases.push({ model: series.model, sets });
    }
  }
  return cases;
}

/** `CPUS=2 THREADS=3`, or `-` without constants. */
export function configLabel(sets: Record<string, number>): string {
  const parts = Object.entries(sets).map(([k, v]) => `${k}=${v}`);
  return parts.length === 0 ? '-' : parts.join(' ');
}

/** `forkexec-004/redesign-need-resched`: a model's path as the tables print it. */
export function modelLabel(model: string): string {
  return model.replace(/^(models|bench\/models)\//, '').replace(/\.sched$/, '');
}
