/*
 * The machine every bench model runs on: schedcheck's hardware semantics (docs/language.md, docs/semantics.md),
 * written by hand in Promela for SPIN.
 *
 * A model file defines X86 or AARCH64, NCPU, NT (threads), DEPTH (stack depth), NLOCK, STOPPED (the pc of a
 * stopped CPU), P_HANDLER (the timer handler's first pc; NO_LINE instead when the model has no interrupt line),
 * RETPT(c) (the pc an interrupt taken at pc[c] returns to) and STEP_OK(c) (whether the instruction at pc[c] can
 * step: an acquire needs a free lock or, irqsave, interrupts on); includes this file; declares
 * its variables and the inlines crash_vars() (zero them), boot() (initial values, boot_running/boot_ready/
 * boot_dormant for each thread) and exec(c) (one branch per pc, setting npc or fault); and includes
 * machine-run.pml.
 *
 * hlt and wfi (docs/semantics.md 4.3). schedcheck lowers each to two pcs: the instruction, a step to the next pc,
 * and the halted point after it. A model file writes both: the instruction's branch in exec(c) sets npc to the
 * halted point; the halted point after a wfi steps to the instruction after it (the wait completes: a pending
 * line, even masked, or spuriously, so STEP_OK is 1 there); the halted point after a hlt has no step (STEP_OK 0).
 * RETPT maps the halted point to the instruction after it and every other pc to itself: an interrupt taken
 * before the instruction executes returns to it.
 *
 * Shape. One process, `machine`, whose only control state is the head of its `do` loop; everything else is
 * global data. Every schedcheck action is one `d_step`: a CPU's step (its urgent interrupt delivery, or its next
 * instruction, or the masking half of a contended irqsave acquire) or an interrupt line arriving on a CPU (and
 * being taken at once when it can be). So SPIN stores exactly the states schedcheck stores, plus one: the
 * all-zero state before `boot`.
 *
 * Differences from schedcheck, all of them deliberate (the bench compares speed on equal state spaces):
 * - A fatal step (a corrupted stack, a failed assert, an out-of-range value...) ends the path in schedcheck and
 *   its successor is never stored. Here it wipes the machine back to the all-zero pre-boot state, which is
 *   already stored: no state is added, and the path ends there as well (boot only leads back to the initial
 *   state). No violation is reported: the bench measures exploration, not verdicts.
 * - Non-fatal violations (schedcheck's warnings: EOI of a line not in service, release of a free lock...) change
 *   nothing in the state and are not reported.
 * - Only what the seed models use is here: one interrupt line (bit 0 of `pending` and `insvc`, line id 0), no
 *   handler stacks (so no stack selector), no mutexes, no `hlt`, no `raise`, no invariants, no latency counters.
 * - Frames are packed into an int with fixed fields (kind 3 bits, pc 8, ie 1, owner 4, hardirq 3); schedcheck
 *   sizes the fields per model. The encoding differs, the information is the same.
 * - State-vector layout is SPIN's (bytes and bits in a C struct); schedcheck packs slots into 32-bit words.
 */

#define K_NONE   0
#define K_CALL   1
#define K_IRQ    2
#define K_EXC    3
#define K_FLAGS  4
#define K_SWITCH 5

#define FRAME(k, p, e, o, h) ((k) | ((p) << 3) | ((e) << 11) | ((o) << 12) | ((h) << 16))
#define F_KIND(w)  ((w) & 7)
#define F_PC(w)    (((w) >> 3) & 255)
#define F_IE(w)    (((w) >> 11) & 1)
#define F_OWNER(w) (((w) >> 12) & 15)
#define F_HIRQ(w)  (((w) >> 16) & 7)

#define DORMANT 0
#define READY   1
#define RUNNING 2
#define BLOCKED 3
#define EXITED  4

#define NONE NT          /* the `none` thread */

#ifdef X86
#define RESUME_KIND K_IRQ
/* Deliverable: IF set, the line not in service, and no sti shadow holding it off. The shadow lasts until the CPU
 * executes one more instruction, so it holds delivery off only while the CPU can step (STEP_OK): spinning on a
 * held lock takes no step here, but on hardware the spin loop ends the shadow. */
