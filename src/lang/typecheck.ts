// The type checker: resolved names and a syntax tree become a checked model whose declarations are IR and whose
// bodies are typed statements (statements.ts, expressions in expr.ts). It also checks the model's structure
// (every line has one handler, every CPU one boot thread, ...) and what the architecture allows. Every error is
// reported and checking goes on, so one run shows them all; lowering runs only when there were none.
// Declarations are checked in dependency order: machine, thread counts, unit ids, lines, thread starts, locks,
// enums, variables, handlers, bodies, invariants, expectations.

import * as A from './ast.js';
import type { CheckedModel, CheckedUnit, TStmt } from './checked.js';
import { SpanTable } from './checked.js';
import type { DiagnosticSink } from './diagnostics.js';
import { BOOL, CPU, ExprChecker, THREAD, type Env, type VarInfo } from './expr.js';
import { StatementChecker } from './statements.js';
import { describeBinding, evalConstInt, type Scope } from './resolve.js';
import { pointSpan, type SourceSpan } from './source.js';
import { unreachable } from '../ir/unreachable.js';
import {
  PREEMPT_MAX,
  PROPERTY_IDS,
  type Arch,
  type Expectation,
  type Expr,
  type ForgedFrame,
  type Invariant,
  type IrqLine,
  type LockDecl,
  type RunQueueDecl,
  type WaitQueueDecl,
  type PropertyId,
  type ThreadDecl,
  type ThreadStart,
  type ValueType,
  type VarDecl,
} from '../ir/ir.js';
import { GIC_DEFAULT_PRIORITY, GIC_MAX_INTID } from '../ir/ir.js';

type D<K extends A.Decl['kind']> = Extract<A.Decl, { kind: K }>;

/** Limits that keep a model inside the state layout and memory; beyond them a model is reported too large (E520). */
export const LIMITS = { cpus: 32, threads: 64, stackDepth: 64, arrayLength: 1024, lines: 32, arrivals: 1024 } as const;
const DEFAULT_STACK = 8;

/** `source(span)` returns the text of a one-line span (for default assert messages), or null. */
export function typecheck(model: A.Model, scope: Scope, sink: DiagnosticSink, source: (span: SourceSpan) => string | null): CheckedModel {
  return new Checker(model, scope, sink, source).run();
}

class Checker implements Env {
  private readonly spans = new SpanTable();
  private readonly exprs: ExprChecker;
  private arch: Arch = 'x86_64';
  cpus = 1;
  /** The CPU count was refused (reported): checks of threads against it would only add noise. */
  private cpusRefused = false;
  threads = 0;
  private latency: number | null = null;
  private controller: 'lapic' | 'i8259' | 'gic' | null = null;
  /** `controller gic eoimode 1`: EOIR drops the priority, DIR deactivates. */
  private gicSplitEoi = false;
  private preemptOffset = 0;
  private bootMasked = false;
  private syscallDeclared = false;
  private machineSpan: SourceSpan;
  private hasMachine = false;
  private readonly threadRanges = new Map<A.Decl, { first: number; count: number }>();
  private readonly unitIds = new Map<A.Decl, number>();
  private readonly lockIds = new Map<A.Decl, number>();
  private readonly lockArrays = new Map<A.Decl, { count: number; indexBy: 'thread' | 'cpu' | 'size' }>();
  private readonly runQueues: RunQueueDecl[] = [];
  private readonly runQueueInfo = new Map<A.Decl, { first: number; array: { count: number; indexBy: 'thread' | 'cpu' | 'size' } | null }>();
  private readonly enumTypes = new Map<A.Decl, ValueType>();
  private readonly varInfos = new Map<A.Decl, VarInfo | null>();
  private readonly lines: IrqLine[] = [];
  private readonly lineIds = new Map<string, number>();
  private readonly threadDecls: ThreadDecl[] = [];
  private readonly locks: LockDecl[] = [];
  private readonly waitQueues: WaitQueueDecl[] = [];
  private readonly vars: VarDecl[] = [];
  private readonly units: CheckedUnit[] = [];

  constructor(
    private readonly model: A.Model,
    readonly scope: Scope,
    readonly sink: DiagnosticSink,
    private readonly source: (span: SourceSpan) => string | null,
  ) {
    this.exprs = new ExprChecker(this);
    this.machineSpan = pointSpan(model.file, 1, 1);
  }

  // Env
  threadIds(decl: D<'thread'>): { first: number; count: number } {
    return this.threadRanges.get(decl)!;
  }
  varInfo(decl: D<'var'>): VarInfo | null {
    return this.varInfos.get(decl) ?? null;
  }
  lockId(decl: D<'lock'>): number {
    return this.lockIds.get(decl)!;
  }
  lockArrayOf(decl: D<'lock'>): { count: number; indexBy: 'thread' | 'cpu' | 'size' } | null {
    return this.lockArrays.get(decl) ?? null;
  }
  /** The machine has a GIC (`controller gic`), whose priority mask `pmr` reads. */
  hasGic(): boolean {
    return this.controller === 'gic';
  }
  lineId(name: string): number | undefined {
    return this.lineIds.get(name);
  }
  isNmi(id: number): boolean {
    return this.lines[id]?.nmi === true;
  }
  perCpuDefaultQueue(): boolean {
    return this.decls('runqueue')[0]?.length !== undefined;
  }
  runQueueOf(decl: D<'runqueue'>): { first: number; array: { count: number; indexBy: 'thread' | 'cpu' | 'size' } | null } | null {
    return this.runQueueInfo.get(decl) ?? null;
  }
  waitQueueId(decl: D<'wq'>): number {
    return this.waitQueues.findIndex((q) => q.name === decl.name.text);
  }
  enumType(decl: D<'enum'>): ValueType {
    return this.enumTypes.get(decl)!;
  }

