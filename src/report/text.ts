// The report a person reads in a terminal. For each property one line: verdict and whether it is what the model
// expects. For each violation: one sentence, then (lock and deadlock properties) the lockdep-style scenario and
// who holds and waits for what, then the trace: every step names its CPU, the context that ran it, the source
// line and the instruction, and below it whatever the step changed (interrupt flag, locks held, the stack top,
// lines pending or in service, thread states, run queue, variables).

import { PROOF_WORDS, type CheckReport, type SmtProof, type Counterexample, type CpuView, type PropertyResult, type ReductionReport, type StateView, type TraceStep } from '../checker/verdict.js';
import type { Expectation, Program } from '../ir/ir.js';
import { instrText } from '../ir/print.js';
import { cpuStateChanges, waitQueueChanges } from './steprows.js';

/** What a piece of the report is, for a terminal that colours it (src/cli/colour.ts). */
export type Tone = 'error' | 'warning' | 'violated' | 'holds' | 'inconclusive' | 'dim';
export type Paint = (tone: Tone, text: string) => string;
const plain: Paint = (_tone, text) => text;

export interface TextOptions {
  /** Colours verdict words; plain by default. */
  paint?: Paint;
  /** The text of a source line, to show the statement a deadlock is stuck at (its IR form without it). */
  sourceLine?: (file: string, line: number) => string | null;
}

export function expectationOf(program: Pick<Program, 'expectations'> | null, property: string): Expectation | undefined {
  return program?.expectations.find((e) => e.property === property);
}

function verdictWord(r: PropertyResult, paint: Paint): string {
  switch (r.verdict) {
    case 'holds':
      return paint('holds', r.complete ? 'holds' : 'holds (bounded)');
    case 'violated':
      return paint('violated', 'VIOLATED');
    case 'inconclusive':
      return paint('inconclusive', 'inconclusive');
  }
}

function expectationText(r: PropertyResult, program: Program | null): string {
  const e = expectationOf(program, r.property);
  if (e === undefined) return '';
  if (r.verdict === 'inconclusive') return `  (expected ${e.verdict}: not decided)`;
  return r.verdict === e.verdict ? `  (expected ${e.verdict}: matches)` : `  (expected ${e.verdict}: DOES NOT MATCH)`;
}

function steps(n: number): string {
  return `${n} step${n === 1 ? '' : 's'}`;
}

function statsText(r: PropertyResult): string {
  const s = r.stats;
  return `${s.states} states, ${s.transitions} transitions, depth ${s.depth}, ${s.seconds.toFixed(2)} s`;
}

/**
 * One SMT result's figures: the engine stores no states, so its figure is the length of the counterexample, the
 * k of the proof or the length of the paths searched, and the time to this property's verdict.
 */
function smtFigures(r: PropertyResult): string {
  const s = r.stats;
  const what =
    r.verdict === 'violated'
      ? `a path of ${steps(s.depth)}`
      : r.proof !== undefined
        ? `${proofFigure(r.proof)}${r.verdict === 'holds' ? '' : ' (the part it decides)'}`
        : r.verdict === 'inconclusive' && r.reason === 'not-checkable'
          ? 'not decided'
          : `paths of up to ${steps(s.depth)}`;
  return `${what}, ${s.seconds.toFixed(2)} s`;
}

/** `proved for paths of any length (invariant learned from THREADS=2; THREADS=3)`. */
function proofText(proof: SmtProof): string {
  const learned = proof.learnedFrom === undefined ? '' : ` (invariant learned from ${proof.learnedFrom.map(configurationText).join('; ')})`;
  return `${PROOF_WORDS[proof.method]}${learned}`;
}

function proofFigure(proof: SmtProof): string {
  if (proof.method === 'vacuous') return PROOF_WORDS.vacuous;
  if (proof.method === 'ic3') return `an invariant of ${proof.ic3?.clauses ?? 0} clauses`;
  return proof.method === 'exhausted' ? `every path of up to ${steps(proof.k)}` : `k = ${proof.k}`;
}

/** `THREADS=8, CPUS=2`: the configuration a proof holds for; empty when the model has no constants. */
export function configurationText(configuration: Record<string, number>): string {
  return Object.entries(configuration)
    .map(([name, value]) => `${name}=${value}`)
    .join(', ');
}

