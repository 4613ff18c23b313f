import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderCounterexampleDot } from '../../src/report/dot.js';
import { fromItf, ITF_VARS, toItf } from '../../src/report/itf.js';
import { parseJson } from '../../src/report/jsonpos.js';
import { renderLockGraphDot } from '../../src/report/lockgraph.js';
import { abba, FIXTURES, starvation, timerDeadlock } from './fixtures.js';
import { validate, type Schema } from './jsonschema.js';

const ITF_SCHEMA: Schema = JSON.parse(readFileSync('test/report/schemas/itf.schema.json', 'utf8'));
const SCHEDCHECK_SCHEMA: Schema = JSON.parse(readFileSync('test/report/schemas/schedcheck-itf.schema.json', 'utf8'));

/** What a file holds: the trace as written and read back as JSON. */
function saved(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

/** Every integer an ITF trace holds, wherever it is (the spec's #bigint rule, checked everywhere but #meta). */
function plainNumbers(value: unknown, path = ''): string[] {
  if (typeof value === 'number') return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => plainNumbers(v, `${path}/${i}`));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => (k === '#meta' ? [] : plainNumbers(v, `${path}/${k}`)));
  }
  return [];
}

describe('ITF traces', () => {
  for (const make of FIXTURES) {
    const name = make().name;
    it(`writes ${name} as a valid ITF trace`, () => {
      const { cex, program } = make();
      const itf = saved(toItf(cex, program)) as { vars: string[]; states: Record<string, unknown>[] };
      expect(validate(ITF_SCHEMA, itf)).toEqual([]);
      expect(validate(SCHEDCHECK_SCHEMA, itf)).toEqual([]);
      // ADR-015: every state defines every variable; integers are {"#bigint": ...}.
      for (const state of itf.states) for (const v of itf.vars) expect(state, v).toHaveProperty([v]);
      expect(plainNumbers(itf.states)).toEqual([]);
    });

    it(`reads ${name} back exactly`, () => {
      const { cex, program } = make();
      const read = fromItf(saved(toItf(cex, program)));
      if (!read.ok) throw new Error(read.problem.message);
      expect(read.counterexample).toStrictEqual(cex);
      expect(read.model?.file).toBe(program.file);
      expect(read.model?.arch).toBe(program.arch);
    });

    it(`redraws ${name} from the saved trace exactly as from the checker`, () => {
      const { cex, program } = make();
      const read = fromItf(saved(toItf(cex, program)));
      if (!read.ok) throw new Error(read.problem.message);
      expect(renderCounterexampleDot(read.counterexample, read.model)).toBe(renderCounterexampleDot(cex, program));
      if (cex.lockGraph !== undefined) {
        expect(renderLockGraphDot(read.counterexample.lockGraph!, read.model)).toBe(renderLockGraphDot(cex.lockGraph, program));
      }
    });
  }

  it('writes the trace as Quint and Apalache do', () => {
    const { cex, program } = timerDeadlock();
    const itf = toItf(cex, program);
    expect(itf['#meta']).toMatchObject({
      format: 'ITF',
      'format-description': 'https://apalache-mc.org/docs/adr/015adr-trace.html',
      source: 'test/report/fixtures/timer-deadlock.sched',
      description: `schedcheck counterexample: no-deadlock violated: ${cex.message}`,
    });
    expect(itf.vars).toEqual([...ITF_VARS]);
    expect(itf.states.map((s) => s['mbt::actionTaken'])).toEqual([
      'init',
      'cpu0: acquire LOOM',
      'cpu0: timer becomes pending',
      'cpu0: interrupt timer delivered',
    ]);
    expect(itf.states[3]).toEqual({
      '#meta': { index: 3 },
      'mbt::actionTaken': 'cpu0: interrupt timer delivered',
      step: {
        kind: 'interrupt',
        cpu: { tag: 'Some', value: { '#bigint': '0' } },
        context: 'thread worker',
        label: 'interrupt timer delivered',
        span: { tag: 'None', value: { '#tup': [] } },
        location: { tag: 'None', value: { '#tup': [] } },
        sourceLine: { tag: 'None', value: { '#tup': [] } },
      },
      cpus: [
        {
          cpu: { '#bigint': '0' },
          context: 'handler timer (on worker)',
          ie: false,
          hardirq: { '#bigint': '1' },
          locksHeld: ['LOOM'],
          stack: [{ kind: 'irq', text: 'irq frame (timer, IF=1, worker @ test/report/fixtures/timer-deadlock.sched:12)' }],
          pending: { '#set': [] },
          inService: { '#set': ['timer'] },
          elr: { tag: 'None', value: { '#tup': [] } },
        },
      ],
      threads: [{ name: 'worker', state: 'running', stack: [] }],
      locks: [{ name: 'LOOM', holder: { tag: 'Some', value: 'worker' } }],
      runQueue: [],
      vars: { '#map': [['ticks', '0']] },
    });
    // The violating instruction's span travels with the trace.
    expect((itf['#meta'].schedcheck as { spans: Record<string, unknown> }).spans[String(cex.violationSpan)]).toEqual({
      file: 'test/report/fixtures/timer-deadlock.sched',
      line: 18,
      col: 3,
      endLine: 18,
      endCol: 15,
    });
  });

  it("writes a lasso's loop as the index of the state the last one repeats", () => {
    const { cex, program } = starvation();
    const itf = toItf(cex, program);
    // Steps 2..6 repeat: the state after step 6 is the state after step 1.
    expect(itf.loop).toBe(1);
    expect(cex.steps[6]!.state).toStrictEqual(cex.steps[1]!.state);
    expect(itf.states[6]).toMatchObject({ cpus: itf.states[1]!.cpus, threads: itf.states[1]!.threads });
    expect(toItf(timerDeadlock().cex).loop).toBeUndefined();
  });

  it('carries the lock graph for lock-order', () => {
    const { cex, program } = abba();
    expect((toItf(cex, program)['#meta'].schedcheck as { lockGraph: unknown }).lockGraph).toEqual(cex.lockGraph);
  });

  it('reads a trace written without the model, and plain JSON integers', () => {
    const { cex } = timerDeadlock();
    const itf = saved(toItf(cex)) as { states: { cpus: { hardirq: unknown }[] }[] };
    itf.states[3]!.cpus[0]!.hardirq = 1;
    const read = fromItf(itf);
    if (!read.ok) throw new Error(read.problem.message);
    expect(read.model).toBeUndefined();
    expect(read.counterexample).toStrictEqual(cex);
  });

  it('names what is wrong with a file that is not a schedcheck trace, and where', () => {
    const { cex, program } = timerDeadlock();
    const good = () => saved(toItf(cex, program)) as Record<string, any>;
    const cases: [unknown, string, string, (string | number)[]][] = [
      [[1, 2], 'ITF002', 'expected a record', []],
      [{ states: [] }, 'ITF002', 'missing field "vars"', []],
      [{ ...good(), states: [] }, 'ITF002', 'a trace needs at least one state', ['states']],
      [(() => { const t = good(); delete t.states[2].cpus; return t; })(), 'ITF002', 'missing field "cpus"', ['states', 2]],
      [{ vars: ['x'], states: [{ x: 1 }] }, 'ITF003', 'missing field "#meta"', []],
      [(() => { const t = good(); t['#meta'].schedcheck.version = 7; return t; })(), 'ITF004', 'trace format version 7; this schedcheck reads version 1', ['#meta', 'schedcheck', 'version']],
      [(() => { const t = good(); t.states[1].cpus[0].ie = 'yes'; return t; })(), 'ITF003', 'expected true or false', ['states', 1, 'cpus', 0, 'ie']],
      [(() => { const t = good(); t.states[1].cpus[0].hardirq = { '#bigint': 'x' }; return t; })(), 'ITF003', 'expected an integer ({"#bigint": "..."})', ['states', 1, 'cpus', 0, 'hardirq']],
      [(() => { const t = good(); t.states[2].step.kind = 'teleport'; return t; })(), 'ITF003', 'expected one of init, instruction, interrupt, pending', ['states', 2, 'step', 'kind']],
      [(() => { const t = good(); t.states[1]['#meta'].index = 5; return t; })(), 'ITF003', 'expected state index 1', ['states', 1, '#meta', 'index']],
      [(() => { const t = good(); t['#meta'].schedcheck.property = 'liveness'; return t; })(), 'ITF003', 'expected one of no-deadlock, stack-integrity, lock-order, irq-lock-safety, eoi-discipline, atomic-sleep, no-starvation, irq-latency, assertions', ['#meta', 'schedcheck', 'property']],
      [(() => { const t = good(); t['#meta'].schedcheck.length = 9; return t; })(), 'ITF003', 'the trace has 3 steps', ['#meta', 'schedcheck', 'length']],
      [(() => { const t = good(); t.states[0].cpus[0].elr = { tag: 'Maybe', value: 1 }; return t; })(), 'ITF003', 'expected "Some" or "None"', ['states', 0, 'cpus', 0, 'elr', 'tag']],
    ];
    const lasso = () => saved(toItf(starvation().cex, starvation().program)) as Record<string, any>;
    const states = lasso().states.length;
    cases.push(
      [(() => { const t = lasso(); t.loop = { '#bigint': '1000' }; return t; })(), 'ITF002', `expected the index of one of the ${states} states (0 to ${states - 1})`, ['loop']],
      [(() => { const t = lasso(); t.loop = -5; return t; })(), 'ITF002', `expected the index of one of the ${states} states (0 to ${states - 1})`, ['loop']],
      [(() => { const t = lasso(); t['#meta'].schedcheck.loop = { '#bigint': '1000' }; return t; })(), 'ITF003', `expected a step of the trace (1 to ${states - 1})`, ['#meta', 'schedcheck', 'loop']],
      [(() => { const t = lasso(); t['#meta'].schedcheck.loop = 0; return t; })(), 'ITF003', `expected a step of the trace (1 to ${states - 1})`, ['#meta', 'schedcheck', 'loop']],
      [(() => { const t = lasso(); t.loop = 3; return t; })(), 'ITF003', 'expected 1, the state before step 2 where the loop begins', ['loop']],
      [(() => { const t = lasso(); delete t['#meta'].schedcheck.loop; return t; })(), 'ITF003', 'a loop needs #meta.schedcheck.loop, the step where it begins', ['loop']],
    );
    for (const [input, code, message, path] of cases) {
      expect(fromItf(input), message).toEqual({ ok: false, problem: { code, message, path } });
    }
  });
});

