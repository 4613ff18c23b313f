// Instructions written back in the model language, for action labels and reports (expressions: src/ir/print.ts).

import type { Instr, Program } from '../ir/ir.js';
import { exprText, lockRefText, lvalueText, queueRefText } from '../ir/print.js';
import { unreachable } from '../ir/unreachable.js';

/** The instruction as the model writes it; a condition test reads `test COND`. */
export function instrText(program: Program, instr: Instr): string {
  const line = (id: number): string => program.lines[id]?.name ?? `line${id}`;
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
    case 'local_bh_disable':
    case 'local_bh_enable':
    case 'preempt_enable':
    case 'syscall':
    case 'svc':
    case 'sysret':
      return instr.op;
    case 'to_user':
      return 'return to user mode';
    case 'int':
      return `int ${line(instr.line)}`;
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
    case 'eoi_highest':
      return 'eoi';
    case 'tpr':
      return `tpr := ${exprText(program, instr.value)}`;
    case 'ack':
      return `ack ${line(instr.line)}`;
    case 'ack_read':
      return `${lvalueText(program, instr.target)} := ack`;
    case 'eoi_id':
      return `eoi ${exprText(program, instr.value)}`;
    case 'pmr':
      return `pmr := ${exprText(program, instr.value)}`;
    case 'deactivate':
      return `deactivate ${exprText(program, instr.value)}`;
    case 'raise':
      return instr.cpu === null ? `raise ${line(instr.line)}` : `raise ${line(instr.line)} to ${exprText(program, instr.cpu)}`;
    case 'acquire':
      return `acquire ${lockRefText(program, instr.lock, instr.index)}`;
    case 'release':
      return `release ${lockRefText(program, instr.lock, instr.index)}`;
    case 'try_acquire':
      return `${lvalueText(program, instr.target)} := try_acquire ${lockRefText(program, instr.lock, instr.index)}`;
    case 'enqueue':
    case 'wake':
    case 'spawn':
      return `${instr.op} ${exprText(program, instr.thread)}${instr.on === undefined ? '' : ` on ${queueRefText(program, instr.on)}`}`;
    case 'switch_to':
    case 'restore_context':
    case 'free_stack':
    case 'save_sp':
    case 'load_sp':
      return `${instr.op} ${exprText(program, instr.thread)}`;
    case 'dequeue':
      return `dequeue ${exprText(program, instr.thread)}${instr.from === undefined ? '' : ` from ${queueRefText(program, instr.from)}`}`;
    case 'set_current':
      return `current := ${exprText(program, instr.thread)}`;
    case 'pick_where':
      return `pick ${lvalueText(program, instr.target)} where ${exprText(program, instr.cond)}`;
    case 'set_state':
      return `state(${exprText(program, instr.thread)}) := ${exprText(program, instr.value)}`;
    case 'pick':
      return `pick ${lvalueText(program, instr.target)}${instr.from === undefined ? '' : ` from ${queueRefText(program, instr.from)}`}`;
    case 'end':
      return 'end of thread';
    case 'halted': // its step (after wfi only) is the wait completing
      return instr.by === 'wfi' ? 'wfi wakes up' : 'halted in hlt';
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
