/*
 * models/aarch64-003/context-switch-lock-early-release.sched in Promela, for the SPIN side of the bench.
 * 003_2b0e7a205e879def.txt, CONTEXT_SWITCH_LOCK released before the stack switch: another CPU's tick can pick
 * the task that is still being switched away from (broken: one task on two CPUs).
 *
 * Sizes: -DCPUS=n -DTHREADS=n as `--set` does. Threads: boot[i] = i, task[j] = CPUS + j.
 * pcs follow the model's instruction order (jumps followed).
 *
 * Differences from schedcheck: only those of machine.pml (one extra stored state, the pre-boot one; a fatal
 * step, here the switch to a task running on the other CPU, returns there). Same states otherwise.
 */
#ifndef CPUS
#define CPUS 2
#endif
#ifndef THREADS
#define THREADS 3
#endif

#define AARCH64
#define NCPU CPUS
#define NT THREADS
#define DEPTH 8
#define NLOCK 1
#define STOPPED 21
#define P_HANDLER 14

#define CSL 0                        /* CONTEXT_SWITCH_LOCK: spin */

#define RETPT(c) pc[c]
#define STEP_OK(c) ((pc[c] == 8) -> (lown[CSL] == 0) : 1)

#include "machine.pml"

byte next[NCPU];

inline crash_vars() {
  ii = 0;
  do :: ii < NCPU -> next[ii] = 0; ii++ :: else -> break od
}

inline boot() {
  ii = 0;
  do :: ii < NCPU -> next[ii] = NONE; boot_running(ii, ii, 0); ii++ :: else -> break od;
  jj = CPUS;
  do :: jj < NT -> boot_ready(jj, K_SWITCH, 4); jj++ :: else -> break od
}

inline exec(c) {
  if
  /* thread boot */
  :: pc[c] == 0 -> i_sti(c); npc = 1
  :: pc[c] == 1 -> npc = 1
  /* thread task */
  :: pc[c] == 4 -> i_sti(c); npc = 5
  :: pc[c] == 5 -> npc = 5
  /* proc schedule */
  :: pc[c] == 8 -> i_acquire(c, CSL, 0, 9)
  :: pc[c] == 9 -> i_enqueue(cur[c]); npc = 10
  :: pc[c] == 10 -> rq_shift(); next[c] = tt; npc = 11
  :: pc[c] == 11 -> i_release(c, CSL, 0); npc = 12
  :: pc[c] == 12 -> i_switch_to(c, next[c], 13)
  :: pc[c] == 13 -> i_ret(c)
  /* handler timer */
  :: pc[c] == 14 -> i_save_elr(c); npc = 15
  :: pc[c] == 15 -> i_ack(c); npc = 16
  :: pc[c] == 16 -> i_eoi(c); npc = 17
  :: pc[c] == 17 -> i_irq_exit(c); npc = 18
  :: pc[c] == 18 -> i_call(c, 8, 19)
  :: pc[c] == 19 -> i_restore_elr(c); npc = 20
  :: pc[c] == 20 -> i_eret(c)
  fi
}

#include "machine-run.pml"
