// How `schedcheck conform` prints its answer: one line when the trace conforms; otherwise the first event the
// model does not allow, the model states the trace had reached, and the events those states allow (as Linux
// RV prints "event X not expected in state Y").

import type { ConformResult, RejectionReason } from './check.js';

/** Diagnostic codes of trace files and counterexample replays (docs/trace-format.md lists them). */
export const TRACE_CODES = {
  T001: 'trace line is not a JSON object',
  T002: 'trace event is malformed (unknown event, missing or mistyped argument)',
  T003: 'trace file cannot be read',
  T004: 'trace event names a CPU, thread, lock or interrupt line the model does not declare',
  R001: 'counterexample file cannot be read or is not JSON',
  R002: 'counterexample does not replay on this model',
  R003: 'no reference kernel design runs this model',
} as const;
export function formatConform(result: ConformResult, model: string, trace: string): string {
  switch (result.verdict) {
    case 'conforms': {
      const states = result.states === 1 ? '1 model state agrees' : `${result.states} model states agree`;
      const head = `${trace}: conforms to ${model} (${result.events} events; ${states} with it)`;
      if (result.corruption === null) return head;
      return (
        `${head}\n  but only as a corrupted machine: at event ${result.corruption.event} (${trace}:${result.corruption.line}) ` +
        `the model says ${result.corruption.message}; it does not constrain what the kernel does after that`
      );
    }
    case 'rejected': {
      if (result.reason !== null) return formatReason(result, result.reason, model, trace);
      const lines = [
        `${trace}:${result.line}: event ${result.event}, ${result.found}, is not expected by ${model}`,
        `  in any of the ${result.totalStates} model state${result.totalStates === 1 ? '' : 's'} the trace had reached; ` +
          `those waiting to log an event:`,
      ];
      result.states.forEach((state, i) => {
        lines.push(`    state ${i + 1}${state.count > 1 ? ` (and ${state.count - 1} more that differ only in what is not shown)` : ''}:`);
        for (const cpu of state.cpus) lines.push(`      ${cpu}`);
      });
      if (result.allowed.length === 0) lines.push('  they allow no event on that CPU');
      else {
        lines.push('  they allow:');
        for (const e of result.allowed) lines.push(`    ${e}`);
      }
      return lines.join('\n');
    }
    case 'inconclusive':
      return `${trace}:${result.line}: inconclusive ${result.event === 0 ? 'before the first event' : `at event ${result.event}`}: ${result.reason}`;
    case 'bad-input':
      return `${trace}:${result.line}:${result.col}: error ${result.code}: ${result.message}`;
  }
}

function formatReason(result: Extract<ConformResult, { verdict: 'rejected' }>, reason: RejectionReason, model: string, trace: string): string {
  const at = `${trace}:${result.line}: event ${result.event}, ${result.found}`;
  switch (reason.kind) {
    case 'after-crash':
      return (
        `${at}, goes on after the machine crashed: at event ${reason.crashEvent} (${trace}:${reason.crashLine}) ${model} says ` +
        `${reason.message}\n  a corrupted machine does not go on as if nothing happened: only a fault or a hang may follow`
      );
    case 'after-end':
      return `${at}, comes after the trace's end event (event ${reason.endEvent}, ${trace}:${reason.endLine}): nothing may follow it`;
    case 'incomplete':
      return (
        `${trace}:${result.line}: the trace stops after event ${result.event} (${result.found}) without an end, fault or hang event ` +
        `(--complete): the kernel stopped logging without saying why`
      );
  }
}

/** Exit code of a conformance result: 0 conforms, 1 rejected, 2 bad input, 3 inconclusive. */
export function conformExitCode(result: ConformResult): number {
  switch (result.verdict) {
    case 'conforms':
      return 0;
    case 'rejected':
      return 1;
    case 'bad-input':
      return 2;
    case 'inconclusive':
      return 3;
  }
}
