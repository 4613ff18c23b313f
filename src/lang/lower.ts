// Lowering: a checked model's structured bodies become flat instruction arrays with resolved jump targets.
//
//   if c A else B   branch(c, ifFalse -> ELSE); A; jump END; ELSE: B; END:
//   if c A          branch(c, ifFalse -> END); A; END:
//   while c B       TOP: branch(c, ifFalse -> END); B; jump TOP; END:
//   loop B          TOP: B; jump TOP; END:
//   break/continue  jump END / jump TOP (TOP of a while is its branch: the condition is tested again)
//   either A or B   choose 2; alternative 0 -> A; alternative 1 -> B; A: A; jump END; B: B; END:
//   x := any 0..2   choose 3; alternative 0 (x := 0) -> END; ... alternative 2 (x := 2) -> END; END:
//   user B          to_user; B   (B's pcs are the unit's user-mode code; B ends in a loop, so never falls out)
//
// Unit ids follow the checker's order: thread bodies in declaration order, then procedures, then handlers.
// A unit that can fall off its end gets an implicit terminator at its closing brace: `ret` for a procedure,
// `iret`/`eret` for a handler, `end` for a thread body. The engine follows jump chains without taking a step,
// so a cycle made only of jumps (`loop {}`, `loop { skip }`) would never step: it is reported (E512).

import type { CheckedModel, CheckedUnit, InstrBody, TStmt } from './checked.js';
import type { DiagnosticSink } from './diagnostics.js';
import { pointSpan, type SourceSpan } from './source.js';
import { unreachable } from '../ir/unreachable.js';
import type { Instr, Program, Unit } from '../ir/ir.js';
import { computeLayout } from '../ir/layout.js';

const TERMINATORS: ReadonlySet<Instr['op']> = new Set(['ret', 'iret', 'eret', 'end']);

interface LoopInfo {
  top: number;
  /** Where `continue` goes. */
  next: number;
  breaks: number[];
  span: SourceSpan;
}

class UnitLowering {
  readonly code: Instr[] = [];
  private readonly loops: LoopInfo[] = [];
  /** Every loop with its pc range, for reporting jump-only cycles. */
  readonly loopRanges: { from: number; to: number; span: SourceSpan }[] = [];
  /** The pc ranges of `user` blocks' code (after their `to_user`). */
  readonly user: [number, number][] = [];
  private readonly spanIds = new Map<SourceSpan, number>();

  constructor(private readonly model: CheckedModel) {}

  private spanId(span: SourceSpan): number {
    let id = this.spanIds.get(span);
    if (id === undefined) {
      id = this.model.spans.add(span);
      this.spanIds.set(span, id);
    }
    return id;
  }

  private emit(instr: InstrBody, span: SourceSpan): number {
    this.code.push({ ...instr, span: this.spanId(span) } as Instr);
    return this.code.length - 1;
  }

  private patch(pc: number, target: number): void {
    const instr = this.code[pc]!;
    if (instr.op === 'jump' || instr.op === 'alternative') instr.target = target;
    else if (instr.op === 'branch') instr.ifFalse = target;
    else throw new Error(`patching ${instr.op} at ${pc}`);
  }

  lower(unit: CheckedUnit, terminator: 'ret' | 'iret' | 'eret' | 'end'): void {
    this.block(unit.body);
    const end = this.code.length;
    const last = this.code[end - 1];
    const targeted = this.code.some(
      (i) => ((i.op === 'jump' || i.op === 'alternative') && i.target === end) || (i.op === 'branch' && i.ifFalse === end),
    );
    if (!last || !TERMINATORS.has(last.op) || targeted) this.emit({ op: terminator }, unit.end);
  }

  private block(stmts: TStmt[]): void {
    for (const s of stmts) this.stmt(s);
  }

  private stmt(s: TStmt): void {
    switch (s.kind) {
      case 'instr':
        this.emit(s.instr, s.span);
        // hlt and wfi are two points: the instruction, which executes, and the halted CPU after it
        // (docs/semantics.md 4.3): an interrupt taken before the instruction returns to it, one that wakes the
        // halted CPU returns past it.
        if (s.instr.op === 'hlt' || s.instr.op === 'wfi') this.emit({ op: 'halted', by: s.instr.op }, s.span);
        return;
      case 'if': {
        const branch = this.emit({ op: 'branch', cond: s.cond, ifFalse: -1 }, s.span);
        this.block(s.then);
        if (s.else) {
          const skip = this.emit({ op: 'jump', target: -1 }, s.span);
          this.patch(branch, this.code.length);
          this.block(s.else);
          this.patch(skip, this.code.length);
        } else {
          this.patch(branch, this.code.length);
        }
        return;
      }
      case 'while': {
        const top = this.code.length;
        const branch = this.emit({ op: 'branch', cond: s.cond, ifFalse: -1 }, s.span);
        this.loopBody(s.body, top, s.span);
        this.patch(branch, this.code.length);
        this.closeLoop();
        return;
      }
      case 'loop': {
        this.loopBody(s.body, this.code.length, s.span);
        this.closeLoop();
        return;
      }
      case 'break':
        this.loops.at(-1)!.breaks.push(this.emit({ op: 'jump', target: -1 }, s.span));
        return;
      case 'continue':
        this.emit({ op: 'jump', target: this.loops.at(-1)!.next }, s.span);
        return;
      case 'either': {
        this.emit({ op: 'choose', count: s.blocks.length }, s.span);
        const alternatives = s.blocks.map((_, index) => this.emit({ op: 'alternative', index, target: -1, assign: null }, s.span));
        const ends: number[] = [];
        s.blocks.forEach((block, i) => {
          this.patch(alternatives[i]!, this.code.length);
          this.block(block);
          if (i < s.blocks.length - 1) ends.push(this.emit({ op: 'jump', target: -1 }, s.span));
        });
        for (const end of ends) this.patch(end, this.code.length);
        return;
      }
      case 'any': {
        this.emit({ op: 'choose', count: s.values.length }, s.span);
        const after = this.code.length + s.values.length;
        s.values.forEach((value, index) => this.emit({ op: 'alternative', index, target: after, assign: { target: s.target, value } }, s.span));
        return;
      }
      case 'user': {
        this.emit({ op: 'to_user' }, s.span);
        const from = this.code.length;
        this.block(s.body);
        this.user.push([from, this.code.length]);
        return;
      }
      default:
        unreachable(s);
    }
  }