  private decls<K extends A.Decl['kind']>(kind: K): D<K>[] {
    return this.model.decls.filter((d): d is D<K> => d.kind === kind);
  }

  private int(e: A.Expr): number | null {
    return evalConstInt(e, this.scope, this.sink);
  }

  /** Report E511 (and return false) when `value` is below `min`. */
  private atLeast(value: number, min: number, what: string, span: SourceSpan): boolean {
    if (value >= min) return true;
    this.sink.error('E511', `${what} must be at least ${min}, found ${value}.`, span);
    return false;
  }

  private atMost(value: number, max: number, what: string, span: SourceSpan): boolean {
    if (value <= max) return true;
    this.sink.error('E520', `${what} ${value} is over the limit of ${max}.`, span);
    return false;
  }

  private proc(name: A.Name): number | null {
    const b = this.scope.values.get(name.text);
    if (!b) {
      this.sink.error('E301', `Unknown name '${name.text}'.`, name.span);
      return null;
    }
    if (b.kind !== 'proc') {
      this.sink.error('E304', `'${name.text}' is ${describeBinding(b)}, not a procedure.`, name.span);
      return null;
    }
    return this.unitIds.get(b.decl)!;
  }

  run(): CheckedModel {
    const machine = this.machine();
    this.threadCounts();
    this.assignUnits();
    this.lineDecls(machine);
    this.threadStarts();
    const scheduler = this.lockDecls(machine);
    this.runQueueDecls();
    const syscall = this.syscallEntry(machine);
    this.enumDecls();
    this.varDecls();
    this.handlers();
    this.bodies();
    this.waitConditions();
    const invariants = this.invariants();
    const expectations = this.expectations();
    return {
      file: this.model.file,
      arch: this.arch,
      cpus: this.cpus,
      constants: Object.fromEntries(this.scope.constants),
      lines: this.lines,
      locks: this.locks,
      waitQueues: this.waitQueues,
      runQueues: this.runQueues,
      vars: this.vars,
      threads: this.threadDecls,
      units: this.units,
      scheduler,
      latencyBound: this.latency,
      controller: this.controller,
      ...(this.gicSplitEoi ? { gicSplitEoi: true } : {}),
      preemptOffset: this.preemptOffset,
      ...(this.bootMasked ? { bootMasked: true } : {}),
      syscall,
      invariants,
      expectations,
      spans: this.spans,
    };
  }

  // ------------------------------------------------------------------------------------------------------
  // The machine and its lines

  private machine(): D<'machine'> | null {
    const machines = this.decls('machine');
    if (machines.length === 0) {
      this.sink.error('E517', "Expect a 'machine' declaration.", pointSpan(this.model.file, 1, 1));
      return null;
    }
    for (const extra of machines.slice(1)) this.sink.error('E518', "Only one 'machine' declaration is allowed.", extra.span);
    const m = machines[0]!;
    this.machineSpan = m.span;
    this.hasMachine = true;
    this.arch = m.arch.text as Arch;
    const seen = new Set<string>();
    for (const item of m.items) {
      if (item.kind === 'irq') continue;
      if (seen.has(item.kind)) this.sink.error('E518', `'${item.kind}' is given more than once.`, item.span);
      seen.add(item.kind);
      if (item.kind === 'cpus') {
        const n = this.int(item.count);
        if (n !== null && this.atLeast(n, 1, 'CPU count', item.count.span) && this.atMost(n, LIMITS.cpus, 'CPU count', item.count.span)) this.cpus = n;
        else this.cpusRefused = true;
      } else if (item.kind === 'controller') {
        this.controllerItem(item);
      } else if (item.kind === 'latency') {
        const n = this.int(item.bound);
        if (n !== null && this.atLeast(n, 1, 'Latency bound', item.bound.span)) this.latency = n;
      } else if (item.kind === 'boot_masked') {
        this.bootMasked = true;
      } else if (item.kind === 'preempt_offset') {
        const n = this.int(item.count);
        if (n !== null && this.atLeast(n, 0, 'Preempt offset', item.count.span) && this.atMost(n, PREEMPT_MAX, 'Preempt offset', item.count.span)) {
          this.preemptOffset = n;
        }
      }
    }
    // A real 8259A is one chip whose INT pin goes to one CPU: shared in-service and request registers across
    // CPUs are not modelled, so the machine has one CPU.
    if (this.controller === 'i8259' && this.cpus > 1) {
      const item = m.items.find((i) => i.kind === 'controller')!;
      this.sink.error('E519', `'controller i8259' conflicts with 'cpus ${this.cpus}': one 8259A delivers to one CPU.`, item.span);
    }
    return m;
  }

