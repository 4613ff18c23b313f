// Verification plans (`specs/*.plan`, format in docs/gate.md) and the gate that runs them. A plan names models,
// the configurations (`--set` values) to check each in, the engine and bounds, and the verdict expected of each
// property; the gate refuses a plan whose expectation contradicts the model's own `expect` line, runs the rest,
// and classifies every result: as expected, not as expected, or not yet checkable (a property or engine that has
// not landed). Parsing never throws: a bad plan is a list of diagnostics with codes and positions.

import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve as resolvePath, sep } from 'node:path';
import { PROPERTY_IDS, type Program, type PropertyId } from '../ir/ir.js';
import type { Diagnostic } from '../lang/diagnostics.js';
import { loadModelFromText } from '../lang/load.js';
import { readRegularFile } from '../lang/readfile.js';
import { pointSpan, type SourceSpan } from '../lang/source.js';
import { checkProgram, onTop } from './check.js';
import { BOUND_DIRECTIVES, PLAN_DIRECTIVES, REDUCTION_DIRECTIVES } from './plandirectives.js';
import type { CheckReport, PropertyResult } from './verdict.js';

/** Plan diagnostic codes: G1xx the plan's own text, G2xx what it refers to. docs/gate.md lists each. */
export const GATE_CODES = {
  G101: 'unknown directive',
  G102: 'wrong number of arguments',
  G103: 'not a whole number',
  G104: 'malformed `config` assignment',
  G105: 'unknown engine',
  G106: 'unknown property',
  G107: 'expected `holds` or `violated`',
  G108: '`config`, `learn-from` or `expect` before the first `model`',
  G109: 'given twice in one block',
  G110: 'block with no `expect`, for a model with no `expect` line',
  G111: 'characters a plan cannot contain',
  G201: 'file cannot be read',
  G202: 'model does not load in this configuration',
  G203: "expectation contradicts the model's `expect` line",
  G204: 'model states no expectation for this property',
  G205: 'configuration listed twice',
  G206: 'no plans found',
  G207: "model path outside the plan's repository",
  G208: 'model is not a regular `.sched` file of at most 1 MiB',
  G209: 'plan checks nothing',
  G210: '`learn-from` in a block the SMT engine does not check',
} as const;
export type GateCode = keyof typeof GATE_CODES;

export type PlanEngine = 'explicit' | 'smt' | 'both';
export type ExpectedVerdict = 'holds' | 'violated';

export interface PlanConfig {
  /** `NAME=VALUE` strings, as `--set` takes them. */
  sets: string[];
  span: SourceSpan;
}

export interface PlanExpectation {
  property: PropertyId;
  verdict: ExpectedVerdict;
  span: SourceSpan;
}

export interface PlanBounds {
  maxStates?: number;
  maxDepth?: number;
  maxMemoryMb?: number;
  timeoutSeconds?: number;
  /** The explicit engine's reductions, as `check --hash-compaction` and `--symmetry` give them. */
  hashCompaction?: boolean;
  symmetry?: boolean;
}

/** One `model` block: a model checked in each configuration for each expectation. */
export interface PlanBlock {
  plan: string;
  /** The model path as written, and resolved against the plan's directory. */
  model: string;
  modelPath: string;
  span: SourceSpan;
  /** The span of PATH in `model PATH`. */
  pathSpan: SourceSpan;
  /** Empty: one check with the model's own constants. */
  configs: PlanConfig[];
  /**
   * Smaller configurations the SMT engine learns invariants from (`check --learn-from`), each on top of the
   * configuration checked.
   */
  learnFrom: PlanConfig[];
  engine: PlanEngine;
  bounds: PlanBounds;
  expectations: PlanExpectation[];
}

export interface Plan {
  file: string;
  blocks: PlanBlock[];
}

/** Used when a block sets no timeout, so that no plan can hang CI. */
export const DEFAULT_TIMEOUT_SECONDS = 300;

