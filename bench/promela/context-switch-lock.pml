/*
 * models/aarch64-003/context-switch-lock.sched in Promela, for the SPIN side of the bench (bench/spin.ts).
 * 003_2b0e7a205e879def.txt, CONTEXT_SWITCH_LOCK held across the stack switch and released by the task switched
 * to; the timer saves ELR/SPSR, acknowledges and deactivates the line and schedules on the return path.
 *
 * Sizes: -DCPUS=n -DTHREADS=n as `--set` does (THREADS counts every task, the CPUS boot tasks included).
 * Threads: boot[i] = i, task[j] = CPUS + j. pcs follow the model's instruction order (jumps followed).
 *
 * Differences from schedcheck: only those of machine.pml (one extra stored state, the pre-boot one; a fatal
 * step returns there). Same states otherwise.
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
#define STOPPED 22
#define P_HANDLER 15

#define CSL 0                        /* CONTEXT_SWITCH_LOCK: spin handoff */

#define RETPT(c) pc[c]
#define STEP_OK(c) ((pc[c] == 9) -> (lown[CSL] == 0) : 1)

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
  :: pc[c] == 4 -> i_release(c, CSL, 0); npc = 5
  :: pc[c] == 5 -> i_sti(c); npc = 6
  :: pc[c] == 6 -> npc = 6
  /* proc schedule */
  :: pc[c] == 9 -> i_acquire(c, CSL, 0, 10)
  :: pc[c] == 10 -> i_enqueue(cur[c]); npc = 11
  :: pc[c] == 11 -> rq_shift(); next[c] = tt; npc = 12
  :: pc[c] == 12 -> i_switch_to(c, next[c], 13)
  :: pc[c] == 13 -> i_release(c, CSL, 0); npc = 14
  :: pc[c] == 14 -> i_ret(c)
  /* handler timer */
  :: pc[c] == 15 -> i_save_elr(c); npc = 16
  :: pc[c] == 16 -> i_ack(c); npc = 17
  :: pc[c] == 17 -> i_eoi(c); npc = 18
  :: pc[c] == 18 -> i_irq_exit(c); npc = 19
  :: pc[c] == 19 -> i_call(c, 9, 20)
  :: pc[c] == 20 -> i_restore_elr(c); npc = 21
  :: pc[c] == 21 -> i_eret(c)
  fi
}

#include "machine-run.pml"