  /** `controller lapic` and `controller i8259` exist on x86_64 only, `controller gic` on aarch64 only. */
  private controllerItem(item: Extract<A.MachineItem, { kind: 'controller' }>): void {
    const wants = item.controller === 'gic' ? 'aarch64' : 'x86_64';
    if (item.eoimode !== null) {
      const mode = item.eoimode;
      if (item.controller !== 'gic') this.sink.error('E519', `'eoimode' is the GIC's; 'controller ${item.controller}' has none.`, mode.span);
      else if (mode.value > 1) this.sink.error('E402', `EOImode ${mode.value} is out of range 0..1.`, mode.span);
      else this.gicSplitEoi = mode.value === 1;
    }
    if (this.arch === wants) this.controller = item.controller;
    else {
      const its = this.arch === 'aarch64' ? 'the GIC' : 'an 8259A or a local APIC';
      this.sink.error('E501', `'controller ${item.controller}' is not available on ${this.arch} (its controller is ${its}).`, item.span);
    }
  }

  private lineDecls(m: D<'machine'> | null): void {
    if (!m) return;
    const numbers = new Map<number, string>();
    for (const item of m.items) {
      if (item.kind !== 'irq' || this.scope.lines.get(item.name.text) !== item) continue;
      const id = this.lines.length;
      if (!this.atMost(id + 1, LIMITS.lines, 'Line count', item.name.span)) break;
      // The NMI is vector 2 and bypasses the APIC's vector acceptance (SDM vol. 3A 6.3.1, 11.6.1).
      const nmi = item.attrs.some((a) => a.kind === 'nmi');
      if (this.controller === 'lapic' && !nmi && (item.number.value < 16 || item.number.value > 255)) {
        this.sink.error('E521', `Vector ${item.number.value} is out of range: a local APIC takes vectors 16 to 255.`, item.number.span);
      }
      if (this.controller === 'i8259' && !nmi && item.number.value > 7) {
        this.sink.error('E521', `Line ${item.number.value} is out of range: an 8259A has request lines IR0 to IR7.`, item.number.span);
      }
      if (this.controller === 'gic' && item.number.value > GIC_MAX_INTID) {
        this.sink.error('E521', `INTID ${item.number.value} is out of range: a GIC's interrupts are INTIDs 0 to ${GIC_MAX_INTID} (1020 to 1023 are special).`, item.number.span);
      }
      const other = numbers.get(item.number.value);
      if (other !== undefined) this.sink.error('E518', `Line number ${item.number.value} is already used by '${other}'.`, item.number.span);
      numbers.set(item.number.value, item.name.text);
      const line: IrqLine = {
        id,
        name: item.name.text,
        number: item.number.value,
        priority: 1,
        gate: 'interrupt',
        source: 'external',
        cpus: Array.from({ length: this.cpus }, (_, c) => c),
        limit: null,
        fair: true,
        handler: -1,
        span: this.spans.add(item.name.span),
      };
      const given = new Set<string>();
      let onSpan: SourceSpan | null = null;
      // The first of `ipi`, `periodic`, `once`, `at most N` and `none`: a line has one source.
      let source: string | null = null;
      for (const attr of item.attrs) {
        const word = attr.kind === 'source' ? attr.source : attr.kind;
        if (given.has(word)) this.sink.error('E518', `'${word}' is given more than once.`, attr.span);
        else if ((attr.kind === 'source' || attr.kind === 'ipi') && source !== null) {
          this.sink.error('E519', `'${word}' conflicts with '${source}': a line has one source.`, attr.span);
        }
        given.add(word);
        if (attr.kind === 'source' || attr.kind === 'ipi') source ??= word;
        switch (attr.kind) {
          case 'priority':
            if (this.controller === 'lapic') {
              this.sink.error('E519', "'priority' conflicts with 'controller lapic': a line's priority is its vector's class (vector >> 4).", attr.span);
            } else if (this.controller === 'i8259') {
              this.sink.error('E519', "'priority' conflicts with 'controller i8259': in fully nested mode IR0 has the highest priority, IR7 the lowest.", attr.span);
            } else if (this.controller === 'gic') {
              // GIC priority values: 0 is the highest priority, 255 the lowest (IHI 0069, 4.8).
              if (this.atMost(attr.value.value, 255, 'GIC priority', attr.value.span)) line.priority = 256 - attr.value.value;
            } else if (this.atLeast(attr.value.value, 1, 'Priority', attr.value.span)) line.priority = attr.value.value;
            break;
          case 'gate':
            if (this.arch === 'aarch64') this.sink.error('E501', "'gate' is not available on aarch64 (exception entry always masks).", attr.span);
            line.gate = attr.gate;
            break;
          case 'ipi':
            if (source === 'ipi') line.source = 'ipi';
            break;
          case 'nmi':
            if (this.arch === 'aarch64') this.sink.error('E501', "'nmi' is x86_64's non-maskable interrupt; on aarch64 a pseudo-NMI is a GIC priority the mask lets through ('pmr').", attr.span);
            else line.nmi = true;
            break;
          case 'source':
            if (source === attr.source) this.lineSource(line, attr);
            break;
          case 'on':
            onSpan = attr.span;
            line.cpus = [...new Set(attr.cpus.filter((c) => this.cpuInRange(c.value, c.span)).map((c) => c.value))].sort((a, b) => a - b);
            break;
          default:
            unreachable(attr);
        }
      }
      // SDM vol. 3A 11.8.3: the priority class of an interrupt is bits 7:4 of its vector.
      if (this.controller === 'lapic') line.priority = Math.max(1, line.number >> 4);
      // 8259A data sheet, "Fully Nested Mode": IR0 has the highest priority, IR7 the lowest.
      if (this.controller === 'i8259') line.priority = 8 - line.number;
      // Linux's default priority for every interrupt (GICD_INT_DEF_PRI, 0xa0) unless the line gives its own.
      if (this.controller === 'gic' && !given.has('priority')) line.priority = 256 - GIC_DEFAULT_PRIORITY;
      if (this.controller === 'gic' && line.number >= 32 && line.cpus.length > 1) {
        this.sink.error('E519', `SPI ${line.number} must be routed to one CPU ('on C'): the GIC's 1-of-N distribution is not modelled.`, this.spans.spans[line.span]!);
      }
      if (line.source === 'ipi' && onSpan) this.sink.error('E519', `${source === 'ipi' ? 'An' : 'A'} '${source}' line arrives only through 'raise'; it cannot take 'on'.`, onSpan);
      this.lineIds.set(line.name, id);
      this.lines.push(line);
    }
  }