const MAX_PLAN_DIAGNOSTICS = 100;
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=([0-9]+)$/;
/** Up to 15 digits: every such number is exact in a double (a bound of 3000000000 states is a bound). */
const WHOLE = /^[0-9]{1,15}$/;

class PlanSink {
  readonly diagnostics: Diagnostic[] = [];
  error(code: GateCode, message: string, span: SourceSpan): void {
    if (this.diagnostics.length < MAX_PLAN_DIAGNOSTICS) this.diagnostics.push({ code, severity: 'error', message, span });
  }
}

interface Token {
  text: string;
  span: SourceSpan;
}

/** Whitespace-separated words of one line, up to a `#` comment. */
function tokenize(line: string, file: string, lineNo: number): Token[] {
  const tokens: Token[] = [];
  const re = /\S+/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) {
    if (m[0].startsWith('#')) break;
    const hash = m[0].indexOf('#');
    const text = hash === -1 ? m[0] : m[0].slice(0, hash);
    const col = m.index + 1;
    tokens.push({ text, span: { file, line: lineNo, col, endLine: lineNo, endCol: col + text.length } });
    if (hash !== -1) break;
  }
  return tokens;
}

function spanOfTokens(tokens: Token[]): SourceSpan {
  const first = tokens[0]!.span;
  const last = tokens[tokens.length - 1]!.span;
  return { ...first, endLine: last.endLine, endCol: last.endCol };
}

/** Stable: diagnostics at the same position keep the order they were made in. */
function byPosition(list: Diagnostic[]): Diagnostic[] {
  return [...list].sort((a, b) => a.span.line - b.span.line || a.span.col - b.span.col);
}

function isPropertyId(id: string): id is PropertyId {
  return (PROPERTY_IDS as readonly string[]).includes(id);
}

