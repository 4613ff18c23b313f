// The HTML report in a real browser: Debian's chromium, driven by puppeteer-core, one launch for the file.
// Each report is a seed model's counterexample; the tests step through it with the keys, the buttons and the
// anchors and read back what the page shows. `SCHEDCHECK_SCREENSHOTS=1` also saves the views to docs/.

import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleUi } from '../../scripts/bundle-ui.mjs';
import { checkModelFile } from '../../src/checker/check.js';
import type { PropertyId } from '../../src/ir/ir.js';
import { renderHtmlReport } from '../../src/report/html.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = process.env.SCHEDCHECK_SCREENSHOTS === '1';

let browser: Browser;
let dir: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: install Debian's chromium (.ci/run does), or set CHROMIUM to one`);
  await bundleUi(); // the page as the source says now, not as the last build left it
  dir = mkdtempSync(join(tmpdir(), 'schedcheck-html-'));
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

/** The seed model's counterexample for `property`, as `check --html` writes it. */
async function report(model: string, property: PropertyId): Promise<string> {
  process.chdir(ROOT); // spans and excerpts name files relative to the repository, as on the command line
  const { program, report } = await checkModelFile(model, [], { properties: [property], progress: false });
  const result = report?.results.find((r) => r.property === property);
  if (program === null || result?.verdict !== 'violated') throw new Error(`${model}: ${property} is not violated`);
  const path = join(dir, `${property}.html`);
  writeFileSync(path, await renderHtmlReport(result.counterexample, program, () => undefined));
  return path;
}

interface Opened {
  page: Page;
  requests: string[];
  errors: string[];
}

async function open(path: string, anchor = ''): Promise<Opened> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 900 });
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => errors.push(`console ${m.type()}: ${m.text()}`));
  await page.goto(`${pathToFileURL(path).href}${anchor}`, { waitUntil: 'load' });
  await page.waitForSelector('#detail');
  return { page, requests, errors };
}

const text = (page: Page, selector: string): Promise<string> => page.$eval(selector, (e) => (e as HTMLElement).innerText.trim());
const texts = (page: Page, selector: string): Promise<string[]> => page.$$eval(selector, (es) => es.map((e) => (e as HTMLElement).innerText.trim()));

/** What the page shows of the selected step, in the terms the tests assert. */
async function shown(page: Page) {
  return {
    position: await text(page, '#position'),
    hash: await page.evaluate(() => location.hash),
    title: await text(page, '#step-title'),
    line: (await page.$('#source .src.current')) === null ? null : await text(page, '#source .src.current .ln'),
    flag: await texts(page, '.cpu .flag .v'),
    context: await texts(page, '.cpu .context .v'),
    holders: await page.$$eval('#locks tr', (rows) => rows.map((r) => `${r.getAttribute('data-lock')}: ${(r.querySelector('.holder') as HTMLElement).innerText}`)),
    frames: await page.$$eval('.cpu', (cpus) => cpus.map((c) => [...c.querySelectorAll('.stack .frame')].map((f) => `${f.getAttribute('data-kind')}: ${(f as HTMLElement).innerText}`))),
    changes: await texts(page, '#changes li'),
  };
}

/** Do something that selects step `step`, and wait until the page shows it (Preact renders asynchronously). */
async function to(page: Page, step: number, action: () => Promise<unknown>): Promise<void> {
  await action();
  // The address bar follows the selection after the render (an effect): wait for both.
  await page.waitForFunction(
    (n) => document.querySelector('#position b')?.textContent === String(n) && location.hash === `#step-${n}`,
    { timeout: 5000 },
    step,
  );
}

async function screenshot(page: Page, name: string): Promise<void> {
  if (SCREENSHOTS) await page.screenshot({ path: join(ROOT, 'docs', name) });
}

const LOOM = 'models/aethelos-001/spin-mutex-loom.sched';