function stackTop(cpu: CpuView): string {
  const top = cpu.stack[cpu.stack.length - 1];
  return top === undefined ? 'empty' : `${cpu.stack.length} frame${cpu.stack.length === 1 ? '' : 's'}, top: ${top.text}`;
}

function list(items: string[]): string {
  return items.length === 0 ? 'none' : items.join(', ');
}

/** What changed on one CPU between two views, as short phrases. */
function cpuChanges(before: CpuView, after: CpuView, arch: 'x86_64' | 'aarch64'): string[] {
  const out: string[] = [];
  if (before.context !== after.context) out.push(`now ${after.context}`);
  if (before.ie !== after.ie) out.push(arch === 'x86_64' ? `IF=${after.ie ? 1 : 0}` : `IRQs ${after.ie ? 'unmasked' : 'masked'}`);
  if (list(before.locksHeld) !== list(after.locksHeld)) out.push(`locks held: ${list(after.locksHeld)}`);
  if (stackTop(before) !== stackTop(after)) out.push(`stack: ${stackTop(after)}`);
  if (list(before.pending) !== list(after.pending)) out.push(`pending: ${list(after.pending)}`);
  if (list(before.inService) !== list(after.inService)) out.push(`${arch === 'x86_64' ? 'in service' : 'active'}: ${list(after.inService)}`);
  if (before.elr !== after.elr && after.elr !== undefined) out.push(`ELR/SPSR: ${after.elr}`);
  out.push(...cpuStateChanges(before, after));
  return out;
}

function globalChanges(before: StateView, after: StateView): string[] {
  const out: string[] = [];
  after.threads.forEach((t, i) => {
    const was = before.threads[i]!;
    if (was.state !== t.state) out.push(`${t.name}: ${was.state} -> ${t.state}`);
  });
  if (list(before.runQueue) !== list(after.runQueue)) out.push(`run queue: ${list(after.runQueue)}`);
  out.push(...waitQueueChanges(before, after));
  for (const [name, value] of Object.entries(after.vars)) if (before.vars[name] !== value) out.push(`${name} = ${value}`);
  return out;
}

function initialLines(state: StateView, arch: 'x86_64' | 'aarch64'): string[] {
  const lines = state.cpus.map((c) => {
    const flag = arch === 'x86_64' ? `IF=${c.ie ? 1 : 0}` : `IRQs ${c.ie ? 'unmasked' : 'masked'}`;
    return `CPU${c.cpu}: ${c.context}, ${flag}`;
  });
  lines.push(`run queue: ${list(state.runQueue)}`);
  const vars = Object.entries(state.vars).map(([k, v]) => `${k} = ${v}`);
  if (vars.length > 0) lines.push(vars.join(', '));
  return lines;
}

/** Lassos: where the loop starts, and that the last step leads back to it. */
function loopMarker(loop: number, i: number, last: number): string {
  if (i === loop && i === last) return '   <-- loop: this step repeats forever';
  if (i === loop) return '   <-- loop starts here';
  return i === last ? `   <-- back to step ${loop}` : '';
}

/**
 * The trace, one step a line. With `program`, places in its own file are written `line N` (the header names the
 * file once), and a stuck state says which instruction the CPU cannot get past.
 */
