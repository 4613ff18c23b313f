// A readable rendering of a Program (`schedcheck parse MODEL --ir`): declarations, the state layout slot by
// slot, and every unit's instructions with operands by name, jump targets and source lines. Golden tests pin
// this text, so it changes only when the IR does. Values, expressions and lvalues are written as the model
// language writes them (valueText, exprText, lvalueText), for this listing and for every message and label.

import { unreachable } from './unreachable.js';
import type { BinaryOp, Expr, Instance, Instr, LockIndex, LValue, Program, QueueRef, ValueType } from './ir.js';

/** The stored code of an initial value, decoded (ints are stored as value - min). */
function printInit(code: number, type: ValueType, program: Program): string {
  return valueText(program, type, type.kind === 'int' ? code + type.min : code);
}

export function printType(type: ValueType): string {
  switch (type.kind) {
    case 'bool':
    case 'thread':
    case 'cpu':
      return type.kind;
    case 'int':
      return `${type.min}..${type.max}`;
    case 'enum':
      return type.name;
  }
}

const PRECEDENCE: Record<BinaryOp, number> = {
  '||': 1,
  '&&': 2,
  '==': 3,
  '!=': 3,
  '<': 4,
  '<=': 4,
  '>': 4,
  '>=': 4,
  '|': 5,
  '^': 6,
  '&': 7,
  '<<': 8,
  '>>': 8,
  '+': 9,
  '-': 9,
  '*': 10,
  '/': 10,
  '%': 10,
};

/** A value of `type` as the model writes it (`true`, `idle`, `worker[1]`, `none`, `3`). */
export function valueText(program: Program, type: ValueType, value: number): string {
  switch (type.kind) {
    case 'bool':
      return value === 0 ? 'false' : 'true';
    case 'int':
      return String(value);
    case 'enum':
      return type.members[value] ?? String(value);
    case 'thread':
      return value === program.threads.length ? 'none' : (program.threads[value]?.name ?? String(value));
    case 'cpu':
      return String(value);
  }
}

function instanceText(program: Program, instance: Instance): string {
  return instance.kind === 'of' ? ` @ ${exprText(program, instance.which, 7)}` : '';
}

export function exprText(program: Program, e: Expr, context = 0): string {
  switch (e.kind) {
    case 'const':
      return valueText(program, e.type, e.value);
    case 'var': {
      const name = program.vars[e.var]?.name ?? `v${e.var}`;
      const index = e.index === null ? '' : `[${exprText(program, e.index)}]`;
      return `${name}${index}${instanceText(program, e.instance)}`;
    }
    case 'unary':
      return `${e.op}${exprText(program, e.operand, 7)}`;
    case 'binary': {
      const p = PRECEDENCE[e.op];
      const text = `${exprText(program, e.left, p)} ${e.op} ${exprText(program, e.right, p + 1)}`;
      return p < context ? `(${text})` : text;
    }
    case 'current':
      return 'current';
    case 'cpu':
      return 'cpu';
    case 'self':
      return 'self';
    case 'cpu_state':
      return e.what;
    case 'line_state':
      return `${e.what}(${program.lines[e.line]?.name ?? e.line})`;
    case 'wq_len':
      return `wq_len(${program.waitQueues[e.wq]?.name ?? e.wq})`;
    case 'thread_state':
      return `state(${exprText(program, e.thread)})`;
    case 'holder':
      return `holder(${lockRefText(program, e.lock, e.index)})`;
    case 'rq_len':
      return e.queue === undefined ? 'rq_len' : `rq_len(${queueRefText(program, e.queue)})`;
    case 'thread_of':
      return `${e.group}[${exprText(program, e.index)}]`;
    default:
      return unreachable(e);
  }
}

/** A declared run queue as the model names it: `rq`, `rq[1]`, or with a run-time index `rq[c]`. */
export function queueRefText(program: Program, ref: QueueRef): string {
  const decl = program.runQueues?.[ref.queue];
  if (ref.index === undefined || decl === undefined) return decl?.name ?? `runqueue${ref.queue}`;
  return `${decl.array?.name ?? decl.name}[${exprText(program, ref.index.expr)}]`;
}

/** A lock as the model names it: `A`, `rq_lock[1]`, or with a run-time index `rq_lock[c]`. */
export function lockRefText(program: Program, lock: number, index: LockIndex | undefined): string {
  const decl = program.locks[lock];
  if (index === undefined || decl === undefined) return decl?.name ?? `lock${lock}`;
  return `${decl.array?.name ?? decl.name}[${exprText(program, index.expr)}]`;
}

export function lvalueText(program: Program, target: LValue): string {
  const name = program.vars[target.var]?.name ?? `v${target.var}`;
  const index = target.index === null ? '' : `[${exprText(program, target.index)}]`;
  return `${name}${index}${instanceText(program, target.instance)}`;
}

/**
 * The instruction as the model writes it (`form` 'label': action labels and reports, where a condition test reads
 * `test COND`), or as the IR listing shows it ('ir': branch and jump targets, an assertion's message, the steps
 * lowering adds).
 */
