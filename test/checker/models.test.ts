// Every small model in test/checker/models holds or violates what its `expect` lines say, with pinned state
// counts (states explored when the verdict was decided) and counterexample lengths. A changed number is a
// changed semantics or search order, to be explained. Every counterexample replays through the Model and is
// shortest.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkProgram } from '../../src/checker/check.js';
import { buildModel } from '../../src/hw/build.js';
import type { PropertyId } from '../../src/ir/ir.js';
import { load, summary } from './helpers.js';
import { assertCounterexampleReplays, assertNoShorterViolation, bfsDepths } from './laws.js';

/** `verdict states [length]` per model and property: the pinned outcome. */
const PINNED: Record<string, Partial<Record<PropertyId, string>>> = {
  'assert-enqueue-twice': { assertions: 'violated 2 2' },
  'assert-lost-update': { assertions: 'violated 27 6' },
  'assert-range': { assertions: 'violated 3 3' },
  'assert-statement': { assertions: 'violated 25 6' },
  'bits-cpumask': { assertions: 'holds 146' },
  'bits-cpumask-other': { assertions: 'violated 21 6' },
  'bits-shift-variable': { assertions: 'holds 528' },
  'boot-masked': { assertions: 'holds 12' },
  'boot-unmasked': { assertions: 'violated 5 2' },
  'choice-any-budget': { assertions: 'violated 21 4' },
  'choice-any-budget-ok': { assertions: 'holds 118', 'no-deadlock': 'holds 118', 'no-starvation': 'holds 118' },
  'choice-either-order': { 'no-deadlock': 'violated 27 4', 'lock-order': 'violated 18 3' },
  'cpustate-irq-flags': { assertions: 'holds 32' },
  'deadlock-abba': { 'no-deadlock': 'violated 5 2', 'lock-order': 'violated 6 2', 'stack-integrity': 'holds 30' },
  'deadlock-hlt-masked': { 'no-deadlock': 'violated 8 3' },
  'deadlock-ordered': { 'no-deadlock': 'holds 27', 'lock-order': 'holds 27' },
  'deadlock-sti-hlt': { 'no-deadlock': 'holds 12', 'eoi-discipline': 'holds 12' },
  'eoi-ack-not-pending': { 'eoi-discipline': 'violated 4 2' },
  'eoi-deferred-lapic': { 'eoi-discipline': 'holds 30' },
  'eoi-deferred-never': { 'eoi-discipline': 'violated 29 1' },
  'eoi-forever': { 'eoi-discipline': 'violated 3 1', 'no-deadlock': 'holds 3' },
  'eoi-gic-ok': { 'eoi-discipline': 'holds 9', 'stack-integrity': 'holds 9' },
  'eoi-missing': { 'eoi-discipline': 'violated 5 3' },
  'eoi-not-in-service': { 'eoi-discipline': 'violated 4 2' },
  'forged-eret-late-eoi': { 'eoi-discipline': 'holds 14' },
  'forged-iret-32-lines': { 'eoi-discipline': 'holds 10' },
  'forged-iret-late-eoi': { 'eoi-discipline': 'holds 10' },
  'handoff-irqs-on-before-release': { 'eoi-discipline': 'violated 84 8', 'irq-lock-safety': 'violated 20 6', 'lock-order': 'violated 27 8', 'no-deadlock': 'violated 27 8' },
  'handoff-release-then-irqs-on': { 'irq-lock-safety': 'holds 78', 'lock-order': 'holds 78', 'no-deadlock': 'holds 78' },
  'handoff-restore-context': { assertions: 'holds 10' },
  'i8259-specific-eoi-clear': { 'eoi-discipline': 'holds 4' },
  'irqsafety-inversion': { 'irq-lock-safety': 'violated 22 7', 'lock-order': 'holds 52' },
  'irqsafety-irqsave': { 'irq-lock-safety': 'holds 16', 'no-deadlock': 'holds 16', 'lock-order': 'holds 16' },
  'irqsafety-spin-in-handler': { 'irq-lock-safety': 'violated 5 2', 'no-deadlock': 'violated 5 2' },
  // Holds if {HARDIRQ-ON-W} is read in thread context only (tried: the verdict flips to holds with 16 states).
  'irqsafety-handler-sti': { 'irq-lock-safety': 'violated 5 3', 'no-deadlock': 'holds 16' },
  // hlt/wfi: the instruction executes, then the CPU is halted; an interrupt taken before it returns to it (tried:
  // returning past it, as before, hlt-taken-before-halt and wfi-unmask-window hold).
  'hlt-taken-before-halt': { 'no-deadlock': 'violated 56 9' },
  'hlt-sti-shadow': { 'no-deadlock': 'holds 80' },
  'lapic-eoi-named': { assertions: 'holds 19', 'eoi-discipline': 'holds 19' },
  'line-state-poll': { assertions: 'holds 23', 'no-deadlock': 'holds 23' },
  'line-state-poll-shadow': { assertions: 'violated 15 7' },
  'unpend-pendsv': { assertions: 'holds 6' },
  'unpend-pendsv-stale': { assertions: 'violated 8 8' },
  'wfi-unmask-window': { 'no-deadlock': 'violated 81 11' },
  'wfi-masked-wait': { 'no-deadlock': 'holds 96' },
  // Idle is not deadlock (tried: counting every halted CPU with a thread not exited, both idle models are violated).
  'idle-not-deadlock': { 'no-deadlock': 'holds 9' },
  'idle-wfi-not-deadlock': { 'no-deadlock': 'holds 2' },
  'idle-ready-thread': { 'no-deadlock': 'violated 9 4' },
  // Local APIC. Each flips with one change (tried): `tpr := 16` (tpr), `b` at vector 50 or explicit priorities
  // 2, 3, 4 without `controller lapic` (priority-class).
  'lapic-eoi-nested': { 'eoi-discipline': 'holds 48' },
  'lapic-eoi-twice': { 'eoi-discipline': 'violated 10 3' },
  'lapic-priority-class': { assertions: 'holds 184' },
  'lapic-tpr': { assertions: 'holds 16' },
  'latency-exceeded': { 'irq-latency': 'violated 8 3' },
  'latency-ok': { 'irq-latency': 'holds 14' },
  'warn-on-irqs-off-ipi': { assertions: 'violated 4 2', 'no-deadlock': 'violated 112 8' },
  'irqsafety-handler-waits': { 'irq-lock-safety': 'violated 4 3' },
  'deadlock-ptable-named': { 'no-deadlock': 'holds 4' },
  'priv-svc-kernel': { 'stack-integrity': 'holds 95', assertions: 'holds 95' },
  'cpu-arith': { assertions: 'holds 144' },
  'rmw-target-index': { assertions: 'holds 3' },
  'wq-idle-pool': { 'no-deadlock': 'holds 1482' },
  'wq-idle-worker': { 'no-deadlock': 'holds 104' },
  'wq-idle-worker-test-first': { 'no-deadlock': 'violated 102 5' },
  'wq-idle-worker-unsaid': { 'no-deadlock': 'violated 104 8' },
  'wq-len-active': { assertions: 'holds 115', 'no-deadlock': 'holds 115' },
  'wq-len-test-first': { assertions: 'holds 98', 'no-deadlock': 'violated 98 4' },
  'wq-sleep-handoff-irqs-off': { 'no-deadlock': 'holds 29', 'atomic-sleep': 'holds 29' },
  'gic-pmr-computed-restore': { assertions: 'holds 98' },
  'wq-waits-mutex': { 'no-deadlock': 'violated 35 2' },
  'wq-waits-self': { 'no-deadlock': 'violated 372 22' },
  'wq-waits-self-ok': { 'no-deadlock': 'holds 306' },
  'wq-wake-wrong-thread': { 'no-deadlock': 'violated 27 2' },
  'deadlock-spin-after-irq-exit': { 'no-deadlock': 'violated 86 7' },
  'nmi-printk-logbuf': { 'no-deadlock': 'violated 5 2' },
  'nmi-printk-safe': { 'no-deadlock': 'holds 110', assertions: 'holds 110' },
  'nmi-irqsave-spin': { assertions: 'holds 126' },
  'deadlock-nmi-ist-over-spin': { 'no-deadlock': 'violated 82 3' },
  'deadlock-ptable-named-mutex': { 'no-deadlock': 'holds 6' },
  'nmi-lapic-vector2': { 'no-deadlock': 'holds 14', 'eoi-discipline': 'holds 14' },
  'livelock-wfi-masked': { 'no-deadlock': 'violated 33 2' },
  'livelock-wfi-unmasked': { 'no-deadlock': 'holds 49' },
  'lockorder-bad-unlock': { 'lock-order': 'violated 3 2' },
  'lockorder-chain': { 'lock-order': 'violated 11 10' },
  'lockorder-handoff': { 'lock-order': 'holds 15', 'atomic-sleep': 'holds 15', 'stack-integrity': 'holds 15', 'no-deadlock': 'holds 15' },
  'lockorder-one-cpu': { 'lock-order': 'violated 7 6', 'no-deadlock': 'holds 10' },
  'lockorder-recursive': { 'lock-order': 'violated 3 2', 'no-deadlock': 'violated 3 2' },
  'mutex-sleep': { assertions: 'holds 38', 'atomic-sleep': 'holds 38', 'stack-integrity': 'holds 38' },
  'preempt-yield-disabled': { 'atomic-sleep': 'violated 6 5', assertions: 'holds 57' },
  // The scheduler's own preempt_count (tried: without `preempt_offset 1` the schedule model is violated; with
  // `preempt_offset 2` the nested one holds).
  'preempt-offset-schedule': { 'atomic-sleep': 'holds 126', 'no-deadlock': 'holds 126', 'lock-order': 'holds 126' },
  // Bottom halves disabled (tried: the yield moved across local_bh_enable flips each).
  'softirq-bh-switch': { 'atomic-sleep': 'violated 8 7', assertions: 'holds 67' },
  'softirq-bh-balanced': { 'atomic-sleep': 'holds 68', assertions: 'holds 68' },
  'preempt-offset-nested': { 'atomic-sleep': 'violated 38 9', 'no-deadlock': 'holds 144', 'lock-order': 'holds 144' },
  'restore-forged-iret': { 'stack-integrity': 'holds 29' },
  'restore-forged-switch': { 'stack-integrity': 'violated 1 1' },
  'sleep-mutex-in-handler': { 'atomic-sleep': 'violated 3 2' },
  'sleep-spinlock-switch': { 'atomic-sleep': 'violated 5 4' },
  'sleep-switch-after-irq-exit': { 'atomic-sleep': 'holds 13', 'stack-integrity': 'holds 13', 'eoi-discipline': 'holds 13' },
  'sleep-switch-in-handler': { 'atomic-sleep': 'violated 7 4' },
  // Interrupt sources. Each verdict flips with one change (tried): a periodic source (once-per-cpu,
  // none-self-ipi), `at most 1` (at-most-exceeded, once-fair), `once` (at-most-unfair), `raise kick to 0` (ipi-to-cpu).
  'source-at-most-exceeded': { assertions: 'violated 10 6' },
  'source-at-most-unfair': { 'no-starvation': 'violated 9 1' },
  'source-ipi-to-cpu': { assertions: 'holds 19' },
  'source-none-self-ipi': { assertions: 'holds 7' },
  'source-once-fair': { 'no-starvation': 'holds 9' },
  'source-once-per-cpu': { assertions: 'holds 25' },
  'wq-lost-wakeup': { 'no-deadlock': 'violated 17 4', 'atomic-sleep': 'holds 17', 'stack-integrity': 'holds 17' },
  'wq-prepare-to-wait': { 'no-deadlock': 'holds 23', 'atomic-sleep': 'holds 23', 'stack-integrity': 'holds 23' },
  'wq-sleep-holding-spinlock': { 'atomic-sleep': 'violated 4 3', 'no-deadlock': 'violated 8 7' },
  'wq-xv6-sleep-lock': { 'no-deadlock': 'holds 30', 'lock-order': 'holds 30', 'atomic-sleep': 'holds 30' },
  'wq-xv6-sleep-lock-early': { 'no-deadlock': 'violated 38 9', 'lock-order': 'holds 38', 'atomic-sleep': 'holds 38' },
  'stack-elr-saved': { 'stack-integrity': 'holds 76', 'eoi-discipline': 'holds 76' },
  'stack-elr-unsaved': { 'stack-integrity': 'violated 17 4' },
  'stack-free-running': { 'stack-integrity': 'violated 2 2' },
  'stack-iret-in-proc': { 'stack-integrity': 'violated 3 3' },
  'stack-ist-ok': { 'stack-integrity': 'holds 8' },
  'stack-ist-reuse': { 'stack-integrity': 'violated 9 5' },
  'stack-nested-irq-overflow': { 'stack-integrity': 'violated 133 7' },
  'stack-overflow': { 'stack-integrity': 'violated 4 4' },
  'switch-forged-iret': { 'stack-integrity': 'violated 1 1' },
  'trap-gate': { assertions: 'violated 42 5' },
  // Lock arrays: each element its own lock (tried: double_rq_lock in caller order instead of CPU order flips
  // lock-order and no-deadlock; the index range check removed, the last acquire takes no lock and assertions holds).
  'lockarray-double-rq-ordered': { 'lock-order': 'holds 161', 'no-deadlock': 'holds 161', assertions: 'holds 161' },
  'lockarray-double-rq-abba': { 'lock-order': 'violated 21 5', 'no-deadlock': 'violated 41 8', assertions: 'holds 136' },
  'lockarray-index-range': { assertions: 'violated 9 9', 'lock-order': 'holds 9' },
  // Run queues: the default one is the executing CPU's (tried: always rq[0] instead, wake-this-cpu is violated);
  // no-starvation sees t ready on rq[0] or rq[1] (the pull balancer's twin without the pull starves t).
  'runqueue-wake-this-cpu': { assertions: 'holds 12' },
  'runqueue-pull-balance': { 'no-starvation': 'holds 12', 'lock-order': 'holds 12', assertions: 'holds 12' },
  'runqueue-no-balance': { 'no-starvation': 'violated 4 5', 'lock-order': 'holds 4' },
  'runqueue-index-range': { assertions: 'violated 11 11' },
  'runqueue-dequeue-migrate': { assertions: 'holds 48' },
  // The context switch in steps, forged frames, process-table states (test/checker/switch.test.ts: tried, each
  // verdict flips with its rule reverted).
  'switch-split-tick-window': { 'stack-integrity': 'violated 166 13' },
  'switch-split-masked': { 'stack-integrity': 'holds 119' },
  'forged-ret-from-fork': { 'stack-integrity': 'holds 70', 'no-deadlock': 'holds 70' },
  'forged-ret-from-fork-no-regs': { 'stack-integrity': 'violated 23 8', 'no-deadlock': 'holds 24' },
  'ptable-first-fit': { 'no-starvation': 'violated 64 21', 'stack-integrity': 'holds 64' },
  'wq-wake-one-fifo': { assertions: 'holds 23' },
  'ptable-lost-wakeup': { 'no-deadlock': 'violated 39 7' },
  // A local read after load_sp onto another thread's stack (tried: without the level check, assertions is violated
  // and stack-integrity holds).
  'switch-local-other-stack': { 'stack-integrity': 'violated 5 5', assertions: 'holds 5' },
  'symmetry-preempt-count': { assertions: 'holds 967', 'atomic-sleep': 'violated 59 13' },
  'gic-nest-locals': { assertions: 'holds 561', 'eoi-discipline': 'holds 561', 'stack-integrity': 'holds 561' },
  'gic-nest-global': { 'eoi-discipline': 'violated 309 19' },
  'lockarray-irq-safety': { 'irq-lock-safety': 'violated 8 2', 'no-deadlock': 'violated 52 4' },
  'lockarray-irq-safety-irqsave': { 'irq-lock-safety': 'holds 256', 'no-deadlock': 'holds 256' },
  'ptable-round-robin': { 'no-starvation': 'holds 120', 'no-deadlock': 'holds 120', 'stack-integrity': 'holds 120' },
  'gic-pmr-unmask-ff': { 'no-deadlock': 'holds 32', 'irq-lock-safety': 'holds 32', assertions: 'holds 32' },
  'gic-eoimode1-forwarded': { 'eoi-discipline': 'holds 18' },
  'wq-sleep-irqs-off': { 'no-deadlock': 'violated 20 5', 'atomic-sleep': 'violated 7 3' },
  'rmw-xchg-lock': { assertions: 'holds 63' },
  'rmw-split-lock': { assertions: 'violated 105 11' },
  'rmw-cmpxchg-counter': { assertions: 'holds 183' },
  'rmw-fetch-add-range': { assertions: 'violated 4 4' },
  'gic-pmr-save-restore': { assertions: 'holds 210', 'irq-lock-safety': 'holds 210' },
};

