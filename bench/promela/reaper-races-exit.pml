/*
 * models/aarch64-003/reaper-races-exit.sched in Promela, for the SPIN side of the bench (bench/spin.ts).
 * 003_2b0e7a205e879def.txt, Q2's reaper task on another CPU, freeing any task whose status is Exited (broken:
 * it frees the stack of a task that is still switching away on it). No timer.
 *
 * Threads: victim = 0 (CPU 0), reaper = 1 (CPU 1), other = 2. pcs follow the model's instruction order.
 *
 * Differences from schedcheck: only those of machine.pml (one extra stored state, the pre-boot one; a fatal
 * step, here the free of a stack a CPU runs on, returns there). Same states otherwise.
 */
#define AARCH64
#define NO_LINE
#define NCPU 2
#define NT 3
#define DEPTH 6
#define NLOCK 1
#define STOPPED 22

#define CSL 0                        /* CONTEXT_SWITCH_LOCK: spin handoff */

#define RETPT(c) pc[c]
#define STEP_OK(c) ((pc[c] == 18) -> (lown[CSL] == 0) : 1)

#include "machine.pml"

byte next[NCPU];
bit  reaped;

inline crash_vars() {
  next[0] = 0; next[1] = 0; reaped = 0
}

inline boot() {
  next[0] = NONE; next[1] = NONE;
  boot_running(0, 0, 0);
  boot_running(1, 1, 4);
  boot_ready(2, K_SWITCH, 11)
}

inline exec(c) {
  if
  /* thread victim */
  :: pc[c] == 0 -> i_sti(c); npc = 1
  :: pc[c] == 1 -> npc = 2
  :: pc[c] == 2 -> i_call(c, 16, 3)
  :: pc[c] == 3 -> i_end(c)
  /* thread reaper */
  :: pc[c] == 4 -> i_sti(c); npc = 5
  :: pc[c] == 5 -> if :: !reaped && tst[0] == EXITED -> npc = 6 :: else -> npc = 8 fi
  :: pc[c] == 6 -> i_free_stack(0); npc = 7
  :: pc[c] == 7 -> reaped = 1; npc = 8
  :: pc[c] == 8 -> npc = 5
  /* thread other */
  :: pc[c] == 11 -> i_release(c, CSL, 0); npc = 12
  :: pc[c] == 12 -> i_sti(c); npc = 13
  :: pc[c] == 13 -> npc = 13
  /* proc task_exit */
  :: pc[c] == 16 -> ie[c] = 0; npc = 17
  :: pc[c] == 17 -> i_exit(c); npc = 18
  :: pc[c] == 18 -> i_acquire(c, CSL, 0, 19)
  :: pc[c] == 19 -> rq_shift(); next[c] = tt; npc = 20
  :: pc[c] == 20 -> i_switch_to(c, next[c], 21)
  :: pc[c] == 21 -> i_ret(c)
  fi
}

#include "machine-run.pml"
