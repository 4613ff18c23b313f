// `schedcheck kernel run`, `conform` and `replay`, called as the CLI calls them, with stdout/stderr captured.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkModelFile } from '../../src/checker/check.js';
import type { PropertyId } from '../../src/ir/ir.js';
import { conformCommand } from '../../src/cli/commands/conform.js';
import { kernelRunCommand } from '../../src/cli/commands/kernel.js';
import { replayCommand } from '../../src/cli/commands/replay.js';
import { parseEvent } from '../../src/conform/trace.js';
import { findDesign } from '../../src/kernel/run.js';
import { formatItf } from '../../src/report/itf.js';

let out = '';
let err = '';
let dir = '';

beforeEach(() => {
  out = '';
  err = '';
  dir = mkdtempSync(join(tmpdir(), 'schedcheck-conform-'));
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('schedcheck kernel run', () => {
  it('names the designs when it does not know the one asked for (exit 2)', async () => {
    expect(await kernelRunCommand({ design: '005-nope', seed: 1 })).toBe(2);
    expect(err.split('\n')[0]).toBe("schedcheck: unknown design '005-nope'. Designs:");
    expect(err).toContain('  004-old ');
    expect(err).toContain('  003-csl ');
  });

  it('writes the trace as JSON lines and ends with a summary (exit 0 when it survives)', async () => {
    const trace = join(dir, 'run.jsonl');
    expect(await kernelRunCommand({ design: '001-option2', seed: 2, cycles: 5_000, trace })).toBe(0);
    const lines = readFileSync(trace, 'utf8').trimEnd().split('\n');
    expect(lines.every((l) => parseEvent(l).ok)).toBe(true);
    expect(JSON.parse(lines[0]!)).toEqual({ cpu: 0, cycle: 0, event: 'sti' });
    expect(out).toMatch(/^design 001-option2, seed 2: 5000 cycles, \d+ instructions\n  context switches \d+, interrupts \d+, EOIs \d+, lock acquisitions \d+\n  faults 0, hangs 0\nno fault, no hang\n$/);
  });

  it('exits 1 with the fault when the design faults', async () => {
    expect(await kernelRunCommand({ design: '002-ret-switch', seed: 1 })).toBe(1);
    expect(out).toContain('faults 1, hangs 0\nFAULT on cpu0 (other[0]): #PF instruction fetch outside kernel code at 0x0\n  executing 0x0, reached by context_switch_go+11: ret\n');
  });
});

describe('schedcheck conform', () => {
  it.each([['/dev/zero'], ['a megabyte without a line break']])('refuses a line past 64 KiB at its line, without holding it whole (T001): %s', async (what) => {
    const trace = what === '/dev/zero' ? '/dev/zero' : join(dir, 'long.jsonl');
    if (trace !== '/dev/zero') writeFileSync(trace, '{"cpu":0,"event":"sti"}\n' + 'x'.repeat(1024 * 1024));
    const line = trace === '/dev/zero' ? 1 : 2;
    expect(await conformCommand({ model: 'models/aethelos-001/spin-mutex-loom.sched', trace, set: [] })).toBe(2);
    expect(err).toBe(`${trace}:${line}:1: error T001: not a JSON object: a line longer than 65536 characters\n`);
  });

  const model = findDesign('001-option2')!.model;

  async function traceFile(): Promise<string> {
    const trace = join(dir, 'run.jsonl');
    await kernelRunCommand({ design: '001-option2', seed: 1, cycles: 5_000, trace });
    out = '';
    return trace;
  }

  it('exits 0 when the trace conforms', async () => {
    const trace = await traceFile();
    const events = readFileSync(trace, 'utf8').trimEnd().split('\n').length;
    expect(await conformCommand({ model, trace, set: [] })).toBe(0);
    expect(out).toMatch(new RegExp(`^${trace}: conforms to ${model} \\(${events} events; \\d+ model states? agrees? with it\\)\\n$`));
  });

  it('exits 1 naming the first event the model does not allow, its states and what they allow', async () => {
    const trace = await traceFile();
    const lines = readFileSync(trace, 'utf8').trimEnd().split('\n');
    const eoi = lines.findIndex((l) => l.includes('"eoi"'));
    writeFileSync(trace, `${[...lines.slice(0, eoi), ...lines.slice(eoi + 1)].join('\n')}\n`);
    expect(await conformCommand({ model, trace, set: [] })).toBe(1);
    const report = out.split('\n');
    expect(report[0]).toBe(`${trace}:${eoi + 1}: event ${eoi + 1}, cpu0 lock_acquire lock=LOOM thread=hog, is not expected by ${model}`);
    expect(report.slice(1)).toEqual([
      '  in any of the 6 model states the trace had reached; those waiting to log an event:',
      '    state 1:',
      '      cpu0: handler timer (on hog) at `eoi timer` (models/aethelos-001/option2-yield-pending.sched:71), IF=0, holds nothing, timer pending',
      '    state 2:',
      '      cpu0: handler timer (on hog) at `eoi timer` (models/aethelos-001/option2-yield-pending.sched:71), IF=0, holds nothing',
      '  they allow:',
      '    cpu0 eoi line=timer',
      '',
    ]);
  });

  it('exits 2 at the file:line:col of a malformed line, skipping blank lines and comments', async () => {
    const trace = join(dir, 'bad.jsonl');
    writeFileSync(trace, '# a comment\n\n{"cpu":0,"event":"sti"}\n{"cpu":0, "event":"teleport"}\n');
    expect(await conformCommand({ model, trace, set: [] })).toBe(2);
    expect(err).toBe(`${trace}:4:11: error T002: unknown event "teleport"\n`);
    writeFileSync(trace, '{"cpu":0,"event":"sti"\n');
    expect(await conformCommand({ model, trace, set: [] })).toBe(2);
    expect(err).toContain(`${trace}:1:`);
    expect(err).toContain('error T001: not a JSON object');
  });

  it('exits 1 when the trace goes on after the model crashed, naming the crash', async () => {
    const crashModel = findDesign('002-ret-switch')!.model;
    const trace = join(dir, 'crash.jsonl');
    await kernelRunCommand({ design: '002-ret-switch', seed: 1, trace });
    const lines = readFileSync(trace, 'utf8').trimEnd().split('\n');
    // The fault replaced by an event a machine that had not crashed would log.
    writeFileSync(trace, `${[...lines.slice(0, -1), '{"cpu":0,"event":"iret","thread":"other[0]"}'].join('\n')}\n`);
    out = '';
    expect(await conformCommand({ model: crashModel, trace, set: [] })).toBe(1);
    const n = lines.length;
    expect(out).toBe(
      `${trace}:${n}: event ${n}, cpu0 iret thread=other[0], goes on after the machine crashed: at event ${n - 1} (${trace}:${n - 1}) ` +
        `${crashModel} says stack-integrity: switch_to resumes other[0] through an interrupt frame, not a switch frame\n` +
        '  a corrupted machine does not go on as if nothing happened: only a fault or a hang may follow\n',
    );
  });

  it('exits 2 with T003 for a directory, and 1 for a line too long after the model crashed', async () => {
    expect(await conformCommand({ model, trace: dir, set: [] })).toBe(2);
    expect(err).toBe(`${dir}:1:1: error T003: the trace file cannot be read (EISDIR)\n`);
    const crashModel = findDesign('002-ret-switch')!.model;
    const trace = join(dir, 'long.jsonl');
    await kernelRunCommand({ design: '002-ret-switch', seed: 1, trace });
    const lines = readFileSync(trace, 'utf8').trimEnd().split('\n');
    writeFileSync(trace, `${lines.join('\n')}\n${'\0'.repeat(70_000)}\n`);
    out = '';
    expect(await conformCommand({ model: crashModel, trace, set: [] })).toBe(1);
    expect(out.split('\n')[0]).toMatch(new RegExp(`^${trace}:${lines.length + 1}: event ${lines.length + 1}, a line that is not an event, goes on after the machine crashed`));
  });

  it('--complete on a trace with no event names its first line', async () => {
    const trace = join(dir, 'empty.jsonl');
    writeFileSync(trace, '# nothing logged\n');
    expect(await conformCommand({ model, trace, set: [], complete: true })).toBe(1);
    expect(out).toBe(`${trace}:1: the trace stops after event 0 (no event) without an end, fault or hang event (--complete): the kernel stopped logging without saying why\n`);
  });

  it('exits 1, not 2, for a garbled line after the model crashed: the corrupted machine went on', async () => {
    const crashModel = findDesign('002-ret-switch')!.model;
    const trace = join(dir, 'garbled.jsonl');
    await kernelRunCommand({ design: '002-ret-switch', seed: 1, trace });
    const lines = readFileSync(trace, 'utf8').trimEnd().split('\n');
    writeFileSync(trace, `${[...lines.slice(0, -1), '{"cpu":0,"event":"iret","thr'].join('\n')}\n`);
    out = '';
    expect(await conformCommand({ model: crashModel, trace, set: [] })).toBe(1);
    expect(out.split('\n')[0]).toBe(
      `${trace}:${lines.length}: event ${lines.length}, a line that is not an event, goes on after the machine crashed: at event ${lines.length - 1} ` +
        `(${trace}:${lines.length - 1}) ${crashModel} says stack-integrity: switch_to resumes other[0] through an interrupt frame, not a switch frame`,
    );
  });

  it('--complete: exits 1 when the trace stops without an end, fault or hang event, 0 when it ends with one', async () => {
    const trace = await traceFile();
    const lines = readFileSync(trace, 'utf8').trimEnd().split('\n');
    expect(await conformCommand({ model, trace, set: [], complete: true })).toBe(1);
    expect(out).toMatch(
      new RegExp(`^${trace}:${lines.length}: the trace stops after event ${lines.length} \\(cpu0 [^)]*\\) without an end, fault or hang event \\(--complete\\): the kernel stopped logging without saying why\n$`),
    );
    writeFileSync(trace, `${lines.join('\n')}\n{"cpu":0,"event":"end"}\n`);
    out = '';
    expect(await conformCommand({ model, trace, set: [], complete: true })).toBe(0);
    expect(out).toContain(`(${lines.length + 1} events;`);
  });

  it('exits 2 with T004 at the name a trace gives that the model lacks', async () => {
    const trace = join(dir, 'names.jsonl');
    writeFileSync(trace, '{"cpu":0,"event":"sti"}\n{"cpu":0,"event":"irq_entry","line":"timer","thread":"Hog"}\n');
    expect(await conformCommand({ model, trace, set: [] })).toBe(2);
    expect(err).toBe(`${trace}:2:45: error T004: unknown thread 'Hog'; the model has the threads hog, worker[0]\n`);
  });

  it('exits 2 when the trace or the model cannot be read', async () => {
    expect(await conformCommand({ model, trace: join(dir, 'missing.jsonl'), set: [] })).toBe(2);
    expect(err).toBe(`${join(dir, 'missing.jsonl')}:1:1: error T003: the trace file cannot be read (ENOENT)\n`);
    err = '';
    expect(await conformCommand({ model: join(dir, 'missing.sched'), trace: join(dir, 'missing.jsonl'), set: [] })).toBe(2);
    expect(err).toContain('E603');
  });
});

describe('schedcheck replay', () => {
  async function counterexample(design: string, property: PropertyId): Promise<{ model: string; cex: string }> {
    const model = findDesign(design)!.model;
    const { program, report } = await checkModelFile(model, [], { properties: [property], progress: false });
    const result = report!.results[0]!;
    if (result.verdict !== 'violated') throw new Error(`${model}: ${property} ${result.verdict}`);
    const cex = join(dir, `${design}.itf.json`);
    writeFileSync(cex, formatItf(result.counterexample, program!));
    return { model, cex };
  }

  it('001-naive: the deadlock counterexample hangs the kernel on LOOM', async () => {
    const { model, cex } = await counterexample('001-naive', 'no-deadlock');
    expect(await replayCommand({ model, cex, set: [] })).toBe(1);
    expect(out).toContain('  interrupts forced: timer on cpu0 after its instruction 20\n');
    expect(out).toContain('  the kernel logged all 5 events of the counterexample, then ran on freely (timer ticking)\n');
    expect(out).toMatch(/HANG: the watchdog saw no progress on cpu0 \(deadlocked CPUs\)\n {2}cpu0 \(worker\): spinning on LOOM in spin_lock\+\d: [^\n]*, held by worker \(taken on cpu0\)\n/);
  });

  it('shows a terminal escape in the file escaped: in its message, and in a step that does not replay', async () => {
    const { model, cex } = await counterexample('001-naive', 'no-deadlock');
    const itf = JSON.parse(readFileSync(cex, 'utf8')) as { '#meta': { schedcheck: { message: string } }; states: { step?: { label: string } }[] };
    itf['#meta'].schedcheck.message = '\x1b]0;PWNED\x07\x1b[2J';
    writeFileSync(cex, JSON.stringify(itf));
    expect(await replayCommand({ model, cex, set: [] })).toBe(1);
    expect(out.split('\n')[0]).toBe(`${cex}: no-deadlock counterexample (8 steps): \\x1b]0;PWNED\\x07\\x1b[2J`);
    itf.states[1]!.step!.label = '\x1b[31mRED';
    writeFileSync(cex, JSON.stringify(itf));
    err = '';
    expect(await replayCommand({ model, cex, set: [] })).toBe(2);
    expect(err).toContain('(cpu0: \\x1b[31mRED) is not an action');
    expect(out + err).not.toContain('\x1b');
  });

  it('004-old: the ABBA counterexample deadlocks both CPUs, each spinning on the lock the other holds', async () => {
    const { model, cex } = await counterexample('004-old', 'no-deadlock');
    expect(await replayCommand({ model, cex, set: [] })).toBe(1);
    expect(out).toContain('  interrupts forced: timer on cpu1 after its instruction 0\n');
    expect(out).toContain('HANG: the watchdog saw no progress on cpu0, cpu1 (deadlocked CPUs)\n');
    expect(out).toMatch(/cpu0 \(boot\[0\]\): spinning on SCHED in irqsave_lock_spin\+\d: [^\n]*, held by boot\[1\] \(taken on cpu1\)/);
    expect(out).toMatch(/cpu1 \(boot\[1\]\): spinning on PROC in irqsave_lock_spin\+\d: [^\n]*, held by boot\[0\] \(taken on cpu0\)/);
  });

  it('002-ret-switch: the stack-integrity counterexample faults at address 0, from context_switch\'s ret', async () => {
    const { model, cex } = await counterexample('002-ret-switch', 'stack-integrity');
    expect(await replayCommand({ model, cex, set: [] })).toBe(1);
    expect(out).toMatch(/FAULT on cpu0 \(other\[0\]\) at cycle \d+: #PF instruction fetch outside kernel code at 0x0\n {2}executing 0x0, reached by context_switch_go\+11: ret\n/);
  });

  it('004-old: the stack-integrity counterexample survives when run freely, and faults when the other CPU is held (--hold)', async () => {
    const { model, cex } = await counterexample('004-old', 'stack-integrity');
    expect(await replayCommand({ model, cex, set: [] })).toBe(0);
    expect(out).toContain('  the kernel logged all 19 events of the counterexample, then ran on freely (timer ticking)\nthe kernel survived ');
    out = '';
    // cpu0 is still in the handler on boot[0]'s stack when cpu1 resumes boot[0]: held there, its frames are
    // overwritten by cpu1's next tick on that stack, and its return goes astray.
    expect(await replayCommand({ model, cex, set: [], hold: 40 })).toBe(1);
    expect(out).toContain(
      '  the kernel logged all 19 events of the counterexample; then cpu0 was held for 40 cycles (as an NMI, an SMI or a preempted vCPU ' +
        'holds a CPU) while cpu1 ran on, its timer raised after its instruction 94; then all ran freely (timer ticking)\n' +
        'FAULT on cpu0 (tcb@0x0) at cycle 299: #PF write of an unmapped address at 0x8\n  executing timer_stub+29: store [rsi+TCB_STATE], RUNNING\n',
    );
    out = '';
    expect(await replayCommand({ model, cex, set: [], hold: 30 })).toBe(1);
    expect(out).toMatch(/\nFAULT on cpu1 \([^)]*\) at cycle \d+: #GP iret: bad code segment selector 0x0 in the frame at 0x0\n {2}executing timer_stub_iret\+9: iretq\n/);
  });

  it('003-wfi-masked: the no-progress counterexample leaves the idle task looping on a masked wfi', async () => {
    const { model, cex } = await counterexample('003-wfi-masked', 'no-deadlock');
    expect(await replayCommand({ model, cex, set: [] })).toBe(1);
    expect(out).toContain('cpu0 (idle): looping on wfi at idle_main+0: wfi with interrupts masked: the pending line wakes it but is never taken\n');
  });

  it('exits 2 for a model no design runs, and for a counterexample that is not JSON', async () => {
    const { cex } = await counterexample('001-naive', 'no-deadlock');
    expect(await replayCommand({ model: 'models/aethelos-001/missing-eoi.sched', cex, set: [] })).toBe(2);
    expect(err.split('\n')[0]).toBe('models/aethelos-001/missing-eoi.sched:1:1: error R003: no reference kernel design runs this model; these do:');
    err = '';
    const bad = join(dir, 'bad.itf.json');
    writeFileSync(bad, '{"states": [}');
    expect(await replayCommand({ model: findDesign('001-naive')!.model, cex: bad, set: [] })).toBe(2);
    expect(err).toMatch(new RegExp(`^${bad}:1:\\d+: error R001: `));
  });
});
