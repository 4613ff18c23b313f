// Property: no input reaches an internal error. Generated and mutated models, ITF counterexamples, kernel event
// traces and verification plans go through the CLI's own command functions (parse, check, simulate, explore,
// export, conform, gate), in process: thousands of inputs in well under a minute. Every answer is an exit code
// of the contract (0 to 3), with no E000, no stack trace, no "internal error", and every coded diagnostic
// positioned as `file:line:col: error CODE: ...`. fast-check runs with a fixed seed, so a failure replays
// (FUZZ_SEED and FUZZ_RUNS explore further); an input that once failed is kept in test/fixtures/fuzz/ (and
// malformed models in test/fixtures/bad/) and runs first.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkCommand } from '../../src/cli/commands/check.js';
import { conformCommand } from '../../src/cli/commands/conform.js';
import { exploreCommand } from '../../src/cli/commands/explore.js';
import { exportCommand } from '../../src/cli/commands/export.js';
import { gateCommand } from '../../src/cli/commands/gate.js';
import { parseCommand } from '../../src/cli/commands/parse.js';
import { simulateCommand } from '../../src/cli/commands/simulate.js';
import { loadPlans } from '../../src/checker/gate.js';
import { formatEvent, type TraceEvent } from '../../src/conform/trace.js';
import { findDesign, runDesign } from '../../src/kernel/run.js';
import { KEYWORDS } from '../../src/lang/lexer.js';
import { formatItf } from '../../src/report/itf.js';
import { FIXTURES } from '../report/fixtures.js';

const ROOT = join(import.meta.dirname, '../..');
const SEED = Number(process.env.FUZZ_SEED ?? 20261204);
const RUNS = Number(process.env.FUZZ_RUNS ?? 1);

let dir = '';
let serial = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'schedcheck-fuzz-'));
  mkdirSync(join(dir, '.git'));
  writeFileSync(join(dir, 'tiny.sched'), readFileSync(join(ROOT, 'test/report/fixtures/tiny.sched'), 'utf8'));
  writeFileSync(join(dir, 'hog.sched'), readFileSync(join(ROOT, 'test/report/fixtures/hog.sched'), 'utf8'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function put(name: string, text: string): string {
  const path = join(dir, `${serial++}-${name}`);
  writeFileSync(path, text);
  return path;
}

/** Runs a command in process with its output captured, and holds the answer to the contract. */
async function answers(command: () => Promise<number>, what: string): Promise<number> {
  let out = '';
  const capture = (chunk: string | Uint8Array): boolean => ((out += String(chunk)), true);
  const o = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  const e = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  let code: number;
  try {
    code = await command();
  } catch (error) {
    // What main.ts would answer with exit 4.
    throw new Error(`${what}: the command threw: ${error instanceof Error ? error.stack : String(error)}`);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  expect([0, 1, 2, 3], `${what}: exit ${code}`).toContain(code);
  expect(out, what).not.toMatch(/\bE000\b|internal error|Internal error/);
  expect(out, what).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
  for (const line of out.split('\n')) {
    if (/\berror [A-Z]+\d{3}\b/.test(line)) expect(line, what).toMatch(/^\S.*:\d+:\d+: error [A-Z]+\d{3}: /);
  }
  return code;
}

// ---------------------------------------------------------------------------------------------------------
// Inputs

const MODELS = [
  ...readdirSync(join(ROOT, 'test/golden/ir')).filter((f) => f.endsWith('.sched')).map((f) => join(ROOT, 'test/golden/ir', f)),
  ...['aethelos-001/spin-mutex-loom.sched', 'aethelos-001/option2-yield-pending.sched', 'aarch64-003/elr-unsaved.sched', 'forkexec-004/old-handler-abba.sched'].map((f) => join(ROOT, 'models', f)),
].map((f) => readFileSync(f, 'utf8'));

const WORDS = [...KEYWORDS, '{', '}', '(', ')', '[', ']', ':=', '..', '@', ';', ':', '=', '+', '-', '*', '/', '%', '==', '<', '&&', '!', '0', '1', '2', '33', '2147483647', '99999999999', 'x', 'timer', 'on', 'line', 'irq', 'cpus', 'x86_64', 'aarch64', 'no-deadlock', 'holds', '"s"', '"\x1b[31m"', '//', '/*', '*/', '\n', 'é', '\x07', 'else', 'if'];

type Edit = { op: 'delete' | 'duplicate' | 'swap' | 'insert'; a: number; b: number; word: string };
const edit = fc.record({ op: fc.constantFrom('delete', 'duplicate', 'swap', 'insert'), a: fc.nat(), b: fc.nat(), word: fc.constantFrom(...WORDS) }) as fc.Arbitrary<Edit>;

function mutate<T>(items: T[], edits: Edit[], word: (w: string) => T): T[] {
  const out = [...items];
  for (const { op, a, b, word: w } of edits) {
    if (out.length === 0) {
      out.push(word(w));
      continue;
    }
    const i = a % out.length;
    const j = b % out.length;
    if (op === 'delete') out.splice(i, 1);
    else if (op === 'duplicate') out.splice(i, 0, out[i]!);
    else if (op === 'insert') out.splice(i, 0, word(w));
    else [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const words = (text: string): string[] => text.split(/(\s+)/);

/** A mutated seed model, or token soup. */
const modelText = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.nat(MODELS.length - 1), fc.array(edit, { minLength: 1, maxLength: 8 })).map(([m, edits]) => mutate(words(MODELS[m]!), edits, (w) => ` ${w} `).join('')) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom(...WORDS), { maxLength: 120 }).map((ws) => ws.join(' ')) },
);

const ITFS = FIXTURES.map((make) => {
  const { cex, program } = make();
  return formatItf(cex, program);
});

/** A JSON value to put somewhere in a trace. */
const jsonValue = fc.oneof(
  fc.constantFrom(null, true, -5, 0, 1, 1000, 2 ** 53, 1e308, '', 'x', '\u001b', [], {}),
  fc.constantFrom({ '#bigint': '1000' }, { '#bigint': '-1' }, { '#bigint': 'x' }, { tag: 'Some', value: 1 }, { '#set': [1] }, { '#map': [[1]] }),
);

function replaceAt(value: unknown, steps: number[], replacement: unknown): unknown {
  if (steps.length === 0 || value === null || typeof value !== 'object') return replacement;
  const keys = Object.keys(value);
  if (keys.length === 0) return replacement;
  const key = keys[steps[0]! % keys.length]!;
  const copy: Record<string, unknown> = Array.isArray(value) ? ([...value] as unknown as Record<string, unknown>) : { ...(value as Record<string, unknown>) };
  copy[key] = replaceAt((value as Record<string, unknown>)[key], steps.slice(1), replacement);
  return copy;
}

/** A trace with values replaced at random paths, or its text cut and spliced. */
const itfText = fc.oneof(
  fc.tuple(fc.nat(ITFS.length - 1), fc.array(fc.tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 7 }), jsonValue), { minLength: 1, maxLength: 3 })).map(([i, edits]) =>
    JSON.stringify(edits.reduce((v, [path, r]) => replaceAt(v, path, r), JSON.parse(ITFS[i]!) as unknown)),
  ),
  fc.tuple(fc.nat(ITFS.length - 1), fc.nat(), fc.nat(), fc.constantFrom('', '[', '{', '"', ']]]', '\u0000', '{"a":', '['.repeat(300))).map(([i, a, b, ins]) => {
    const t = ITFS[i]!;
    const [from, to] = [a % t.length, b % t.length].sort((x, y) => x - y) as [number, number];
    return t.slice(0, from) + ins + t.slice(to);
  }),
);

