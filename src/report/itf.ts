// Counterexamples in the Informal Trace Format (ITF, Apalache ADR-015), the JSON trace format Apalache and
// Quint write and their viewers read. Encoding follows the ADR and Quint: integers as {"#bigint": "3"},
// records as objects, lists as arrays, sets as {"#set": [...]}, maps as {"#map": [[k, v], ...]}, optional
// values as Quint's Option variant ({"tag": "Some", "value": v} / {"tag": "None", "value": {"#tup": []}}),
// and the action of each step in `mbt::actionTaken`, as Quint's model-based testing writes it.
//
// The trace carries everything the graphs need (`schedcheck export` redraws it without the model): each
// state holds the step that led to it and the whole machine view; `#meta.schedcheck` holds the property,
// the message, the model's architecture and locks, the source spans the trace refers to and, for
// lock-order, the lock graph. `fromItf(toItf(cex))` gives back `cex` exactly.
//
// Lassos: `Counterexample.loop = k` means steps k..last repeat forever, so the state after the last step
// equals the state before step k, which is ITF state k-1. ITF's top-level `loop` is that state's index.

import type { Counterexample, CpuView, FrameView, LockEdge, StateView, TraceStep } from '../checker/verdict.js';
import { PROPERTY_IDS, type Arch, type LockKind, type PropertyId, type SourceSpan } from '../ir/ir.js';
import type { ModelInfo } from './dot.js';
import { JsonSyntaxError, type JsonPath, type JsonReader } from './jsonpos.js';

export const ITF_FORMAT_DESCRIPTION = 'https://apalache-mc.org/docs/adr/015adr-trace.html';
export const ACTION_TAKEN = 'mbt::actionTaken';
export const ITF_VARS = [ACTION_TAKEN, 'step', 'cpus', 'threads', 'locks', 'runQueue', 'vars'] as const;
const SCHEDCHECK_ITF_VERSION = 1;

// ---------------------------------------------------------------------------------------------------------
// ITF values

export type ItfValue =
  | string
  | boolean
  | number
  | ItfValue[]
  | { '#bigint': string }
  | { '#tup': ItfValue[] }
  | { '#set': ItfValue[] }
  | { '#map': [ItfValue, ItfValue][] }
  | { tag: string; value: ItfValue }
  | { [field: string]: ItfValue };

export interface ItfState {
  '#meta': { index: number };
  [variable: string]: ItfValue | { index: number };
}

export interface ItfTrace {
  '#meta': Record<string, unknown>;
  vars: string[];
  states: ItfState[];
  loop?: number;
}

const bigint = (n: number): ItfValue => ({ '#bigint': String(n) });
const none: ItfValue = { tag: 'None', value: { '#tup': [] } };
const some = (value: ItfValue): ItfValue => ({ tag: 'Some', value });
const option = <T>(value: T | null | undefined, encode: (v: T) => ItfValue): ItfValue =>
  value === null || value === undefined ? none : some(encode(value));

function encodeFrames(stack: FrameView[]): ItfValue {
  return stack.map((f) => ({ kind: f.kind, text: f.text }));
}

function encodeCpu(c: CpuView): ItfValue {
  return {
    cpu: bigint(c.cpu),
    context: c.context,
    ie: c.ie,
    hardirq: bigint(c.hardirq),
    locksHeld: [...c.locksHeld],
    stack: encodeFrames(c.stack),
    pending: { '#set': [...c.pending] },
    inService: { '#set': [...c.inService] },
    elr: option(c.elr, (e) => e),
    // Only where the state has them, as the view does.
    ...(c.tpr === undefined ? {} : { tpr: bigint(c.tpr) }),
    ...(c.arrived === undefined ? {} : { arrived: c.arrived.map((a) => ({ line: a.line, count: bigint(a.count), limit: bigint(a.limit) })) }),
    ...(c.preemptCount === undefined ? {} : { preemptCount: bigint(c.preemptCount) }),
    ...(c.softirqCount === undefined ? {} : { softirqCount: bigint(c.softirqCount) }),
    ...(c.onStackOf === undefined ? {} : { onStackOf: c.onStackOf }),
  };
}