export function instrText(program: Program, i: Instr, form: 'label' | 'ir' = 'label'): string {
  if (form === 'ir') {
    const ir = irOnlyText(program, i);
    if (ir !== null) return ir;
  }
  const unit = (id: number): string => program.units[id]?.name ?? `?${id}`;
  const line = (id: number): string => program.lines[id]?.name ?? `?${id}`;
  const expr = (e: Expr): string => exprText(program, e);
  switch (i.op) {
    case 'work':
    case 'ret':
    case 'cli':
    case 'sti':
    case 'irqsave':
    case 'irqrestore':
    case 'iret':
    case 'eret':
    case 'hlt':
    case 'wfi':
    case 'irq_exit':
    case 'save_elr':
    case 'restore_elr':
    case 'exit':
    case 'preempt_disable':
    case 'local_bh_disable':
    case 'local_bh_enable':
    case 'preempt_enable':
    case 'syscall':
    case 'svc':
    case 'sysret':
      return i.op;
    case 'to_user':
      return 'return to user mode';
    case 'int':
      return `int ${line(i.line)}`;
    case 'assign':
      return `${lvalueText(program, i.target)} := ${expr(i.value)}`;
    case 'branch':
      return `test ${expr(i.cond)}`;
    case 'jump':
      return 'loop (empty body)';
    case 'call':
      return `call ${unit(i.unit)}`;
    case 'assert':
      return `${i.warnOn ? 'warn_on' : 'assert'} ${expr(i.cond)}`;
    case 'eoi':
    case 'ack':
    case 'unpend':
      return `${i.op} ${line(i.line)}`;
    case 'eoi_highest':
      return 'eoi';
    case 'ack_read':
      return `${lvalueText(program, i.target)} := ack`;
    case 'rmw':
      return `${lvalueText(program, i.target)} := ${i.kind}(${[lvalueText(program, i.cell), ...i.operands.map(expr)].join(', ')})`;
    case 'eoi_id':
      return `eoi ${expr(i.value)}`;
    case 'pmr':
      return `pmr := ${expr(i.value)}`;
    case 'deactivate':
      return `deactivate ${expr(i.value)}`;
    case 'tpr':
      return `tpr := ${expr(i.value)}`;
    case 'raise':
      return i.cpu === null ? `raise ${line(i.line)}` : `raise ${line(i.line)} to ${expr(i.cpu)}`;
    case 'acquire':
    case 'release':
      return `${i.op} ${lockRefText(program, i.lock, i.index)}`;
    case 'try_acquire':
      return `${lvalueText(program, i.target)} := try_acquire ${lockRefText(program, i.lock, i.index)}`;
    case 'dequeue':
      return `dequeue ${expr(i.thread)}${i.from === undefined ? '' : ` from ${queueRefText(program, i.from)}`}`;
    case 'pick':
      return `pick ${lvalueText(program, i.target)}${i.from === undefined ? '' : ` from ${queueRefText(program, i.from)}`}`;
    case 'enqueue':
    case 'wake':
    case 'spawn':
      return `${i.op} ${expr(i.thread)}${i.on === undefined ? '' : ` on ${queueRefText(program, i.on)}`}`;
    case 'switch_to':
    case 'restore_context':
    case 'free_stack':
    case 'save_sp':
    case 'load_sp':
      return `${i.op} ${expr(i.thread)}`;
    case 'set_current':
      return `current := ${expr(i.thread)}`;
    case 'pick_where':
      return `pick ${lvalueText(program, i.target)} where ${expr(i.cond)}`;
    case 'set_state':
      return `state(${expr(i.thread)}) := ${expr(i.value)}`;
    case 'end':
      return 'end of thread';
    case 'halted': // its step (after wfi only) is the wait completing
      return i.by === 'wfi' ? 'wfi wakes up' : 'halted in hlt';
    case 'sleep':
    case 'prepare_to_wait':
    case 'finish_wait':
    case 'wake_one':
    case 'wake_all':
      return `${i.op} ${program.waitQueues[i.queue]?.name ?? `?${i.queue}`}`;
    case 'choose':
      return `choose one of ${i.count}`;
    case 'alternative':
      return i.assign === null ? `either: block ${i.index + 1}` : `${lvalueText(program, i.assign.target)} := any: ${expr(i.assign.value)}`;
    default:
      return unreachable(i);
  }
}

/** What the IR listing writes differently from a label: control flow with its targets, and lowering's own steps. */
function irOnlyText(program: Program, i: Instr): string | null {
  const expr = (e: Expr): string => exprText(program, e);
  switch (i.op) {
    case 'to_user':
    case 'end':
      return i.op;
    case 'branch':
      return `branch ${expr(i.cond)} else -> ${i.ifFalse}`;
    case 'jump':
      return `jump -> ${i.target}`;
    case 'assert':
      return `${i.warnOn ? 'warn_on' : 'assert'} ${expr(i.cond)} ${JSON.stringify(i.message)}`;
    case 'eoi_highest':
      return 'eoi highest';
    case 'raise':
      return `raise ${program.lines[i.line]?.name ?? `?${i.line}`} to ${i.cpu ? expr(i.cpu) : 'others'}`;
    case 'halted':
      return `halted (${i.by})`;
    case 'choose':
      return `choose ${i.count}`;
    case 'alternative':
      return `alternative ${i.index}${i.assign === null ? '' : ` ${lvalueText(program, i.assign.target)} := ${expr(i.assign.value)}`} -> ${i.target}`;
    default:
      return null;
  }
}

