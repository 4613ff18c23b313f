// SARIF 2.1.0, the format GitHub code scanning (and most IDE viewers) annotate source with. One run, the
// tool `schedcheck` with one rule per property id; each violation is a result located at the model line of
// the violating instruction, carrying the whole counterexample as a code flow so the viewer can step through
// it. Inconclusive runs are tool notifications, not results: nothing was found wrong in the model.

import type { CheckReport, Counterexample, TraceStep } from '../checker/verdict.js';
import { PROPERTY_IDS, type PropertyId, type SourceSpan } from '../ir/ir.js';
import type { ModelInfo } from './dot.js';
import { changedRows } from './steprows.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

/** What SARIF needs of a model; a `Program` is one. Line and handler names let hardware events be located. */
export interface SarifModel extends ModelInfo {
  lines?: readonly { name: string; span: number; handler: number }[];
  units?: readonly { span: number }[];
  expectations?: readonly { property: PropertyId; span: number }[];
}

export interface SarifOptions {
  toolVersion?: string;
  /** The verdict a plan expects; an expected violation is reported at level `note`, not `error`. */
  expected?: (model: string, property: string) => 'holds' | 'violated' | undefined;
}

const RULES: Record<PropertyId, { name: string; short: string; full: string }> = {
  'no-deadlock': {
    name: 'NoDeadlock',
    short: 'No reachable state where no CPU can ever make progress',
    full: 'Violated when a reachable state has no CPU able to make progress while some thread has not exited: every context spins on a lock held by a context that cannot run, or halts with interrupts masked.',
  },
  'stack-integrity': {
    name: 'StackIntegrity',
    short: 'Every return pops the kind of frame it expects, from the right stack',
    full: 'Violated when ret/iret/eret returns through the wrong kind of frame or another thread\'s frame, a stack under- or overflows its declared depth, ELR/SPSR are overwritten before they were saved, or a thread is resumed by a path that does not match how it was suspended.',
  },
  'lock-order': {
    name: 'LockOrder',
    short: 'The lock dependency graph has no cycle and no lock is taken recursively',
    full: 'Violated when the lock dependency graph observed over all reachable states has a cycle (an ABBA order, even where the deadlock itself is not reachable in the bounded model), a lock is taken recursively, or a lock is released by a context that does not hold it.',
  },
  'irq-lock-safety': {
    name: 'IrqLockSafety',
    short: 'No lock is taken in interrupt context and elsewhere held with interrupts enabled',
    full: "Violated on lockdep's inconsistent lock state: a lock taken in interrupt context is elsewhere held with interrupts enabled, or an irq-safe lock is ordered before an irq-unsafe one.",
  },
  'eoi-discipline': {
    name: 'EoiDiscipline',
    short: 'Every interrupt is acknowledged exactly once',
    full: 'Violated when an interrupt line is left in service forever, or EOI is sent for a line that is not in service.',
  },
  'atomic-sleep': {
    name: 'AtomicSleep',
    short: 'No sleeping or scheduling in atomic context',
    full: 'Violated when a context sleeps or calls the scheduler while in interrupt context or holding a spinlock ("scheduling while atomic").',
  },
  'no-starvation': {
    name: 'NoStarvation',
    short: 'Every ready thread eventually runs, under weak fairness of CPUs',
    full: 'Violated when, under weak fairness of CPUs, some ready thread never runs again (a liveness violation, shown as a lasso).',
  },
  'irq-latency': {
    name: 'IrqLatency',
    short: "Interrupts are never masked for longer than the model's bound",
    full: "Violated when interrupts stay masked for more than the model's declared bound of steps on some path, or unboundedly.",
  },
  assertions: {
    name: 'Assertions',
    short: 'Every assert and declared invariant holds',
    full: 'Violated when a model assert or invariant fails, a value goes out of its range, or a division by zero or out-of-bounds index happens.',
  },
};

/** A model path as a SARIF artifact URI: relative to the working directory when inside it, `/`-separated. */
export function artifactUri(file: string, cwd: string = process.cwd()): string {
  let path = file.replace(/\\/g, '/');
  const root = cwd.replace(/\\/g, '/').replace(/\/$/, '');
  if (path.startsWith(`${root}/`)) path = path.slice(root.length + 1);
  // Each segment encoded whole: `#`, `?` and a `:` in a name are part of the path, not a fragment, a query or a
  // scheme.
  return path
    .split('/')
    .map((segment, i) => (i === 0 && /^[A-Za-z]:$/.test(segment) ? `/${segment}` : encodeURIComponent(segment)))
    .join('/');
}

