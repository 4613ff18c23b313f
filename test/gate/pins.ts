// Pinned figures of every model (the seeds and models/corpus) in every configuration the plans check: the number
// of distinct states the explicit checker explores (the most any property of that check needed) and the length of
// every counterexample.
// A change to the semantics, the models or the engine that moves one of these must say why in its commit.
// Keys: the model path and the configuration label exactly as `schedcheck gate` prints them.

import type { PropertyId } from '../../src/ir/ir.js';

export interface Pin {
  states: number;
  cex: Partial<Record<PropertyId, number>>;
}

/** The model file and `--set` constants of a pin's key (`FILE -` or `FILE NAME=V ...`). */
export function pinnedConfig(key: string): { file: string; sets: string[] } {
  const [file, config] = key.split(' ') as [string, string];
  return { file, sets: config === '-' ? [] : key.slice(file.length + 1).split(' ') };
}

export const PINS: Record<string, Pin> = {
  'models/aarch64-003/context-switch-lock-early-release.sched CPUS=2 THREADS=3': { states: 38276, cex: { 'stack-integrity': 21 } },
  'models/aarch64-003/context-switch-lock.sched CPUS=1 THREADS=2': { states: 150, cex: {} },
  'models/aarch64-003/context-switch-lock.sched CPUS=1 THREADS=3': { states: 246, cex: {} },
  'models/aarch64-003/context-switch-lock.sched CPUS=2 THREADS=3': { states: 32900, cex: {} },
  'models/aarch64-003/context-switch-lock.sched CPUS=2 THREADS=4': { states: 80036, cex: {} },
  'models/aarch64-003/elr-saved-before-unmask.sched THREADS=2': { states: 195, cex: {} },
  'models/aarch64-003/elr-saved-before-unmask.sched THREADS=3': { states: 321, cex: {} },
  'models/aarch64-003/elr-unsaved.sched THREADS=2': { states: 60, cex: { 'stack-integrity': 11 } },
  'models/aarch64-003/idle-wfi-masked.sched -': { states: 92, cex: { 'no-deadlock': 6 } },
  'models/aarch64-003/idle-wfi-unmask.sched THREADS=2': { states: 394, cex: {} },
  'models/aarch64-003/idle-wfi-unmask.sched THREADS=3': { states: 3106, cex: {} },
  'models/aarch64-003/next-task-reaps.sched CPUS=1 THREADS=2': { states: 45, cex: {} },
  'models/aarch64-003/next-task-reaps.sched CPUS=1 THREADS=3': { states: 61, cex: {} },
  'models/aarch64-003/next-task-reaps.sched CPUS=2 THREADS=3': { states: 1531, cex: {} },
  'models/aarch64-003/next-task-reaps.sched CPUS=2 THREADS=4': { states: 2811, cex: {} },
  'models/aarch64-003/reaper-races-exit.sched -': { states: 48, cex: { 'stack-integrity': 8 } },
  'models/aarch64-003/schedule-frees-exiting.sched -': { states: 8, cex: { 'stack-integrity': 8 } },
  'models/aethelos-001/cpu-hog-cooperative.sched THREADS=2': { states: 16, cex: { 'no-starvation': 6 } },
  'models/aethelos-001/lock-contention-racy.sched THREADS=2': { states: 8474, cex: { 'assertions': 43 } },
  'models/aethelos-001/lock-contention.sched THREADS=2': { states: 2569, cex: {} },
  'models/aethelos-001/lock-contention.sched THREADS=3': { states: 18019, cex: {} },
  'models/aethelos-001/missing-eoi.sched -': { states: 102, cex: { 'eoi-discipline': 25, 'no-starvation': 28 } },
  'models/aethelos-001/option2-yield-pending.sched THREADS=2': { states: 630, cex: {} },
  'models/aethelos-001/option2-yield-pending.sched THREADS=3': { states: 4432, cex: {} },
  'models/aethelos-001/phase33-preemptive-yield.sched -': { states: 178, cex: { 'eoi-discipline': 1, 'atomic-sleep': 11, 'no-starvation': 15 } },
  'models/aethelos-001/spin-mutex-fixed.sched THREADS=2': { states: 234, cex: {} },
  'models/aethelos-001/spin-mutex-fixed.sched THREADS=3': { states: 354, cex: {} },
  'models/aethelos-001/spin-mutex-loom.sched -': { states: 207, cex: { 'no-deadlock': 8, 'irq-lock-safety': 6, 'lock-order': 8, 'eoi-discipline': 7 } },
  'models/ckernel-002/option-a-iretq-switch.sched THREADS=2': { states: 543, cex: {} },
  'models/ckernel-002/option-a-iretq-switch.sched THREADS=3': { states: 2409, cex: {} },
  'models/ckernel-002/option-c-context-stub.sched THREADS=2': { states: 627, cex: {} },
  'models/ckernel-002/option-c-context-stub.sched THREADS=3': { states: 2781, cex: {} },
  'models/ckernel-002/option-c-old-context-layout.sched THREADS=2': { states: 87, cex: { 'stack-integrity': 15 } },
  'models/ckernel-002/stub-ret-switch-matching.sched THREADS=2': { states: 321, cex: {} },
  'models/ckernel-002/stub-ret-switch-matching.sched THREADS=3': { states: 537, cex: {} },
  'models/ckernel-002/stub-ret-switch.sched THREADS=2': { states: 87, cex: { 'stack-integrity': 15 } },
  'models/corpus/arm64-el0-ret-to-user-no-resched.sched -': { states: 38, cex: { 'no-starvation': 23 } },
  'models/corpus/arm64-el0-ret-to-user.sched -': { states: 258, cex: {} },
  'models/corpus/arm64-el1-irq-eoi-late.sched -': { states: 46, cex: { 'eoi-discipline': 3, 'no-starvation': 14 } },
  'models/corpus/arm64-el1-irq-preempt-in-hardirq.sched -': { states: 158, cex: { 'atomic-sleep': 11 } },
  'models/corpus/arm64-el1-irq.sched -': { states: 162, cex: {} },
  'models/corpus/arm64-idle-daifclr-wfi.sched -': { states: 134, cex: { 'no-deadlock': 16 } },
  'models/corpus/arm64-idle-unmask-early.sched -': { states: 164, cex: { 'no-deadlock': 16 } },
  'models/corpus/arm64-idle-wfi.sched -': { states: 122, cex: {} },
  'models/corpus/arm64-irqentry-exit-ignores-mode.sched -': { states: 5440, cex: { 'atomic-sleep': 18 } },
  'models/corpus/arm64-irqentry-exit.sched -': { states: 8063, cex: {} },
  'models/corpus/linux-cond-resched.sched -': { states: 247, cex: {} },
  'models/corpus/linux-double-rq-lock-abba.sched -': { states: 167, cex: { 'lock-order': 3, 'no-deadlock': 4 } },
  'models/corpus/linux-double-rq-lock.sched -': { states: 160, cex: {} },
  'models/corpus/linux-exit-to-user-no-resched.sched -': { states: 47, cex: { 'no-starvation': 14 } },
  'models/corpus/linux-exit-to-user.sched -': { states: 243, cex: {} },
  'models/corpus/linux-gic-handle-irq-no-range-check.sched -': { states: 2445, cex: { 'eoi-discipline': 12 } },
  'models/corpus/linux-gic-handle-irq.sched -': { states: 1812, cex: {} },
  'models/corpus/linux-idle-polling-test-first.sched -': { states: 155, cex: { 'no-deadlock': 11 } },
  'models/corpus/linux-idle-polling.sched -': { states: 158, cex: {} },
  'models/corpus/linux-idle-safe-halt.sched -': { states: 104, cex: {} },
  'models/corpus/linux-idle-sti-early.sched -': { states: 130, cex: { 'no-deadlock': 15 } },
  'models/corpus/linux-irqsave-nested.sched -': { states: 3590, cex: {} },
  'models/corpus/linux-irqentry-exit-ignores-mode.sched -': { states: 3599, cex: { 'atomic-sleep': 15 } },
  'models/corpus/linux-irqentry-exit.sched -': { states: 4586, cex: {} },
  'models/corpus/linux-irqsave-shared.sched -': { states: 2355, cex: {} },
  'models/corpus/linux-kthread-no-cond-resched.sched -': { states: 39, cex: { 'no-starvation': 10 } },
  'models/corpus/linux-preempt-irq-ignores-count.sched -': { states: 3057, cex: { 'atomic-sleep': 13 } },
  'models/corpus/linux-preempt-irq.sched -': { states: 3682, cex: {} },
  'models/corpus/linux-rq-lock-irqs-on.sched -': { states: 4062, cex: { 'irq-lock-safety': 6, 'no-deadlock': 8, 'lock-order': 8 } },
  'models/corpus/linux-rq-lock-tick.sched -': { states: 2580, cex: {} },
  'models/corpus/linux-rt-pull-double-lock-abba.sched -': { states: 1473, cex: { 'lock-order': 23, 'no-deadlock': 28 } },
  'models/corpus/linux-rt-pull-double-lock-balance.sched -': { states: 2244, cex: {} },
  'models/corpus/linux-spin-lock-irq-nested.sched -': { states: 4264, cex: { 'irq-lock-safety': 8, 'no-deadlock': 11, 'lock-order': 10, 'eoi-discipline': 4 } },
  'models/corpus/linux-spinlock-shared.sched -': { states: 2236, cex: { 'irq-lock-safety': 2, 'no-deadlock': 3, 'lock-order': 2, 'eoi-discipline': 2 } },
  'models/corpus/x86-nmi-ist-nested.sched -': { states: 112, cex: { 'stack-integrity': 4 } },
  'models/corpus/x86-nmi-ist.sched -': { states: 72, cex: {} },
  'models/corpus/hobby-pit-eoi-first.sched -': { states: 520, cex: {} },
  'models/corpus/hobby-pit-stub-switch-eoi-late.sched -': { states: 336, cex: {} },
  'models/corpus/hobby-pit-switch-before-eoi.sched -': { states: 104, cex: { 'eoi-discipline': 1, 'no-starvation': 12 } },
  'models/corpus/linux-futex-read-before-lock.sched -': { states: 6697, cex: { 'no-deadlock': 27 } },
  'models/corpus/linux-futex-wait-wake.sched -': { states: 5853, cex: {} },
  'models/corpus/linux-futex-waiters-inc-late.sched -': { states: 6589, cex: { 'no-deadlock': 27 } },
  'models/corpus/linux-i8259-level-irq-no-master-eoi.sched -': { states: 5632, cex: { 'eoi-discipline': 20, 'no-deadlock': 4 } },
  'models/corpus/linux-i8259-level-irq.sched -': { states: 4208, cex: {} },
  'models/corpus/linux-i8259-spurious-irq7.sched -': { states: 190, cex: {} },
  'models/corpus/xv6-forkret-no-release.sched CPUS=2 PROCS=2': { states: 1924, cex: { 'no-deadlock': 18, 'lock-order': 15 } },
  'models/corpus/xv6-riscv-kerneltrap-no-save.sched -': { states: 80, cex: { 'stack-integrity': 22 } },
  'models/corpus/xv6-riscv-kerneltrap.sched -': { states: 248, cex: {} },
  'models/corpus/xv6-sched-intena-global.sched -': { states: 126, cex: { 'assertions': 51 } },
  'models/corpus/xv6-sched-intena.sched -': { states: 232, cex: {} },
  'models/corpus/xv6-scheduler.sched CPUS=1 PROCS=2': { states: 150, cex: {} },
  'models/corpus/xv6-scheduler.sched CPUS=2 PROCS=2': { states: 11604, cex: {} },
  'models/corpus/xv6-sleep-release-first.sched -': { states: 254, cex: { 'assertions': 16, 'no-deadlock': 16 } },
  'models/corpus/xv6-sleep-wakeup.sched -': { states: 203, cex: {} },
  'models/corpus/linux-switch-to-asm.sched -': { states: 5366, cex: {} },
  'models/corpus/linux-smp-call-single.sched -': { states: 1044, cex: {} },
  'models/corpus/linux-smp-call-single-irqs-off.sched -': { states: 759, cex: { 'no-deadlock': 20, 'irq-latency': 11, assertions: 6 } },
  'models/corpus/linux-tlb-shootdown.sched -': { states: 1186, cex: {} },
  'models/corpus/linux-tlb-shootdown-irqsave.sched -': { states: 1551, cex: { 'no-deadlock': 18, 'irq-latency': 11, assertions: 8 } },
  'models/corpus/linux-tlb-shootdown-handler-lock.sched -': { states: 177, cex: { 'no-deadlock': 18, 'irq-lock-safety': 15 } },
  'models/corpus/arm64-gic-eoimode1-forwarded.sched -': { states: 4489, cex: {} },
  'models/corpus/arm64-gic-eoimode1-forwarded-host-dir.sched -': { states: 8649, cex: { 'eoi-discipline': 15 } },
  'models/corpus/linux-switch-to-asm-no-regs.sched -': { states: 198, cex: { 'stack-integrity': 20 } },
  'models/corpus/xv6-swtch-ptable.sched CPUS=1 PROCS=2': { states: 727, cex: {} },
  'models/corpus/xv6-swtch-ptable.sched CPUS=2 PROCS=2': { states: 111232, cex: {} },
  'models/corpus/xv6-swtch-ptable-release-early.sched CPUS=1 PROCS=2': { states: 290, cex: { 'stack-integrity': 23, 'lock-order': 17, 'no-deadlock': 31 } },
  'models/corpus/xv6-yield-release-early.sched CPUS=2 PROCS=2': { states: 13692, cex: { 'stack-integrity': 46 } },
  'models/executor-000/async-spawned-tasks.sched THREADS=2': { states: 110, cex: {} },
  'models/executor-000/async-spawned-tasks.sched THREADS=3': { states: 170, cex: {} },
  'models/executor-000/preemption-disabled.sched PROCESSES=1': { states: 20, cex: { 'no-starvation': 7 } },
  'models/executor-000/restore-from-main-loop.sched -': { states: 49, cex: { 'stack-integrity': 11, 'eoi-discipline': 1, 'atomic-sleep': 5 } },
  'models/forkexec-004/old-handler-abba.sched CPUS=1 THREADS=2': { states: 240, cex: { 'lock-order': 7, 'atomic-sleep': 21 } },
  'models/forkexec-004/old-handler-abba.sched CPUS=2 THREADS=2': { states: 78633, cex: { 'lock-order': 7, 'no-deadlock': 10, 'stack-integrity': 29, 'atomic-sleep': 21, 'eoi-discipline': 7 } },
  'models/forkexec-004/redesign-need-resched.sched CPUS=1 THREADS=2': { states: 717, cex: {} },
  'models/forkexec-004/redesign-need-resched.sched CPUS=1 THREADS=3': { states: 1656, cex: {} },
  'models/forkexec-004/redesign-need-resched.sched CPUS=2 THREADS=2': { states: 163989, cex: {} },
  'models/forkexec-004/redesign-need-resched.sched CPUS=2 THREADS=3': { states: 712722, cex: {} },
};

/**
 * The plans' checks with a reduction of the explicit engine, keyed as above with `[hc]` or `[symmetry]` after the
 * configuration (hash compaction keeps every state; symmetry one per renumbering of interchangeable threads).
 */
export const REDUCED_PINS: Record<string, Pin> = {
  'models/aarch64-003/next-task-reaps.sched CPUS=2 THREADS=4 [symmetry]': { states: 2139, cex: {} },
  'models/forkexec-004/redesign-need-resched.sched CPUS=2 THREADS=3 [hc]': { states: 712722, cex: {} },
};
