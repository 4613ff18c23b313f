// `schedcheck conform`: stream a trace file line by line through the tracker. Memory stays bounded whatever
// the trace's length: one line at a time, and the tracker's caches are capped.

import { createReadStream } from 'node:fs';
import type { Model } from '../ir/model.js';
import { machineOf } from '../hw/build.js';
import { describeEvent, eventKey } from './expected.js';
import { parseEvent, type TraceEvent } from './trace.js';
import { BoundReached, DEFAULT_LIMITS, type StateSet, Tracker, type TrackerLimits } from './tracker.js';

/**
 * Why a trace is rejected when it is not a matter of the model's next events: it goes on after the model
 * crashed, it goes on after its `end`, or (`--complete`) it stops without saying why.
 */
export type RejectionReason =
  | { kind: 'after-crash'; crashEvent: number; crashLine: number; message: string }
  | { kind: 'after-end'; endEvent: number; endLine: number }
  | { kind: 'incomplete' };

export type ConformResult =
  | {
      verdict: 'conforms';
      events: number;
      /** Where the model said the machine was corrupted, when the trace conforms only by that corruption. */
      corruption: { event: number; line: number; message: string } | null;
      states: number;
    }
  | {
      verdict: 'rejected';
      /** 1-based index of the event among the trace's events, and its line in the file. */
      event: number;
      line: number;
      found: string;
      /**
       * The model states it was in that were waiting to log an event (each as one line per CPU, with how many
       * states read the same), and how many states agreed with the trace in all.
       */
      states: { cpus: string[]; count: number }[];
      totalStates: number;
      allowed: string[];
      /** Set when the rejection is not about which event comes next (states and allowed are then empty). */
      reason: RejectionReason | null;
    }
  | { verdict: 'inconclusive'; event: number; line: number; reason: string }
  | { verdict: 'bad-input'; line: number; col: number; message: string; code: 'T001' | 'T002' | 'T003' | 'T004' };

/** Events after which a kernel may stop logging: with `--complete` a trace must end with one of them. */
const FINAL_EVENTS: ReadonlySet<string> = new Set(['end', 'fault', 'hang']);

/** Model states a rejection shows at most. */
const SHOWN_STATES = 3;

/** Feeds events one at a time; `result()` says what the trace so far is. */
export class ConformanceRun {
  readonly tracker: Tracker;
  private set: StateSet;
  private count = 0;
  private failure: ConformResult | null = null;
  private corruption: { event: number; line: number; message: string } | null = null;
  private ended: { event: number; line: number } | null = null;
  private last: { event: TraceEvent; line: number } | null = null;
  private readonly names: { thread: ReadonlySet<string>; lock: ReadonlySet<string>; line: ReadonlySet<string> };

  /** A tracker may be shared by runs of the same model: its cached sets and transitions carry over. */
  constructor(model: Model, limits: TrackerLimits = DEFAULT_LIMITS, tracker?: Tracker) {
    this.tracker = tracker ?? new Tracker(model, machineOf(model), limits);
    try {
      this.set = this.tracker.initial();
    } catch (error) {
      if (!(error instanceof BoundReached)) throw error;
      // Too many states agree with the trace before its first event: nothing can be said of it.
      this.set = { id: -1, generation: -1, configs: [], onlyCrashed: false, crash: null };
      this.failure = { verdict: 'inconclusive', event: 0, line: 1, reason: error.message };
    }
    const program = this.tracker.machine.program;
    this.names = {
      thread: new Set([...program.threads.map((t) => t.name), 'none']),
      lock: new Set(program.locks.map((l) => l.name)),
      line: new Set(program.lines.map((l) => l.name)),
    };
  }

