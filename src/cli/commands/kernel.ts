import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { formatEvent } from '../../conform/trace.js';
import { DESIGNS } from '../../kernel/designs/index.js';
import { DEFAULT_CYCLES, DEFAULT_KERNEL_TIMEOUT_SECONDS, findDesign, formatSummary, runDesign } from '../../kernel/run.js';
import { findQemuDesign, formatQemuRun, QEMU_DESIGNS, QemuSetupError, qemuExitCode, runQemu } from '../../kernel/qemu.js';
import type { KernelQemuArgs, KernelRunArgs } from '../args.js';
import { didYouMean } from '../suggest.js';

/** Buffers JSON lines and writes them in large chunks: a run can log hundreds of thousands of events. */
class LineWriter {
  private buffer: string[] = [];
  private size = 0;

  constructor(private readonly fd: number) {}

  line(text: string): void {
    this.buffer.push(text);
    this.size += text.length + 1;
    if (this.size > 1 << 16) this.flush();
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    writeSync(this.fd, `${this.buffer.join('\n')}\n`);
    this.buffer = [];
    this.size = 0;
  }
}

export async function kernelRunCommand(args: KernelRunArgs): Promise<number> {
  const list = DESIGNS.map((d) => `  ${d.name.padEnd(16)} ${d.summary}`).join('\n');
  if (args.design === undefined) {
    process.stderr.write(`schedcheck: kernel run needs a design: schedcheck kernel run DESIGN. Designs:\n${list}\n`);
    return 2;
  }
  const design = findDesign(args.design);
  if (design === undefined) {
    const names = DESIGNS.map((d) => d.name);
    process.stderr.write(`schedcheck: unknown design '${args.design}'${didYouMean(args.design, names)}. Designs:\n${list}\n`);
    return 2;
  }
  let fd: number | null = null;
  if (args.trace !== undefined) {
    try {
      fd = openSync(args.trace, 'w');
    } catch (error) {
      process.stderr.write(`schedcheck: cannot write ${args.trace}: ${(error as Error).message}\n`);
      return 2;
    }
  }
  const writer = fd === null ? null : new LineWriter(fd);
  try {
    const summary = runDesign(design, {
      seed: args.seed,
      cycles: args.cycles ?? DEFAULT_CYCLES,
      timeoutSeconds: args.timeout ?? DEFAULT_KERNEL_TIMEOUT_SECONDS,
      onEvent: writer === null ? undefined : (event) => writer.line(formatEvent(event)),
    });
    writer?.flush();
    process.stdout.write(`${formatSummary(summary)}\n`);
    if (summary.stopped === 'timeout') {
      const seconds = args.timeout ?? DEFAULT_KERNEL_TIMEOUT_SECONDS;
      process.stdout.write(`inconclusive: stopped at the time limit (${seconds} s, --timeout) after ${summary.cycles} of ${args.cycles ?? DEFAULT_CYCLES} cycles\n`);
      return 3;
    }
    return summary.outcome.kind === 'ok' ? 0 : 1;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/**
 * `schedcheck kernel qemu DESIGN`: build the real kernel if needed, boot it under QEMU, write its trace. 0 when
 * it ran to its `end`, 1 when it faulted or hung (or stopped without saying why), 2 for bad input or a missing
 * tool.
 */
export async function kernelQemuCommand(args: KernelQemuArgs): Promise<number> {
  const design = findQemuDesign(args.design);
  if (design === undefined) {
    const list = QEMU_DESIGNS.map((d) => `  ${d.name.padEnd(16)} ${d.summary}`).join('\n');
    process.stderr.write(`schedcheck: error Q003: unknown QEMU kernel '${args.design}'. Kernels:\n${list}\n`);
    return 2;
  }
  if (args.events < 1 || args.timeout < 1) {
    process.stderr.write(`schedcheck: error Q004: --${args.events < 1 ? 'events' : 'timeout'} must be at least 1\n`);
    return 2;
  }
  if (args.trace !== undefined) {
    try {
      writeFileSync(args.trace, '');
    } catch (error) {
      process.stderr.write(`schedcheck: error Q005: the trace file ${args.trace} cannot be written (${(error as NodeJS.ErrnoException).code ?? 'unwritable'})\n`);
      return 2;
    }
  }
  let run;
  try {
    run = await runQemu(design, { seed: args.seed, events: args.events, timeout: args.timeout });
  } catch (error) {
    if (!(error instanceof QemuSetupError)) throw error;
    process.stderr.write(`schedcheck: error ${error.code}: ${error.message}\n`);
    return 2;
  }
  if (args.trace !== undefined) writeFileSync(args.trace, `${run.lines.join('\n')}\n`);
  process.stdout.write(`${formatQemuRun(run, design, args.trace)}\n`);
  return qemuExitCode(run);
}