  private loopBody(body: TStmt[], top: number, span: SourceSpan): void {
    this.loops.push({ top, next: top, breaks: [], span });
    this.block(body);
    this.emit({ op: 'jump', target: top }, span);
  }

  private closeLoop(): void {
    const loop = this.loops.pop()!;
    for (const b of loop.breaks) this.patch(b, this.code.length);
    this.loopRanges.push({ from: loop.top, to: this.code.length, span: loop.span });
  }

  /** Spans of loops that contain a cycle of jumps only (each reported once, innermost loop first). */
  stepFreeLoops(): SourceSpan[] {
    const found = new Set<SourceSpan>();
    const walked = new Int32Array(this.code.length).fill(-1);
    for (let start = 0; start < this.code.length; start++) {
      const onPath: number[] = [];
      let pc = start;
      while (pc < this.code.length && walked[pc] === -1 && this.code[pc]!.op === 'jump') {
        walked[pc] = start;
        onPath.push(pc);
        pc = (this.code[pc] as Extract<Instr, { op: 'jump' }>).target;
      }
      if (pc >= this.code.length || walked[pc] !== start) continue; // left the chain, or met an older walk
      const cycle = onPath.slice(onPath.indexOf(pc));
      const lo = Math.min(...cycle);
      const hi = Math.max(...cycle);
      const loop = this.loopRanges
        .filter((r) => r.from <= lo && hi < r.to)
        .sort((a, b) => a.to - a.from - (b.to - b.from))[0];
      if (loop) found.add(loop.span);
      else found.add(this.model.spans.spans[this.code[lo]!.span]!);
    }
    return [...found];
  }
}

/** Null after reporting when the model cannot be lowered (a loop that takes no step, a layout too large). */
/**
 * The largest state, in 32-bit words. The stores keep states in chunks of thousands, within one 32-bit
 * WebAssembly memory; a state of 64 KiB is far past any design's (the seed models take under 40 words).
 */
export const MAX_STATE_WORDS = 16384;

export function lower(model: CheckedModel, sink: DiagnosticSink): Program | null {
  const units: Unit[] = [];
  for (const u of model.units) {
    const lowering = new UnitLowering(model);
    const terminator = u.kind === 'proc' ? 'ret' : u.kind === 'thread' ? 'end' : model.arch === 'x86_64' ? 'iret' : 'eret';
    lowering.lower(u, terminator);
    for (const span of lowering.stepFreeLoops()) sink.error('E512', 'Loop body takes no step; add `work` or a condition.', span);
    units.push({ id: u.id, kind: u.kind, name: u.name, code: lowering.code, lines: u.lines, stack: u.stack, span: u.span, ...(lowering.user.length > 0 ? { user: lowering.user } : {}) });
  }
  if (sink.hasErrors()) return null;

  const base = {
    arch: model.arch,
    cpus: model.cpus,
    lines: model.lines,
    locks: model.locks,
    waitQueues: model.waitQueues,
    ...(model.runQueues.length > 0 ? { runQueues: model.runQueues } : {}),
    vars: model.vars,
    threads: model.threads,
    units,
    controller: model.controller,
    ...(model.gicSplitEoi === true ? { gicSplitEoi: true } : {}),
    preemptOffset: model.preemptOffset,
    ...(model.bootMasked === true ? { bootMasked: true as const } : {}),
  };
  let layout;
  try {
    layout = computeLayout({ ...base, latencyBound: null });
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    sink.error('E520', `Model too large for the state layout: ${e.message}.`, pointSpan(model.file, 1, 1));
    return null;
  }
  if (layout.words > MAX_STATE_WORDS) {
    sink.error('E520', `Model too large for the state layout: a state takes ${layout.words} words, over the limit of ${MAX_STATE_WORDS} (64 KiB).`, pointSpan(model.file, 1, 1));
    return null;
  }
  return {
    file: model.file,
    ...base,
    constants: model.constants,
    scheduler: model.scheduler,
    syscall: model.syscall,
    latencyBound: model.latencyBound,
    invariants: model.invariants,
    expectations: model.expectations,
    spans: model.spans.spans,
    layout,
  };
}