/** Parse one plan's text. Every problem is a diagnostic; the blocks that parsed are returned either way. */
export function parsePlan(text: string, file: string): { diagnostics: Diagnostic[]; plan: Plan } {
  const sink = new PlanSink();
  const blocks: PlanBlock[] = [];
  let block: PlanBlock | null = null;
  const seen = new Set<string>();
  const defaults: { engine: PlanEngine; bounds: PlanBounds } = { engine: 'explicit', bounds: {} };
  const defaultKeys = new Set<string>();
  const lines = text.split('\n');

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.endsWith('\r') ? lines[i]!.slice(0, -1) : lines[i]!;
    const bad = /[^\t\x20-\x7e]/.exec(raw.split('#')[0]!);
    if (bad !== null) {
      sink.error('G111', 'A plan holds only printable ASCII outside comments.', pointSpan(file, i + 1, bad.index + 1));
      continue;
    }
    const tokens = tokenize(raw, file, i + 1);
    if (tokens.length === 0) continue;
    const [head, ...args] = tokens as [Token, ...Token[]];
    const arity = (n: number, usage: string): boolean => {
      if (args.length === n) return true;
      sink.error('G102', `Expect \`${usage}\`.`, spanOfTokens(tokens));
      return false;
    };

    if (head.text === 'model') {
      block = null;
      if (!arity(1, 'model PATH')) continue;
      const model = args[0]!.text;
      block = {
        plan: file,
        model,
        modelPath: resolvePath(dirname(file), model),
        span: spanOfTokens(tokens),
        pathSpan: args[0]!.span,
        configs: [],
        learnFrom: [],
        engine: defaults.engine,
        bounds: { ...defaults.bounds },
        expectations: [],
      };
      blocks.push(block);
      seen.clear();
      continue;
    }
    if (!PLAN_DIRECTIVES.includes(head.text)) {
      const list = `${PLAN_DIRECTIVES.slice(0, -1).join(', ')} or ${PLAN_DIRECTIVES.at(-1)}`;
      sink.error('G101', `Unknown directive '${head.text.slice(0, 40)}'; expect ${list}.`, head.span);
      continue;
    }
    if (block === null && (head.text === 'config' || head.text === 'learn-from' || head.text === 'expect')) {
      sink.error('G108', `'${head.text}' belongs to a block: start one with \`model PATH\`.`, head.span);
      continue;
    }
    // Before the first `model`, engine and bounds are the plan's defaults for every block.
    const target = block ?? defaults;
    const owner = block === null ? 'this plan' : `'${block.model}'`;
    const keys = block === null ? defaultKeys : seen;
    const once = (key: string, span: SourceSpan, what: string): boolean => {
      if (!keys.has(key)) {
        keys.add(key);
        return true;
      }
      sink.error('G109', `${what} is given twice for ${owner}.`, span);
      return false;
    };

    if ((head.text === 'config' || head.text === 'learn-from') && block !== null) {
      const sets: string[] = [];
      for (const a of args) {
        if (ASSIGNMENT.test(a.text)) sets.push(a.text);
        else sink.error('G104', `Expect NAME=VALUE (a constant and a whole number), found '${a.text.slice(0, 40)}'.`, a.span);
      }
      if (sets.length === args.length) (head.text === 'config' ? block.configs : block.learnFrom).push({ sets, span: spanOfTokens(tokens) });
    } else if (head.text === 'engine') {
      if (!arity(1, 'engine explicit|smt|both')) continue;
      const engine = args[0]!.text;
      if (engine !== 'explicit' && engine !== 'smt' && engine !== 'both') {
        sink.error('G105', `Unknown engine '${engine.slice(0, 40)}'; expect explicit, smt or both.`, args[0]!.span);
      } else if (once('engine', head.span, 'The engine')) {
        target.engine = engine;
      }
    } else if (head.text === 'expect' && block !== null) {
      if (!arity(2, 'expect PROPERTY holds|violated')) continue;
      const [property, verdict] = args as [Token, Token];
      if (!isPropertyId(property.text)) {
        sink.error('G106', `Unknown property '${property.text.slice(0, 40)}'; \`schedcheck properties\` lists them.`, property.span);
      } else if (verdict.text !== 'holds' && verdict.text !== 'violated') {
        sink.error('G107', `Expect \`holds\` or \`violated\`, found '${verdict.text.slice(0, 40)}'.`, verdict.span);
      } else if (once(`expect ${property.text}`, property.span, `The expectation for ${property.text}`)) {
        block.expectations.push({ property: property.text, verdict: verdict.text, span: spanOfTokens(tokens) });
      }
    } else if (Object.hasOwn(REDUCTION_DIRECTIVES, head.text)) {
      const name = head.text as keyof typeof REDUCTION_DIRECTIVES;
      if (!arity(0, name)) continue;
      if (once(name, head.span, `'${name}'`)) target.bounds[REDUCTION_DIRECTIVES[name]] = true;
    } else {
      const name = head.text as keyof typeof BOUND_DIRECTIVES;
      if (!arity(1, `${name} N`)) continue;
      const value = args[0]!;
      if (!WHOLE.test(value.text)) {
        sink.error('G103', `Expect a whole number after '${name}', found '${value.text.slice(0, 40)}'.`, value.span);
      } else if (once(name, head.span, `'${name}'`)) {
        target.bounds[BOUND_DIRECTIVES[name]] = Number(value.text);
      }
    }
  }
  return { diagnostics: byPosition(sink.diagnostics), plan: { file, blocks } };
}

// ---------------------------------------------------------------------------------------------------------
// Loading and validating plans against their models

/** One model in one configuration, loaded, with what the plan expects of it. */
export interface GateCheck {
  block: PlanBlock;
  config: PlanConfig | null;
  program: Program;
  /** `CPUS=2 THREADS=3`: the model's constants after the overrides, `-` when it has none. */
  label: string;
  /** The block's `learn-from` configurations, loaded on top of this one. */
  learnFrom: Program[];
}

export interface LoadedPlans {
  diagnostics: Diagnostic[];
  /** Texts of every file a diagnostic may point into (plans and models), for printing source lines. */
  texts: Map<string, string>;
  checks: GateCheck[];
}

