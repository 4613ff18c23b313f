// The interactive counterexample report, in the browser. It reads the report data html.ts embedded in the
// page (htmldata.ts) and draws it: the lanes, one per CPU, with a row per step; the selected step's source,
// what it changed and the whole machine after it; the lock graph. Navigation: the buttons, the arrow keys
// (and j/k, Home/End), a click on a row, and an anchor per step (#step-N) that the address bar keeps.

import { render, type ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { CpuView, FrameView, StateView } from '../../checker/verdict.js';
import type { ReportData, ReportStep } from '../htmldata.js';
import { interruptFlag } from '../steprows.js';
import './style.css';

const data = JSON.parse(document.getElementById('schedcheck-data')!.textContent!) as ReportData;
const last = data.steps.length - 1;

function stepFromHash(): number | null {
  const m = /^#step-(\d+)$/.exec(location.hash);
  const n = m === null ? NaN : Number(m[1]);
  return Number.isInteger(n) && n >= 0 && n <= last ? n : null;
}

/** The step shown first: the anchor's, else the violation, else the first step of a lasso's loop. */
function firstStep(): number {
  return stepFromHash() ?? data.violation ?? data.loop ?? last;
}

/** After the last step of a lasso comes its loop's first step again. */
function nextOf(n: number): number {
  if (n < last) return n + 1;
  return data.loop !== null ? data.loop : n;
}

const laneCount = data.cpus + (data.machineLane ? 1 : 0);
const laneName = (lane: number): string => (lane === data.cpus ? 'machine' : `CPU${lane}`);
const laneOf = (step: ReportStep): number => step.cpu ?? data.cpus;

function shortFile(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}

function list(items: readonly string[]): string {
  return items.length === 0 ? 'none' : items.join(', ');
}

const sameFrames = (a: readonly FrameView[], b: readonly FrameView[]): boolean =>
  a.length === b.length && a.every((f, i) => f.kind === b[i]!.kind && f.text === b[i]!.text);

// ---------------------------------------------------------------------------------------------------------

function Header({ at, go }: { at: number; go: (n: number) => void }) {
  const lasso = data.loop !== null;
  return (
    <header>
      <h1>
        <span class="verdict">{data.property} violated</span> <span class="file">{data.file}</span>
      </h1>
      <p id="message">{data.message}</p>
      <p class="meta">
        {data.length} steps{lasso ? `; steps ${data.loop}..${data.length} repeat forever` : ''} · {data.arch} ·{' '}
        {data.cpus} CPU{data.cpus === 1 ? '' : 's'}
      </p>
      <nav aria-label="steps">
        <button id="first" onClick={() => go(0)} disabled={at === 0} title="first step (Home)">
          « first
        </button>
        <button id="prev" onClick={() => go(at - 1)} disabled={at === 0} title="previous step (←, k)">
          ◀ back
        </button>
        <span id="position">
          step <b>{at}</b> of {last}
        </span>
        <button id="next" onClick={() => go(nextOf(at))} disabled={nextOf(at) === at} title="next step (→, j)">
          {at === last && lasso ? `↺ step ${data.loop}` : 'forward ▶'}
        </button>
        <button id="last" onClick={() => go(last)} disabled={at === last} title="last step (End)">
          last »
        </button>
        <span class="keys">keys: ← → j k Home End</span>
      </nav>
    </header>
  );
}

function Lanes({ at, go }: { at: number; go: (n: number) => void }) {
  const state = data.steps[at]!.state;
  const lanes = Array.from({ length: laneCount }, (_, l) => l);
  return (
    <section id="lanes-pane">
      <table id="lanes">
        <thead>
          <tr>
            <th class="idx">#</th>
            {lanes.map((lane) => {
              const cpu = state.cpus[lane];
              return (
                <th class="lane-head" data-lane={lane} key={lane}>
                  <div class="lane-name">{laneName(lane)}</div>
                  {cpu !== undefined && (
                    <div class="lane-now">
                      <span class="lane-ctx">{cpu.context}</span> <span class="lane-flag">{interruptFlag(cpu.ie, data.arch)}</span>
                    </div>
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {data.steps.map((step) => {
            const classes = ['row'];
            if (step.index === at) classes.push('current');
            if (data.loop !== null && step.index >= data.loop) classes.push('in-loop');
            if (step.index === data.violation) classes.push('violating');
            return (
              <tr id={`step-${step.index}`} data-step={step.index} class={classes.join(' ')} key={step.index} onClick={() => go(step.index)}>
                <td class="idx">
                  <a href={`#step-${step.index}`}>{step.index}</a>
                </td>
                {step.index === 0 ? (
                  <td colSpan={laneCount} class="init">
                    initial state
                  </td>
                ) : (
                  lanes.map((lane) => (
                    <td data-lane={lane} key={lane}>
                      {laneOf(step) === lane && (
                        <div class={`card ${step.cls}`}>
                          <code class="label">{step.label}</code>
                          <div class="where">
                            {step.context}
                            {step.location !== null && ` · ${shortFile(step.location)}`}
                          </div>
                          {step.index === data.loop && <div class="loop-mark">loop starts here</div>}
                          {step.index === data.violation && <div class="violation-mark">VIOLATION</div>}
                        </div>
                      )}
                    </td>
                  ))
                )}
              </tr>
            );
          })}
          {data.loop !== null && (
            <tr class="repeat">
              <td class="idx">↺</td>
              <td colSpan={laneCount}>
                <a href={`#step-${data.loop}`}>repeats forever from step {data.loop}</a>
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}

function Source({ step }: { step: ReportStep }) {
  const span = step.span;
  const lines = span === null ? undefined : data.sources[span.file];
  if (span === null) {
    return (
      <section id="source">
        <h3>Source</h3>
        <p class="none">{step.index === 0 ? 'the machine before the first step' : 'a hardware event: no source line'}</p>
      </section>
    );
  }
  if (lines === undefined) {
    return (
      <section id="source">
        <h3>
          Source <span class="loc">{`${span.file}:${span.line}`}</span>
        </h3>
        <pre class="excerpt">
          <div class="src current" data-line={span.line}>
            <span class="ln">{span.line}</span>
            {step.sourceLine ?? ''}
          </div>
        </pre>
      </section>
    );
  }
  const from = Math.max(1, span.line - 4);
  const to = Math.min(lines.length, span.endLine + 4);
  const shown = [];
  for (let n = from; n <= to; n++) {
    const text = lines[n - 1] ?? '';
    const current = n >= span.line && n <= span.endLine;
    let body: ComponentChildren = text;
    if (current && span.line === span.endLine) {
      body = [text.slice(0, span.col - 1), <mark>{text.slice(span.col - 1, span.endCol - 1)}</mark>, text.slice(span.endCol - 1)];
    }
    shown.push(
      <div class={current ? 'src current' : 'src'} data-line={n} key={n}>
        <span class="ln">{n}</span>
        {body}
      </div>,
    );
  }
  return (
    <section id="source">
      <h3>
        Source <span class="loc">{`${span.file}:${span.line}`}</span>
      </h3>
      <pre class="excerpt">{shown}</pre>
    </section>
  );
}

function Frames({ stack, id }: { stack: readonly FrameView[]; id?: string }) {
  if (stack.length === 0) return <div class="stack empty">empty stack</div>;
  return (
    <ol class="stack" id={id}>
      {[...stack].reverse().map((f, i) => (
        <li class={`frame ${f.kind}`} data-kind={f.kind} key={i}>
          {f.text}
        </li>
      ))}
    </ol>
  );
}

function Field({ name, value, changed, cls }: { name: string; value: string; changed: boolean; cls: string }) {
  return (
    <div class={`field ${cls}${changed ? ' changed' : ''}`}>
      <span class="k">{name}</span> <span class="v">{value}</span>
    </div>
  );
}

function Cpu({ cpu, was }: { cpu: CpuView; was: CpuView | undefined }) {
  const ch = <T,>(f: (c: CpuView) => T): boolean => was !== undefined && JSON.stringify(f(was)) !== JSON.stringify(f(cpu));
  const active = data.arch === 'aarch64' ? 'active' : 'in service';
  return (
    <div class="cpu" data-cpu={cpu.cpu}>
      <h4>CPU{cpu.cpu}</h4>
      <Field cls="context" name="running" value={cpu.context} changed={ch((c) => c.context)} />
      <Field cls="flag" name={data.arch === 'aarch64' ? 'DAIF' : 'RFLAGS'} value={interruptFlag(cpu.ie, data.arch)} changed={ch((c) => c.ie)} />
      <Field cls="hardirq" name="hardirq depth" value={String(cpu.hardirq)} changed={ch((c) => c.hardirq)} />
      <Field cls="held" name="locks held" value={list(cpu.locksHeld)} changed={ch((c) => c.locksHeld)} />
      <Field cls="pending" name="pending" value={list(cpu.pending)} changed={ch((c) => c.pending)} />
      <Field cls="in-service" name={active} value={list(cpu.inService)} changed={ch((c) => c.inService)} />
      {cpu.elr !== undefined && <Field cls="elr" name="ELR/SPSR" value={cpu.elr} changed={ch((c) => c.elr)} />}
      <div class={`stack-head${was !== undefined && !sameFrames(was.stack, cpu.stack) ? ' changed' : ''}`}>stack (top first)</div>
      <Frames stack={cpu.stack} />
    </div>
  );
}

function Machine({ state, was }: { state: StateView; was: StateView | undefined }) {
  const kind = (name: string): string => data.locks.find((l) => l.name === name)?.kind ?? '';
  const vars = Object.entries(state.vars);
  return (
    <section id="machine">
      <h3>Machine after this step</h3>
      <div class="cpus">
        {state.cpus.map((cpu) => (
          <Cpu cpu={cpu} was={was?.cpus[cpu.cpu]} key={cpu.cpu} />
        ))}
      </div>
      <div class="tables">
        <table id="locks">
          <caption>Locks</caption>
          <tbody>
            {state.locks.map((l) => {
              const before = was?.locks.find((w) => w.name === l.name)?.holder;
              return (
                <tr data-lock={l.name} class={was !== undefined && before !== l.holder ? 'changed' : ''} key={l.name}>
                  <th>{l.name}</th>
                  <td class="kind">{kind(l.name)}</td>
                  <td class="holder">{l.holder === null ? 'free' : `held by ${l.holder}`}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <table id="threads">
          <caption>Threads</caption>
          <tbody>
            {state.threads.map((t) => {
              const before = was?.threads.find((w) => w.name === t.name);
              return (
                <tr data-thread={t.name} class={before !== undefined && before.state !== t.state ? 'changed' : ''} key={t.name}>
                  <th>{t.name}</th>
                  <td class="state">{t.state}</td>
                  <td>
                    <details>
                      <summary>{t.stack.length} frame{t.stack.length === 1 ? '' : 's'}</summary>
                      <Frames stack={t.stack} />
                    </details>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <div id="runqueue" class={was !== undefined && list(was.runQueue) !== list(state.runQueue) ? 'changed' : ''}>
          <span class="k">run queue</span> <span class="v">{list(state.runQueue)}</span>
        </div>
        {vars.length > 0 && (
          <table id="vars">
            <caption>Variables</caption>
            <tbody>
              {vars.map(([name, value]) => (
                <tr data-var={name} class={was !== undefined && was.vars[name] !== value ? 'changed' : ''} key={name}>
                  <th>{name}</th>
                  <td>{value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  );
}

function StepDetail({ at }: { at: number }) {
  const step = data.steps[at]!;
  const was = data.steps[at - 1]?.state;
  const inLoop = data.loop !== null && at >= data.loop;
  return (
    <section id="detail">
      <h2 id="step-title">
        {at === 0 ? (
          'Initial state'
        ) : (
          <>
            <span class="lane-tag">{step.cpu === null ? 'machine' : `CPU${step.cpu}`}</span> <span class="ctx">{step.context}</span>:{' '}
            <code class="label">{step.label}</code>
          </>
        )}
      </h2>
      {at === data.violation && (
        <div id="violation" class="banner violation">
          <b>VIOLATION: {data.property}</b>
          {data.violationLocation !== null && ` (at ${data.violationLocation})`}
          <div>{data.message}</div>
        </div>
      )}
      {inLoop && (
        <div id="loop" class="banner loop">
          {at === data.loop ? <b>loop starts here: </b> : 'in the loop: '}
          steps {data.loop}..{last} repeat forever{at === last ? `; next comes step ${data.loop} again` : ''}
        </div>
      )}
      <Source step={step} />
      <section id="changes">
        <h3>What changed</h3>
        {step.changes.length === 0 ? (
          <p class="none">{at === 0 ? 'the machine before the first step' : 'nothing visible'}</p>
        ) : (
          <ul>
            {step.changes.map((row, i) => (
              <li class={row.kind === 'frame' ? `frame ${row.frame}` : row.kind} key={i}>
                {row.text}
              </li>
            ))}
          </ul>
        )}
      </section>
      <Machine state={step.state} was={was} />
    </section>
  );
}

function LockGraph() {
  const g = data.lockGraph;
  return (
    <section id="lockgraph">
      <h3>Lock graph</h3>
      <p class="meta">
        {g.observedInTrace ? 'locks taken while holding another, in this trace' : 'every edge observed over the explored states'} · an edge A → B: B
        was acquired while A was held
      </p>
      {g.edges.length === 0 ? (
        <p class="none" id="no-edges">
          no lock was taken while another was held
        </p>
      ) : (
        <>
          <p id="cycle" class={g.cycle === null ? '' : 'bad'}>
            {g.cycle === null ? 'no cycle' : `cycle: ${g.cycle.join(' → ')}`}
          </p>
          {g.svg !== null ? (
            <div class="svg" dangerouslySetInnerHTML={{ __html: g.svg }} />
          ) : (
            <ul>
              {g.edges.map((e, i) => (
                <li key={i}>
                  {e.from} → {e.to} ({e.context}
                  {e.location !== null && `, ${e.location}`})
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

function Notes() {
  const lines = [...data.scenario, ...data.details];
  if (lines.length === 0) return null;
  return (
    <section id="notes">
      <h3>Scenario</h3>
      <pre>{lines.join('\n')}</pre>
    </section>
  );
}

function App() {
  const [at, setAt] = useState(firstStep);
  const go = (n: number): void => setAt(Math.max(0, Math.min(last, n)));

  useEffect(() => {
    const onHash = (): void => {
      const n = stepFromHash();
      if (n !== null) setAt(n);
    };
    const onKey = (e: KeyboardEvent): void => {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      const target = e.target as HTMLElement | null;
      if (target !== null && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
      let handled = true;
      if (e.key === 'ArrowRight' || e.key === 'ArrowDown' || e.key === 'j') setAt((n) => nextOf(n));
      else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp' || e.key === 'k') setAt((n) => Math.max(0, n - 1));
      else if (e.key === 'Home') setAt(0);
      else if (e.key === 'End') setAt(last);
      else handled = false;
      if (handled) e.preventDefault();
    };
    window.addEventListener('hashchange', onHash);
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('hashchange', onHash);
      window.removeEventListener('keydown', onKey);
    };
  }, []);

  useEffect(() => {
    // The step pane sticks below the header, whose height depends on how the message wraps.
    const header = document.querySelector('header')!;
    const keep = (): void => document.documentElement.style.setProperty('--header', `${header.offsetHeight}px`);
    const observer = new ResizeObserver(keep);
    observer.observe(header);
    keep();
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    if (location.hash !== `#step-${at}`) history.replaceState(null, '', `#step-${at}`);
    document.getElementById(`step-${at}`)?.scrollIntoView({ block: 'nearest' });
  }, [at]);

  return (
    <>
      <Header at={at} go={go} />
      <main>
        <div class="left">
          <Lanes at={at} go={go} />
          <LockGraph />
          <Notes />
        </div>
        <StepDetail at={at} />
      </main>
    </>
  );
}

const root = document.getElementById('app')!;
root.textContent = '';
render(<App />, root);