  /** A line's own source: how many times it may arrive on each of its CPUs, and whether fairness expects it. */
  private lineSource(line: IrqLine, attr: Extract<A.LineAttr, { kind: 'source' }>): void {
    switch (attr.source) {
      case 'periodic':
        return;
      case 'once':
        line.limit = 1;
        return;
      case 'at most': {
        const n = attr.count!;
        if (this.atLeast(n.value, 1, 'Arrival count', n.span) && this.atMost(n.value, LIMITS.arrivals, 'Arrival count', n.span)) {
          line.limit = n.value;
          line.fair = false;
        }
        return;
      }
      case 'none':
        line.source = 'ipi';
        return;
      default:
        unreachable(attr.source);
    }
  }

  private cpuInRange(c: number, span: SourceSpan): boolean {
    if (c < this.cpus) return true;
    if (this.cpusRefused) return false;
    this.sink.error('E507', `CPU ${c} is out of range 0..${this.cpus - 1}.`, span);
    return false;
  }

  // ------------------------------------------------------------------------------------------------------
  // Threads, units, locks, enums, variables

  private threadCounts(): void {
    for (const t of this.decls('thread')) {
      let count = 1;
      if (t.size) {
        const n = this.int(t.size);
        if (n !== null && this.atLeast(n, 1, 'Thread array size', t.size.span)) count = n;
      }
      if (!this.atMost(this.threads + count, LIMITS.threads, 'Thread count', t.size?.span ?? t.name.span)) count = 1;
      this.threadRanges.set(t, { first: this.threads, count });
      this.threads += count;
    }
  }

  /** Unit ids: thread bodies in declaration order, then procedures, then handlers. */
  private assignUnits(): void {
    for (const kind of ['thread', 'proc', 'handler'] as const) {
      for (const d of this.decls(kind)) this.unitIds.set(d, this.unitIds.size);
    }
  }