/** Properties the Model reports as events alone, where "shortest" can be checked against every violation. */
const EVENT_PROPERTIES = new Set<PropertyId>(['stack-integrity', 'assertions', 'atomic-sleep']);

describe('test models', () => {
  for (const [name, pinned] of Object.entries(PINNED)) {
    it(name, async () => {
      // Arrange
      const file = `test/checker/models/${name}.sched`;
      const program = load(readFileSync(file, 'utf8'), [], file);
      const properties = program.expectations.map((e) => e.property);
      expect(Object.keys(pinned).sort()).toEqual([...properties].sort());

      // Act
      const report = await checkProgram(program, { properties, progress: false });

      // Assert: the model's own expectations, the pinned numbers, and the laws of every counterexample.
      const model = buildModel(program);
      const depths = bfsDepths(model);
      for (const e of program.expectations) {
        const r = report.results.find((x) => x.property === e.property)!;
        expect(`${e.property} ${r.verdict}`).toBe(`${e.property} ${e.verdict}`);
        expect(`${e.property} ${summary(report, e.property)}`).toBe(`${e.property} ${pinned[e.property]}`);
        if (r.verdict !== 'violated') continue;
        assertCounterexampleReplays(model, r.counterexample, depths);
        if (EVENT_PROPERTIES.has(e.property)) assertNoShorterViolation(model, e.property, r.counterexample.length);
      }
    });
  }
});
