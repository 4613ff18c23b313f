/*
 * models/aarch64-003/next-task-reaps.sched in Promela, for the SPIN side of the bench (bench/spin.ts).
 * 003_2b0e7a205e879def.txt, Q2 done right: the task switched to frees the exited task's stack after the switch
 * (finish_task_switch), with CONTEXT_SWITCH_LOCK held across it. Cooperative: no timer.
 *
 * Sizes: -DCPUS=n -DTHREADS=n as `--set` does (THREADS counts every task, the CPUS boot tasks included).
 * Threads: boot[i] = i, task[j] = CPUS + j. pcs follow the model's instruction order (jumps followed).
 *
 * Differences from schedcheck: only those of machine.pml (one extra stored state, the pre-boot one; a fatal
 * step returns there). Same states otherwise.
 */
#ifndef CPUS
#define CPUS 1
#endif
#ifndef THREADS
#define THREADS 2
#endif

#define AARCH64
#define NO_LINE
#define NCPU CPUS
#define NT THREADS
#define DEPTH 6
#define NLOCK 1
#define STOPPED 32

#define CSL 0                        /* CONTEXT_SWITCH_LOCK: spin handoff */

#define RETPT(c) pc[c]
#define STEP_OK(c) ((pc[c] == 11 || pc[c] == 21) -> (lown[CSL] == 0) : 1)

#include "machine.pml"

byte next[NCPU];
byte prev[NCPU];

inline crash_vars() {
  ii = 0;
  do :: ii < NCPU -> next[ii] = 0; prev[ii] = 0; ii++ :: else -> break od
}

inline boot() {
  ii = 0;
  do :: ii < NCPU -> next[ii] = NONE; prev[ii] = NONE; boot_running(ii, ii, 0); ii++ :: else -> break od;
  jj = CPUS;
  do :: jj < NT -> boot_ready(jj, K_SWITCH, 5); jj++ :: else -> break od
}

inline exec(c) {
  if
  /* thread boot */
  :: pc[c] == 0 -> i_sti(c); npc = 1
  :: pc[c] == 1 -> npc = 2
  :: pc[c] == 2 -> i_call(c, 10, 1)                     /* call yield_now */
  /* thread task */
  :: pc[c] == 5 -> i_call(c, 26, 6)                     /* call finish_switch */
  :: pc[c] == 6 -> i_sti(c); npc = 7
  :: pc[c] == 7 -> npc = 8
  :: pc[c] == 8 -> i_call(c, 19, 9)                     /* call task_exit */
  :: pc[c] == 9 -> i_end(c)
  /* proc yield_now */
  :: pc[c] == 10 -> ie[c] = 0; npc = 11
  :: pc[c] == 11 -> i_acquire(c, CSL, 0, 12)
  :: pc[c] == 12 -> i_enqueue(cur[c]); npc = 13
  :: pc[c] == 13 -> prev[c] = cur[c]; npc = 14
  :: pc[c] == 14 -> rq_shift(); next[c] = tt; npc = 15
  :: pc[c] == 15 -> i_switch_to(c, next[c], 16)
  :: pc[c] == 16 -> i_call(c, 26, 17)
  :: pc[c] == 17 -> i_sti(c); npc = 18
  :: pc[c] == 18 -> i_ret(c)
  /* proc task_exit */
  :: pc[c] == 19 -> ie[c] = 0; npc = 20
  :: pc[c] == 20 -> i_exit(c); npc = 21
  :: pc[c] == 21 -> i_acquire(c, CSL, 0, 22)
  :: pc[c] == 22 -> prev[c] = cur[c]; npc = 23
  :: pc[c] == 23 -> rq_shift(); next[c] = tt; npc = 24
  :: pc[c] == 24 -> i_switch_to(c, next[c], 25)
  :: pc[c] == 25 -> i_ret(c)
  /* proc finish_switch */
  :: pc[c] == 26 -> if :: prev[c] != NONE -> npc = 27 :: else -> npc = 30 fi
  :: pc[c] == 27 -> if :: tst[prev[c]] == EXITED -> npc = 28 :: else -> npc = 29 fi
  :: pc[c] == 28 -> i_free_stack(prev[c]); npc = 29
  :: pc[c] == 29 -> prev[c] = NONE; npc = 30
  :: pc[c] == 30 -> i_release(c, CSL, 0); npc = 31
  :: pc[c] == 31 -> i_ret(c)
  fi
}

#include "machine-run.pml"
