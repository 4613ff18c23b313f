/*
 * models/forkexec-004/redesign-need-resched.sched in Promela, for the SPIN side of the bench (bench/spin.ts).
 * 004_bc203f168223d5e6.txt, the redesign: minimal timer handler, need_resched, the switch on the interrupt-return
 * path with SCHED held across it and released by the thread switched to.
 *
 * Sizes: -DCPUS=n -DTHREADS=n as `--set` does (THREADS counts the shell and its children; every CPU has a boot
 * thread). Threads: boot[i] = i, child[j] = CPUS + j.
 * pcs follow the model's instruction order (jumps followed): see `exec`.
 *
 * Differences from schedcheck: only those of machine.pml (one extra stored state, the pre-boot one; a fatal
 * step returns there). Same states otherwise.
 */
#ifndef CPUS
#define CPUS 2
#endif
#ifndef THREADS
#define THREADS 2
#endif

#define X86
#define NCPU CPUS
#define NT (CPUS + THREADS - 1)
#define DEPTH 8
#define NLOCK 2
#define STOPPED 35
#define P_HANDLER 27

#define SCHED 0                      /* irqsave handoff */
#define PROC 1                       /* irqsave */

/* Interrupts return to the instruction they were taken at (no hlt here). */
#define RETPT(c) pc[c]

/* Whether the instruction at pc can step: an irqsave acquire waits only with its lock taken and IRQs masked. */
#define STEP_OK(c) ((pc[c] == 13) -> (lown[PROC] == 0 || ie[c]) : \
                   ((pc[c] == 15 || pc[c] == 21) -> (lown[SCHED] == 0 || ie[c]) : 1))

#include "machine.pml"

bit  need_resched[NCPU];
byte next[NCPU];
byte forked;                         /* 0..THREADS */

inline crash_vars() {
  ii = 0;
  do :: ii < NCPU -> need_resched[ii] = 0; next[ii] = 0; ii++ :: else -> break od;
  forked = 0
}

inline boot() {
  ii = 0;
  do :: ii < NCPU -> next[ii] = NONE; ii++ :: else -> break od;
  ii = 0;
  do :: ii < CPUS -> boot_running(ii, ii, 0); ii++ :: else -> break od;
  jj = 0;
  do :: jj < THREADS - 1 -> boot_dormant(CPUS + jj, K_SWITCH, 8); jj++ :: else -> break od
}

inline exec(c) {
  if
  /* thread boot */
  :: pc[c] == 0 -> i_sti(c); npc = 1
  :: pc[c] == 1 -> if :: cur[c] == 0 -> npc = 2 :: else -> npc = 5 fi     /* if self == boot[0] */
  :: pc[c] == 2 -> if :: forked < THREADS - 1 -> npc = 3 :: else -> npc = 5 fi
  :: pc[c] == 3 -> i_call(c, 13, 2)                                      /* call fork */
  :: pc[c] == 5 -> npc = 5                                               /* loop { work } */
  /* thread child */
  :: pc[c] == 8 -> i_release(c, SCHED, 1); npc = 9
  :: pc[c] == 9 -> i_sti(c); npc = 10
  :: pc[c] == 10 -> npc = 10
  /* proc fork */
  :: pc[c] == 13 -> i_acquire(c, PROC, 1, 14)
  :: pc[c] == 14 -> npc = 15
  :: pc[c] == 15 -> i_acquire(c, SCHED, 1, 16)
  :: pc[c] == 16 ->                                                      /* spawn child[forked] */
     if :: forked > THREADS - 2 -> fault = 1 :: else -> i_spawn(CPUS + forked) fi; npc = 17
  :: pc[c] == 17 -> i_release(c, SCHED, 1); npc = 18
  :: pc[c] == 18 -> i_release(c, PROC, 1); npc = 19
  :: pc[c] == 19 -> check_range(forked + 1, 0, THREADS); if :: !fault -> forked++ :: else -> skip fi; npc = 20
  :: pc[c] == 20 -> i_ret(c)
  /* proc schedule */
  :: pc[c] == 21 -> i_acquire(c, SCHED, 1, 22)
  :: pc[c] == 22 -> i_enqueue(cur[c]); npc = 23
  :: pc[c] == 23 -> rq_shift(); next[c] = tt; npc = 24
  :: pc[c] == 24 -> i_switch_to(c, next[c], 25)
  :: pc[c] == 25 -> i_release(c, SCHED, 1); npc = 26
  :: pc[c] == 26 -> i_ret(c)
  /* handler timer */
  :: pc[c] == 27 -> npc = 28
  :: pc[c] == 28 -> need_resched[c] = 1; npc = 29
  :: pc[c] == 29 -> i_eoi(c); npc = 30
  :: pc[c] == 30 -> i_irq_exit(c); npc = 31
  :: pc[c] == 31 -> if :: need_resched[c] -> npc = 32 :: else -> npc = 34 fi
  :: pc[c] == 32 -> need_resched[c] = 0; npc = 33
  :: pc[c] == 33 -> i_call(c, 21, 34)
  :: pc[c] == 34 -> i_iret(c)
  fi
}

#include "machine-run.pml"
