// A compiled step that hands a transition back to the reference model (SLOW) may say that the reference will
// report it as fatal (`slowFatal`): the engine then skips the reference when nobody reads the step's events,
// since a fatal step only ends its path. On every reachable state (up to a limit) of every seed model in every
// pinned configuration, each such claim is checked against the reference: its events hold a fatal violation.
// Every fatal step is claimed, since the compiled code is the rules themselves, staged (the test can fail).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileModel, SLOW } from '../../src/checker/explicit/compile.js';
import { explore } from '../../src/checker/explicit/explore.js';
import type { Model } from '../../src/ir/model.js';
import { buildModel } from '../../src/hw/build.js';
import { PINS, pinnedConfig } from '../gate/pins.js';
import { load, referenceWalk } from './helpers.js';

const LIMIT = 20_000;

function claims(model: Model): { claimed: number; wrong: string[] } {
  const compiled = compileModel(model);
  if (compiled === null) throw new Error('the model was not compiled');
  const next = new Uint32Array(model.layout.words);
  let claimed = 0;
  const wrong: string[] = [];
  referenceWalk(
    model,
    LIMIT,
    () => {},
    (s, i, action, r) => {
      if (compiled.apply(s, action, next, null) !== SLOW || !compiled.slowFatal()) return;
      claimed++;
      const fatal = r.events.some((e) => e.kind === 'violation' && e.fatal);
      if (!fatal && wrong.length < 5) wrong.push(`${model.label(action).text} in state ${i}`);
    },
  );
  return { claimed, wrong };
}

/** Pinned configurations (seeds and corpus) with fatal steps the compiled code recognises, and how many it claims (first LIMIT states). */
const EXPECTED_CLAIMS: Record<string, number> = {
  'models/aarch64-003/context-switch-lock-early-release.sched CPUS=2 THREADS=3': 151,
  'models/aarch64-003/elr-unsaved.sched THREADS=2': 6,
  'models/aarch64-003/reaper-races-exit.sched -': 3,
  'models/aarch64-003/schedule-frees-exiting.sched -': 1,
  'models/aethelos-001/lock-contention-racy.sched THREADS=2': 20,
  'models/ckernel-002/option-c-old-context-layout.sched THREADS=2': 6,
  'models/corpus/x86-nmi-ist-nested.sched -': 16,
  'models/corpus/xv6-riscv-kerneltrap-no-save.sched -': 4,
  'models/corpus/xv6-sched-intena-global.sched -': 2,
  'models/corpus/xv6-yield-release-early.sched CPUS=2 PROCS=2': 16,
  'models/corpus/xv6-swtch-ptable-release-early.sched CPUS=1 PROCS=2': 8,
  'models/corpus/linux-switch-to-asm-no-regs.sched -': 10,
  'models/ckernel-002/stub-ret-switch.sched THREADS=2': 6,
  'models/executor-000/restore-from-main-loop.sched -': 2,
  'models/forkexec-004/old-handler-abba.sched CPUS=2 THREADS=2': 144,
};

describe('compiled fatal claims agree with the reference model', () => {
  for (const key of Object.keys(PINS)) {
    const { file, sets } = pinnedConfig(key);
    it(key, () => {
      const r = claims(buildModel(load(readFileSync(file, 'utf8'), sets, file)));
      expect(r.wrong).toEqual([]);
      expect(r.claimed).toBe(EXPECTED_CLAIMS[key] ?? 0);
    });
  }
});

describe('a search that reads no events skips the reference on claimed fatal steps', () => {
  it('asks the reference for none of them, and counts what a search that reads events counts', () => {
    const file = 'models/forkexec-004/old-handler-abba.sched';
    const program = load(readFileSync(file, 'utf8'), ['CPUS=2', 'THREADS=2'], file);
    const run = (reads: boolean) => {
      const model = buildModel(program);
      const reference = model.successor.bind(model);
      let asked = 0;
      model.successor = (s, a) => {
        asked++;
        return reference(s, a);
      };
      const monitor = reads ? { needsGraph: false, onTransition: () => null } : { needsGraph: false };
      const r = explore(model, () => new Map([['assertions', monitor]]), { progress: false });
      return [r.stats.states, r.stats.transitions, asked];
    };
    // All 3,744 hand-backs of this design are fatal steps the compiled code recognises; a search that reads
    // events also asks the reference for the words of its 15,168 warned steps (switches in interrupt context).
    expect(run(false)).toEqual([78633, 226200, 0]);
    expect(run(true)).toEqual([78633, 226200, 3744 + 15168]);
  });
});
