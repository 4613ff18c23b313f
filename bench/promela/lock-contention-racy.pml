/*
 * models/aethelos-001/lock-contention-racy.sched in Promela, for the SPIN side of the bench (bench/spin.ts).
 * 001_2ccd5835c35eb7e9.txt, Test 4.2 with the increment outside the lock: the timer can preempt between the load
 * and the store (broken: an increment is lost and the assert fails).
 *
 * Sizes: -DTHREADS=n as `--set THREADS=n`. Threads: first = 0, other[i] = 1 + i.
 * pcs follow the model's instruction order (jumps followed).
 *
 * Differences from schedcheck: only those of machine.pml (one extra stored state, the pre-boot one; a fatal
 * step, a failed assert included, returns there). Same states otherwise.
 */
#ifndef THREADS
#define THREADS 2
#endif

#define X86
#define NCPU 1
#define NT THREADS
#define DEPTH 8
#define NLOCK 2
#define STOPPED 40
#define P_HANDLER 33

#define LOOM 0                       /* irqsave */
#define TEST_LOCK 1                  /* irqsave */

#define RETPT(c) pc[c]
#define STEP_OK(c) ((pc[c] == ACQ_TEST) -> (lown[TEST_LOCK] == 0 || ie[c]) : \
                   ((pc[c] == 19 || pc[c] == 27) -> (lown[LOOM] == 0 || ie[c]) : 1))

#include "machine.pml"

byte counter;                        /* 0..THREADS */
byte finished;                       /* 0..THREADS */
byte seen[NT];                       /* perthread, 0..THREADS */
byte next[NCPU];
bit  yield_pending[NCPU];

inline crash_vars() {
  counter = 0; finished = 0; next[0] = 0; yield_pending[0] = 0;
  ii = 0;
  do :: ii < NT -> seen[ii] = 0; ii++ :: else -> break od
}

inline boot() {
  next[0] = NONE;
  boot_running(0, 0, 0);
  jj = 1;
  do :: jj < NT -> boot_ready(jj, K_SWITCH, 2); jj++ :: else -> break od
}

#define ACQ_TEST 8

inline exec(c) {
  if
  /* threads first and other: call lock_test_thread */
  :: pc[c] == 0 -> i_call(c, 4, 1)
  :: pc[c] == 1 -> i_end(c)
  :: pc[c] == 2 -> i_call(c, 4, 3)
  :: pc[c] == 3 -> i_end(c)
  /* proc lock_test_thread */
  :: pc[c] == 4 -> i_sti(c); npc = 5
  :: pc[c] == 5 -> seen[cur[c]] = counter; npc = 6
  :: pc[c] == 6 -> check_range(seen[cur[c]] + 1, 0, THREADS); if :: !fault -> counter = seen[cur[c]] + 1 :: else -> skip fi; npc = 7
  :: pc[c] == 7 -> seen[cur[c]] = 0; npc = 8
  :: pc[c] == 8 -> i_acquire(c, TEST_LOCK, 1, 9)
  :: pc[c] == 9 -> npc = 10
  :: pc[c] == 10 -> check_range(finished + 1, 0, THREADS); if :: !fault -> finished++ :: else -> skip fi; npc = 11
  :: pc[c] == 11 -> if :: finished == THREADS -> npc = 12 :: else -> npc = 13 fi
  :: pc[c] == 12 -> if :: counter != THREADS -> fault = 1 :: else -> skip fi; npc = 13   /* assert */
  :: pc[c] == 13 -> i_release(c, TEST_LOCK, 1); npc = 14
  :: pc[c] == 14 -> npc = 15
  :: pc[c] == 15 -> i_call(c, 18, 14)
  /* proc yield_now */
  :: pc[c] == 18 -> i_irqsave(c); npc = 19
  :: pc[c] == 19 -> i_acquire(c, LOOM, 1, 20)
  :: pc[c] == 20 -> i_enqueue(cur[c]); npc = 21
  :: pc[c] == 21 -> rq_shift(); next[c] = tt; npc = 22
  :: pc[c] == 22 -> i_release(c, LOOM, 1); npc = 23
  :: pc[c] == 23 -> i_switch_to(c, next[c], 24)
  :: pc[c] == 24 -> i_irqrestore(c); npc = 25
  :: pc[c] == 25 -> i_ret(c)
  /* proc preempt_on_return */
  :: pc[c] == 26 -> yield_pending[c] = 0; npc = 27
  :: pc[c] == 27 -> i_acquire(c, LOOM, 1, 28)
  :: pc[c] == 28 -> i_enqueue(cur[c]); npc = 29
  :: pc[c] == 29 -> rq_shift(); next[c] = tt; npc = 30
  :: pc[c] == 30 -> i_release(c, LOOM, 1); npc = 31
  :: pc[c] == 31 -> i_switch_to(c, next[c], 32)
  :: pc[c] == 32 -> i_ret(c)
  /* handler timer */
  :: pc[c] == 33 -> npc = 34
  :: pc[c] == 34 -> yield_pending[c] = 1; npc = 35
  :: pc[c] == 35 -> i_eoi(c); npc = 36
  :: pc[c] == 36 -> i_irq_exit(c); npc = 37
  :: pc[c] == 37 -> if :: yield_pending[c] -> npc = 38 :: else -> npc = 39 fi
  :: pc[c] == 38 -> i_call(c, 26, 39)
  :: pc[c] == 39 -> i_iret(c)
  fi
}

#include "machine-run.pml"
