import { closeSync, openSync, writeSync } from 'node:fs';
import { formatEvent } from '../../conform/trace.js';
import { DESIGNS } from '../../kernel/designs/index.js';
import { DEFAULT_CYCLES, DEFAULT_KERNEL_TIMEOUT_SECONDS, findDesign, formatSummary, runDesign } from '../../kernel/run.js';
import type { KernelRunArgs } from '../args.js';
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