#define DELIVERABLE(c) (ie[c] && !(shadow[c] && STEP_OK(c)) && !insvc[c])
#else
#define RESUME_KIND K_EXC
/* Deliverable: PSTATE.I clear and the line not active. The line stays pending until `ack`. */
#define DELIVERABLE(c) (ie[c] && !insvc[c])
#endif
/* Urgent delivery: a pending line that can be taken is the CPU's only action. */
#define URGENT(c) (pending[c] && DELIVERABLE(c))
#define MAX_HARDIRQ 7
#define ELR_EMPTY 0
#define ELR_LIVE  1
#define ELR_SAVED 2

/* ---------------------------------------------------------------------------------------------------------
 * State: per CPU, per thread, locks, run queue. */

byte pc[NCPU];
byte cur[NCPU];
bit  ie[NCPU];
bit  shadow[NCPU];       /* x86 sti shadow; stays 0 on aarch64 */
byte hardirq[NCPU];
bit  pending[NCPU];      /* the one line: pending (x86 IRR, GIC pending) */
bit  insvc[NCPU];        /* x86 in service, GIC active */
bit  spinsaved[NCPU];    /* irqsave acquire that masked before spinning: the bit it saved */
#ifdef AARCH64
int  elr[NCPU];          /* ELR_EL1/SPSR_EL1 as a frame word */
byte elrst[NCPU];
#endif

byte tst[NT];
bit  freed[NT];
byte sp[NT];
int  stk[NT * DEPTH];    /* thread t's cell i is stk[t * DEPTH + i], bottom first; empty cells are 0 */

#if NLOCK > 0
byte lown[NLOCK];        /* 0 = free, 1 + thread */
bit  lsave[NLOCK];       /* irqsave locks: the interrupt-enable bit saved at acquire */
byte llev[NLOCK];        /* hardirq depth of the acquiring context */
#endif

byte rqlen;
byte rq[NT];             /* unused entries are 0 */

bit booted;

/* Scratch for one d_step: never part of the state vector. */
hidden byte fault;
hidden byte isempty;
hidden byte found;
hidden int  fw;
hidden byte npc;
hidden byte tt;
hidden byte old;
hidden byte ii;
hidden byte jj;

/* ---------------------------------------------------------------------------------------------------------
 * Stacks and the run queue */

inline push(th, w) {
  if
  :: sp[th] >= DEPTH -> fault = 1
  :: else -> stk[(th) * DEPTH + sp[th]] = w; sp[th] = sp[th] + 1
  fi
}

/* Pops thread th's top frame into fw (clearing the cell); isempty = 1 on an empty stack. */
inline pop(th) {
  if
  :: sp[th] == 0 -> fw = 0; isempty = 1
  :: else ->
     sp[th] = sp[th] - 1;
     fw = stk[(th) * DEPTH + sp[th]];
     stk[(th) * DEPTH + sp[th]] = 0;
     isempty = 0
  fi
}

/* Pops a frame that must be of `kind` and belong to thread `who`. */
inline pop_kind(th, kind, who) {
  pop(th);
  if
  :: isempty || F_KIND(fw) != kind || F_OWNER(fw) != who -> fault = 1
  :: else -> skip
  fi
}

inline rq_has(t) {
  found = 0; ii = 0;
  do
  :: ii < rqlen -> if :: rq[ii] == t -> found = 1 :: else -> skip fi; ii++
  :: else -> break
  od
}

inline rq_push(t) {
  rq[rqlen] = t; rqlen++
}

/* The run queue's head into tt (NONE when empty). */
inline rq_shift() {
  if
  :: rqlen == 0 -> tt = NONE
  :: else ->
     tt = rq[0]; ii = 1;
     do
     :: ii < rqlen -> rq[ii - 1] = rq[ii]; ii++
     :: else -> break
     od;
     rqlen--; rq[rqlen] = 0
  fi
}

/* The first CPU that runs thread t (current there and not stopped) into jj, or NCPU. */
inline cpu_running(t) {
  jj = 0;
  do
  :: jj < NCPU && !(cur[jj] == t && pc[jj] != STOPPED) -> jj++
  :: else -> break
  od
}

/* ---------------------------------------------------------------------------------------------------------
 * Instructions. Each sets npc (where the CPU continues, jumps already followed) or fault. */

inline i_sti(c) {
#ifdef X86
  if :: ie[c] == 0 -> shadow[c] = 1 :: else -> skip fi;
#endif
  ie[c] = 1
}

inline i_call(c, target, ret) {
  push(cur[c], FRAME(K_CALL, ret, 0, cur[c], 0));
  npc = target
}

inline i_ret(c) {
  pop_kind(cur[c], K_CALL, cur[c]);
  if :: !fault -> npc = F_PC(fw) :: else -> skip fi
}