describe('parseJson', () => {
  it('locates values and the ancestors of missing ones', () => {
    const parsed = parseJson('{\n  "a": [1,\n    {"b": true}],\n  "c": "x"\n}');
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.value).toEqual({ a: [1, { b: true }], c: 'x' });
    expect(parsed.positionOf(['a', 1, 'b'])).toEqual({ line: 3, col: 11 });
    expect(parsed.positionOf(['c'])).toEqual({ line: 4, col: 8 });
    expect(parsed.positionOf(['a', 1, 'missing'])).toEqual({ line: 3, col: 5 });
    expect(parsed.positionOf([])).toEqual({ line: 1, col: 1 });
  });

  it('reports syntax errors at their place', () => {
    expect(parseJson('{"a": 1,\n "b" 2}')).toEqual({ ok: false, message: "expected ':'", position: { line: 2, col: 6 } });
    expect(parseJson('[1, 2')).toEqual({ ok: false, message: "expected ']' but the file ends", position: { line: 1, col: 6 } });
    expect(parseJson('{"a": tru}')).toEqual({ ok: false, message: "unexpected character 't'", position: { line: 1, col: 7 } });
    expect(parseJson('"\\q"')).toEqual({ ok: false, message: 'bad escape in string', position: { line: 1, col: 2 } });
    expect(parseJson('1 2')).toEqual({ ok: false, message: 'unexpected text after the JSON value', position: { line: 1, col: 3 } });
  });

  it('refuses nesting deeper than 256 as a syntax error at its place, never a stack overflow', () => {
    expect(parseJson('['.repeat(10000))).toEqual({ ok: false, message: 'nested more than 256 deep', position: { line: 1, col: 257 } });
    const deep = '['.repeat(300) + ']'.repeat(300);
    expect(parseJson(deep)).toEqual({ ok: false, message: 'nested more than 256 deep', position: { line: 1, col: 257 } });
    expect(parseJson('['.repeat(256) + ']'.repeat(256)).ok).toBe(true);
  });

  it('reads a large trace fast and locates a value late in it', () => {
    // About 36 MB: the trace took 21 s and 785 MB to reject at byte 10,691.
    const filler = JSON.stringify({ text: 'x'.repeat(1000) });
    const text = `{"states": [${Array(36000).fill(filler).join(',\n')}], "loop": "late"}`;
    expect(text.length).toBeGreaterThan(36_000_000);
    const start = performance.now();
    const parsed = parseJson(text);
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.positionOf(['states', 2, 'text'])).toEqual({ line: 3, col: 9 });
    expect(parsed.positionOf(['loop'])).toEqual({ line: 36000, col: 1023 });
    expect(performance.now() - start).toBeLessThan(3000);
  });

  it('escapes a control character it names', () => {
    expect(parseJson('{"a": \u001b}')).toEqual({ ok: false, message: "unexpected character '\\x1b'", position: { line: 1, col: 7 } });
  });

  it('parses what JSON.parse parses', () => {
    const text = JSON.stringify(toItf(abba().cex, abba().program), null, 2);
    const parsed = parseJson(text);
    expect(parsed.ok && parsed.value).toEqual(JSON.parse(text));
    expect(parseJson('"\\u00e9\\n\\"\\\\\\/"')).toMatchObject({ ok: true, value: 'é\n"\\/' });
    expect(parseJson('-1.5e3')).toMatchObject({ ok: true, value: -1500 });
  });
});