function encodeStep(step: TraceStep): ItfValue {
  return {
    kind: step.kind,
    cpu: option(step.cpu, bigint),
    context: step.context,
    label: step.label,
    span: option(step.span, bigint),
    location: option(step.location, (l) => l),
    sourceLine: option(step.sourceLine, (l) => l),
  };
}

function encodeState(step: TraceStep): ItfState {
  const s = step.state;
  const action = step.index === 0 ? 'init' : step.cpu === null ? step.label : `cpu${step.cpu}: ${step.label}`;
  return {
    '#meta': { index: step.index },
    [ACTION_TAKEN]: action,
    step: encodeStep(step),
    cpus: s.cpus.map(encodeCpu),
    threads: s.threads.map((t) => ({ name: t.name, state: t.state, stack: encodeFrames(t.stack) })),
    locks: s.locks.map((l) => ({ name: l.name, holder: option(l.holder, (h) => h) })),
    runQueue: [...s.runQueue],
    vars: { '#map': Object.entries(s.vars).map(([name, value]): [ItfValue, ItfValue] => [name, value]) },
    ...(s.waitQueues === undefined ? {} : { waitQueues: s.waitQueues.map((q) => ({ name: q.name, waiters: [...q.waiters] })) }),
  };
}

/** Span ids the trace refers to, resolved, so that a saved trace locates them without the model. */
function referencedSpans(cex: Counterexample, model: ModelInfo | undefined): Record<string, SourceSpan> {
  const out: Record<string, SourceSpan> = {};
  if (model?.spans === undefined) return out;
  const halves = (cex.cycleTraces ?? []).flatMap((h) => h.steps.map((s) => s.span));
  const ids = [cex.violationSpan, ...cex.steps.map((s) => s.span), ...(cex.lockGraph ?? []).map((e) => e.span), ...halves];
  for (const id of ids) {
    const span = id === null ? undefined : model.spans[id];
    if (id !== null && span !== undefined) out[String(id)] = { ...span };
  }
  return out;
}

/** The counterexample as an ITF trace object (`JSON.stringify` it to write the file). */
export function toItf(cex: Counterexample, model?: ModelInfo): ItfTrace {
  const file = model?.file ?? null;
  const schedcheck: Record<string, unknown> = {
    version: SCHEDCHECK_ITF_VERSION,
    property: cex.property,
    message: cex.message,
    length: cex.length,
    violationSpan: cex.violationSpan,
    spans: referencedSpans(cex, model),
  };
  if (model !== undefined) schedcheck.model = { file: model.file, arch: model.arch, locks: model.locks.map((l) => ({ name: l.name, kind: l.kind })) };
  if (cex.loop !== undefined) schedcheck.loop = cex.loop;
  if (cex.scenario !== undefined) schedcheck.scenario = [...cex.scenario];
  if (cex.details !== undefined) schedcheck.details = [...cex.details];
  if (cex.lockGraph !== undefined) schedcheck.lockGraph = cex.lockGraph.map((e) => ({ ...e }));
  // The other halves of a lock-order cycle: each a trace of its own, its states encoded as the trace's are.
  if (cex.cycleTraces !== undefined) schedcheck.cycleTraces = cex.cycleTraces.map((h) => ({ title: h.title, length: h.length, states: h.steps.map(encodeState) }));
  const trace: ItfTrace = {
    '#meta': {
      format: 'ITF',
      'format-description': ITF_FORMAT_DESCRIPTION,
      source: file ?? 'unknown',
      description: `schedcheck counterexample: ${cex.property} violated: ${cex.message}`,
      schedcheck,
    },
    // A model with wait queues has one more variable, their waiters in order.
    vars: cex.steps[0]?.state.waitQueues === undefined ? [...ITF_VARS] : [...ITF_VARS, 'waitQueues'],
    states: cex.steps.map(encodeState),
  };
  if (cex.loop !== undefined) trace.loop = Math.max(cex.loop - 1, 0);
  return trace;
}

