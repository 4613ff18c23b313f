/*
 * models/aethelos-001/spin-mutex-loom.sched in Promela, for the SPIN side of the bench (bench/spin.ts).
 * 001_2ccd5835c35eb7e9.txt, before Phase 1: LOOM and WRITER are spin::Mutex and the timer handler takes LOOM
 * (broken: the handler spins on the LOOM the interrupted thread holds).
 *
 * Threads: worker = 0. pcs follow the model's instruction order (jumps followed).
 *
 * Differences from schedcheck: only those of machine.pml (one extra stored state, the pre-boot one; a fatal
 * step returns there). The deadlocked states have no successor on either side (the process sits at an `end`
 * label, so SPIN does not report them). Same states otherwise.
 */
#define X86
#define NCPU 1
#define NT 1
#define DEPTH 6
#define NLOCK 2
#define STOPPED 19
#define P_HANDLER 13

#define LOOM 0                       /* spin */
#define WRITER 1                     /* spin */

#define RETPT(c) pc[c]
#define STEP_OK(c) ((pc[c] == 1) -> (lown[WRITER] == 0) : ((pc[c] == 7 || pc[c] == 14) -> (lown[LOOM] == 0) : 1))

#include "machine.pml"

byte next[NCPU];

inline crash_vars() {
  next[0] = 0
}

inline boot() {
  next[0] = NONE;
  boot_running(0, 0, 0)
}

inline exec(c) {
  if
  /* thread worker */
  :: pc[c] == 0 -> i_sti(c); npc = 1
  :: pc[c] == 1 -> i_acquire(c, WRITER, 0, 2)
  :: pc[c] == 2 -> npc = 3
  :: pc[c] == 3 -> i_release(c, WRITER, 0); npc = 4
  :: pc[c] == 4 -> i_call(c, 7, 1)
  /* proc yield_now */
  :: pc[c] == 7 -> i_acquire(c, LOOM, 0, 8)
  :: pc[c] == 8 -> i_enqueue(cur[c]); npc = 9
  :: pc[c] == 9 -> rq_shift(); next[c] = tt; npc = 10
  :: pc[c] == 10 -> i_release(c, LOOM, 0); npc = 11
  :: pc[c] == 11 -> i_switch_to(c, next[c], 12)
  :: pc[c] == 12 -> i_ret(c)
  /* handler timer */
  :: pc[c] == 13 -> npc = 14
  :: pc[c] == 14 -> i_acquire(c, LOOM, 0, 15)
  :: pc[c] == 15 -> npc = 16
  :: pc[c] == 16 -> i_release(c, LOOM, 0); npc = 17
  :: pc[c] == 17 -> i_eoi(c); npc = 18
  :: pc[c] == 18 -> i_iret(c)
  fi
}

#include "machine-run.pml"