describe('the HTML report of spin-mutex-loom, no-deadlock', () => {
  let opened: Opened;
  beforeAll(async () => {
    opened = await open(await report(LOOM, 'no-deadlock'));
  }, 60_000);

  it('opens at the violation, with one lane for the one CPU', async () => {
    const { page } = opened;
    expect(await texts(page, '#lanes .lane-name')).toEqual(['CPU0']);
    expect(await text(page, '#lanes .lane-now')).toBe('handler timer (on worker) IF=0');
    expect(await texts(page, '#lanes tbody tr.row td.idx')).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8']);
    expect(await shown(page)).toEqual({
      position: 'step 8 of 8',
      hash: '#step-8',
      title: 'CPU0 handler timer (on worker): work',
      line: '53',
      flag: ['IF=0'],
      context: ['handler timer (on worker)'],
      holders: ['LOOM: held by worker', 'WRITER: free'],
      frames: [
        [
          'irq: irq frame (timer, IF=1, worker @ models/aethelos-001/spin-mutex-loom.sched:46)',
          'call: call frame (worker returns to models/aethelos-001/spin-mutex-loom.sched:37)',
        ],
      ],
      changes: [],
    });
    expect(await text(page, '#source .src.current mark')).toBe('work');
    expect(await text(page, '#violation')).toBe(
      // A deadlock is placed at the instruction the CPU is stuck at, which the last step did not run.
      'VIOLATION: no-deadlock (at models/aethelos-001/spin-mutex-loom.sched:54)\ndeadlock: no CPU can make progress: CPU0: handler timer (on worker) spins on LOOM at models/aethelos-001/spin-mutex-loom.sched:54 with interrupts masked, which worker already holds (recursive locking)',
    );
    expect(await texts(page, '#lanes tr.violating td.idx')).toEqual(['8']);
    await screenshot(page, 'html-report-deadlock.png');
  });

  it('steps back and forward with the keys and the buttons, showing each step\'s line, flag, locks and frames', async () => {
    const { page } = opened;
    await to(page, 0, () => page.keyboard.press('Home'));
    expect(await shown(page)).toMatchObject({ position: 'step 0 of 8', hash: '#step-0', title: 'Initial state', line: null, flag: ['IF=1'], frames: [[]] });
    await to(page, 1, () => page.keyboard.press('ArrowRight'));
    expect(await shown(page)).toMatchObject({ position: 'step 1 of 8', title: 'CPU0 thread worker: sti', line: '35', flag: ['IF=1'], changes: [] });
    await to(page, 2, () => page.keyboard.press('ArrowRight'));
    expect(await shown(page)).toMatchObject({ title: 'CPU0 thread worker: acquire WRITER', line: '37', holders: ['LOOM: free', 'WRITER: held by worker'], changes: ['locks: WRITER'] });
    for (let i = 3; i <= 6; i++) await to(page, i, () => page.click('#next'));
    expect(await shown(page)).toEqual({
      position: 'step 6 of 8',
      hash: '#step-6',
      title: 'CPU0 thread worker: acquire LOOM',
      line: '45',
      flag: ['IF=1'],
      context: ['thread worker'],
      holders: ['LOOM: held by worker', 'WRITER: free'],
      frames: [['call: call frame (worker returns to models/aethelos-001/spin-mutex-loom.sched:37)']],
      changes: ['locks: LOOM'],
    });
    expect(await texts(page, '#locks tr.changed th')).toEqual(['LOOM']);
    await to(page, 5, () => page.click('#prev'));
    expect(await shown(page)).toMatchObject({ position: 'step 5 of 8', title: 'CPU0 thread worker: call yield_now', line: '40', holders: ['LOOM: free', 'WRITER: free'] });
    await to(page, 6, () => page.keyboard.press('j'));
    await to(page, 7, () => page.keyboard.press('j'));
    expect(await shown(page)).toEqual({
      position: 'step 7 of 8',
      hash: '#step-7',
      title: 'CPU0 thread worker: interrupt timer arrives and is taken',
      line: null,
      flag: ['IF=0'],
      context: ['handler timer (on worker)'],
      holders: ['LOOM: held by worker', 'WRITER: free'],
      frames: [
        [
          'irq: irq frame (timer, IF=1, worker @ models/aethelos-001/spin-mutex-loom.sched:46)',
          'call: call frame (worker returns to models/aethelos-001/spin-mutex-loom.sched:37)',
        ],
      ],
      changes: [
        'now: handler timer (on worker)',
        'IF 1 -> 0',
        'hardirq depth 0 -> 1',
        'in service: timer',
        'stack (top first):',
        'irq frame (timer, IF=1, worker @ models/aethelos-001/spin-mutex-loom.sched:46)',
        'call frame (worker returns to models/aethelos-001/spin-mutex-loom.sched:37)',
      ],
    });
    expect(await text(page, '#source .none')).toBe('a hardware event: no source line');
    expect(await text(page, '.cpu .in-service .v')).toBe('timer');
    expect(await texts(page, '#lanes tr.current .card.interrupt .label')).toEqual(['interrupt timer arrives and is taken']);
    await to(page, 8, () => page.keyboard.press('End'));
    expect((await shown(page)).position).toBe('step 8 of 8');
    expect(await page.$eval('#next', (b) => (b as HTMLButtonElement).disabled)).toBe(true);
  });

  it('has an anchor per step, followed by a click or a link', async () => {
    const { page } = opened;
    await to(page, 3, () => page.click('#step-3 a'));
    expect(await shown(page)).toMatchObject({ position: 'step 3 of 8', hash: '#step-3', title: 'CPU0 thread worker: work', line: '38' });
    await to(page, 4, () => page.click('#step-4 .card'));
    expect(await shown(page)).toMatchObject({ position: 'step 4 of 8', title: 'CPU0 thread worker: release WRITER', line: '39' });
    const linked = await open(await report(LOOM, 'no-deadlock'), '#step-2');
    expect(await shown(linked.page)).toMatchObject({ position: 'step 2 of 8', hash: '#step-2', title: 'CPU0 thread worker: acquire WRITER' });
    await linked.page.close();
  });

  it('is one file that fetches nothing and runs without errors', async () => {
    const { page, requests, errors } = opened;
    expect(requests).toEqual([page.url().replace(/#.*$/, '')]);
    expect(errors).toEqual([]);
    const csp = await page.$eval('meta[http-equiv="Content-Security-Policy"]', (m) => m.getAttribute('content'));
    expect(csp).toBe("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:");
  });
});

describe('the HTML report of other seed counterexamples', () => {
  it('old-handler-abba, lock-order: two lanes, the steps in CPU0\'s, the lock graph with its cycle', async () => {
    const { page, requests, errors } = await open(await report('models/forkexec-004/old-handler-abba.sched', 'lock-order'));
    expect(await texts(page, '#lanes .lane-name')).toEqual(['CPU0', 'CPU1']);
    expect(await page.$$eval('#lanes tbody tr.row', (rows) => rows.slice(1).map((r) => [...r.querySelectorAll('td[data-lane]')].findIndex((td) => td.querySelector('.card') !== null)))).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(await shown(page)).toMatchObject({
      position: 'step 7 of 7',
      title: 'CPU0 thread boot[0]: acquire SCHED',
      line: '58',
      flag: ['IF=0', 'IF=1'],
      context: ['thread boot[0]', 'thread boot[1]'],
      holders: ['SCHED: held by boot[0]', 'PROC: held by boot[0]'],
    });
    expect(await text(page, '#cycle')).toBe('cycle: SCHED → PROC → SCHED');
    expect(await page.$$eval('#lockgraph svg g.node title', (ts) => ts.map((t) => t.textContent))).toEqual(['lock SCHED', 'lock PROC']);
    expect(await text(page, '#notes pre')).toContain('lock(PROC);');
    expect(requests).toHaveLength(1);
    expect(errors).toEqual([]);
    await page.evaluate(() => document.getElementById('lockgraph')!.scrollIntoView());
    await screenshot(page, 'html-report-lock-graph.png');
    await page.close();
  });

  it('cpu-hog-cooperative, no-starvation: the lasso\'s loop is marked, and forward from its last step goes round it', async () => {
    const { page, errors } = await open(await report('models/aethelos-001/cpu-hog-cooperative.sched', 'no-starvation'));
    expect(await shown(page)).toMatchObject({ position: 'step 2 of 6', title: 'CPU0 thread hog: work', line: '27' });
    expect(await text(page, '#loop')).toBe('loop starts here: steps 2..6 repeat forever');
    expect(await texts(page, '#lanes tr.in-loop td.idx')).toEqual(['2', '3', '4', '5', '6']);
    expect(await text(page, '#lanes tr.repeat')).toBe('↺\trepeats forever from step 2');
    await screenshot(page, 'html-report-lasso.png');
    await to(page, 6, () => page.keyboard.press('End'));
    expect(await text(page, '#next')).toBe('↺ step 2');
    expect(await text(page, '#loop')).toBe('in the loop: steps 2..6 repeat forever; next comes step 2 again');
    expect(await shown(page)).toMatchObject({ title: 'CPU0 handler timer (on hog): iret', line: '53', flag: ['IF=1'], changes: ['now: thread hog', 'IF 0 -> 1', 'hardirq depth 1 -> 0', 'stack: empty'] });
    await to(page, 2, () => page.click('#next'));
    expect(await shown(page)).toMatchObject({ position: 'step 2 of 6', hash: '#step-2' });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('reaper-races-exit, stack-integrity: an aarch64 report names the flag PSTATE.I and puts each step in its CPU\'s lane', async () => {
    const { page, errors } = await open(await report('models/aarch64-003/reaper-races-exit.sched', 'stack-integrity'));
    expect(await page.$$eval('#lanes tbody tr.row', (rows) => rows.slice(1).map((r) => [...r.querySelectorAll('td[data-lane]')].findIndex((td) => td.querySelector('.card') !== null)))).toEqual([0, 0, 0, 0, 0, 1, 1, 1]);
    expect(await shown(page)).toMatchObject({
      position: 'step 8 of 8',
      title: 'CPU1 thread reaper: free_stack victim',
      line: '36',
      flag: ['PSTATE.I=1', 'PSTATE.I=0'],
      context: ['thread victim', 'thread reaper'],
      frames: [['call: call frame (victim returns to models/aarch64-003/reaper-races-exit.sched:30)'], []],
    });
    expect(await texts(page, '.cpu .elr .v')).toEqual(['empty', 'empty']);
    expect(await texts(page, '.cpu .flag .k')).toEqual(['DAIF', 'DAIF']);
    expect(errors).toEqual([]);
    await screenshot(page, 'html-report-two-cpus.png');
    await page.close();
  });
});