const pad = (s: string | number, n: number): string => String(s).padStart(n);

export function printProgram(program: Program): string {
  const out: string[] = [];
  const where = (span: number): string => {
    const s = program.spans[span];
    return s ? `${s.file}:${s.line}` : '?';
  };
  const { layout } = program;
  out.push(`program ${program.file}`);
  out.push(`  arch ${program.arch}, cpus ${program.cpus}, ${program.threads.length} threads, ${program.units.length} units, ${layout.words} state words`);
  out.push(`  scheduler ${program.scheduler === null ? '-' : program.units[program.scheduler]!.name}, latency ${program.latencyBound ?? '-'}${program.controller === null ? '' : `, controller ${program.controller}`}${program.preemptOffset === 0 ? '' : `, preempt_offset ${program.preemptOffset}`}`);

  out.push('constants');
  for (const [name, value] of Object.entries(program.constants)) out.push(`  ${name} = ${value}`);

  out.push('lines');
  for (const l of program.lines) {
    const handler = program.units[l.handler]?.name ?? '?';
    out.push(`  ${l.id} ${l.name}: line ${l.number}, priority ${l.priority}, ${l.gate} gate, ${l.source}${l.limit === null ? '' : ` ${l.fair ? 'exactly' : 'at most'} ${l.limit} per cpu`} on cpus ${l.cpus.join(',')}, handler ${handler}`);
  }

  out.push('locks');
  for (const l of program.locks) out.push(`  ${l.id} ${l.name}: ${l.kind}${l.handoff ? ' handoff' : ''}`);

  out.push('vars');
  for (const v of program.vars) {
    const length = v.length === null ? '' : `[${v.length}]`;
    const of = v.scope === 'local' ? ` of ${program.units[v.unit!]?.name ?? '?'}` : '';
    out.push(`  ${v.id} ${v.name}: ${v.scope}${of} ${printType(v.type)}${length} = ${printInit(v.init, v.type, program)}`);
  }

  out.push('threads');
  for (const t of program.threads) {
    const start = t.start.kind === 'running' ? `running on cpu ${t.start.cpu}` : t.start.kind;
    const waits = t.waitsFor === undefined ? '' : `, waits for ${exprText(program, t.waitsFor)}`;
    out.push(`  ${t.id} ${t.name}: ${start}, forged ${forgedText(program, t)}, stack ${t.stackDepth}, unit ${program.units[t.unit]!.name}${waits}`);
  }

  out.push('invariants');
  for (const inv of program.invariants) out.push(`  ${inv.name}: ${exprText(program, inv.cond)}  ${where(inv.span)}`);

  out.push('expect');
  for (const e of program.expectations) out.push(`  ${e.property} ${e.verdict}`);

  out.push(`layout (${layout.words} words, frame ${layout.frame.bits} bits, stopped pc ${layout.stoppedPc})`);
  out.push(`  ${pad('word', 5)} ${pad('shift', 5)} ${pad('bits', 4)} ${pad('max', 10)}  slot`);
  for (const s of layout.slots) out.push(`  ${pad(s.word, 5)} ${pad(s.shift, 5)} ${pad(s.bits, 4)} ${pad(s.max, 10)}  ${s.name}`);

  out.push('units');
  for (const u of program.units) {
    const base = layout.pcBase[u.id]!;
    const extra =
      u.kind === 'handler'
        ? ` (lines ${u.lines.map((l) => program.lines[l]!.name).join(',')}${u.stack ? `, own stack ${u.stack.depth}` : ''})`
        : '';
    out.push(`  unit ${u.id} ${u.kind} ${u.name}${extra}, pc ${base}..${base + u.code.length - 1}, ${where(u.span)}`);
    const width = Math.max(...u.code.map((i) => instrText(program, i, 'ir').length), 0);
    u.code.forEach((i, index) => {
      out.push(`    ${pad(index, 3)}  ${instrText(program, i, 'ir').padEnd(width)}  ${where(i.span)}`);
    });
  }
  return out.join('\n') + '\n';
}

/** `switch` for the one default frame; `ret_from_fork (switch), iret` for several, top first. */
function forgedText(program: Program, t: Program['threads'][number]): string {
  if (t.forgedFrames.length === 1 && t.forgedFrames[0]!.unit === null) return t.forged;
  return t.forgedFrames.map((f) => (f.unit === null ? f.kind : `${program.units[f.unit]!.name} (${f.kind})`)).join(', ');
}
