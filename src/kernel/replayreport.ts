// How `schedcheck replay` prints what the kernel did with a counterexample's timing.

import type { Counterexample } from '../checker/verdict.js';
import type { Design } from './designs/design.js';
import { hex } from './memory.js';
import type { ReplayResult } from './replay.js';

export function formatReplay(result: Exclude<ReplayResult, { kind: 'not-replayable' }>, cex: Counterexample, design: Design, file: string): string {
  const lines = [`${file}: ${cex.property} counterexample (${cex.length} steps): ${cex.message}`, `replayed on the reference kernel design ${design.name} (${design.summary})`];
  const forced = result.forced.map((f) => `${f.line} on cpu${f.cpu} after its instruction ${f.retired}`);
  if (forced.length > 0) lines.push(`  interrupts forced: ${forced.join('; ')}`);
  if (result.kind === 'diverged') {
    lines.push(`DIVERGED at the counterexample's event ${result.event}: expected ${result.expected}, the kernel logged ${result.got}`);
    lines.push('  the kernel does not follow this counterexample: its code and the model disagree here');
    return lines.join('\n');
  }
  if (result.held === null) lines.push(`  the kernel logged all ${result.events} events of the counterexample, then ran on freely (timer ticking)`);
  else {
    const h = result.held;
    const cpus = h.cpus.map((c) => `cpu${c}`).join(', ');
    lines.push(
      `  the kernel logged all ${result.events} events of the counterexample; then ${cpus} ${h.cpus.length === 1 ? 'was' : 'were'} held for ${h.cycles} cycles ` +
        `(as an NMI, an SMI or a preempted vCPU holds a CPU) while cpu${h.cpu} ran on, its timer raised after its instruction ${h.retired}; ` +
        'then all ran freely (timer ticking)',
    );
  }
  const o = result.outcome;
  switch (o.kind) {
    case 'fault': {
      const address = o.fault.address === null ? '' : ` at ${hex(o.fault.address)}`;
      lines.push(`FAULT on cpu${o.cpu} (${o.thread}) at cycle ${result.cycles}: ${o.fault.vector} ${o.fault.reason}${address}`);
      lines.push(`  executing ${o.at}`);
      break;
    }
    case 'hang':
      lines.push(`HANG: the watchdog saw no progress on ${o.cpus.map((c) => `cpu${c}`).join(', ')} (deadlocked CPUs)`);
      for (const d of o.detail) lines.push(`  ${d}`);
      break;
    case 'ok':
    case 'running':
      lines.push(`the kernel survived ${result.cycles} cycles: no fault, no hang`);
      break;
  }
  lines.push('last events:');
  for (const e of result.trace.slice(-8)) lines.push(`  ${JSON.stringify(e)}`);
  return lines.join('\n');
}

/** 1 when the kernel faulted or hung (as `kernel run`), 0 when it survived, 3 when it could not follow. */
export function replayExitCode(result: Exclude<ReplayResult, { kind: 'not-replayable' }>): number {
  if (result.kind === 'diverged') return 3;
  return result.outcome.kind === 'fault' || result.outcome.kind === 'hang' ? 1 : 0;
}
