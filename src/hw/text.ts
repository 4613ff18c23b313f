// Instructions and expressions written back in the model language, for action labels and reports.

import type { BinaryOp, Expr, Instance, Instr, LValue, Program } from '../ir/ir.js';
import { unreachable } from '../ir/unreachable.js';

const PRECEDENCE: Record<BinaryOp, number> = {
  '||': 1,
  '&&': 2,
  '==': 3,
  '!=': 3,
  '<': 4,
  '<=': 4,
  '>': 4,
  '>=': 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
  '%': 6,
};

function constText(program: Program, e: Extract<Expr, { kind: 'const' }>): string {
  const type = e.type;
  switch (type.kind) {
    case 'bool':
      return e.value === 0 ? 'false' : 'true';
    case 'int':
      return String(e.value);
    case 'enum':
      return type.members[e.value] ?? String(e.value);
    case 'thread':
      return e.value === program.threads.length ? 'none' : (program.threads[e.value]?.name ?? String(e.value));
    case 'cpu':
      return String(e.value);
  }
}

function instanceText(program: Program, instance: Instance): string {
  return instance.kind === 'of' ? ` @ ${exprText(program, instance.which, 7)}` : '';
}

export function exprText(program: Program, e: Expr, context = 0): string {
  switch (e.kind) {
    case 'const':
      return constText(program, e);
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
    case 'thread_state':
      return `state(${exprText(program, e.thread)})`;
    case 'holder':
      return `holder(${program.locks[e.lock]?.name ?? e.lock})`;
    case 'rq_len':
      return 'rq_len';
    case 'cpu_state':
      return e.what;
    case 'thread_of':
      return `${e.group}[${exprText(program, e.index)}]`;
    default:
      return unreachable(e);
  }
}

export function lvalueText(program: Program, target: LValue): string {
  const name = program.vars[target.var]?.name ?? `v${target.var}`;
  const index = target.index === null ? '' : `[${exprText(program, target.index)}]`;
  return `${name}${index}${instanceText(program, target.instance)}`;
}

/** The instruction as the model writes it; a condition test reads `test COND`. */
export function instrText(program: Program, instr: Instr): string {
  const line = (id: number): string => program.lines[id]?.name ?? `line${id}`;
  const lock = (id: number): string => program.locks[id]?.name ?? `lock${id}`;
  switch (instr.op) {
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
    case 'preempt_enable':
      return instr.op;
    case 'assign':
      return `${lvalueText(program, instr.target)} := ${exprText(program, instr.value)}`;
    case 'branch':
      return `test ${exprText(program, instr.cond)}`;
    case 'jump':
      return 'loop (empty body)';
    case 'call':
      return `call ${program.units[instr.unit]?.name ?? instr.unit}`;
    case 'assert':
      return `assert ${exprText(program, instr.cond)}`;
    case 'eoi':
      return `eoi ${line(instr.line)}`;
    case 'ack':
      return `ack ${line(instr.line)}`;
    case 'raise':
      return instr.cpu === null ? `raise ${line(instr.line)}` : `raise ${line(instr.line)} to ${exprText(program, instr.cpu)}`;
    case 'acquire':
      return `acquire ${lock(instr.lock)}`;
    case 'release':
      return `release ${lock(instr.lock)}`;
    case 'try_acquire':
      return `${lvalueText(program, instr.target)} := try_acquire ${lock(instr.lock)}`;
    case 'enqueue':
    case 'wake':
    case 'spawn':
    case 'switch_to':
    case 'restore_context':
    case 'free_stack':
      return `${instr.op} ${exprText(program, instr.thread)}`;
    case 'pick':
      return `pick ${lvalueText(program, instr.target)}`;
    case 'end':
      return 'end of thread';
    case 'sleep':
    case 'prepare_to_wait':
    case 'finish_wait':
    case 'wake_one':
    case 'wake_all':
      return `${instr.op} ${program.waitQueues[instr.queue]?.name ?? `wq${instr.queue}`}`;
    case 'choose':
      return `choose one of ${instr.count}`;
    case 'alternative':
      return instr.assign === null
        ? `either: block ${instr.index + 1}`
        : `${lvalueText(program, instr.assign.target)} := any: ${exprText(program, instr.assign.value)}`;
    default:
      return unreachable(instr);
  }
}
