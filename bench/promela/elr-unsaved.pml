/*
 * models/aarch64-003/elr-unsaved.sched in Promela, for the SPIN side of the bench (bench/spin.ts).
 * 003_2b0e7a205e879def.txt, the handler of elr-saved-before-unmask without the ELR/SPSR save: the next task
 * unmasks and the next tick overwrites ELR/SPSR (broken).
 *
 * Sizes: -DTHREADS=n as `--set THREADS=n`. Threads: first = 0, task[i] = 1 + i.
 * pcs follow the model's instruction order (jumps followed).
 *
 * Differences from schedcheck: only those of machine.pml (one extra stored state, the pre-boot one; a fatal
 * step, here the exception entry over a live ELR/SPSR, returns there). Same states otherwise.
 */
#ifndef THREADS
#define THREADS 2
#endif

#define AARCH64
#define NCPU 1
#define NT THREADS
#define DEPTH 8
#define NLOCK 0
#define STOPPED 17
#define P_HANDLER 12

#define RETPT(c) pc[c]
#define STEP_OK(c) 1

#include "machine.pml"

byte next[NCPU];

inline crash_vars() {
  next[0] = 0
}

inline boot() {
  next[0] = NONE;
  boot_running(0, 0, 0);
  jj = 1;
  do :: jj < NT -> boot_ready(jj, K_SWITCH, 2); jj++ :: else -> break od
}

inline exec(c) {
  if
  :: pc[c] == 0 -> i_call(c, 4, 1)
  :: pc[c] == 1 -> i_end(c)
  :: pc[c] == 2 -> i_call(c, 4, 3)
  :: pc[c] == 3 -> i_end(c)
  /* proc task_main */
  :: pc[c] == 4 -> i_sti(c); npc = 5
  :: pc[c] == 5 -> npc = 5
  /* proc schedule */
  :: pc[c] == 8 -> i_enqueue(cur[c]); npc = 9
  :: pc[c] == 9 -> rq_shift(); next[c] = tt; npc = 10
  :: pc[c] == 10 -> i_switch_to(c, next[c], 11)
  :: pc[c] == 11 -> i_ret(c)
  /* handler timer */
  :: pc[c] == 12 -> i_ack(c); npc = 13
  :: pc[c] == 13 -> i_eoi(c); npc = 14
  :: pc[c] == 14 -> i_irq_exit(c); npc = 15
  :: pc[c] == 15 -> i_call(c, 8, 16)
  :: pc[c] == 16 -> i_eret(c)
  fi
}

#include "machine-run.pml"