  private threadStarts(): void {
    const onCpu: (string | null)[] = Array.from({ length: this.cpus }, () => null);
    for (const t of this.decls('thread')) {
      const { first, count } = this.threadRanges.get(t)!;
      let start: ThreadStart | 'each' = { kind: 'ready' };
      let startAttr: A.ThreadAttr | null = null;
      let stackDepth = DEFAULT_STACK;
      let forged: ForgedFrame = 'switch';
      let forgedFrames: { kind: ForgedFrame; unit: number | null }[] = [{ kind: 'switch', unit: null }];
      let forgedSpan: SourceSpan | null = null;
      const given = new Set<string>();
      for (const attr of t.attrs) {
        const group = attr.kind === 'ready' || attr.kind === 'dormant' || attr.kind === 'on' ? 'start' : attr.kind;
        if (given.has(group)) {
          if (group === 'start') this.sink.error('E519', `Conflicting start: '${startAttr!.kind}' and '${attr.kind}'.`, attr.span);
          else this.sink.error('E518', `'${attr.kind}' is given more than once.`, attr.span);
          continue;
        }
        given.add(group);
        switch (attr.kind) {
          case 'ready':
          case 'dormant':
            start = { kind: attr.kind };
            startAttr = attr;
            break;
          case 'on':
            startAttr = attr;
            if (attr.cpu === 'each') {
              if (this.cpusRefused) {
                // The count it should match was refused; the thread starts nowhere until that is fixed.
              } else if (t.size === null || count !== this.cpus) {
                this.sink.error('E508', `'on each' needs a thread array of ${this.cpus} instance${this.cpus === 1 ? '' : 's'}, one per CPU.`, attr.span);
              } else {
                start = 'each';
              }
            } else if (this.cpuInRange(attr.cpu.value, attr.cpu.span)) {
              start = { kind: 'running', cpu: attr.cpu.value };
            }
            break;
          case 'stack':
            if (this.atLeast(attr.depth.value, 1, 'Stack depth', attr.depth.span) && this.atMost(attr.depth.value, LIMITS.stackDepth, 'Stack depth', attr.depth.span)) {
              stackDepth = attr.depth.value;
            }
            break;
          case 'forged': {
            forgedFrames = [];
            for (const f of attr.frames) {
              const wrong = (f.frame === 'iret' && this.arch === 'aarch64') || (f.frame === 'eret' && this.arch === 'x86_64');
              // Reported at `forged` for the top frame, at the frame itself for the ones below it.
              const where = f === attr.frames[0] ? attr.span : f.span;
              if (wrong) this.sink.error('E501', `'forged ${f.frame}' is not available on ${this.arch}; use 'forged ${f.frame === 'iret' ? 'eret' : 'iret'}'.`, where);
              forgedFrames.push({ kind: f.frame, unit: f.to === null ? null : this.proc(f.to) });
            }
            forged = forgedFrames[0]!.kind;
            forgedSpan = attr.span;
            break;
          }
          case 'waits':
            break; // checked with the other expressions, once the variables are known (waitConditions)
          default:
            unreachable(attr);
        }
      }
      if (forgedSpan !== null && forgedFrames.length > stackDepth) {
        this.sink.error('E511', `${forgedFrames.length} forged frames do not fit a stack of depth ${stackDepth}; give the thread 'stack ${forgedFrames.length}' or more.`, forgedSpan);
      }
      const span = this.spans.add(t.name.span);
      let clashed = false;
      for (let i = 0; i < count; i++) {
        const name = t.size === null ? t.name.text : `${t.name.text}[${i}]`;
        const s: ThreadStart = start === 'each' ? { kind: 'running', cpu: i } : start;
        if (s.kind === 'running') {
          const other = onCpu[s.cpu];
          if (other === null || other === undefined) onCpu[s.cpu] = name;
          else if (!clashed) this.sink.error('E506', `CPU ${s.cpu} already has thread '${other}' on it at boot.`, startAttr!.span);
          if (other !== null && other !== undefined) clashed = true; // once per declaration, not per instance
        }
        this.threadDecls.push({
          id: first + i,
          name,
          group: t.name.text,
          index: i,
          start: s,
          forged,
          forgedFrames,
          stackDepth,
          unit: this.unitIds.get(t)!,
          span,
        });
      }
    }
    // Without a machine declaration (E517) the CPUs are unknown: saying CPU 0 is empty would only add noise.
    if (!this.hasMachine || this.cpusRefused) return;
    onCpu.forEach((owner, c) => {
      if (owner === null) this.sink.error('E505', `CPU ${c} has no thread on it at boot; give one thread 'on ${c}'.`, this.machineSpan);
    });
  }

  /** The procedure `syscall` / `svc` enters (`machine { syscall PROC }`), or null. */
  private syscallEntry(m: D<'machine'> | null): number | null {
    const item = m?.items.find((i): i is Extract<A.MachineItem, { kind: 'syscall' }> => i.kind === 'syscall');
    this.syscallDeclared = item !== undefined;
    return item ? this.proc(item.proc) : null;
  }

  /** Locks; returns the scheduler procedure's unit id. */
  private lockDecls(m: D<'machine'> | null): number | null {
    for (const l of this.decls('lock')) {
      const id = this.locks.length;
      this.lockIds.set(l, id);
      const span = this.spans.add(l.name.span);
      const array = l.length === undefined ? null : this.lockArray(l.length);
      if (array === null) {
        this.locks.push({ id, name: l.name.text, kind: l.lockKind, handoff: l.handoff, span });
        continue;
      }
      this.lockArrays.set(l, array);
      for (let index = 0; index < array.count; index++) {
        const name = `${l.name.text}[${index}]`;
        this.locks.push({ id: id + index, name, kind: l.lockKind, handoff: l.handoff, span, array: { name: l.name.text, index, count: array.count, by: array.indexBy } });
      }
    }
    const item = m?.items.find((i): i is Extract<A.MachineItem, { kind: 'scheduler' }> => i.kind === 'scheduler');
    const scheduler = item ? this.proc(item.proc) : null;
    const mutex = this.decls('lock').find((l) => l.lockKind === 'mutex');
    if (mutex && !item) this.sink.error('E509', "A mutex needs 'scheduler PROC' in the machine declaration.", mutex.name.span);
    for (const q of this.decls('wq')) {
      this.waitQueues.push({ id: this.waitQueues.length, name: q.name.text, span: this.spans.add(q.name.span) });
      if (!item) this.sink.error('E509', "A wait queue needs 'scheduler PROC' in the machine declaration: 'sleep' calls it.", q.name.span);
    }
    return scheduler;
  }