const DESIGN = findDesign('001-naive')!;
const EVENTS: string[] = [];
runDesign(DESIGN, { cycles: 3000, onEvent: (e: TraceEvent) => void EVENTS.push(formatEvent(e)) });
const LINE_WORDS = ['{', '}', '"cpu"', '"event"', ':', ',', '0', '-1', '99', '"irq_entry"', '"x"', 'null', '[]', '#', '\x1b', '{"cpu":0,"event":"eoi"}'];

/** The kernel's own trace, its lines deleted, duplicated, swapped, or corrupted. */
const traceText = fc
  .tuple(fc.array(edit, { minLength: 1, maxLength: 6 }), fc.array(fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(...LINE_WORDS)), { maxLength: 3 }))
  .map(([edits, corruptions]) => {
    const lines = mutate(EVENTS.slice(0, 200), edits, (w) => w);
    for (const [l, c, w] of corruptions) {
      if (lines.length === 0) break;
      const line = lines[l % lines.length]!;
      const at = c % (line.length + 1);
      lines[l % lines.length] = line.slice(0, at) + w + line.slice(at);
    }
    return lines.join('\n');
  });

const PLAN_WORDS = ['model', 'config', 'engine', 'explicit', 'expect', 'holds', 'violated', 'max-states', 'max-depth', 'max-memory', 'timeout', 'hash-compaction', 'symmetry', '10', '3000000000', '-1', 'x', 'THREADS=2', 'N=', 'no-deadlock', 'assertions', 'tiny.sched', 'hog.sched', '../hog.sched', '/etc/passwd', '/dev/zero', '/proc/self/environ', '.', '#', '\n', '\t', 'é'];
const PLAN = 'max-states 500\ntimeout 5\nmodel tiny.sched\nexpect no-deadlock holds\nmodel hog.sched\nexpect assertions holds\n';