type Json = Record<string, unknown>;

function region(span: SourceSpan): Json {
  return { startLine: span.line, startColumn: span.col, endLine: span.endLine, endColumn: span.endCol };
}

function physical(span: SourceSpan): Json {
  return { artifactLocation: { uri: artifactUri(span.file) }, region: region(span) };
}

function spanOf(model: SarifModel | undefined, id: number | null | undefined): SourceSpan | undefined {
  return id === null || id === undefined ? undefined : model?.spans?.[id];
}

/** Where a step happened: its instruction, or for a hardware event the handler (delivery) or line (arrival). */
function stepSpan(step: TraceStep, model: SarifModel | undefined): SourceSpan | undefined {
  const own = spanOf(model, step.span);
  if (own !== undefined || step.kind === 'init' || step.kind === 'instruction') return own;
  const words = step.label.split(/\s+/);
  const line = model?.lines?.find((l) => words.includes(l.name));
  if (line === undefined) return undefined;
  return step.kind === 'interrupt' ? spanOf(model, model?.units?.[line.handler]?.span) : spanOf(model, line.span);
}

/** Where the violation is reported: the violating instruction, else the last located step, else the expectation. */
function violationSpan(cex: Counterexample, model: SarifModel | undefined, file: string): SourceSpan {
  const direct = spanOf(model, cex.violationSpan);
  if (direct !== undefined) return direct;
  for (let i = cex.steps.length - 1; i > 0; i--) {
    const span = stepSpan(cex.steps[i]!, model);
    if (span !== undefined) return span;
  }
  const expectation = model?.expectations?.find((e) => e.property === cex.property);
  return spanOf(model, expectation?.span) ?? { file, line: 1, col: 1, endLine: 1, endCol: 1 };
}

function threadFlowLocation(cex: Counterexample, step: TraceStep, model: SarifModel | undefined, violating: boolean): Json {
  const before = cex.steps[step.index - 1]!.state;
  const changes = changedRows(before, step.state, step.cpu, model?.arch ?? 'x86_64')
    .filter((row) => row.kind === 'change' && !row.text.endsWith(':'))
    .map((row) => row.text);
  const cpu = step.cpu === null ? '' : `cpu${step.cpu} `;
  const text = `#${step.index} ${cpu}${step.context}: ${step.label}${changes.length > 0 ? ` (${changes.join('; ')})` : ''}`;
  const span = stepSpan(step, model);
  const location: Json = span === undefined ? { message: { text } } : { physicalLocation: physical(span), message: { text } };
  const kinds = step.kind === 'interrupt' ? ['enter', 'handler'] : step.label.startsWith('acquire') ? ['acquire', 'lock'] : step.label.startsWith('release') ? ['release', 'lock'] : [];
  if (violating) kinds.push('danger');
  const out: Json = {
    location,
    executionOrder: step.index,
    nestingLevel: before.cpus.find((c) => c.cpu === step.cpu)?.hardirq ?? 0,
    importance: violating ? 'essential' : step.kind === 'pending' ? 'unimportant' : 'important',
  };
  if (kinds.length > 0) out.kinds = kinds;
  // SARIF's `state`: the values that matter after the step, for the CPU that took it.
  const after = step.state.cpus.find((c) => c.cpu === step.cpu);
  if (after !== undefined) {
    out.state = {
      context: { text: after.context },
      interrupts: { text: after.ie ? 'enabled' : 'masked' },
      locks: { text: after.locksHeld.length === 0 ? 'none' : after.locksHeld.join(', ') },
    };
  }
  return out;
}

function result(report: CheckReport, cex: Counterexample, fairness: string | undefined, model: SarifModel | undefined, options: SarifOptions): Json {
  const ruleIndex = PROPERTY_IDS.indexOf(cex.property);
  const expected = options.expected?.(report.model, cex.property) === 'violated';
  const at = violationSpan(cex, model, report.model);
  const lastViolating = cex.loop === undefined ? cex.steps.length - 1 : -1;
  const flow = cex.steps.slice(1).map((s) => threadFlowLocation(cex, s, model, s.index === lastViolating));
  const loop = cex.loop === undefined ? '' : `; steps ${cex.loop}..${cex.length} repeat forever`;
  return {
    ruleId: cex.property,
    ruleIndex,
    kind: 'fail',
    level: expected ? 'note' : 'error',
    message: { text: `${cex.property} violated${expected ? ' (as the model expects)' : ''}: ${cex.message}` },
    locations: [{ physicalLocation: physical(at) }],
    codeFlows: [
      {
        message: { text: `counterexample, ${cex.length} steps${loop}` },
        threadFlows: [{ id: 'interleaving', locations: flow.length > 0 ? flow : [{ location: { physicalLocation: physical(at), message: { text: 'the initial state' } } }] }],
      },
    ],
    properties: { model: report.model, steps: cex.length, ...(fairness === undefined ? {} : { fairness }) },
  };
}