export function traceLines(cex: Counterexample, arch: 'x86_64' | 'aarch64', markLast = true, program?: Program, options: TextOptions = {}): string[] {
  const out: string[] = [];
  const file = program?.file;
  const short = (text: string): string => (file === undefined ? text : text.split(`${file}:`).join('line '));
  const pad = String(cex.steps.length - 1).length;
  const indent = ' '.repeat(pad + 4);
  cex.steps.forEach((step: TraceStep, i) => {
    if (i === 0) {
      out.push(`  ${'0'.padStart(pad)}  initial state`);
      for (const line of initialLines(step.state, arch)) out.push(`${indent}| ${line}`);
      return;
    }
    const before = cex.steps[i - 1]!.state;
    const cpu = step.cpu === null ? '' : `CPU${step.cpu}  `;
    const where = step.location === null ? '' : `  ${short(step.location)}`;
    const last = markLast && i === cex.steps.length - 1 && (program === undefined || stuckInstruction(cex, program, options) === null);
    const marker = cex.loop !== undefined ? loopMarker(cex.loop, i, cex.steps.length - 1) : last ? '   <-- here' : '';
    out.push(`  ${String(step.index).padStart(pad)}  ${cpu}${step.context}${where}  ${step.label}${marker}`);
    const changes: string[] = [];
    step.state.cpus.forEach((after, c) => {
      const phrases = cpuChanges(before.cpus[c]!, after, arch);
      if (phrases.length === 0) return;
      changes.push(c === step.cpu ? phrases.join('; ') : `CPU${c}: ${phrases.join('; ')}`);
    });
    changes.push(...globalChanges(before, step.state));
    for (const line of changes) out.push(`${indent}| ${short(line)}`);
  });
  const stuck = program === undefined ? null : stuckInstruction(cex, program, options);
  if (stuck !== null) out.push(`${indent}then stuck at ${short(stuck)}   <-- here`);
  if (cex.loop !== undefined) out.push(`${indent}(from step ${cex.loop} the path repeats forever)`);
  return out;
}

/**
 * A violation that is a state (a deadlock) at an instruction the last step did not execute: `file:line: instr`
 * of the instruction a CPU is stuck at (the spinning acquire, the hlt, the wait loop's test).
 */
export function stuckInstruction(cex: Counterexample, program: Program, options: TextOptions = {}): string | null {
  const span = cex.violationSpan;
  const last = cex.steps[cex.steps.length - 1];
  if (span === null || cex.loop !== undefined || last === undefined || last.span === span) return null;
  if (cex.property !== 'no-deadlock') return null;
  const at = program.spans[span];
  if (at === undefined) return null;
  // The statement itself, when its span is on one line (a line may hold several), without a trailing comment.
  const line = options.sourceLine?.(at.file, at.line) ?? null;
  const statement = line === null ? null : at.endLine === at.line ? line.slice(at.col - 1, at.endCol - 1) : line.slice(at.col - 1);
  const source = statement === null || statement.trim() === '' ? null : statement.replace(/\/\/.*$/, '').trim();
  const instr = program.units.flatMap((u) => u.code).find((i) => i.span === span);
  const text = source ?? (instr === undefined ? null : instrText(program, instr, 'ir'));
  return `${at.file}:${at.line}${text === null ? '' : `: ${text}`}`;
}

function violationLines(cex: Counterexample, arch: 'x86_64' | 'aarch64', program: Program | null, options: TextOptions): string[] {
  const out = [`  ${cex.message}`];
  if (cex.scenario && cex.scenario.length > 0) out.push('', ...cex.scenario.map((l) => `  ${l}`.trimEnd()));
  if (cex.details && cex.details.length > 0) out.push('', ...cex.details.map((l) => `  ${l}`));
  const shape =
    cex.loop === undefined
      ? 'a shortest one'
      : `a lasso: a shortest way to the loop, then ${cex.loop === cex.length ? `step ${cex.loop} repeats` : `steps ${cex.loop}..${cex.length} repeat`} forever`;
  const lines = program === null ? '' : `; lines of ${program.file}`;
  out.push('', `  Trace (${cex.length} step${cex.length === 1 ? '' : 's'}, ${shape}${lines}):`, ...traceLines(cex, arch, true, program ?? undefined, options));
  return out;
}

/**
 * What a reduction asked for on the command line did to the run: hash compaction's collision probability, which
 * qualifies every `holds` above it, and the thread groups symmetry folded.
 */
export function reductionLines(reductions: ReductionReport | undefined): string[] {
  if (reductions === undefined) return [];
  const out: string[] = [];
  const hc = reductions.hashCompaction;
  if (hc !== undefined) {
    out.push(
      `Hash compaction: ${hc.fingerprintBits}-bit fingerprints, ${hc.bytesPerState.toFixed(1)} bytes per state; ` +
        `a 'holds' is complete except with probability ${hc.collisionProbability.toExponential(1)} (a fingerprint collision hiding a state)`,
    );
  }
  const sym = reductions.symmetry;
  if (sym !== undefined) {
    out.push(
      sym.groups.length === 0
        ? 'Symmetry reduction: no interchangeable threads, nothing reduced'
        : `Symmetry reduction: one state per renumbering of ${sym.groups.join(', ')}`,
    );
  }
  return out;
}

