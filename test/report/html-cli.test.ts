// `check --html FILE`, `export CEX.itf.json --html FILE` and `gate --html DIR`, called as the CLI calls them:
// which files they write and what the page carries (the browser side is html.test.ts).

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { bundleUi } from '../../scripts/bundle-ui.mjs';
import { checkCommand } from '../../src/cli/commands/check.js';
import { exportCommand } from '../../src/cli/commands/export.js';
import { gateCommand } from '../../src/cli/commands/gate.js';
import type { ReportData } from '../../src/report/htmldata.js';
import { htmlPage, REPORT_CSP } from '../../src/report/html.js';
import { reportFileName, type HtmlEntry } from '../../src/report/htmldir.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const LOOM = 'models/aethelos-001/spin-mutex-loom.sched';

let out = '';
let err = '';
let dir = '';

beforeAll(async () => {
  await bundleUi();
  process.chdir(ROOT);
});

beforeEach(() => {
  out = '';
  err = '';
  dir = mkdtempSync(join(tmpdir(), 'schedcheck-html-cli-'));
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

/** The report data a page embeds. */
function dataOf(page: string): ReportData {
  const m = /<script type="application\/json" id="schedcheck-data">(.*?)<\/script>/s.exec(page);
  if (m === null) throw new Error('no report data in the page');
  return JSON.parse(m[1]!) as ReportData;
}

const checkArgs = { property: ['no-deadlock'], engine: 'explicit' as const, set: [], format: 'text' as const };

describe('check --html', () => {
  it('writes one self-contained page: inline script and style, the CSP, the trace and the model source', async () => {
    const html = join(dir, 'loom.html');
    const code = await checkCommand({ ...checkArgs, models: [LOOM], html });
    expect([code, err]).toEqual([1, '']);
    const page = readFileSync(html, 'utf8');
    expect(page.startsWith('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n')).toBe(true);
    expect(page).toContain(`<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">`);
    expect(page).not.toMatch(/<script[^>]+src=|<link|https?:\/\/(?!www\.w3\.org)/);
    const data = dataOf(page);
    expect([data.file, data.property, data.length, data.cpus, data.violation, data.loop]).toEqual([LOOM, 'no-deadlock', 8, 1, 8, null]);
    expect(data.steps.map((s) => s.label)).toEqual([
      'initial state', 'sti', 'acquire WRITER', 'work', 'release WRITER', 'call yield_now', 'acquire LOOM', 'interrupt timer arrives and is taken', 'work',
    ]);
    expect(data.steps[8]!.span).toEqual({ file: LOOM, line: 53, col: 3, endLine: 53, endCol: 7 });
    expect(data.sources[LOOM]).toEqual(readFileSync(LOOM, 'utf8').split('\n'));
    expect(data.lockGraph).toEqual({ edges: [], cycle: null, observedInTrace: true, svg: null });
  });

  it('with no violation says there is nothing to write, and writes nothing', async () => {
    const html = join(dir, 'none.html');
    const code = await checkCommand({ ...checkArgs, property: ['stack-integrity'], models: [LOOM], html });
    expect([code, err, existsSync(html)]).toEqual([0, 'schedcheck: no property is violated: no counterexample to write\n', false]);
  });

  it('an unwritable path is bad input (exit 2)', async () => {
    const code = await checkCommand({ ...checkArgs, models: [LOOM], html: join(dir, 'missing', 'x.html') });
    expect(code).toBe(2);
    expect(err).toBe(`schedcheck: cannot write ${join(dir, 'missing', 'x.html')}: ENOENT\n`);
  });
});

describe('export --html', () => {
  it('draws a saved trace as the same page check wrote', async () => {
    const trace = join(dir, 'cex.itf.json');
    const first = join(dir, 'check.html');
    expect(await checkCommand({ ...checkArgs, property: ['lock-order'], models: ['models/forkexec-004/old-handler-abba.sched'], trace, html: first })).toBe(1);
    const again = join(dir, 'export.html');
    out = '';
    const code = await exportCommand({ trace, html: again });
    expect([code, err, out]).toEqual([0, '', '']);
    const [a, b] = [dataOf(readFileSync(first, 'utf8')), dataOf(readFileSync(again, 'utf8'))];
    expect(b).toEqual(a);
    expect(b.lockGraph.cycle).toEqual(['SCHED', 'PROC', 'SCHED']);
    expect(b.lockGraph.svg).toMatch(/^<svg /);
  });
});

describe('export --html of a crafted trace', () => {
  it('embeds only model sources: a path to another file, a device or a pipe is left out', async () => {
    const trace = join(dir, 'crafted.itf.json');
    expect(await checkCommand({ ...checkArgs, models: [LOOM], trace })).toBe(1);
    const secret = join(dir, 'secret.txt');
    writeFileSync(secret, 'root:x:0:0 the secret\n');
    const itf = JSON.parse(readFileSync(trace, 'utf8')) as { '#meta': { schedcheck: { spans: Record<string, { file: string }>; model: { file: string } } } };
    const meta = itf['#meta'].schedcheck;
    const files = [secret, '/dev/zero', secret, '/dev/zero'];
    Object.values(meta.spans).forEach((span, i) => (span.file = files[i % files.length]!));
    meta.model.file = '/dev/zero';
    writeFileSync(trace, JSON.stringify(itf));
    const html = join(dir, 'crafted.html');
    expect([await exportCommand({ trace, html }), err]).toEqual([0, '']);
    const page = readFileSync(html, 'utf8');
    expect(page).not.toContain('the secret');
    expect(dataOf(page).sources).toEqual({});
  });
});

describe('gate --html', () => {
  it('writes a page per counterexample and an index of them', async () => {
    // A plan names models inside its own repository (G207): this one sits in the checkout's ignored tmp/.
    mkdirSync(join(ROOT, 'tmp'), { recursive: true });
    const planDir = mkdtempSync(join(ROOT, 'tmp', 'html-gate-'));
    const plan = join(planDir, 'loom.plan');
    writeFileSync(plan, `model ${join(ROOT, LOOM)}\nexpect no-deadlock violated\nexpect stack-integrity holds\nexpect lock-order violated\n`);
    const html = join(dir, 'reports');
    const code = await gateCommand({ plans: [plan], format: 'text', html });
    expect(code).toBe(0);
    expect(err).toBe(`gate: 2 HTML reports in ${html} (index.html lists them)\n`);
    const name = 'models_aethelos-001_spin-mutex-loom';
    expect(readdirSync(html).sort()).toEqual(['index.html', `${name}.lock-order.html`, `${name}.no-deadlock.html`]);
    expect(dataOf(readFileSync(join(html, `${name}.no-deadlock.html`), 'utf8')).property).toBe('no-deadlock');
    const index = readFileSync(join(html, 'index.html'), 'utf8');
    expect(index).toContain(`<a href="${name}.no-deadlock.html">${LOOM}</a>`);
    expect(index).toContain('<h1>schedcheck gate: 2 counterexamples</h1>');
    rmSync(planDir, { recursive: true, force: true });
  });

  it('names a page for the model, its configuration, the property and a non-default engine', () => {
    const entry = (config: string, engine: string): HtmlEntry =>
      ({ model: 'models/x/y.sched', config, engine, expected: true, cex: { property: 'no-deadlock' }, program: {} }) as unknown as HtmlEntry;
    expect(reportFileName(entry('-', 'explicit'))).toBe('models_x_y.no-deadlock.html');
    expect(reportFileName(entry('CPUS=2 THREADS=3', 'smt'))).toBe('models_x_y.CPUS=2,THREADS=3.no-deadlock.smt.html');
  });
});

describe('the page', () => {
  it('escapes what could end a script element early', () => {
    const data = { property: 'no-deadlock', file: 'a</script><b>.sched', message: '</script>' } as unknown as ReportData;
    const page = htmlPage(data, { script: 'var s = "</script>"; // <!--', style: 'b{}' });
    expect(page).toContain('<script type="application/json" id="schedcheck-data">{"property":"no-deadlock","file":"a\\u003c/script>\\u003cb>.sched","message":"\\u003c/script>"}</script>');
    expect(page).toContain('<script>var s = "<\\/script>"; // <\\!--</script>');
    expect(page).toContain('<title>no-deadlock violated: a&lt;/script&gt;&lt;b&gt;.sched</title>');
  });
});
