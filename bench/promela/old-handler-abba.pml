/*
 * models/forkexec-004/old-handler-abba.sched in Promela, for the SPIN side of the bench (bench/spin.ts).
 * 004_bc203f168223d5e6.txt, the old design: the timer handler takes SCHED then PROC and switches by returning
 * through the next thread's frame; fork takes PROC then SCHED. Broken (ABBA deadlock, one thread on two CPUs).
 *
 * Sizes: -DCPUS=n -DTHREADS=n as `--set` does. Threads: boot[i] = i, child[j] = CPUS + j.
 * pcs follow the model's instruction order (jumps followed): see `exec`.
 *
 * Differences from schedcheck: only those of machine.pml (one extra stored state, the pre-boot one; a fatal
 * step such as the iret into a thread that runs on the other CPU returns there). Same states otherwise.
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
#define STOPPED 30
#define P_HANDLER 19

#define SCHED 0                      /* irqsave */
#define PROC 1                       /* irqsave */

#define RETPT(c) pc[c]
#define STEP_OK(c) ((pc[c] == 11 || pc[c] == 22) -> (lown[PROC] == 0 || ie[c]) : \
                   ((pc[c] == 13 || pc[c] == 19) -> (lown[SCHED] == 0 || ie[c]) : 1))

#include "machine.pml"

byte next[NCPU];
byte forked;                         /* 0..THREADS */

inline crash_vars() {
  ii = 0;
  do :: ii < NCPU -> next[ii] = 0; ii++ :: else -> break od;
  forked = 0
}

inline boot() {
  ii = 0;
  do :: ii < NCPU -> next[ii] = NONE; ii++ :: else -> break od;
  ii = 0;
  do :: ii < CPUS -> boot_running(ii, ii, 0); ii++ :: else -> break od;
  jj = 0;
  do :: jj < THREADS - 1 -> boot_dormant(CPUS + jj, K_IRQ, 8); jj++ :: else -> break od
}

inline exec(c) {
  if
  /* thread boot */
  :: pc[c] == 0 -> i_sti(c); npc = 1
  :: pc[c] == 1 -> if :: cur[c] == 0 -> npc = 2 :: else -> npc = 5 fi
  :: pc[c] == 2 -> if :: forked < THREADS - 1 -> npc = 3 :: else -> npc = 5 fi
  :: pc[c] == 3 -> i_call(c, 11, 2)
  :: pc[c] == 5 -> npc = 5
  /* thread child */
  :: pc[c] == 8 -> npc = 8
  /* proc fork */
  :: pc[c] == 11 -> i_acquire(c, PROC, 1, 12)
  :: pc[c] == 12 -> npc = 13
  :: pc[c] == 13 -> i_acquire(c, SCHED, 1, 14)
  :: pc[c] == 14 -> if :: forked > THREADS - 2 -> fault = 1 :: else -> i_spawn(CPUS + forked) fi; npc = 15
  :: pc[c] == 15 -> i_release(c, SCHED, 1); npc = 16
  :: pc[c] == 16 -> i_release(c, PROC, 1); npc = 17
  :: pc[c] == 17 -> check_range(forked + 1, 0, THREADS); if :: !fault -> forked++ :: else -> skip fi; npc = 18
  :: pc[c] == 18 -> i_ret(c)
  /* handler timer */
  :: pc[c] == 19 -> i_acquire(c, SCHED, 1, 20)
  :: pc[c] == 20 -> i_enqueue(cur[c]); npc = 21
  :: pc[c] == 21 -> rq_shift(); next[c] = tt; npc = 22
  :: pc[c] == 22 -> i_acquire(c, PROC, 1, 23)
  :: pc[c] == 23 -> npc = 24
  :: pc[c] == 24 -> i_release(c, PROC, 1); npc = 25
  :: pc[c] == 25 -> i_release(c, SCHED, 1); npc = 26
  :: pc[c] == 26 -> i_eoi(c); npc = 27
  :: pc[c] == 27 -> if :: next[c] != cur[c] -> npc = 28 :: else -> npc = 29 fi
  :: pc[c] == 28 -> i_restore_context(c, next[c])
  :: pc[c] == 29 -> i_iret(c)
  fi
}

#include "machine-run.pml"