  /** The elements of a lock array: one per thread, per CPU, or a constant count; a bad count declares one lock. */
  private lockArray(l: A.ArrayLength): { count: number; indexBy: 'thread' | 'cpu' | 'size' } | null {
    if (l.kind !== 'size') return { count: l.kind === 'thread' ? this.threads : this.cpus, indexBy: l.kind };
    const n = this.int(l.size);
    if (n === null || !this.atLeast(n, 1, 'Array length', l.size.span) || !this.atMost(n, LIMITS.arrayLength, 'Array length', l.size.span)) return null;
    return { count: n, indexBy: 'size' };
  }

  /**
   * Run queues, one per element of an array. The first declared is the default run queue (of `enqueue t`,
   * `pick x`, `rq_len`, and of every wake-up): a single queue, or one per CPU, the executing CPU's (E522 else).
   */
  private runQueueDecls(): void {
    for (const q of this.decls('runqueue')) {
      const first = this.runQueues.length;
      const span = this.spans.add(q.name.span);
      const array = q.length === undefined ? null : this.lockArray(q.length);
      this.runQueueInfo.set(q, { first, array });
      if (array === null) {
        this.runQueues.push({ id: first, name: q.name.text, span });
        continue;
      }
      for (let index = 0; index < array.count; index++) {
        this.runQueues.push({ id: first + index, name: `${q.name.text}[${index}]`, span, array: { name: q.name.text, index, count: array.count, by: array.indexBy } });
      }
    }
    const first = this.decls('runqueue')[0];
    if (first?.length !== undefined && first.length.kind !== 'cpu') {
      this.sink.error('E522', `The first run queue is the default one, of 'enqueue t', 'pick x', 'rq_len' and wake-ups: declare it single or one per CPU ('runqueue ${first.name.text}[cpu]').`, first.length.span);
    }
  }

  private enumDecls(): void {
    for (const e of this.decls('enum')) {
      this.enumTypes.set(e, { kind: 'enum', name: e.name.text, members: e.members.map((m) => m.text) });
    }
  }

  private varDecls(): void {
    for (const v of this.decls('var')) {
      const info = this.varDecl(v);
      this.varInfos.set(v, info);
    }
  }

  private baseType(b: A.TypeBase): ValueType | null {
    switch (b.kind) {
      case 'bool':
        return BOOL;
      case 'thread':
        return THREAD;
      case 'cpu':
        return CPU;
      case 'range': {
        const lo = this.int(b.lo);
        const hi = this.int(b.hi);
        if (lo === null || hi === null) return null;
        if (lo > hi) {
          this.sink.error('E405', `Empty range ${lo}..${hi}.`, b.span);
          return null;
        }
        return { kind: 'int', min: lo, max: hi };
      }
      case 'named': {
        const binding = this.scope.values.get(b.name.text);
        if (!binding) {
          this.sink.error('E301', `Unknown name '${b.name.text}'.`, b.name.span);
          return null;
        }
        if (binding.kind !== 'enum') {
          this.sink.error('E307', `'${b.name.text}' is ${describeBinding(binding)}, not a type.`, b.name.span);
          return null;
        }
        return this.enumTypes.get(binding.decl)!;
      }
    }
  }

  private varDecl(v: D<'var'>): VarInfo | null {
    const type = this.baseType(v.type.base);
    let length: number | null = null;
    const l = v.type.length;
    if (l?.kind === 'thread') length = this.threads;
    else if (l?.kind === 'cpu') length = this.cpus;
    else if (l?.kind === 'size') {
      const n = this.int(l.size);
      if (n === null || !this.atLeast(n, 1, 'Array length', l.size.span) || !this.atMost(n, LIMITS.arrayLength, 'Array length', l.size.span)) return null;
      length = n;
    }
    if (!type) return null;
    if (this.scope.values.get(v.name.text)?.kind !== 'var') return null; // a duplicate name, already reported
    const id = this.vars.length;
    let init = type.kind === 'thread' ? this.threads : 0;
    if (v.init) {
      const x = this.exprs.expect(v.init, type, 'const', 'initial value');
      if (!x) return null;
      if (x.kind !== 'const') {
        this.sink.error('E403', 'Expect a constant initial value.', v.init.span);
        return null;
      }
      init = type.kind === 'int' ? x.value - type.min : x.value;
    }
    this.vars.push({ id, name: v.name.text, scope: v.scope, type, length, init, span: this.spans.add(v.name.span) });
    return { id, name: v.name.text, scope: v.scope, type, indexBy: l ? (l.kind === 'size' ? 'size' : l.kind) : null, length };
  }

  // ------------------------------------------------------------------------------------------------------
  // Handlers and bodies