/** The ITF file text of a counterexample (`--trace FILE.itf.json`). */
export function formatItf(cex: Counterexample, model?: ModelInfo): string {
  return `${JSON.stringify(toItf(cex, model), null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------------------
// Reading a trace back

/** ITF001 is a JSON syntax error (see jsonpos.ts); these are the shape errors. */
export type ItfProblemCode = 'ITF002' | 'ITF003' | 'ITF004';

export interface ItfProblem {
  /** ITF002: not an ITF trace; ITF003: an ITF trace but not a schedcheck counterexample; ITF004: newer version. */
  code: ItfProblemCode;
  message: string;
  path: JsonPath;
}

export type ItfRead = { ok: true; counterexample: Counterexample; model: ModelInfo | undefined } | { ok: false; problem: ItfProblem };

class Bad extends Error {
  constructor(
    readonly code: ItfProblemCode,
    message: string,
    readonly path: JsonPath,
  ) {
    super(message);
  }
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Typed access to one decoded value, failing with its path. */
class At {
  constructor(
    readonly value: unknown,
    readonly path: JsonPath,
    readonly code: ItfProblemCode = 'ITF003',
  ) {}

  fail(what: string): never {
    throw new Bad(this.code, what, this.path);
  }

  field(name: string): At {
    if (!isObj(this.value)) this.fail('expected a record');
    if (!(name in this.value)) throw new Bad(this.code, `missing field "${name}"`, this.path);
    return new At(this.value[name], [...this.path, name], this.code);
  }

  has(name: string): boolean {
    return isObj(this.value) && name in this.value;
  }

  str(): string {
    if (typeof this.value !== 'string') this.fail('expected a string');
    return this.value;
  }

  bool(): boolean {
    if (typeof this.value !== 'boolean') this.fail('expected true or false');
    return this.value;
  }

  /** An integer: {"#bigint": "..."} or a plain JSON integer, as ITF allows both. */
  int(): number {
    const v = this.value;
    if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
    if (isObj(v) && typeof v['#bigint'] === 'string' && /^-?[0-9]+$/.test(v['#bigint'])) {
      const n = Number(v['#bigint']);
      if (Number.isSafeInteger(n)) return n;
    }
    return this.fail('expected an integer ({"#bigint": "..."})');
  }

  list(): At[] {
    if (!Array.isArray(this.value)) this.fail('expected a list');
    return this.value.map((v, i) => new At(v, [...this.path, i], this.code));
  }

  set(): At[] {
    return this.field('#set').list();
  }

  option(): At | null {
    const tag = this.field('tag').str();
    if (tag === 'None') return null;
    if (tag === 'Some') return this.field('value');
    return this.field('tag').fail('expected "Some" or "None"');
  }

  oneOf<T extends string>(choices: readonly T[]): T {
    const s = this.str();
    if (!(choices as readonly string[]).includes(s)) this.fail(`expected one of ${choices.join(', ')}`);
    return s as T;
  }
}

const FRAME_KINDS = ['call', 'irq', 'exc', 'flags', 'switch'] as const;
const STEP_KINDS = ['init', 'instruction', 'interrupt', 'pending'] as const;
const ARCHS: readonly Arch[] = ['x86_64', 'aarch64'];
const LOCK_KINDS: readonly LockKind[] = ['spin', 'irqsave', 'mutex'];

function readFrames(at: At): FrameView[] {
  return at.list().map((f) => ({ kind: f.field('kind').oneOf(FRAME_KINDS), text: f.field('text').str() }));
}

function readCpu(at: At): CpuView {
  const cpu: CpuView = {
    cpu: at.field('cpu').int(),
    context: at.field('context').str(),
    ie: at.field('ie').bool(),
    hardirq: at.field('hardirq').int(),
    locksHeld: at.field('locksHeld').list().map((l) => l.str()),
    stack: readFrames(at.field('stack')),
    pending: at.field('pending').set().map((l) => l.str()),
    inService: at.field('inService').set().map((l) => l.str()),
  };
  const elr = at.field('elr').option();
  if (elr !== null) cpu.elr = elr.str();
  if (at.has('tpr')) cpu.tpr = at.field('tpr').int();
  if (at.has('arrived')) {
    cpu.arrived = at.field('arrived').list().map((a) => ({ line: a.field('line').str(), count: a.field('count').int(), limit: a.field('limit').int() }));
  }
  if (at.has('preemptCount')) cpu.preemptCount = at.field('preemptCount').int();
  if (at.has('softirqCount')) cpu.softirqCount = at.field('softirqCount').int();
  if (at.has('onStackOf')) cpu.onStackOf = at.field('onStackOf').str();
  return cpu;
}

function readState(at: At): StateView {
  const vars: Record<string, string> = {};
  for (const pair of at.field('vars').field('#map').list()) {
    const [key, value] = pair.list();
    if (key === undefined || value === undefined) pair.fail('expected a [key, value] pair');
    vars[key.str()] = value.str();
  }
  const view: StateView = {
    cpus: at.field('cpus').list().map(readCpu),
    threads: at.field('threads').list().map((t) => ({ name: t.field('name').str(), state: t.field('state').str(), stack: readFrames(t.field('stack')) })),
    locks: at.field('locks').list().map((l) => ({ name: l.field('name').str(), holder: l.field('holder').option()?.str() ?? null })),
    runQueue: at.field('runQueue').list().map((t) => t.str()),
    vars,
  };
  if (at.has('waitQueues')) {
    view.waitQueues = at.field('waitQueues').list().map((q) => ({ name: q.field('name').str(), waiters: q.field('waiters').list().map((w) => w.str()) }));
  }
  return view;
}

function readStep(at: At, index: number): TraceStep {
  const step = at.field('step');
  return {
    index,
    kind: step.field('kind').oneOf(STEP_KINDS),
    cpu: step.field('cpu').option()?.int() ?? null,
    context: step.field('context').str(),
    label: step.field('label').str(),
    span: step.field('span').option()?.int() ?? null,
    location: step.field('location').option()?.str() ?? null,
    sourceLine: step.field('sourceLine').option()?.str() ?? null,
    state: readState(at),
  };
}

function readSpan(at: At): SourceSpan {
  return {
    file: at.field('file').str(),
    line: at.field('line').int(),
    col: at.field('col').int(),
    endLine: at.field('endLine').int(),
    endCol: at.field('endCol').int(),
  };
}

function readNullableInt(at: At): number | null {
  return at.value === null ? null : at.int();
}

function readNullableStr(at: At): string | null {
  return at.value === null ? null : at.str();
}

function readLockEdge(at: At): LockEdge {
  return {
    from: at.field('from').str(),
    to: at.field('to').str(),
    context: at.field('context').str(),
    span: readNullableInt(at.field('span')),
    location: readNullableStr(at.field('location')),
  };
}

/**
 * A trace decoded piece by piece as its top-level fields come, in the order of its file. Once the variables and
 * `#meta` are known (schedcheck writes them before the states), each state is checked and decoded as soon as it
 * is read, and only the decoded step is kept; states that come earlier are kept as read and decoded at the end.
 * So the first problem in reading order is the one reported, and a bad state near the start of a long trace is
 * answered without reading on.
 */
class TraceDecoder {
  private varsValue: unknown;
  private hasVars = false;
  private vars: string[] | null = null;
  private meta: unknown;
  private hasMeta = false;
  private metaChecked = false;
  private statesSeen = false;
  /** `states` when it is not a list. */
  private notAList: { value: unknown } | null = null;
  private count = 0;
  private readonly pending: unknown[] = [];
  private readonly steps: TraceStep[] = [];
  private loop: { value: unknown } | null = null;

  /** A top-level field other than the states of a `states` list. */
  field(key: string, value: unknown): void {
    if (key === 'vars') [this.varsValue, this.hasVars] = [value, true];
    else if (key === '#meta') [this.meta, this.hasMeta] = [value, true];
    else if (key === 'loop') this.loop = { value };
    else if (key === 'states') [this.statesSeen, this.notAList] = [true, { value }];
  }

  /** The `states` list begins: its states follow. */
  states(): void {
    this.statesSeen = true;
  }

  /** The next state of the `states` list. */
  state(value: unknown): void {
    const index = this.count++;
    if (!this.hasVars || !this.hasMeta) {
      this.pending.push(value);
      return;
    }
    this.hasEveryVariable(value, index);
    this.checkMeta();
    this.decode(value, index);
  }

  private variables(): string[] {
    this.vars ??= new At(this.varsValue, ['vars'], 'ITF002').list().map((v) => v.str());
    return this.vars;
  }

  /** ADR-015: every state defines every variable. */
  private hasEveryVariable(value: unknown, index: number): void {
    const state = new At(value, ['states', index], 'ITF002');
    for (const v of this.variables()) state.field(v);
  }

  private schedcheck(): At {
    if (!this.hasMeta) throw new Bad('ITF003', 'missing field "#meta"', []);
    return new At(this.meta, ['#meta']).field('schedcheck');
  }

  private checkMeta(): void {
    if (this.metaChecked) return;
    const meta = this.schedcheck();
    const version = meta.field('version').int();
    if (version !== SCHEDCHECK_ITF_VERSION) {
      throw new Bad('ITF004', `trace format version ${version}; this schedcheck reads version ${SCHEDCHECK_ITF_VERSION}`, meta.field('version').path);
    }
    const vars = this.variables();
    for (const v of ITF_VARS) if (!vars.includes(v)) new At(this.varsValue, ['vars'], 'ITF002').fail(`a schedcheck trace has the variable "${v}"`);
    this.metaChecked = true;
  }

  private decode(value: unknown, i: number): void {
    const s = new At(value, ['states', i]);
    const index = s.field('#meta').field('index').int();
    if (index !== i) s.field('#meta').field('index').fail(`expected state index ${i}`);
    this.steps.push(readStep(s, i));
  }

  finish(): { counterexample: Counterexample; model: ModelInfo | undefined } {
    // ITF itself first: a file that is not a trace at all gets ITF002.
    if (!this.hasVars) throw new Bad('ITF002', 'missing field "vars"', []);
    this.variables();
    if (!this.statesSeen) throw new Bad('ITF002', 'missing field "states"', []);
    if (this.notAList !== null) new At(this.notAList.value, ['states'], 'ITF002').list();
    if (this.count === 0) throw new Bad('ITF002', 'a trace needs at least one state', ['states']);
    this.pending.forEach((s, i) => this.hasEveryVariable(s, i));
    // ITF's loop is the index of the state the last one repeats: one of the trace's states.
    const itfLoop = this.loop === null ? null : new At(this.loop.value, ['loop'], 'ITF002').int();
    if (itfLoop !== null && (itfLoop < 0 || itfLoop >= this.count)) {
      throw new Bad('ITF002', `expected the index of one of the ${this.count} states (0 to ${this.count - 1})`, ['loop']);
    }
    this.checkMeta();
    this.pending.splice(0).forEach((s, i) => this.decode(s, i));

    const meta = this.schedcheck();
    const steps = this.steps;
    const spans: Record<number, SourceSpan> = {};
    const spanTable = meta.field('spans');
    const table = isObj(spanTable.value) ? spanTable.value : spanTable.fail('expected a record of spans');
    for (const id of Object.keys(table)) {
      if (!/^[0-9]+$/.test(id)) spanTable.fail(`span id "${id}" is not a number`);
      spans[Number(id)] = readSpan(spanTable.field(id));
    }
    const counterexample: Counterexample = {
      property: meta.field('property').oneOf(PROPERTY_IDS) as PropertyId,
      message: meta.field('message').str(),
      length: meta.field('length').int(),
      steps,
      violationSpan: readNullableInt(meta.field('violationSpan')),
    };
    if (counterexample.length !== steps.length - 1) meta.field('length').fail(`the trace has ${steps.length - 1} steps`);
    if (meta.has('loop')) {
      // Steps k..last repeat: k is a step of the trace (step 0 is the initial state), and ITF's loop is k - 1.
      const k = meta.field('loop').int();
      if (k < 1 || k > steps.length - 1) meta.field('loop').fail(`expected a step of the trace (1 to ${steps.length - 1})`);
      if (itfLoop !== null && itfLoop !== k - 1) throw new Bad('ITF003', `expected ${k - 1}, the state before step ${k} where the loop begins`, ['loop']);
      counterexample.loop = k;
    } else if (itfLoop !== null) {
      throw new Bad('ITF003', 'a loop needs #meta.schedcheck.loop, the step where it begins', ['loop']);
    }
    if (meta.has('scenario')) counterexample.scenario = meta.field('scenario').list().map((l) => l.str());
    if (meta.has('details')) counterexample.details = meta.field('details').list().map((l) => l.str());
    if (meta.has('lockGraph')) counterexample.lockGraph = meta.field('lockGraph').list().map(readLockEdge);
    if (meta.has('cycleTraces')) {
      counterexample.cycleTraces = meta
        .field('cycleTraces')
        .list()
        .map((h) => ({ title: h.field('title').str(), length: h.field('length').int(), steps: h.field('states').list().map((s, i) => readStep(s, i)) }));
    }
    let model: ModelInfo | undefined;
    if (meta.has('model')) {
      const m = meta.field('model');
      model = {
        file: m.field('file').str(),
        arch: m.field('arch').oneOf(ARCHS),
        locks: m.field('locks').list().map((l) => ({ name: l.field('name').str(), kind: l.field('kind').oneOf(LOCK_KINDS) })),
        spans,
      };
    }
    return { counterexample, model };
  }
}

function problemOf(error: unknown): ItfRead {
  if (error instanceof Bad) return { ok: false, problem: { code: error.code, message: error.message, path: error.path } };
  throw error;
}

/** Read a parsed ITF trace back into a counterexample; a problem comes back as data, with its JSON path. */
export function fromItf(json: unknown): ItfRead {
  try {
    if (!isObj(json)) throw new Bad('ITF002', 'expected a record', []);
    const trace = new TraceDecoder();
    for (const [key, value] of Object.entries(json)) {
      if (key === 'states' && Array.isArray(value)) {
        trace.states();
        for (const s of value) trace.state(s);
      } else {
        trace.field(key, value);
      }
    }
    return { ok: true, ...trace.finish() };
  } catch (error) {
    return problemOf(error);
  }
}

/**
 * Read an ITF trace from `reader` as it reads, each state decoded as it comes (`TraceDecoder`): the first
 * problem in the file ends the reading there. A problem with the trace comes back as data, with its JSON path;
 * a syntax error is thrown (JsonSyntaxError), as is a failure of the reader's source.
 */
export function readItf(reader: JsonReader): ItfRead {
  try {
    if (!reader.open('{')) {
      reader.skip();
      reader.end();
      throw new Bad('ITF002', 'expected a record', []);
    }
    const trace = new TraceDecoder();
    const keys = new Set<string>();
    for (let key = reader.key(); key !== null; key = reader.key()) {
      if (keys.has(key)) throw new JsonSyntaxError(`the key "${key}" is given twice`, reader.keyAt);
      keys.add(key);
      if (key === 'states' && reader.open('[')) {
        trace.states();
        while (reader.element()) trace.state(reader.value());
      } else if (key === 'vars' || key === '#meta' || key === 'loop' || key === 'states') {
        trace.field(key, reader.value());
      } else {
        reader.skip();
      }
    }
    reader.end();
    return { ok: true, ...trace.finish() };
  } catch (error) {
    return problemOf(error);
  }
}