  /** The first name or CPU in `event` that the model does not declare, as a T004 message, with the key it is under. */
  unknownName(event: TraceEvent): { key: string; message: string } | null {
    const cpus = this.tracker.machine.cpus;
    const cpuKeys = [
      ['cpu', [event.cpu]],
      ['to', typeof event.to === 'number' ? [event.to] : []],
      ['cpus', event.cpus ?? []],
    ] as const;
    for (const [key, list] of cpuKeys) {
      const missing = list.find((c) => c >= cpus);
      if (missing === undefined) continue;
      const has = cpus === 1 ? 'one CPU, cpu0' : `${cpus} CPUs, cpu0 to cpu${cpus - 1}`;
      return { key, message: `unknown CPU ${missing}; the model has ${has}` };
    }
    const kinds = [
      ['thread', 'thread'],
      ['from', 'thread'],
      ['to', 'thread'],
      ['lock', 'lock'],
      ['line', 'line'],
    ] as const;
    for (const [key, kind] of kinds) {
      const value = event[key];
      if (typeof value !== 'string' || this.names[kind].has(value)) continue;
      const known = [...this.names[kind]].filter((n) => n !== 'none');
      const has = known.length === 0 ? `no ${kind}s` : `the ${kind}${known.length === 1 ? '' : 's'} ${known.join(', ')}`;
      return { key, message: `unknown ${kind} '${value}'; the model has ${has}` };
    }
    return null;
  }

  private reject(line: number, event: TraceEvent, reason: RejectionReason): void {
    this.failure = {
      verdict: 'rejected',
      event: this.count,
      line,
      found: describeEvent(event),
      states: [],
      totalStates: this.set.configs.length,
      allowed: [],
      reason,
    };
  }

  get done(): boolean {
    return this.failure !== null;
  }

  /** One event at `line` of the file. Returns false once the trace is decided (rejected or inconclusive). */
  feed(event: TraceEvent, line: number, col?: (key: string) => number): boolean {
    if (this.failure !== null) return false;
    const unknown = this.unknownName(event);
    if (unknown !== null) {
      this.malformed({ verdict: 'bad-input', line, col: col?.(unknown.key) ?? 1, message: unknown.message, code: 'T004' }, line);
      return false;
    }
    this.count++;
    if (this.ended !== null) {
      this.reject(line, event, { kind: 'after-end', endEvent: this.ended.event, endLine: this.ended.line });
      return false;
    }
    this.last = { event, line };
    const before = this.set;
    let after: StateSet | null;
    try {
      after = this.tracker.step(before, event, eventKey(event));
    } catch (error) {
      if (!(error instanceof BoundReached)) throw error;
      this.failure = { verdict: 'inconclusive', event: this.count, line, reason: error.message };
      return false;
    }
    if (after === null && before.onlyCrashed && this.corruption !== null) {
      const { event: crashEvent, line: crashLine, message } = this.corruption;
      this.reject(line, event, { kind: 'after-crash', crashEvent, crashLine, message });
      return false;
    }
    if (after === null) {
      this.failure = {
        verdict: 'rejected',
        event: this.count,
        line,
        found: describeEvent(event),
        states: this.tracker.frontier(before, SHOWN_STATES),
        totalStates: before.configs.length,
        allowed: this.tracker.allowed(before),
        reason: null,
      };
      return false;
    }
    if (event.event === 'end') this.ended = { event: this.count, line };
    if (after.crash !== null && before.crash === null) this.corruption = { event: this.count, line, message: after.crash };
    this.set = after;
    return true;
  }

  /**
   * A line that is not an event: bad input, unless the model has already crashed. A corrupted machine that
   * writes garbage is going on after the crash, and that is what the answer says.
   */
  malformed(error: ConformResult, line: number): void {
    if (this.failure !== null) return;
    if (!this.set.onlyCrashed || this.corruption === null) {
      this.failure = error;
      return;
    }
    const { event: crashEvent, line: crashLine, message } = this.corruption;
    this.count++;
    this.failure = {
      verdict: 'rejected',
      event: this.count,
      line,
      found: error.verdict === 'bad-input' && error.code === 'T004' ? `a line naming what the model lacks (${error.message})` : 'a line that is not an event',
      states: [],
      totalStates: this.set.configs.length,
      allowed: [],
      reason: { kind: 'after-crash', crashEvent, crashLine, message },
    };
  }

