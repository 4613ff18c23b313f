/*
 * models/executor-000/restore-from-main-loop.sched in Promela, for the SPIN side of the bench (bench/spin.ts).
 * 000_5606f057663ca4e9.txt, "Problem": the main loop enters a process with restore_context() and saves nothing
 * of itself; the handler switches the same way (broken: iret through a stack with no interrupt frame).
 *
 * Threads: kmain = 0, process = 1. pcs follow the model's instruction order (jumps followed).
 *
 * Differences from schedcheck: only those of machine.pml (one extra stored state, the pre-boot one; a fatal
 * step, here the iret into kmain's empty stack, returns there). Same states otherwise.
 */
#define X86
#define NCPU 1
#define NT 2
#define DEPTH 4
#define NLOCK 0
#define STOPPED 17
#define P_HANDLER 11

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
  boot_ready(1, K_IRQ, 8)
}

inline exec(c) {
  if
  /* thread kmain */
  :: pc[c] == 0 -> i_sti(c); npc = 1
  :: pc[c] == 1 -> npc = 2
  :: pc[c] == 2 -> ie[c] = 0; npc = 3
  :: pc[c] == 3 -> i_enqueue(cur[c]); npc = 4
  :: pc[c] == 4 -> rq_shift(); next[c] = tt; npc = 5
  :: pc[c] == 5 -> i_restore_context(c, next[c])
  /* thread process */
  :: pc[c] == 8 -> npc = 8
  /* handler timer */
  :: pc[c] == 11 -> npc = 12
  :: pc[c] == 12 -> i_enqueue(cur[c]); npc = 13
  :: pc[c] == 13 -> rq_shift(); next[c] = tt; npc = 14
  :: pc[c] == 14 -> i_restore_context(c, next[c])
  :: pc[c] == 15 -> i_eoi(c); npc = 16
  :: pc[c] == 16 -> i_iret(c)
  fi
}

#include "machine-run.pml"