  private handlers(): void {
    const names = new Map<number, string>();
    for (const h of this.decls('handler')) {
      const unit = this.unitIds.get(h)!;
      names.set(unit, h.name.text);
      if (this.controller === 'gic') {
        this.vectorHandler(h, unit, names);
        this.handlerStack(h);
        continue;
      }
      const lineName = h.on ?? h.name;
      const lineId = this.lineIds.get(lineName.text);
      if (lineId === undefined) {
        if (h.on?.text === 'vector') this.sink.error('E501', "'on vector' (one handler for every IRQ) needs 'controller gic' (aarch64).", h.on.span);
        else if (h.on) this.sink.error('E305', `Unknown line '${h.on.text}'.`, h.on.span);
        else this.sink.error('E504', `Handler '${h.name.text}' is bound to no line; declare 'irq ${h.name.text}' or add 'on LINE'.`, h.name.span);
      } else {
        const line = this.lines[lineId]!;
        if (line.handler !== -1) this.sink.error('E503', `Line '${line.name}' already has handler '${names.get(line.handler)}'.`, lineName.span);
        else line.handler = unit;
      }
      this.handlerStack(h);
    }
    for (const line of this.lines) {
      if (line.handler === -1) this.sink.error('E502', `Line '${line.name}' has no handler.`, this.spans.spans[line.span]!);
    }
    // `defers eoi`: every line the handler serves returns from it with its EOI still to come.
    for (const h of this.decls('handler')) {
      if (h.defersEoi === null) continue;
      const unit = this.unitIds.get(h)!;
      const served = this.lines.filter((line) => line.handler === unit);
      if (served.some((line) => line.nmi === true)) {
        this.sink.error('E501', `'${h.name.text}' handles an NMI, which takes no EOI: there is none to defer.`, h.defersEoi);
        continue;
      }
      for (const line of served) line.eoiDeferred = true;
    }
  }

  private handlerStack(h: D<'handler'>): void {
    if (h.stack) {
      if (this.atLeast(h.stack.value, 1, 'Stack depth', h.stack.span)) this.atMost(h.stack.value, LIMITS.stackDepth, 'Stack depth', h.stack.span);
    }
  }

  /**
   * With a GIC every IRQ enters the one IRQ vector (Arm ARM D1.10, the vector table's IRQ entry), whose handler
   * reads the IAR to learn which interrupt it is (Linux: el1h_64_irq -> gic_handle_irq): `handler NAME on vector`.
   */
  private vectorHandler(h: D<'handler'>, unit: number, names: Map<number, string>): void {
    if (h.on?.text !== 'vector') {
      this.sink.error('E519', `With 'controller gic' every IRQ enters the one IRQ vector: declare 'handler ${h.name.text} on vector' and read the INTID with 'x := ack'.`, h.on?.span ?? h.name.span);
      return;
    }
    const other = this.lines.find((l) => l.handler !== -1);
    if (other) {
      this.sink.error('E503', `The IRQ vector already has handler '${names.get(other.handler)}'.`, h.on.span);
      return;
    }
    for (const line of this.lines) line.handler = unit;
  }

  private bodies(): void {
    const statements = new StatementChecker({
      arch: this.arch,
      sink: this.sink,
      exprs: this.exprs,
      lineIds: this.lineIds,
      nmiLines: new Set(this.lines.filter((l) => l.nmi === true).map((l) => l.id)),
      lapic: this.controller === 'lapic',
      gicSplitEoi: this.gicSplitEoi,
      intids: this.controller === 'gic' ? new Map(this.lines.map((l) => [l.number, l.id])) : null,
      syscall: this.syscallDeclared,
      proc: (name) => this.proc(name),
      source: this.source,
    });
    const locals = new Map<A.Decl, Map<string, VarInfo>>();
    for (const kind of ['thread', 'proc', 'handler'] as const) {
      for (const d of this.decls(kind)) {
        const body = d.kind !== 'thread' ? d.body : d.body.kind === 'block' ? d.body.block : null;
        if (body !== null) locals.set(d, this.declareLocals(body, this.unitIds.get(d)!, `${kind} ${d.name.text}`));
      }
    }
    for (const kind of ['thread', 'proc', 'handler'] as const) {
      for (const d of this.decls(kind)) {
        this.exprs.locals = locals.get(d) ?? null;
        const id = this.unitIds.get(d)!;
        const span = this.spans.add(d.name.span);
        const unit = { id, name: d.name.text, lines: [] as number[], stack: null, span };
        if (d.kind === 'handler') {
          const line = this.lineIds.get((d.on ?? d.name).text);
          const body = statements.body(d.body, 'handler');
          const stack = d.stack ? { depth: d.stack.value } : null;
          const vector = this.controller === 'gic' && d.on?.text === 'vector';
          const lines = vector ? this.lines.filter((l) => l.handler === id).map((l) => l.id) : line === undefined ? [] : [line];
          this.units.push({ ...unit, kind: 'handler', body, lines, stack, end: d.body.close });
        } else if (d.kind === 'proc') {
          const body = statements.body(d.body, 'proc');
          this.units.push({ ...unit, kind: 'proc', body, end: d.body.close });
        } else if (d.body.kind === 'block') {
          const body = statements.body(d.body.block, 'thread');
          this.units.push({ ...unit, kind: 'thread', body, end: d.body.block.close });
        } else {
          const proc = this.proc(d.body.proc);
          const body: TStmt[] = proc === null ? [] : [{ kind: 'instr', instr: { op: 'call', unit: proc }, span: d.body.span }];
          this.units.push({ ...unit, kind: 'thread', body, end: d.body.span });
        }
      }
    }
    this.exprs.locals = null;
  }