  /** `complete`: the trace must end with `end`, `fault` or `hang`, or it stopped without saying why. */
  result(complete = false): ConformResult {
    if (this.failure !== null) return this.failure;
    if (complete && (this.last === null || !FINAL_EVENTS.has(this.last.event.event))) {
      return {
        verdict: 'rejected',
        event: this.count,
        line: this.last?.line ?? 1,
        found: this.last === null ? 'no event' : describeEvent(this.last.event),
        states: [],
        totalStates: this.set.configs.length,
        allowed: [],
        reason: { kind: 'incomplete' },
      };
    }
    return {
      verdict: 'conforms',
      events: this.count,
      corruption: this.set.onlyCrashed ? this.corruption : null,
      states: this.set.configs.length,
    };
  }
}

/** Decodes one line of a trace file; null for blank lines and `#` comments. */
export function decodeLine(text: string, line: number): { event: TraceEvent } | { error: ConformResult } | null {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return null;
  const parsed = parseEvent(trimmed);
  if (parsed.ok) return { event: parsed.event };
  const col = text.length - text.trimStart().length + 1 + parsed.offset;
  const code = parsed.message.startsWith('not a JSON') ? 'T001' : 'T002';
  return { error: { verdict: 'bad-input', line, col, message: parsed.message, code } };
}

/** An event is a line of about a hundred characters; a longer line than this is refused before it is held whole. */
export const MAX_TRACE_LINE = 64 * 1024;

/**
 * The lines of a stream, without their line ends (`\r\n` too), or a line number when a line is longer than
 * MAX_TRACE_LINE: readline would hold a file without line breaks (`/dev/zero`, a binary) whole.
 */
async function* linesOf(input: AsyncIterable<string>): AsyncGenerator<string | { tooLong: number }> {
  let pending = '';
  let line = 0;
  for await (const chunk of input) {
    let from = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', from)) {
      const text = pending + chunk.slice(from, nl);
      pending = '';
      from = nl + 1;
      line++;
      if (text.length > MAX_TRACE_LINE) {
        yield { tooLong: line };
        return;
      }
      yield text.endsWith('\r') ? text.slice(0, -1) : text;
    }
    pending += chunk.slice(from);
    if (pending.length > MAX_TRACE_LINE) {
      yield { tooLong: line + 1 };
      return;
    }
  }
  if (pending.length > 0) yield pending.endsWith('\r') ? pending.slice(0, -1) : pending;
}

/** Checks a trace file against a model, streaming it. */
export async function conformFile(
  model: Model,
  file: string,
  options: { complete?: boolean; limits?: TrackerLimits } = {},
): Promise<ConformResult> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const run = new ConformanceRun(model, limits);
  const input = createReadStream(file, { encoding: 'utf8' });
  const lines = linesOf(input);
  let line = 0;
  try {
    for await (const text of lines) {
      if (typeof text !== 'string') {
        run.malformed({ verdict: 'bad-input', code: 'T001', line: text.tooLong, col: 1, message: `not a JSON object: a line longer than ${MAX_TRACE_LINE} characters` }, text.tooLong);
        break;
      }
      line++;
      const decoded = decodeLine(text, line);
      if (decoded === null) continue;
      if ('error' in decoded) {
        run.malformed(decoded.error, line);
        break;
      }
      if (!run.feed(decoded.event, line, (key) => Math.max(text.indexOf(`"${key}"`), 0) + 1)) break;
    }
  } catch (error) {
    // The file could not be read (a directory, an I/O error): bad input, where it stopped.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    return { verdict: 'bad-input', code: 'T003', line: Math.max(line, 1), col: 1, message: `the trace file cannot be read (${code})` };
  } finally {
    await lines.return(undefined);
    input.destroy();
  }
  return run.result(options.complete);
}

/** Checks events already in memory (tests, replay). */
export function conformEvents(
  model: Model,
  events: readonly TraceEvent[],
  limits: TrackerLimits = DEFAULT_LIMITS,
  tracker?: Tracker,
  complete = false,
): ConformResult {
  const run = new ConformanceRun(model, limits, tracker);
  events.every((e, i) => run.feed(e, i + 1));
  return run.result(complete);
}
