// The real kernels of kernels/ under QEMU: the correct ones run to their end and their traces conform to their
// models over several seeds; the broken ones fault or hang as their models predict, and their traces show it.
// QEMU is required: CI installs it (.ci/run), and a machine without it fails here rather than skipping.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Model } from '../../src/ir/model.js';
import { kernelQemuCommand } from '../../src/cli/commands/kernel.js';
import { type ConformResult, conformEvents, conformFile } from '../../src/conform/check.js';
import { parseEvent, type TraceEvent } from '../../src/conform/trace.js';
import { Tracker } from '../../src/conform/tracker.js';
import { buildModel, machineOf } from '../../src/hw/build.js';
import { buildKernel, findQemuDesign, outcomeOf, QEMU_DESIGNS, type QemuRun, runQemu } from '../../src/kernel/qemu.js';
import { loadModel } from '../../src/lang/load.js';

const SEEDS = [1, 2, 3];

function design(name: string) {
  const d = findQemuDesign(name);
  if (d === undefined) throw new Error(`no QEMU design ${name}`);
  return d;
}

function modelOf(file: string): Model {
  const { program, diagnostics } = loadModel(file, []);
  if (program === null) throw new Error(`${file}: ${JSON.stringify(diagnostics)}`);
  return buildModel(program);
}

function eventsOf(run: QemuRun): TraceEvent[] {
  return run.lines.filter((l) => !l.startsWith('#')).map((l) => {
    const parsed = parseEvent(l);
    if (!parsed.ok) throw new Error(`not an event: ${l}`);
    return parsed.event;
  });
}

function run(name: string, seed: number, events = 1000, timeout = 30): Promise<QemuRun> {
  return runQemu(design(name), { seed, events, timeout });
}

beforeAll(() => {
  // Arrange once: the emulator is there, and every image builds (make: only what changed).
  for (const [emulator, pkg] of [
    ['qemu-system-i386', 'qemu-system-x86'],
    ['qemu-system-aarch64', 'qemu-system-arm'],
  ]) {
    const version = spawnSync(emulator!, ['--version'], { encoding: 'utf8' });
    expect(version.status, `${emulator} must be installed (apt-get install ${pkg})`).toBe(0);
  }
  for (const d of QEMU_DESIGNS) buildKernel(d);
});

