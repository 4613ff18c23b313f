// The bench's own contract (bench/): every seed model has a bench case and a Promela twin printed from the
// semantics (bench/promela.ts) with nothing from the model in its text but integers, and pan's report is read the
// way SPIN 6.5.2 prints it. equal-states.test.ts runs SPIN on every twin; the timing tables are
// `npx tsx bench/run.ts`'s.

import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configLabel, GROWTH, growthCases, SEED_CASES } from '../../bench/cases.js';
import { hashBits, parsePan, twin } from '../../bench/spin.js';

/**
 * Every token a printed twin may hold: Promela's keywords and types, its own names (slots s<i>, temporaries t<i>,
 * urgency macros U<cpu>_<line> and N<cpu>, labels F<n> and E<n>), integers and operators. A model's names are
 * none of these (a name like `s1` in a model would still never be printed: the printer prints no model text).
 */
const TOKEN =
  /^(?:bit|byte|short|int|hidden|booted|active|proctype|machine|end|do|od|if|fi|else|skip|goto|d_step|define|s\d+|t\d+|U\d+_\d+|N\d+|[FE]\d+|\d+|::|->|&&|\|\||==|!=|<=|>=|<<|>>|[-+*/%&|^!<>=():;{}#])$/;

function tokens(text: string): string[] {
  // The one comment, the header, says where the text comes from.
  const body = text.replace(/^\/\*[^\n]*\*\/\n/, '');
  return body.match(/[A-Za-z_][A-Za-z_0-9]*|\d+|::|->|&&|\|\||==|!=|<=|>=|<<|>>|\S/g) ?? [];
}

const PAN_REPORT = `
(Spin Version 6.5.2 -- 6 December 2019)

Full statespace search for:
	never claim         	- (none specified)
	assertion violations	+
	cycle checks       	- (disabled by -DSAFETY)
	invalid end states	+

State-vector 188 byte, depth reached 6180, errors: 0
   712723 states, stored
  1405729 states, matched
  2118452 transitions (= stored+matched)
        0 atomic steps
hash conflicts:     49893 (resolved)

Stats on memory usage (in Megabytes):
  141.379	equivalent memory usage for states (stored*(State-vector + overhead))
  136.183	actual memory usage for states (compression: 96.33%)
         	state-vector as stored = 180 byte + 20 byte overhead
    8.000	memory used for hash table (-w20)
   91.553	memory used for DFS stack (-m2000000)
  235.648	total actual memory usage

pan: elapsed time 2.75 seconds
pan: rate 259172.18 states/second
TIME 1.09 0.13
`;

describe('bench', () => {
  it('has a bench case and a Promela twin, printed from integers only, for every seed model (the corpus of models/corpus is the gate\'s)', () => {
    const seeds = readdirSync('models', { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.sched') && !f.startsWith('corpus/'))
      .map((f) => `models/${f}`)
      .sort();
    expect(SEED_CASES.map((c) => c.model).sort()).toEqual(seeds);
    for (const c of [...SEED_CASES, ...GROWTH.map((g) => growthCases(g, 2)[0]!)]) {
      const text = twin(c);
      expect(typeof text === 'string' ? 'printed' : text.error, c.model).toBe('printed');
      const strange = tokens(text as string).filter((t) => !TOKEN.test(t));
      expect(strange, c.model).toEqual([]);
      expect(text as string, c.model).toMatch(/^active proctype machine\(\) \{$/m);
    }
  });

  it('grows threads from 2 (or the minimum a model accepts) to 6, on 1 and 2 CPUs', () => {
    const redesign = GROWTH.find((g) => g.model.includes('redesign-need-resched'))!;
    expect(growthCases(redesign).map((c) => configLabel(c.sets))).toEqual([
      'CPUS=1 THREADS=2', 'CPUS=1 THREADS=3', 'CPUS=1 THREADS=4', 'CPUS=1 THREADS=5', 'CPUS=1 THREADS=6',
      'CPUS=2 THREADS=2', 'CPUS=2 THREADS=3', 'CPUS=2 THREADS=4', 'CPUS=2 THREADS=5', 'CPUS=2 THREADS=6',
    ]);
  });

  it("reads pan's states, transitions, CPU time and memory", () => {
    expect(parsePan(PAN_REPORT)).toEqual({
      states: 712723,
      transitions: 2118452,
      seconds: expect.closeTo(1.22, 9),
      wall: 2.75,
      bytesPerState: ((136.183 + 8) * 1024 * 1024) / 712723,
      complete: true,
      note: '',
    });
    expect(parsePan(PAN_REPORT.replace('errors: 0', 'errors: 1'))).toMatchObject({ complete: false, note: 'pan reported 1 error(s)' });
    expect(parsePan('pan: something else')).toHaveProperty('error');
  });

  it('sizes pan\'s hash table to the expected number of states', () => {
    expect([hashBits(10), hashBits(712723), hashBits(3367600)]).toEqual([16, 20, 22]);
  });
});