const planText = fc.array(
  fc.record({ op: fc.constantFrom('delete', 'duplicate', 'swap', 'insert'), a: fc.nat(), b: fc.nat(), word: fc.constantFrom(...PLAN_WORDS) }) as fc.Arbitrary<Edit>,
  { minLength: 1, maxLength: 6 },
).map((edits) => mutate(words(PLAN), edits, (w) => ` ${w} `).join(''));

const count = (m: Map<string, number>, key: string): void => void m.set(key, (m.get(key) ?? 0) + 1);

const property = (run: (input: string) => Promise<void>, arb: fc.Arbitrary<string>, numRuns: number) =>
  fc.assert(fc.asyncProperty(arb, run), { seed: SEED, numRuns: numRuns * RUNS, endOnFailure: true });

// ---------------------------------------------------------------------------------------------------------

describe('no input reaches an internal error', () => {
  it('on every input that once did (test/fixtures/fuzz)', async () => {
    const fixtures = join(ROOT, 'test/fixtures/fuzz');
    for (const name of readdirSync(fixtures).sort()) {
      const file = join(fixtures, name);
      if (name.endsWith('.sched')) {
        await answers(() => parseCommand({ model: file, ir: false, set: [] }), name);
        await answers(() => checkCommand({ models: [file], property: [], engine: 'explicit', set: [], maxStates: 500, timeout: 5, format: 'text' }), name);
      } else if (name.endsWith('.itf.json')) {
        expect(await answers(() => exportCommand({ trace: file }), name)).toBe(2);
      } else if (name.endsWith('.jsonl')) {
        await answers(() => conformCommand({ model: join(ROOT, DESIGN.model), trace: file, set: [] }), name);
      } else if (name.endsWith('.plan')) {
        const copy = put(name, readFileSync(file, 'utf8'));
        expect(await answers(() => gateCommand({ plans: [copy], format: 'text' }), name)).toBe(2);
      }
    }
  });

  it('on generated and mutated models (parse; check, simulate and explore within small bounds)', async () => {
    const codes = new Map<string, number>();
    await property(async (text) => {
      const file = put('m.sched', text);
      const parsed = await answers(() => parseCommand({ model: file, ir: false, set: [] }), text);
      count(codes, `parse ${parsed}`);
      if (parsed === 0) {
        const checked = await answers(() => checkCommand({ models: [file], property: [], engine: 'explicit', set: [], maxStates: 300, timeout: 2, format: 'json' }), text);
        count(codes, `check ${checked}`);
        await answers(() => simulateCommand({ model: file, set: [], seed: 7, steps: 30 }), text);
        await answers(() => exploreCommand({ model: file, set: [], maxStates: 50 }), text);
      }
    }, modelText, 1500);
    // The inputs reach every stage: refused ones, and models checked to each verdict.
    for (const k of ['parse 0', 'parse 2', 'check 1', 'check 3']) expect(codes.get(k) ?? 0, k).toBeGreaterThan(20);
  }, 60_000);

  it('on mutated ITF counterexamples', async () => {
    const codes = new Map<string, number>();
    await property(async (text) => {
      count(codes, String(await answers(() => exportCommand({ trace: put('t.itf.json', text) }), text.slice(0, 200))));
    }, itfText, 700);
    expect(codes.get('2') ?? 0).toBeGreaterThan(300);
    expect(codes.get('0') ?? 0).toBeGreaterThan(10);
  }, 60_000);

  it('on mutated kernel event traces', async () => {
    const codes = new Map<string, number>();
    await property(async (text) => {
      count(codes, String(await answers(() => conformCommand({ model: join(ROOT, DESIGN.model), trace: put('e.jsonl', text), set: [] }), text.slice(0, 200))));
    }, traceText, 500);
    expect(codes.get('1') ?? 0).toBeGreaterThan(20);
    expect(codes.get('2') ?? 0).toBeGreaterThan(20);
  }, 60_000);

  it('on mutated plans', async () => {
    let ran = 0;
    await property(async (text) => {
      const plan = put('p.plan', text);
      const loaded = loadPlans([plan]);
      for (const d of loaded.diagnostics) expect(d.span.line >= 1 && d.span.col >= 1, text).toBe(true);
      // Running the gate checks the small models; a plan that would run long (no bounds) is only loaded.
      const bounded = loaded.checks.every((c) => c.block.bounds.maxStates !== undefined && c.block.engine === 'explicit');
      if (loaded.diagnostics.length > 0 || bounded) {
        ran++;
        await answers(() => gateCommand({ plans: [plan], format: 'text' }), text);
      }
    }, planText, 400);
    expect(ran).toBeGreaterThan(100);
  }, 60_000);
});
