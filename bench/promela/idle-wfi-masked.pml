/*
 * models/aarch64-003/idle-wfi-masked.sched in Promela, for the SPIN side of the bench (bench/spin.ts).
 * 003_2b0e7a205e879def.txt, Q3 with Q4: the idle task's loop is only `wfi`, entered with IRQs masked (broken:
 * the tick that would wake the worker is never taken).
 *
 * Threads: worker = 0, idle = 1. pcs follow the model's instruction order (jumps followed).
 *
 * Differences from schedcheck: only those of machine.pml (one extra stored state, the pre-boot one; a fatal
 * step returns there). Same states otherwise.
 */
#define AARCH64
#define NCPU 1
#define NT 2
#define DEPTH 8
#define NLOCK 0
#define STOPPED 25
#define P_HANDLER 17

/* An interrupt taken at the wfi returns after it, which is the wfi again (loop { wfi }). */
#define RETPT(c) pc[c]
/* wfi steps only when a line is pending on the CPU. */
#define STEP_OK(c) ((pc[c] == 5) -> pending[c] : 1)

#include "machine.pml"

byte next[NCPU];

inline crash_vars() {
  next[0] = 0
}

inline boot() {
  next[0] = NONE;
  boot_running(0, 0, 0);
  boot_ready(1, K_SWITCH, 5)
}

inline exec(c) {
  if
  /* thread worker */
  :: pc[c] == 0 -> i_sti(c); npc = 1
  :: pc[c] == 1 -> npc = 2
  :: pc[c] == 2 -> i_call(c, 8, 1)
  /* thread idle */
  :: pc[c] == 5 -> npc = 5                              /* wfi */
  /* proc sleep_until_tick */
  :: pc[c] == 8 -> ie[c] = 0; npc = 9
  :: pc[c] == 9 -> rq_shift(); next[c] = tt; npc = 10
  :: pc[c] == 10 -> i_switch_to(c, next[c], 11)
  :: pc[c] == 11 -> i_sti(c); npc = 12
  :: pc[c] == 12 -> i_ret(c)
  /* proc schedule */
  :: pc[c] == 13 -> i_enqueue(cur[c]); npc = 14
  :: pc[c] == 14 -> rq_shift(); next[c] = tt; npc = 15
  :: pc[c] == 15 -> i_switch_to(c, next[c], 16)
  :: pc[c] == 16 -> i_ret(c)
  /* handler timer */
  :: pc[c] == 17 -> i_save_elr(c); npc = 18
  :: pc[c] == 18 -> i_ack(c); npc = 19
  :: pc[c] == 19 -> i_eoi(c); npc = 20
  :: pc[c] == 20 -> i_wake(0); npc = 21                 /* wake worker */
  :: pc[c] == 21 -> i_irq_exit(c); npc = 22
  :: pc[c] == 22 -> i_call(c, 13, 23)
  :: pc[c] == 23 -> i_restore_elr(c); npc = 24
  :: pc[c] == 24 -> i_eret(c)
  fi
}

#include "machine-run.pml"