inline i_irqsave(c) {
  push(cur[c], FRAME(K_FLAGS, 0, ie[c], cur[c], 0));
  ie[c] = 0
}

inline i_irqrestore(c) {
  pop_kind(cur[c], K_FLAGS, cur[c]);
  if :: !fault -> ie[c] = F_IE(fw) :: else -> skip fi
}

inline i_irq_exit(c) {
  if
  :: hardirq[c] == 0 -> fault = 1
  :: else -> hardirq[c]--
  fi
}

inline i_eoi(c) {
  insvc[c] = 0           /* EOI of a line not in service is only a warning */
}

/* A free lock is taken. An irqsave lock saves the enabled bit (or the one saved while spinning) and masks. */
inline take(c, L, irqsave) {
  lown[L] = cur[c] + 1;
  llev[L] = hardirq[c];
  if
  :: irqsave -> lsave[L] = ie[c] | spinsaved[c]; spinsaved[c] = 0; ie[c] = 0
  :: else -> skip
  fi
}

/* The acquire step: take the lock, or (irqsave, held, interrupts on) mask first and spin at the same pc. */
inline i_acquire(c, L, irqsave, after) {
  if
  :: lown[L] == 0 -> take(c, L, irqsave); npc = after
  :: else -> spinsaved[c] = 1; ie[c] = 0; npc = pc[c]
  fi
}

inline i_release(c, L, irqsave) {
  if
  :: lown[L] == 0 -> skip   /* release of a free lock: a warning */
  :: else ->
     lown[L] = 0; llev[L] = 0;
     if
     :: irqsave -> ie[c] = lsave[L]; lsave[L] = 0
     :: else -> skip
     fi
  fi
}

inline i_enqueue(t) {
  tt = t;
  if
  :: tt == NONE -> fault = 1
  :: else ->
     rq_has(tt);
     if
     :: found -> fault = 1
     :: else ->
        rq_push(tt);
        if :: tst[tt] == BLOCKED || tst[tt] == DORMANT -> tst[tt] = READY :: else -> skip fi
     fi
  fi
}

inline i_wake(t) {
  tt = t;
  if
  :: tt == NONE -> fault = 1
  :: tst[tt] != BLOCKED -> skip
  :: else ->
     tst[tt] = READY;
     rq_has(tt);
     if :: !found -> rq_push(tt) :: else -> skip fi
  fi
}

inline i_spawn(t) {
  tt = t;
  if
  :: tt == NONE || tst[tt] != DORMANT -> fault = 1
  :: else -> tst[tt] = READY; rq_push(tt)
  fi
}

/* A thread being switched away from stops running: ready if queued, blocked otherwise. */
inline leave(t) {
  if
  :: tst[t] == RUNNING -> rq_has(t); if :: found -> tst[t] = READY :: else -> tst[t] = BLOCKED fi
  :: else -> skip
  fi
}

/* Resuming tt is possible only if it runs on no other CPU, still has its stack and has not exited. */
inline check_resumable(c) {
  cpu_running(tt);
  if
  :: (jj < NCPU && jj != c) || freed[tt] || tst[tt] == EXITED -> fault = 1
  :: else -> skip
  fi
}

/* Linux style: push this thread's continuation as a switch frame, resume t from the switch frame on its top. */
inline i_switch_to(c, t, ret) {
  tt = t;
  if
  :: tt == NONE -> fault = 1
  :: tt == cur[c] -> npc = ret
  :: else ->
     check_resumable(c);
     if
     :: !fault ->
        old = cur[c];
        push(old, FRAME(K_SWITCH, ret, 0, old, hardirq[c]));
        if
        :: !fault ->
           leave(old);
           cur[c] = tt;
           tst[tt] = RUNNING;
           pop_kind(tt, K_SWITCH, tt);
           if :: !fault -> hardirq[c] = F_HIRQ(fw); npc = F_PC(fw) :: else -> skip fi
        :: else -> skip
        fi
     :: else -> skip
     fi
  fi
}

/* Frame-restoring style: make t current and return through the interrupt/exception frame on its top. */
inline i_restore_context(c, t) {
  tt = t;
  if
  :: tt == NONE -> fault = 1
  :: else ->
     if
     :: tt != cur[c] ->
        check_resumable(c);
        if :: !fault -> old = cur[c]; leave(old); cur[c] = tt; tst[tt] = RUNNING :: else -> skip fi
     :: else -> skip
     fi;
     if
     :: !fault ->
        pop_kind(tt, RESUME_KIND, tt);
        if
        :: !fault ->
           ie[c] = F_IE(fw); hardirq[c] = F_HIRQ(fw); npc = F_PC(fw);
#ifdef AARCH64
           elrst[c] = ELR_EMPTY; elr[c] = 0
#else
           skip
#endif
        :: else -> skip
        fi
     :: else -> skip
     fi
  fi
}

