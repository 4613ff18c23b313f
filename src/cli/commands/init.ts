// `schedcheck init [FILE] [--arch x86_64|aarch64] [--cpus N]`: a commented starter model that checks clean, to
// edit into one's own design.

import { writeFileSync } from 'node:fs';
import type { InitArgs } from '../args.js';

/** The starter model's text. Every property holds on it, on either architecture and any number of CPUs. */
export function starterModel(arch: 'x86_64' | 'aarch64', cpus: number, file: string): string {
  const x86 = arch === 'x86_64';
  const entry = x86
    ? 'entered with interrupts masked (an interrupt gate), the line in service'
    : 'entered with IRQs masked (PSTATE.I), ELR/SPSR written, the line pending';
  const handler = x86
    ? ['  acquire TICKS', '  if ticks < 3 { ticks := ticks + 1 }', '  release TICKS', '  eoi timer                          // without it the timer is never delivered again (eoi-discipline)', '  iret']
    : [
        '  ack timer                          // GIC: pending -> active; not delivered again until the EOI',
        '  acquire TICKS',
        '  if ticks < 3 { ticks := ticks + 1 }',
        '  release TICKS',
        '  eoi timer                          // priority drop and deactivate; without it: eoi-discipline',
        '  eret                               // back through ELR/SPSR, which nothing here overwrites',
      ];
  const flag = x86 ? 'interrupts enabled (IF = 1)' : 'IRQs unmasked (PSTATE.I = 0)';
  return [
    '// A starter model for schedcheck: edit it into your own design, then run',
    `//   schedcheck check ${file}`,
    "// The language is in docs/language.md; `schedcheck properties` lists what is checked.",
    '//',
    '// What it models: CPUS CPUs, each running one worker thread from boot. The workers and a timer interrupt',
    '// handler share a tick counter under an irqsave lock (spin_lock_irqsave: interrupts masked while it is held),',
    '// so the handler can never interrupt a CPU that holds the lock it needs. Every property holds.',
    '//',
    `// Boot state: every CPU runs the thread declared \`on\` it (here \`on each\`: worker[i] on CPU i) with ${flag};`,
    '// nothing is pending, in service or locked. Threads not `on` a CPU start ready, in the run queue.',
    '',
    `const CPUS = ${cpus}                       // schedcheck check ${file} --set CPUS=2 checks two`,
    '',
    `machine ${arch} {`,
    '  cpus CPUS',
    '  irq timer line 0 priority 1        // may arrive on every CPU at every instruction boundary',
    '  latency 8                          // irq-latency: no CPU keeps interrupts masked longer than 8 of its steps',
    '}',
    '',
    'lock TICKS : irqsave                 // masks interrupts, then spins; release restores the saved flag',
    'var ticks : 0..3 = 0',
    '',
    'thread worker[CPUS] on each {',
    '  loop {',
    '    acquire TICKS                    // make it `lock TICKS : spin` to see the deadlock this lock prevents',
    '    if ticks > 0 { ticks := ticks - 1 }',
    '    release TICKS',
    '    work',
    '  }',
    '}',
    '',
    `handler timer {                      // ${entry}`,
    ...handler,
    '}',
    '',
    `// What the design claims: \`schedcheck check --expect ${file}\` exits 0 while every verdict is the one stated.`,
    'expect no-deadlock holds',
    'expect stack-integrity holds',
    'expect lock-order holds',
    'expect irq-lock-safety holds',
    'expect eoi-discipline holds',
    'expect atomic-sleep holds',
    'expect no-starvation holds',
    'expect irq-latency holds',
    'expect assertions holds',
    '',
  ].join('\n');
}

/** 0 written, 2 when the file exists (never overwritten) or cannot be written. */
export async function initCommand(args: InitArgs): Promise<number> {
  const text = starterModel(args.arch, args.cpus, args.file);
  try {
    writeFileSync(args.file, text, { flag: 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' ? 'it exists (init never overwrites a file; name another)' : (code ?? String(error));
    process.stderr.write(`schedcheck: cannot write ${args.file}: ${why}\n`);
    return 2;
  }
  process.stdout.write(`schedcheck: wrote ${args.file} (${args.arch}, ${args.cpus} CPU${args.cpus === 1 ? '' : 's'}); check it with: schedcheck check ${args.file}\n`);
  return 0;
}
