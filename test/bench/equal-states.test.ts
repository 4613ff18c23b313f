// The bench compares equal state spaces. Every seed model's Promela twin (printed from the machine semantics by
// bench/promela.ts), run by SPIN with full state storage, stores exactly one state more than the explicit engine
// explores on the model: SPIN's pre-boot state, where a fatal step also returns. A printer that leaves the rules
// (an action enumerated differently, a guard or an effect printed wrong) fails here, so the bench's ratios
// against SPIN always compare the same search. Three models beyond the seeds hold the parts of the printer the
// seeds do not reach. SPIN runs here: `.ci/run` installs Debian's `spin`.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configLabel, modelLabel, SEED_CASES, type BenchCase } from '../../bench/cases.js';
import { runSpin } from '../../bench/spin.js';
import { explore } from '../../src/checker/explicit/explore.js';
import { buildModel } from '../../src/hw/build.js';
import { load } from '../checker/helpers.js';

/** The states the explicit engine explores: every reachable one, fatal steps ending their path (as pan does). */
function explored(c: BenchCase): number {
  const sets = Object.entries(c.sets).map(([k, v]) => `${k}=${v}`);
  const model = buildModel(load(readFileSync(c.model, 'utf8'), sets, c.model));
  const result = explore(model, () => new Map([['assertions', { needsGraph: false }]]), { progress: false });
  return result.stats.states;
}

/**
 * Models that use what no seed does, printed the same way, with the explicit engine's count pinned: a trap gate
 * whose handler writes a variable only an invariant reads (SPIN hides a write-only variable unless it runs with
 * -o2; without it this model stores 555 states), a mutex, a handler on its own stack, `hlt` and its halted
 * point, a choice (SPIN takes the first true option of an `if` inside a d_step, so each alternative is an option of
 * its own), a source that fires once per CPU (its arrivals counted in the state), procedure-local variables (each stack's
 * activation level and its locals, reset when an activation ends), a GIC's acknowledge into a variable and EOI of a
 * variable INTID, its priority mask, an 8259A's non-specific EOI, elements of lock arrays chosen by an index that a step
 * reads (one of them past the end: a fatal step), per-CPU run queues and a thread migrated between them.
 * its own), a source that fires once per CPU (its arrivals counted in the state), user-mode code with its entries
 * and returns (syscall/sysret, svc/eret, int) and `from_user`.
 */
const BEYOND_SEEDS: [BenchCase, number][] = [
  ['trap-gate', 988],
  ['mutex-sleep', 38],
  ['stack-ist-reuse', 12],
  ['deadlock-sti-hlt', 12],
  ['choice-either-order', 43],
  ['source-once-per-cpu', 25],
  ['locals-irqsave-local', 80],
  ['locals-prev-local', 1641],
  ['locals-handler-stack', 427],
  ['gic-ack-loop', 384],
  ['gic-running-priority', 68],
  ['gic-pmr-irqoff', 57],
  ['gic-eoimode1', 237],
  ['i8259-nonspecific-eoi', 48],
  ['lockarray-double-rq-abba', 136],
  ['lockarray-index-range', 9],
  ['runqueue-pull-balance', 12],
  ['runqueue-index-range', 11],
  ['runqueue-wake-this-cpu', 12],
  ['runqueue-dequeue-migrate', 48],
  ['priv-from-user', 156],
  ['priv-svc-eret', 65],
  ['priv-int-gate', 36],
  ['priv-tick-user-fair', 237],
].map(([name, states]) => [{ model: `test/checker/models/${name}.sched`, sets: {} }, states as number]);

/** Counting states needs no optimised pan, except where pan's search would then take longer than gcc saves. */
const optimize = (states: number): boolean => states > 1_000_000;

describe('the bench compares equal state spaces: SPIN stores one state more (its pre-boot state)', () => {
  for (const c of SEED_CASES) {
    it(`${modelLabel(c.model)} ${configLabel(c.sets)}`, () => {
      const states = explored(c);
      const spin = runSpin(c, 'full', states, 120, optimize(states));
      expect('error' in spin ? spin.error : spin.states).toBe(states + 1);
    });
  }
  for (const [c, pinned] of BEYOND_SEEDS) {
    it(c.model, () => {
      const states = explored(c);
      expect(states).toBe(pinned);
      const spin = runSpin(c, 'full', states, 120, optimize(states));
      expect('error' in spin ? spin.error : spin.states).toBe(states + 1);
    });
  }
});
