// The event trace: what a kernel logs, one JSON object per line, and what `schedcheck conform` reads. The
// reference kernel writes it; users' kernels write it over serial. docs/trace-format.md is the full
// description; this file is its executable form (names, required arguments, parsing with positions).

export const EVENT_NAMES = [
  'irq_entry',
  'eoi',
  'ack',
  'iret',
  'eret',
  'cli',
  'sti',
  'irqsave',
  'irqrestore',
  'hlt',
  'wfi',
  'ipi',
  'lock_acquire',
  'lock_release',
  'switch',
  'exit',
  'spawn',
  'wake',
  'free_stack',
  'fault',
  'hang',
  'end',
] as const;
export type EventName = (typeof EVENT_NAMES)[number];

/** Arguments each event must carry (besides cpu, cycle and event) and may carry. */
export const EVENT_ARGS: Record<EventName, { required: string[]; optional: string[] }> = {
  irq_entry: { required: ['line'], optional: ['thread'] },
  eoi: { required: ['line'], optional: [] },
  ack: { required: ['line'], optional: [] },
  iret: { required: [], optional: ['thread'] },
  eret: { required: [], optional: ['thread'] },
  cli: { required: [], optional: [] },
  sti: { required: [], optional: [] },
  irqsave: { required: [], optional: [] },
  irqrestore: { required: [], optional: [] },
  hlt: { required: [], optional: [] },
  wfi: { required: [], optional: [] },
  ipi: { required: ['line'], optional: ['to'] },
  lock_acquire: { required: ['lock'], optional: ['thread'] },
  lock_release: { required: ['lock'], optional: ['thread'] },
  switch: { required: ['from', 'to'], optional: [] },
  exit: { required: ['thread'], optional: [] },
  spawn: { required: ['thread'], optional: [] },
  wake: { required: ['thread'], optional: [] },
  free_stack: { required: ['thread'], optional: [] },
  fault: { required: ['reason'], optional: ['vector', 'address', 'pc', 'at', 'thread', 'registers'] },
  hang: { required: ['cpus'], optional: ['detail'] },
  end: { required: [], optional: [] },
};

/** Arguments compared between a trace event and an expected one; any other argument is the kernel's own. */
export const MATCHED_ARGS = ['line', 'lock', 'thread', 'from', 'to'] as const;

export interface TraceEvent {
  cpu: number;
  cycle: number;
  event: EventName;
  line?: string;
  thread?: string;
  lock?: string;
  from?: string;
  to?: string | number;
  /** fault */
  reason?: string;
  vector?: string;
  address?: string;
  pc?: string;
  at?: string;
  registers?: Record<string, string>;
  /** hang */
  cpus?: number[];
  detail?: string[];
}

/** One event as a JSON line, keys in a stable order: cpu, cycle, event, then the arguments. */
export function formatEvent(event: TraceEvent): string {
  return JSON.stringify(event);
}

/** A failed parse says where in the line (0-based offset) the problem is. */
export type ParseResult = { ok: true; event: TraceEvent } | { ok: false; message: string; offset: number };

const STRING_ARGS = ['line', 'thread', 'lock', 'from', 'reason', 'vector', 'address', 'pc', 'at'] as const;
const NAMES: ReadonlySet<string> = new Set(EVENT_NAMES);

function isCpu(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function failure(text: string, message: string, key: string | null = null): ParseResult {
  return { ok: false, message, offset: key === null ? 0 : Math.max(text.indexOf(`"${key}"`), 0) };
}

/**
 * Parse one line of a trace (already trimmed). Blank lines and lines starting with `#` are the caller's to skip.
 * This runs once per event of traces a million events long: no allocation beyond JSON.parse's on the way through.
 */
export function parseEvent(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const position = /position (\d+)/.exec(error instanceof Error ? error.message : '');
    return { ok: false, message: 'not a JSON object', offset: position === null ? 0 : Number(position[1]) };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return failure(text, 'not a JSON object');
  const record = value as Record<string, unknown>;
  const { cpu, cycle, event } = record;
  if (!isCpu(cpu)) return failure(text, '"cpu" must be a CPU number', 'cpu');
  if (cycle !== undefined && (typeof cycle !== 'number' || !Number.isFinite(cycle))) return failure(text, '"cycle" must be a number', 'cycle');
  if (typeof event !== 'string' || !NAMES.has(event)) return failure(text, `unknown event ${JSON.stringify(event) ?? 'missing'}`, 'event');
  const name = event as EventName;
  const { required, optional } = EVENT_ARGS[name];
  for (let i = 0; i < required.length; i++) {
    if (record[required[i]!] === undefined) return failure(text, `event ${name} needs "${required[i]}"`, 'event');
  }
  // An argument the event does not take (a kernel that logs the thread on every event) is the kernel's own: not
  // read, not compared.
  for (let i = 0; i < MATCHED_ARGS.length; i++) {
    const key = MATCHED_ARGS[i]!;
    if (record[key] !== undefined && !required.includes(key) && !optional.includes(key)) delete record[key];
  }
  for (let i = 0; i < STRING_ARGS.length; i++) {
    const v = record[STRING_ARGS[i]!];
    if (v !== undefined && typeof v !== 'string') return failure(text, `"${STRING_ARGS[i]}" must be a string`, STRING_ARGS[i]!);
  }
  if (name === 'ipi' && record.to !== undefined && !isCpu(record.to)) return failure(text, '"to" must be a CPU number', 'to');
  if (name === 'switch' && typeof record.to !== 'string') return failure(text, '"to" must be a string', 'to');
  if (name === 'hang' && (!Array.isArray(record.cpus) || record.cpus.length === 0 || !record.cpus.every(isCpu))) {
    return failure(text, '"cpus" must be a list of one or more CPU numbers', 'cpus');
  }
  if (cycle === undefined) record.cycle = 0;
  return { ok: true, event: record as unknown as TraceEvent };
}