/** The text report of one model's check. */
export function formatText(report: CheckReport, program: Program | null, options: TextOptions = {}): string {
  const paint = options.paint ?? plain;
  const arch = program?.arch ?? 'x86_64';
  const head = program === null ? report.model : `${report.model} (${program.arch}, ${program.cpus} CPU${program.cpus === 1 ? '' : 's'})`;
  const out: string[] = [head, ''];
  const width = Math.max(...report.results.map((r) => r.property.length), 8);
  for (const r of report.results) {
    const engine = r.engine === 'explicit' ? '' : `  [${r.engine}]`;
    const why = r.verdict === 'inconclusive' ? `: ${r.detail}` : r.proof !== undefined ? `: ${proofText(r.proof)}` : '';
    out.push(`  ${r.property.padEnd(width)}  ${verdictWord(r, paint)}${why}${engine}${expectationText(r, program)}`);
  }
  if (report.results.some((r) => expectationOf(program, r.property) !== undefined)) {
    out.push('', "(expected ...) compares a verdict with the model's own `expect` line; `check --expect` exits 0 when all match.");
  }
  const reduced = reductionLines(report.reductions);
  if (reduced.length > 0) out.push('', ...reduced);
  // The fairness assumption once per property that has one (no-starvation), however many engines answered.
  // A property that was not checked (not checkable, or a reduction it cannot use) assumes nothing.
  const assumed = (r: PropertyResult): boolean => r.fairness !== undefined && !(r.verdict === 'inconclusive' && r.reason === 'not-checkable');
  const fair = new Map(report.results.filter(assumed).map((r) => [r.property, r.fairness!] as const));
  for (const [property, fairness] of fair) out.push('', `${property} assumes fairness: ${fairness}.`);
  for (const r of report.results) {
    if (r.verdict !== 'violated') continue;
    const engine = r.engine === 'explicit' ? '' : ` [${r.engine}]`;
    out.push('', `${paint('violated', r.property)}${engine}:`, ...violationLines(r.counterexample, arch, program, options));
    // A lock-order cycle has a half per context: the trace above closed it; here are the others.
    for (const half of r.counterexample.cycleTraces ?? []) {
      const cex: Counterexample = { property: r.property, message: '', length: half.length, steps: half.steps, violationSpan: null };
      out.push('', `  The other half of the cycle, ${half.title} (${steps(half.length)}):`, ...traceLines(cex, arch, true, program ?? undefined, options));
    }
  }
  const figures = report.figures;
  if (figures !== undefined) {
    const depths = Object.entries(figures.stackDepth).map(([name, d]) => `${name} ${d.worst}/${d.declared}`);
    out.push('', `Worst stack depth over all interleavings (frames used/declared): ${list(depths)}`);
    const window = figures.maskedWindow;
    if (window !== null) {
      const bound = program?.latencyBound ?? null;
      const of = bound === null ? '' : `; the declared latency bound is ${bound}`;
      const steps = window.steps !== null ? `${window.steps} steps` : bound !== null ? `more than ${bound} steps` : 'more than the declared bound';
      out.push(`Longest window with interrupts masked: ${steps} (CPU${window.cpu}${of})`);
    }
  }
  const explicit = report.results.filter((r) => r.engine === 'explicit');
  const widest = explicit.reduce<PropertyResult | undefined>((a, r) => (a === undefined || r.stats.states > a.stats.states ? r : a), undefined);
  const smt = report.results.filter((r) => r.engine === 'smt');
  if (widest !== undefined || smt.length > 0) out.push('');
  if (widest !== undefined) out.push(`Explored: ${statsText(widest)}`);
  if (smt.length > 0) {
    // Each property's own time: the search of a property ends at its first answer.
    const config = configurationText(program?.constants ?? {});
    out.push(`SMT engine${config === '' ? '' : ` (${config})`}, time to each verdict:`);
    for (const r of smt) out.push(`  ${r.property.padEnd(width)}  ${smtFigures(r)}`);
  }
  return `${out.join('\n')}\n`;
}
