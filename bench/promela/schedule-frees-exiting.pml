/*
 * models/aarch64-003/schedule-frees-exiting.sched in Promela, for the SPIN side of the bench (bench/spin.ts).
 * 003_2b0e7a205e879def.txt, Q2 read the wrong way: schedule() of the exiting task frees Exited tasks, itself
 * included, before switching (broken). One CPU, no timer.
 *
 * Threads: victim = 0, other = 1. pcs follow the model's instruction order (jumps followed).
 *
 * Differences from schedcheck: only those of machine.pml (one extra stored state, the pre-boot one; a fatal
 * step, here the free of the running stack, returns there). Same states otherwise.
 */
#define AARCH64
#define NO_LINE
#define NCPU 1
#define NT 2
#define DEPTH 6
#define NLOCK 1
#define STOPPED 17

#define CSL 0                        /* CONTEXT_SWITCH_LOCK: spin handoff */

#define RETPT(c) pc[c]
#define STEP_OK(c) ((pc[c] == 11) -> (lown[CSL] == 0) : 1)

#include "machine.pml"

byte next[NCPU];

inline crash_vars() {
  next[0] = 0
}

inline boot() {
  next[0] = NONE;
  boot_running(0, 0, 0);
  boot_ready(1, K_SWITCH, 4)
}

inline exec(c) {
  if
  /* thread victim */
  :: pc[c] == 0 -> i_sti(c); npc = 1
  :: pc[c] == 1 -> npc = 2
  :: pc[c] == 2 -> i_call(c, 9, 3)
  :: pc[c] == 3 -> i_end(c)
  /* thread other */
  :: pc[c] == 4 -> i_release(c, CSL, 0); npc = 5
  :: pc[c] == 5 -> i_sti(c); npc = 6
  :: pc[c] == 6 -> npc = 6
  /* proc task_exit */
  :: pc[c] == 9 -> ie[c] = 0; npc = 10
  :: pc[c] == 10 -> i_exit(c); npc = 11
  :: pc[c] == 11 -> i_acquire(c, CSL, 0, 12)
  :: pc[c] == 12 -> if :: tst[cur[c]] == EXITED -> npc = 13 :: else -> npc = 14 fi
  :: pc[c] == 13 -> i_free_stack(cur[c]); npc = 14
  :: pc[c] == 14 -> rq_shift(); next[c] = tt; npc = 15
  :: pc[c] == 15 -> i_switch_to(c, next[c], 16)
  :: pc[c] == 16 -> i_ret(c)
  fi
}

#include "machine-run.pml"