/** A plan, or a model it names, larger than this is refused: the seed models are a few kilobytes. */
export const MAX_PLAN_FILE_BYTES = 1024 * 1024;

function readText(file: string, texts: Map<string, string>): string | null {
  const read = readRegularFile(file, MAX_PLAN_FILE_BYTES);
  if (!read.ok) return null;
  texts.set(file, read.text);
  return read.text;
}

/**
 * The repository a plan belongs to: the nearest folder above it with a `.git` (a checkout or a worktree);
 * without one, the working directory when the plan is inside it, else the plan's own folder.
 */
export function planRepository(planFile: string, cwd: string = process.cwd()): string {
  const real = (p: string): string => {
    try {
      return realpathSync(p);
    } catch {
      return resolvePath(p);
    }
  };
  const start = real(dirname(resolvePath(planFile)));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) break;
  }
  const here = real(cwd);
  return inside(start, here) ? here : start;
}

function inside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * A plan comes from a repository that CI runs, so what it names is untrusted: a model must be a regular `.sched`
 * file of at most MAX_PLAN_FILE_BYTES inside the plan's repository (symbolic links resolved). Its text, or the
 * reason it is refused (as a diagnostic at PATH: the file's own lines are never shown).
 */
function readPlanModel(block: PlanBlock, root: string): { text: string } | Diagnostic {
  const refuse = (code: GateCode, message: string): Diagnostic => ({ code, severity: 'error', message, span: block.pathSpan });
  let real: string;
  try {
    real = realpathSync(block.modelPath);
  } catch (e) {
    return refuse('G201', `Cannot read the model '${block.model}' (${(e as NodeJS.ErrnoException).code ?? 'unreadable'}).`);
  }
  if (!inside(real, root)) return refuse('G207', `Model '${block.model}' is outside the plan's repository (${root}); a plan names models inside it.`);
  if (!real.endsWith('.sched')) return refuse('G208', `Model '${block.model}' is not a .sched file.`);
  const read = readRegularFile(real, MAX_PLAN_FILE_BYTES);
  if (!read.ok) return refuse('G208', `Model '${block.model}' cannot be read as a model: ${read.why === 'EISDIR' ? 'a directory' : read.why}.`);
  return { text: read.text };
}

export function configLabel(program: Program): string {
  const entries = Object.entries(program.constants).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? '-' : entries.map(([k, v]) => `${k}=${v}`).join(' ');
}

/** Plans named on the command line, or every `*.plan` under `specs/` when none is. */
export function planFiles(args: string[], specsDir = 'specs'): { files: string[]; diagnostics: Diagnostic[] } {
  if (args.length > 0) return { files: args, diagnostics: [] };
  let files: string[] = [];
  try {
    if (statSync(specsDir).isDirectory()) {
      files = readdirSync(specsDir)
        .filter((f) => f.endsWith('.plan'))
        .sort()
        .map((f) => join(specsDir, f));
    }
  } catch {
    // missing directory: reported below
  }
  if (files.length > 0) return { files, diagnostics: [] };
  const span = pointSpan(specsDir, 1, 1);
  return { files, diagnostics: [{ code: 'G206', severity: 'error', message: `No plans (*.plan) found in '${specsDir}'.`, span }] };
}

/**
 * Parse every plan, load each model in each configuration, and hold each expectation to the model's own
 * `expect` line. Any diagnostic means nothing should run.
 */
export function loadPlans(files: string[]): LoadedPlans {
  const diagnostics: Diagnostic[] = [];
  const texts = new Map<string, string>();
  const checks: GateCheck[] = [];
  for (const file of files) {
    const text = readText(file, texts);
    if (text === null) {
      diagnostics.push({ code: 'G201', severity: 'error', message: `Cannot read the plan '${file}'.`, span: pointSpan(file, 1, 1) });
      continue;
    }
    const parsed = parsePlan(text, file);
    const found = [...parsed.diagnostics];
    if (parsed.plan.blocks.length === 0 && found.length === 0) {
      found.push({ code: 'G209', severity: 'error', message: 'The plan checks nothing; add a block: `model PATH` and `expect PROPERTY holds|violated`.', span: pointSpan(file, 1, 1) });
    }
    const root = planRepository(file);
    for (const block of parsed.plan.blocks) checks.push(...loadBlock(block, found, texts, root));
    // The plan's own diagnostics in line order, then those inside the models it names.
    const own = byPosition(found.filter((d) => d.span.file === file));
    diagnostics.push(...own, ...found.filter((d) => d.span.file !== file));
  }
  return { diagnostics, texts, checks };
}

function loadBlock(block: PlanBlock, diagnostics: Diagnostic[], texts: Map<string, string>, root: string): GateCheck[] {
  const checks: GateCheck[] = [];
  const labels = new Set<string>();
  const configs: (PlanConfig | null)[] = block.configs.length === 0 ? [null] : block.configs;
  const source = readPlanModel(block, root);
  if ('code' in source) {
    diagnostics.push(source);
    return checks;
  }
  texts.set(block.modelPath, source.text);
  if (block.learnFrom.length > 0 && block.engine === 'explicit') {
    const message = `\`learn-from\` gives the SMT engine its invariants, and '${block.model}' is checked by the explicit engine only; add \`engine smt\` or \`engine both\`.`;
    diagnostics.push({ code: 'G210', severity: 'error', message, span: block.learnFrom[0]!.span });
  }
  const load = (sets: string[], at: SourceSpan): Program | null => {
    const loaded = loadModelFromText(source.text, block.modelPath, sets);
    if (loaded.program !== null) return loaded.program;
    const why = loaded.diagnostics.find((d) => d.severity === 'error');
    diagnostics.push({
      code: 'G202',
      severity: 'error',
      message: `Model '${block.model}' does not load${sets.length > 0 ? ` with ${sets.join(' ')}` : ''}: ${why ? `${why.code} ${why.message}` : 'see below'}`,
      span: at,
    });
    diagnostics.push(...loaded.diagnostics);
    return null;
  };
  for (const config of configs) {
    const at = config?.span ?? block.span;
    const sets = config?.sets ?? [];
    const program = load(sets, at);
    if (program === null) continue;
    const small = block.learnFrom.map((l) => load(onTop(sets, l.sets), l.span));
    if (small.includes(null)) continue;
    const label = configLabel(program);
    if (labels.has(label)) {
      diagnostics.push({ code: 'G205', severity: 'error', message: `Configuration ${label} is listed twice for '${block.model}'.`, span: at });
      continue;
    }
    labels.add(label);
    if (config === block.configs[0] || config === null) {
      if (block.expectations.length === 0) inheritExpectations(block, program, diagnostics);
      checkAgainstModel(block, program, diagnostics);
    }
    checks.push({ block, config, program, label, learnFrom: small as Program[] });
  }
  return checks;
}

/** A block without `expect` lines checks every verdict the model's own `expect` lines state. */
function inheritExpectations(block: PlanBlock, program: Program, diagnostics: Diagnostic[]): void {
  if (program.expectations.length === 0) {
    const message = `Block for '${block.model}' expects no verdict, and the model states none; add \`expect PROPERTY holds|violated\` to the model or the plan.`;
    diagnostics.push({ code: 'G110', severity: 'error', message, span: block.span });
    return;
  }
  block.expectations = program.expectations.map((e) => ({ property: e.property, verdict: e.verdict, span: block.span }));
}

/** A plan may not expect of a model what the model itself does not claim. */
function checkAgainstModel(block: PlanBlock, program: Program, diagnostics: Diagnostic[]): void {
  for (const e of block.expectations) {
    const own = program.expectations.find((m) => m.property === e.property);
    if (own === undefined) {
      diagnostics.push({
        code: 'G204',
        severity: 'error',
        message: `Model '${block.model}' has no \`expect ${e.property}\` line; state the verdict in the model first.`,
        span: e.span,
      });
    } else if (own.verdict !== e.verdict) {
      const at = program.spans[own.span];
      diagnostics.push({
        code: 'G203',
        severity: 'error',
        message: `The plan expects ${e.property} ${e.verdict}, but '${block.model}'${at ? ` (line ${at.line})` : ''} says ${own.verdict}.`,
        span: e.span,
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Running

/**
 * `ok`: the verdict is the expected one. `bounded`: expected to hold and holds, but only up to a bound the plan
 * chose (an SMT bound). `fail`: another verdict, or a run stopped by a bound. `not-checkable`: the property or
 * engine has not landed; never a pass.
 */
export type GateStatus = 'ok' | 'bounded' | 'fail' | 'not-checkable';

export interface GateRow {
  check: GateCheck;
  property: PropertyId;
  expected: ExpectedVerdict;
  result: PropertyResult;
  status: GateStatus;
  /** Why a row failed or was skipped, in one line. */
  note: string | null;
}

export function classify(expected: ExpectedVerdict, r: PropertyResult): { status: GateStatus; note: string | null } {
  switch (r.verdict) {
    case 'holds':
      if (expected === 'violated') return { status: 'fail', note: `expected a violation, but ${r.property} holds` };
      return r.complete ? { status: 'ok', note: null } : { status: 'bounded', note: 'holds up to the plan\'s bound' };
    case 'violated':
      if (expected === 'violated') return { status: 'ok', note: null };
      return { status: 'fail', note: `${r.counterexample.message} (counterexample of ${r.counterexample.length} steps)` };
    case 'inconclusive':
      if (r.reason === 'not-checkable') return { status: 'not-checkable', note: r.detail };
      // The row's "got" already says `inconclusive (reason)`: the note says what stopped it.
      return { status: 'fail', note: r.detail };
  }
}

/** What a row shows under "got": the verdict, `inconclusive` with its reason. */
export function gotText(r: PropertyResult): string {
  return r.verdict === 'inconclusive' ? `inconclusive (${r.reason})` : r.verdict;
}

export interface GateRun {
  rows: GateRow[];
  /** One report per check (model and configuration), for JUnit and SARIF. */
  reports: { check: GateCheck; report: CheckReport }[];
  seconds: number;
}

/**
 * Run every check; `onRow` sees each row as soon as its check finishes (the text table streams). `progress`:
 * a long check reports on stderr as `check` does (the CLI's choice; off for callers that print nothing).
 */
export async function runChecks(checks: GateCheck[], onRow?: (row: GateRow) => void, options: { progress?: boolean } = {}): Promise<GateRun> {
  const started = performance.now();
  const rows: GateRow[] = [];
  const reports: GateRun['reports'] = [];
  for (const check of checks) {
    const { block } = check;
    const report = await checkProgram(check.program, {
      properties: block.expectations.map((e) => e.property),
      engine: block.engine,
      maxStates: block.bounds.maxStates,
      maxDepth: block.bounds.maxDepth,
      maxMemoryMb: block.bounds.maxMemoryMb,
      timeoutSeconds: block.bounds.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
      hashCompaction: block.bounds.hashCompaction,
      symmetry: block.bounds.symmetry,
      ...(check.learnFrom.length > 0 ? { learnFrom: check.learnFrom } : {}),
      progress: options.progress ?? false,
    });
    reports.push({ check, report });
    for (const e of block.expectations) {
      const results = report.results.filter((r) => r.property === e.property);
      for (const result of results) {
        const row: GateRow = { check, property: e.property, expected: e.verdict, result, ...classify(e.verdict, result) };
        rows.push(row);
        onRow?.(row);
      }
    }
  }
  return { rows, reports, seconds: (performance.now() - started) / 1000 };
}

/** The model path shown in tables and reports: relative to the working directory when inside it. */
export function displayPath(path: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel.startsWith('..') ? path : rel;
}