  /**
   * The locals of one body (`local x : T [= e]`, before its first other statement): one variable each, with
   * one instance per activation (scope `local`). Reports a local elsewhere in the body (E342), one named like a
   * declaration of the model (E340) or like another local of the body (E302), and an array (E343).
   */
  private declareLocals(block: A.Block, unit: number, home: string): Map<string, VarInfo> {
    const out = new Map<string, VarInfo>();
    const spans = new Map<string, SourceSpan>();
    let top = true;
    const misplaced = (stmts: A.Stmt[]): void => {
      for (const st of stmts) {
        if (st.kind === 'local') this.sink.error('E342', `Local '${st.name.text}' must be declared at the top of its body, before any other statement.`, st.span);
        else if (st.kind === 'if') {
          misplaced(st.then.stmts);
          if (st.else) misplaced(st.else.stmts);
        } else if (st.kind === 'while' || st.kind === 'loop') misplaced(st.body.stmts);
        else if (st.kind === 'either') for (const b of st.blocks) misplaced(b.stmts);
      }
    };
    for (const st of block.stmts) {
      if (st.kind !== 'local' || !top) {
        top = false;
        misplaced([st]);
        continue;
      }
      const name = st.name.text;
      const global = this.scope.values.get(name);
      if (global) {
        this.sink.error('E340', `Local '${name}' has the name of ${describeBinding(global)} declared in the model; give it another name.`, st.name.span);
        continue;
      }
      const old = spans.get(name);
      if (old) {
        this.sink.error('E302', `Local '${name}' is already declared at ${old.line}:${old.col}.`, st.name.span);
        continue;
      }
      spans.set(name, st.name.span);
      if (st.type.length) {
        this.sink.error('E343', `Local '${name}' cannot be an array; declare the array with 'var', 'percpu var' or 'perthread var'.`, st.type.length.span);
        continue;
      }
      const type = this.baseType(st.type.base);
      if (!type) continue;
      const id = this.vars.length;
      const init = type.kind === 'thread' ? this.threads : 0;
      this.vars.push({ id, name, scope: 'local', type, length: null, init, span: this.spans.add(st.name.span), unit });
      out.set(name, { id, name, scope: 'local', type, indexBy: null, length: null, decl: st });
      if (!this.exprs.localHomes.has(name)) this.exprs.localHomes.set(name, home);
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------------------
  // Invariants and expectations

  /**
   * Each thread's `waits for COND`, checked as an invariant is (no executing CPU) but for `self`, which each
   * instance binds to itself.
   */
  private waitConditions(): void {
    for (const t of this.decls('thread')) {
      const attr = t.attrs.find((a): a is Extract<A.ThreadAttr, { kind: 'waits' }> => a.kind === 'waits');
      if (attr === undefined) continue;
      const cond = this.exprs.expect(attr.cond, BOOL, 'waits', "'waits for' condition");
      if (cond === null) continue;
      for (const d of this.threadDecls) if (d.group === t.name.text) d.waitsFor = bindSelf(cond, d.id);
    }
  }

  private invariants(): Invariant[] {
    const out: Invariant[] = [];
    const names = new Map<string, SourceSpan>();
    this.decls('invariant').forEach((inv, i) => {
      const name = inv.name?.text ?? `invariant#${i + 1}`;
      const old = names.get(name);
      if (inv.name && old) this.sink.error('E302', `Invariant '${name}' is already declared at ${old.line}:${old.col}.`, inv.name.span);
      names.set(name, inv.name?.span ?? inv.span);
      const cond = this.exprs.expect(inv.cond, BOOL, 'invariant', 'invariant');
      if (cond) out.push({ name, cond, span: this.spans.add(inv.span) });
    });
    return out;
  }

  private expectations(): Expectation[] {
    const out: Expectation[] = [];
    const seen = new Map<string, SourceSpan>();
    for (const e of this.decls('expect')) {
      const id = e.property.text;
      if (!(PROPERTY_IDS as readonly string[]).includes(id)) {
        this.sink.error('E306', `Unknown property '${id}'; 'schedcheck properties' lists them.`, e.property.span);
        continue;
      }
      const old = seen.get(id);
      if (old) {
        this.sink.error('E510', `Property '${id}' is already expected at ${old.line}:${old.col}.`, e.property.span);
        continue;
      }
      seen.set(id, e.property.span);
      out.push({ property: id as PropertyId, verdict: e.verdict, span: this.spans.add(e.span) });
    }
    return out;
  }
}

/** `e` with `self` replaced by thread `t`, as a constant: a thread's `waits for` condition, for one instance. */
function bindSelf(e: Expr, t: number): Expr {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const node = v as Record<string, unknown>;
    if (node.kind === 'self') return { kind: 'const', value: t, type: node.type };
    return Object.fromEntries(Object.entries(node).map(([k, x]) => [k, k === 'type' ? x : walk(x)]));
  };
  return walk(e) as Expr;
}
