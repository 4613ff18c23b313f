/*
 * models/aethelos-001/missing-eoi.sched in Promela, for the SPIN side of the bench (bench/spin.ts).
 * 001_2ccd5835c35eb7e9.txt, Option 2 with notify_end_of_interrupt(32) lost (broken: the timer line stays in
 * service after the first tick).
 *
 * Threads: hog = 0, worker = 1. pcs follow the model's instruction order (jumps followed).
 *
 * Differences from schedcheck: only those of machine.pml (one extra stored state, the pre-boot one; a fatal
 * step returns there). The missing EOI itself is a non-fatal violation in schedcheck: the search goes on, here
 * too. Same states otherwise.
 */
#define X86
#define NCPU 1
#define NT 2
#define DEPTH 8
#define NLOCK 2
#define STOPPED 32
#define P_HANDLER 26

#define LOOM 0                       /* irqsave */
#define WRITER 1                     /* irqsave */

#define RETPT(c) pc[c]
#define STEP_OK(c) ((pc[c] == 5) -> (lown[WRITER] == 0 || ie[c]) : \
                   ((pc[c] == 12 || pc[c] == 20) -> (lown[LOOM] == 0 || ie[c]) : 1))

#include "machine.pml"

byte next[NCPU];
bit  yield_pending[NCPU];

inline crash_vars() {
  next[0] = 0; yield_pending[0] = 0
}

inline boot() {
  next[0] = NONE;
  boot_running(0, 0, 0);
  boot_ready(1, K_SWITCH, 4)
}

inline exec(c) {
  if
  /* thread hog */
  :: pc[c] == 0 -> i_sti(c); npc = 1
  :: pc[c] == 1 -> npc = 1
  /* thread worker */
  :: pc[c] == 4 -> i_sti(c); npc = 5
  :: pc[c] == 5 -> i_acquire(c, WRITER, 1, 6)
  :: pc[c] == 6 -> npc = 7
  :: pc[c] == 7 -> i_release(c, WRITER, 1); npc = 8
  :: pc[c] == 8 -> i_call(c, 11, 5)
  /* proc yield_now */
  :: pc[c] == 11 -> i_irqsave(c); npc = 12
  :: pc[c] == 12 -> i_acquire(c, LOOM, 1, 13)
  :: pc[c] == 13 -> i_enqueue(cur[c]); npc = 14
  :: pc[c] == 14 -> rq_shift(); next[c] = tt; npc = 15
  :: pc[c] == 15 -> i_release(c, LOOM, 1); npc = 16
  :: pc[c] == 16 -> i_switch_to(c, next[c], 17)
  :: pc[c] == 17 -> i_irqrestore(c); npc = 18
  :: pc[c] == 18 -> i_ret(c)
  /* proc preempt_on_return */
  :: pc[c] == 19 -> yield_pending[c] = 0; npc = 20
  :: pc[c] == 20 -> i_acquire(c, LOOM, 1, 21)
  :: pc[c] == 21 -> i_enqueue(cur[c]); npc = 22
  :: pc[c] == 22 -> rq_shift(); next[c] = tt; npc = 23
  :: pc[c] == 23 -> i_release(c, LOOM, 1); npc = 24
  :: pc[c] == 24 -> i_switch_to(c, next[c], 25)
  :: pc[c] == 25 -> i_ret(c)
  /* handler timer (no EOI) */
  :: pc[c] == 26 -> npc = 27
  :: pc[c] == 27 -> yield_pending[c] = 1; npc = 28
  :: pc[c] == 28 -> i_irq_exit(c); npc = 29
  :: pc[c] == 29 -> if :: yield_pending[c] -> npc = 30 :: else -> npc = 31 fi
  :: pc[c] == 30 -> i_call(c, 19, 31)
  :: pc[c] == 31 -> i_iret(c)
  fi
}

#include "machine-run.pml"
