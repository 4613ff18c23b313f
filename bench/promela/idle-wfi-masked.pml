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
#define STOPPED 26
#define P_HANDLER 18

/* The wfi (pc 5) executes and the CPU is halted at pc 6 (machine.pml, hlt and wfi). An interrupt taken at the
 * wfi returns to it; one taken at the halted point returns past it, which is the wfi again (loop { wfi }). */
#define RETPT(c) ((pc[c] == 6) -> 5 : pc[c])
/* Every instruction can step: the wfi, and its wait completing (a pending line, or spuriously). */
#define STEP_OK(c) 1

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
  :: pc[c] == 2 -> i_call(c, 9, 1)
  /* thread idle */
  :: pc[c] == 5 -> npc = 6                              /* wfi */
  :: pc[c] == 6 -> npc = 5                              /* the wait completes */
  /* proc sleep_until_tick */
  :: pc[c] == 9 -> ie[c] = 0; npc = 10
  :: pc[c] == 10 -> rq_shift(); next[c] = tt; npc = 11
  :: pc[c] == 11 -> i_switch_to(c, next[c], 12)
  :: pc[c] == 12 -> i_sti(c); npc = 13
  :: pc[c] == 13 -> i_ret(c)
  /* proc schedule */
  :: pc[c] == 14 -> i_enqueue(cur[c]); npc = 15
  :: pc[c] == 15 -> rq_shift(); next[c] = tt; npc = 16
  :: pc[c] == 16 -> i_switch_to(c, next[c], 17)
  :: pc[c] == 17 -> i_ret(c)
  /* handler timer */
  :: pc[c] == 18 -> i_save_elr(c); npc = 19
  :: pc[c] == 19 -> i_ack(c); npc = 20
  :: pc[c] == 20 -> i_eoi(c); npc = 21
  :: pc[c] == 21 -> i_wake(0); npc = 22                 /* wake worker */
  :: pc[c] == 22 -> i_irq_exit(c); npc = 23
  :: pc[c] == 23 -> i_call(c, 14, 24)
  :: pc[c] == 24 -> i_restore_elr(c); npc = 25
  :: pc[c] == 25 -> i_eret(c)
  fi
}

#include "machine-run.pml"