/** Whether a line of the kernel's log parses as JSON (a corrupted kernel may write a line cut short). */
function isJson(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

describe('the QEMU kernels', () => {
  it('are the x86 designs of seeds 001, 002 and 004 and two AArch64 designs of 003, each with the model of its reference-kernel namesake', () => {
    expect(QEMU_DESIGNS.map((d) => [d.name, d.emulator, d.cpus, d.expect, d.model])).toEqual([
      ['001-naive', 'qemu-system-i386', 1, 'hangs', 'models/aethelos-001/spin-mutex-loom.sched'],
      ['001-option2', 'qemu-system-i386', 1, 'survives', 'models/aethelos-001/option2-yield-pending.sched'],
      ['002-ret-switch', 'qemu-system-i386', 1, 'faults', 'models/ckernel-002/stub-ret-switch.sched'],
      ['002-option-c', 'qemu-system-i386', 1, 'survives', 'models/ckernel-002/option-c-context-stub.sched'],
      ['004-old', 'qemu-system-i386', 2, 'hangs', 'models/forkexec-004/old-handler-abba.sched'],
      ['004-redesign', 'qemu-system-i386', 2, 'survives', 'models/forkexec-004/redesign-need-resched.sched'],
      ['003-aarch64', 'qemu-system-aarch64', 1, 'survives', 'models/aarch64-003/elr-saved-before-unmask.sched'],
      ['003-wfi-masked', 'qemu-system-aarch64', 1, 'hangs', 'models/aarch64-003/idle-wfi-masked.sched'],
      ['003-elr-unsaved', 'qemu-system-aarch64', 1, 'faults', 'models/aarch64-003/elr-unsaved.sched'],
      ['003-csl', 'qemu-system-aarch64', 2, 'survives', 'models/aarch64-003/context-switch-lock.sched'],
      ['003-idle', 'qemu-system-aarch64', 1, 'survives', 'models/aarch64-003/idle-wfi-unmask.sched'],
      ['003-reaper', 'qemu-system-aarch64', 1, 'survives', 'models/aarch64-003/next-task-reaps.sched'],
    ]);
  });

  it('run the same way for the same seed (-icount), and differently for another', async () => {
    const a = await run('001-option2', 7, 400);
    const b = await run('001-option2', 7, 400);
    const c = await run('001-option2', 8, 400);
    expect(a.lines).toEqual(b.lines);
    expect(c.lines).not.toEqual(a.lines);
  });
});

describe('correct kernels run to their end and conform', () => {
  it.each(['001-option2', '002-option-c', '003-aarch64', '003-idle'])('%s: every seed ends with end, switches, and conforms with --complete', async (name) => {
    const d = design(name);
    const model = modelOf(d.model);
    const tracker = new Tracker(model, machineOf(model));
    for (const seed of SEEDS) {
      // Act
      const r = await run(name, seed);
      const events = eventsOf(r);
      // Assert
      expect(r.outcome, `seed ${seed}`).toEqual({ kind: 'end' });
      expect(events.length).toBe(1001);
      expect(events.filter((e) => e.event === 'switch').length, `seed ${seed}`).toBeGreaterThan(20);
      const result = conformEvents(model, events, undefined, tracker, true);
      expect(result.verdict, `seed ${seed}`).toBe('conforms');
    }
  });
});

describe('AArch64 on virt (GICv2, the generic timer)', () => {
  it('run the same way for the same seed, written into the image, and differently for another', async () => {
    const a = await run('003-aarch64', 4, 300);
    const b = await run('003-aarch64', 4, 300);
    const c = await run('003-aarch64', 5, 300);
    expect(a.lines[0]).toBe('# booted, seed=4');
    expect(a.lines).toEqual(b.lines);
    expect(c.lines).not.toEqual(a.lines);
  });

  it('003-elr-unsaved: the tick taken on the new task overwrites the preempted one\'s ELR, as the model says; the preempted task erets into the other\'s code and panics', async () => {
    const model = modelOf(design('003-elr-unsaved').model);
    for (const seed of SEEDS) {
      const r = await run('003-elr-unsaved', seed);
      const events = eventsOf(r);
      expect(r.outcome.kind, `seed ${seed}`).toBe('fault');
      expect(events.at(-1)).toMatchObject({
        event: 'fault',
        vector: 'panic',
        reason: "a task resumed in another task's code: its ELR/SPSR were another's",
        thread: 'first',
      });
      // The second tick, taken on task[0] before anything saved first's ELR/SPSR, is the model's crash; the
      // kernel logs on until the eret that uses them, which conform rejects, naming the crash.
      const second = events.findIndex((e, i) => i > 1 && e.event === 'irq_entry');
      expect(events[second]).toMatchObject({ event: 'irq_entry', thread: 'task[0]' });
      expect(conformEvents(model, events)).toMatchObject({
        verdict: 'rejected',
        event: second + 2,
        found: 'cpu0 ack line=timer',
        reason: {
          kind: 'after-crash',
          crashEvent: second + 1,
          message: 'stack-integrity: ELR/SPSR overwritten before they were saved: timer taken on CPU 0 while ELR/SPSR hold an unsaved context',
        },
      });
    }
  });

  it('003-reaper: the exited task is reaped by the task switched to, after the switch; the trace conforms', async () => {
    const model = modelOf(design('003-reaper').model);
    const r = await run('003-reaper', 1, 200);
    const events = eventsOf(r);
    expect(r.outcome).toEqual({ kind: 'end' });
    const exit = events.findIndex((e) => e.event === 'exit');
    expect(events.slice(exit, exit + 5)).toEqual([
      { cpu: 0, cycle: 0, event: 'exit', thread: 'task[0]' },
      { cpu: 0, cycle: 0, event: 'lock_acquire', lock: 'CONTEXT_SWITCH_LOCK', thread: 'task[0]' },
      { cpu: 0, cycle: 0, event: 'switch', from: 'task[0]', to: 'boot[0]' },
      { cpu: 0, cycle: 0, event: 'free_stack', thread: 'task[0]' },
      { cpu: 0, cycle: 0, event: 'lock_release', lock: 'CONTEXT_SWITCH_LOCK', thread: 'boot[0]' },
    ]);
    expect(conformEvents(model, events, undefined, undefined, true).verdict).toBe('conforms');
  });

  it('003-wfi-masked: the idle task loops on wfi with the tick pending and masked; the hang conforms', async () => {
    const model = modelOf(design('003-wfi-masked').model);
    for (const seed of SEEDS) {
      const r = await run('003-wfi-masked', seed, 2000);
      const events = eventsOf(r);
      expect(r.outcome.kind, `seed ${seed}`).toBe('hang');
      expect(events.slice(0, 3).map((e) => e.event)).toEqual(['sti', 'cli', 'switch']);
      expect(events.filter((e) => e.event === 'wfi').length).toBe(1001);
      expect(events.at(-1)).toEqual({
        cpu: 0,
        cycle: 0,
        event: 'hang',
        cpus: [0],
        detail: ['cpu0 (idle): looping on wfi with interrupts masked: the pending tick wakes it but is never taken'],
      });
      expect(conformEvents(model, events, undefined, undefined, true).verdict, `seed ${seed}`).toBe('conforms');
    }
  });
});

describe('two CPUs (x86: LAPIC timers, the second CPU started by INIT-SIPI-SIPI; AArch64: PSCI CPU_ON)', () => {
  // These run on two host threads, not under -icount (docs/qemu.md): a run is not repeatable, so each is
  // checked for what its model allows whatever the interleaving.
  it.each(['004-redesign', '003-csl'])('%s: both CPUs run, threads switch, every run ends, and its trace conforms with --complete', async (name) => {
    const model = modelOf(design(name).model);
    for (const seed of [1, 2]) {
      const r = await run(name, seed);
      const events = eventsOf(r);
      // Two host threads interleave differently every run: a failure shows how this one ended.
      const how = `seed ${seed}, ${r.events} events, ending ${r.lines.slice(-3).join(' | ')}`;
      expect(r.outcome, how).toEqual({ kind: 'end' });
      // Both CPUs run and threads are switched; which CPU switches how often is up to the host's scheduler (a
      // loaded host can leave one vCPU's thread off a core for the whole run).
      expect(new Set(events.map((e) => e.cpu)), how).toEqual(new Set([0, 1]));
      expect(events.filter((e) => e.event === 'switch').length, how).toBeGreaterThan(10);
      if (name === '004-redesign') expect(events.some((e) => e.event === 'spawn' && e.thread === 'child[0]')).toBe(true);
      expect(conformEvents(model, events, undefined, undefined, true), how).toMatchObject({ verdict: 'conforms' });
    }
  });

  it('004-old: a run deadlocks on PROC and SCHED (and conforms), or resumes a thread still running on the other CPU, which conform names', async () => {
    const model = modelOf(design('004-old').model);
    const seen: string[] = [];
    for (const seed of [1, 2, 3]) {
      const r = await run('004-old', seed, 1000, 15);
      // A corrupted kernel may write lines that are not events: conform reads the file as the CLI does.
      const file = join(mkdtempSync(join(tmpdir(), 'schedcheck-qemu-test-')), 'run.jsonl');
      const ending = `seed ${seed}, ${r.outcome.kind}, ending ${r.lines.slice(-3).join(' | ')}`;
      if (r.outcome.kind === 'timeout') {
        // The harness watchdog ended a run that logged neither an end, a fault nor a hang in time (a slow host,
        // or a kernel corrupted past its own detector): its hang line is the harness's, not the kernel's. What
        // the kernel logged up to then must be a run of the model, or go on after the model's crash.
        writeFileSync(file, `${r.lines.slice(0, -1).join('\n')}\n`);
        const prefix = await conformFile(model, file);
        // Killed while the kernel wrote a fault line: it had faulted, as in the "unexplained fault" below.
        const faulting = r.lines.some((l) => l.startsWith('# schedcheck: the line being written when QEMU was killed: ') && l.includes('"event":"fault"'));
        if (prefix.verdict === 'bad-input') expect(['T001', 'T002'], ending).toContain(prefix.code);
        else if (prefix.verdict === 'rejected' && !(faulting && prefix.reason === null)) expect(prefix.reason, ending).toMatchObject({ kind: 'after-crash' });
        else if (prefix.verdict !== 'rejected') expect(prefix.verdict, ending).toBe('conforms');
        seen.push('cut short');
        continue;
      }
      writeFileSync(file, `${r.lines.join('\n')}\n`);
      const result = await conformFile(model, file, { complete: true });
      if (result.verdict === 'conforms' && r.outcome.kind === 'end') {
        seen.push('survived'); // neither race was hit this time
      } else if (result.verdict === 'conforms' && result.corruption === null) {
        // The ABBA deadlock: one CPU's lockup detector, spinning on the lock the other CPU holds.
        expect(r.outcome.kind, ending).toBe('hang');
        expect(eventsOf(r).at(-1)!.detail![0]).toMatch(/^cpu(\d) \(boot\[\1\]\): spinning on (PROC, held by boot\[0\]|SCHED, held by boot\[1\])$/);
        seen.push('deadlock');
      } else if (result.verdict === 'conforms') {
        // The other race, and the kernel's fault is the last thing it logs: the trace conforms only through the
        // model's crash where a CPU resumes a thread the other CPU still runs on.
        expect(['fault', 'reset', 'hang'], ending).toContain(r.outcome.kind);
        expect(result.corruption!.message, ending).toMatch(/^stack-integrity: restore_context \S+, which is running on CPU \d: one stack, two CPUs$/);
        seen.push('stack race');
      } else if (result.verdict === 'bad-input') {
        // The race can corrupt the very line that logs it (two CPUs formatting on one stack): the line is not an
        // event, the run ends abnormally right after it, and conform can only say the line is malformed.
        expect(['fault', 'reset', 'hang'], ending).toContain(r.outcome.kind);
        expect(['T001', 'T002'], ending).toContain(result.code);
        const lines = r.lines.filter((l) => l !== '').length;
        expect(lines - result.line, ending).toBeLessThanOrEqual(3);
        seen.push('garbled');
      } else if (
        result.verdict === 'rejected' &&
        result.reason === null &&
        r.outcome.kind === 'fault' &&
        (r.lines.filter((l) => l !== '').length - result.line <= 3 || r.lines.some((l) => l !== '' && !isJson(l)))
      ) {
        // The kernel faults, and conform rejects a line with no crash of the model before: the race corrupted
        // memory the log does not show (a stack two CPUs wrote, a line two CPUs formatted), and the trace tells of
        // it only in its last events, or in a line that is not an event at all (two CPUs writing one line, as in
        // `{"cpu":0,"event":"fault"` cut short before the whole fault line). Evidence of neither race.
        seen.push('unexplained fault');
      } else {
        // The other race: the model crashes where a CPU resumes a thread the other CPU still runs on, and the
        // kernel carries on corrupted (until it faults, or hangs and the harness watchdog ends it).
        expect(['fault', 'reset', 'hang', 'end'], ending).toContain(r.outcome.kind);
        expect(result, ending).toMatchObject({ verdict: 'rejected', reason: { kind: 'after-crash' } });
        if (result.verdict !== 'rejected' || result.reason?.kind !== 'after-crash') continue;
        expect(result.reason.message).toMatch(/^stack-integrity: restore_context \S+, which is running on CPU \d: one stack, two CPUs$/);
        seen.push('stack race');
      }
    }
    expect(seen.filter((s) => s === 'deadlock' || s === 'stack race').length, seen.join(', ')).toBeGreaterThan(0);
  });
});

describe('broken kernels fail as their models predict', () => {
  it('001-naive: the tick spins on LOOM, which the worker it interrupted holds; the trace conforms up to the hang', async () => {
    const model = modelOf(design('001-naive').model);
    for (const seed of SEEDS) {
      const r = await run('001-naive', seed);
      const events = eventsOf(r);
      expect(r.outcome.kind, `seed ${seed}`).toBe('hang');
      expect(events.at(-1)).toEqual({
        cpu: 0,
        cycle: 0,
        event: 'hang',
        cpus: [0],
        detail: ['cpu0 (worker): spinning on LOOM, held by worker'],
      });
      // What the model's deadlock is made of: the worker holds LOOM when the tick arrives.
      expect(events.slice(-3, -1)).toEqual([
        { cpu: 0, cycle: 0, event: 'lock_acquire', lock: 'LOOM', thread: 'worker' },
        { cpu: 0, cycle: 0, event: 'irq_entry', line: 'timer', thread: 'worker' },
      ]);
      expect(conformEvents(model, events, undefined, undefined, true).verdict, `seed ${seed}`).toBe('conforms');
    }
  });

  it('002-ret-switch: the first switch to a new thread returns to 0, a #PF; the model crashed at that switch', async () => {
    const model = modelOf(design('002-ret-switch').model);
    for (const seed of SEEDS) {
      const r = await run('002-ret-switch', seed);
      const events = eventsOf(r);
      expect(r.outcome.kind, `seed ${seed}`).toBe('fault');
      expect(events.map((e) => e.event)).toEqual(['sti', 'irq_entry', 'eoi', 'switch', 'fault']);
      expect(events[3]).toMatchObject({ from: 'first', to: 'other[0]' });
      expect(events[4]).toMatchObject({ event: 'fault', vector: '#PF', reason: 'page fault', address: '0x0', pc: '0x0', thread: 'other[0]' });
      const result: ConformResult = conformEvents(model, events, undefined, undefined, true);
      expect(result).toMatchObject({
        verdict: 'conforms',
        corruption: { event: 4, line: 4, message: 'stack-integrity: switch_to resumes other[0] through an interrupt frame, not a switch frame' },
      });
    }
  });

  it('a run that outlasts --timeout ends as a hang of the harness watchdog, which conform rejects on a kernel still making progress', async () => {
    const r = await run('001-option2', 1, 100_000_000, 1);
    expect(r.outcome.kind).toBe('timeout');
    const events = eventsOf(r);
    expect(events.at(-1)).toEqual({
      cpu: 0,
      cycle: 0,
      event: 'hang',
      cpus: [0],
      detail: ['no end, fault or hang event within the timeout of 1 s (the harness watchdog)'],
    });
    const result = conformEvents(modelOf(design('001-option2').model), events);
    expect(result).toMatchObject({ verdict: 'rejected', event: events.length, found: 'cpu0 hang' });
  });
});

describe('how a run ends, from QEMU\'s exit status', () => {
  const options = { seed: 1, events: 10, timeout: 7 };
  const sti: TraceEvent = { cpu: 0, cycle: 0, event: 'sti' };

  it('a reset under -no-reboot (QEMU exits 0 by itself) is a triple fault the harness adds', () => {
    const events = [sti];
    const lines = ['{"cpu":0,"event":"sti"}'];
    const outcome = outcomeOf(design('001-option2'), { status: 0, signal: null, timedOut: false }, events, options, lines);
    const fault = { cpu: 0, cycle: 0, event: 'fault', reason: 'triple fault: the machine reset', vector: 'triple fault' };
    expect(outcome).toEqual({ kind: 'reset', event: fault });
    expect(lines.slice(1)).toEqual(['# schedcheck: QEMU reset the machine (a triple fault; -no-reboot ended the run)', JSON.stringify(fault)]);
    expect(events.at(-1)).toEqual(fault);
  });

  it('a kill by the watchdog is a hang of every CPU; an exit status without its event is a silent stop', () => {
    const outcome = outcomeOf(design('004-redesign'), { status: null, signal: 'SIGKILL', timedOut: true }, [sti], options, []);
    expect(outcome).toMatchObject({ kind: 'timeout', event: { event: 'hang', cpus: [0, 1], detail: ['no end, fault or hang event within the timeout of 7 s (the harness watchdog)'] } });
    // The kernel wrote "end" to the exit port but the serial line lost the event: not an end.
    expect(outcomeOf(design('001-option2'), { status: 3, signal: null, timedOut: false }, [sti], options, [])).toEqual({ kind: 'silent', status: 3, signal: null });
  });
});

describe('schedcheck kernel qemu', () => {
  let out = '';
  let err = '';
  afterEach(() => {
    vi.restoreAllMocks();
  });
  function capture(): void {
    out = '';
    err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out += String(chunk);
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      err += String(chunk);
      return true;
    });
  }

  it('writes the trace and exits 0 when the kernel runs to its end', async () => {
    capture();
    const trace = join(mkdtempSync(join(tmpdir(), 'schedcheck-qemu-test-')), 'run.jsonl');
    expect(await kernelQemuCommand({ design: '002-option-c', seed: 2, events: 300, trace, timeout: 30 })).toBe(0);
    const lines = readFileSync(trace, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('# booted, seed=2');
    expect(lines.slice(1).every((l) => parseEvent(l).ok)).toBe(true);
    expect(lines.at(-1)).toBe('{"cpu":0,"event":"end"}');
    expect(out).toMatch(
      new RegExp(
        `^design 002-option-c under qemu-system-i386, seed 2: 301 events in \\d+\\.\\d s\\nno fault, no hang: the kernel logged its end\\n` +
          `check it: schedcheck conform models/ckernel-002/option-c-context-stub.sched ${trace} --complete\\n$`,
      ),
    );
  });

  it('exits 1 with the fault when the kernel faults', async () => {
    capture();
    expect(await kernelQemuCommand({ design: '002-ret-switch', seed: 1, events: 300, timeout: 30 })).toBe(1);
    expect(out.split('\n').slice(1)).toEqual(['FAULT on cpu0 (other[0]): #PF page fault at 0x0 (pc 0x0)', '']);
  });

  it('exits 2 naming the kernels when it does not know the one asked for, for --events 0, and for a trace it cannot write', async () => {
    capture();
    expect(await kernelQemuCommand({ design: '005-nope', seed: 1, events: 300, timeout: 30 })).toBe(2);
    expect(err.split('\n')[0]).toBe("schedcheck: error Q003: unknown QEMU kernel '005-nope'. Kernels:");
    expect(err).toContain('  001-naive ');
    err = '';
    expect(await kernelQemuCommand({ design: '001-naive', seed: 1, events: 0, timeout: 30 })).toBe(2);
    expect(err).toBe('schedcheck: error Q004: --events must be at least 1\n');
    err = '';
    expect(await kernelQemuCommand({ design: '001-naive', seed: 1, events: 10, timeout: 30, trace: '/nonexistent/run.jsonl' })).toBe(2);
    expect(err).toBe('schedcheck: error Q005: the trace file /nonexistent/run.jsonl cannot be written (ENOENT)\n');
  });
});