/**
 * A property the model (or plan) expects to be violated, but that holds: the check that should find the bug no
 * longer does (the model changed, or the checker did). A failure of the run, located at the `expect` line.
 */
function missedViolation(report: CheckReport, property: PropertyId, model: SarifModel | undefined): Json {
  const expectation = spanOf(model, model?.expectations?.find((e) => e.property === property)?.span);
  const at = expectation ?? { file: report.model, line: 1, col: 1, endLine: 1, endCol: 1 };
  return {
    ruleId: property,
    ruleIndex: PROPERTY_IDS.indexOf(property),
    kind: 'fail',
    level: 'error',
    message: { text: `${property} holds, but a violation is expected: the check that should find this bug no longer does` },
    locations: [{ physicalLocation: physical(at) }],
    properties: { model: report.model, expected: 'violated', got: 'holds' },
  };
}

/** SARIF 2.1.0 for a run over several models; `models[i]` is the Program of `reports[i]` (spans, lines). */
export function formatSarif(reports: CheckReport[], models: readonly (SarifModel | undefined)[], options: SarifOptions = {}): string {
  return `${JSON.stringify(sarifLog(reports, models, options).log, null, 2)}\n`;
}

/**
 * The SARIF log as an object, with how many results and notifications each report contributed, in order (a
 * gate shard records them so that `schedcheck merge` can put the shards' entries back in the unsharded order).
 */
export function sarifLog(
  reports: CheckReport[],
  models: readonly (SarifModel | undefined)[],
  options: SarifOptions = {},
): { log: { runs: Json[] } & Json; perReport: { results: number; notifications: number }[] } {
  const results: Json[] = [];
  const notifications: Json[] = [];
  const perReport: { results: number; notifications: number }[] = [];
  reports.forEach((report, i) => {
    const before = { results: results.length, notifications: notifications.length };
    // Aligned by index, but a program whose file is the report's model wins (gate may drop unparsable ones).
    const model = models.find((m) => m?.file === report.model) ?? models[i];
    for (const r of report.results) {
      if (r.verdict === 'violated') results.push(result(report, r.counterexample, r.fairness, model, options));
      // Once per property (its first `holds`), and not when another engine found the violation.
      const same = report.results.filter((x) => x.property === r.property);
      const missed = r.verdict === 'holds' && same.find((x) => x.verdict === 'holds') === r && !same.some((x) => x.verdict === 'violated');
      if (missed && options.expected?.(report.model, r.property) === 'violated') results.push(missedViolation(report, r.property, model));
      if (r.verdict === 'inconclusive') {
        notifications.push({
          level: r.reason === 'not-checkable' ? 'note' : 'warning',
          message: { text: `${report.model}: ${r.property} inconclusive (${r.reason}): ${r.detail}` },
          locations: [{ physicalLocation: { artifactLocation: { uri: artifactUri(report.model) } } }],
          associatedRule: { id: r.property, index: PROPERTY_IDS.indexOf(r.property) },
        });
      }
    }
    perReport.push({ results: results.length - before.results, notifications: notifications.length - before.notifications });
  });
  const driver: Json = {
    name: 'schedcheck',
    rules: PROPERTY_IDS.map((id) => ({
      id,
      name: RULES[id].name,
      shortDescription: { text: RULES[id].short },
      fullDescription: { text: RULES[id].full },
      help: { text: `${RULES[id].full} Run \`schedcheck check MODEL --property ${id} --svg cex.svg\` to draw the counterexample.` },
      defaultConfiguration: { level: 'error' },
      properties: { tags: ['concurrency', 'kernel', 'model-checking'] },
    })),
  };
  if (options.toolVersion !== undefined) driver.semanticVersion = options.toolVersion;
  const log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver },
        invocations: [{ executionSuccessful: true, toolExecutionNotifications: notifications }],
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
  return { log, perReport };
}