inline i_exit(c) {
  tst[cur[c]] = EXITED
}

inline i_end(c) {
  tst[cur[c]] = EXITED; npc = STOPPED
}

inline i_free_stack(t) {
  tt = t;
  if
  :: tt == NONE -> fault = 1
  :: else ->
     cpu_running(tt);
     if
     :: jj < NCPU || tst[tt] != EXITED || freed[tt] -> fault = 1
     :: else ->
        freed[tt] = 1; sp[tt] = 0;
        ii = 0;
        do
        :: ii < DEPTH -> stk[tt * DEPTH + ii] = 0; ii++
        :: else -> break
        od
     fi
  fi
}

/* A value must stay in its type's range (lo..hi); the caller stores it when fault is still 0. */
inline check_range(v, lo, hi) {
  if :: (v) < (lo) || (v) > (hi) -> fault = 1 :: else -> skip fi
}

/* ---------------------------------------------------------------------------------------------------------
 * Architecture: interrupt entry and the instructions only one profile has. */

#ifdef X86
inline enter(c) {
  if
  :: hardirq[c] >= MAX_HARDIRQ -> fault = 1
  :: else ->
     push(cur[c], FRAME(K_IRQ, RETPT(c), ie[c], cur[c], hardirq[c]));
     ie[c] = 0;          /* interrupt gate */
     shadow[c] = 0;
     pending[c] = 0;
     insvc[c] = 1;
     hardirq[c]++;
     npc = P_HANDLER
  fi
}

inline i_iret(c) {
  pop_kind(cur[c], K_IRQ, cur[c]);
  if
  :: !fault -> ie[c] = F_IE(fw); hardirq[c] = F_HIRQ(fw); npc = F_PC(fw)
  :: else -> skip
  fi
}
#endif

#ifdef AARCH64
inline enter(c) {
  if
  :: elrst[c] == ELR_LIVE || hardirq[c] >= MAX_HARDIRQ -> fault = 1
  :: else ->
     elr[c] = FRAME(K_EXC, RETPT(c), ie[c], cur[c], hardirq[c]);
     elrst[c] = ELR_LIVE;
     ie[c] = 0;
     hardirq[c]++;
     npc = P_HANDLER
  fi
}

inline i_eret(c) {
  if
  :: elrst[c] == ELR_EMPTY || F_OWNER(elr[c]) != cur[c] -> fault = 1
  :: else ->
     ie[c] = F_IE(elr[c]); hardirq[c] = F_HIRQ(elr[c]); npc = F_PC(elr[c]);
     elrst[c] = ELR_EMPTY; elr[c] = 0
  fi
}

inline i_save_elr(c) {
  if
  :: elrst[c] == ELR_EMPTY -> fault = 1
  :: else -> push(cur[c], elr[c]); elrst[c] = ELR_SAVED
  fi
}

inline i_restore_elr(c) {
  pop(cur[c]);
  if
  :: isempty || F_KIND(fw) != K_EXC -> fault = 1
  :: else -> elr[c] = fw; elrst[c] = ELR_LIVE
  fi
}

inline i_ack(c) {
  if
  :: pending[c] -> pending[c] = 0; insvc[c] = 1
  :: else -> skip        /* ack of a line not pending: a warning */
  fi
}
#endif

/* ---------------------------------------------------------------------------------------------------------
 * Boot and crash */

inline boot_cpus() {
  ii = 0;
  do
  :: ii < NCPU -> pc[ii] = STOPPED; cur[ii] = NONE; ie[ii] = 1; ii++
  :: else -> break
  od
}

inline boot_running(c, t, start) {
  cur[c] = t; pc[c] = start; tst[t] = RUNNING
}

/* A thread that does not start running finds a forged frame on its stack when first resumed. */
inline boot_ready(t, kind, start) {
  push(t, FRAME(kind, start, 1, t, 0));
  tst[t] = READY;
  rq_push(t)
}

inline boot_dormant(t, kind, start) {
  push(t, FRAME(kind, start, 1, t, 0));
  tst[t] = DORMANT
}

