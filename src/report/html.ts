// The counterexample as one self-contained HTML page a person opens in a browser and steps through: a lane
// per CPU, the source line of each step highlighted, the machine after each step with what changed, every
// stack drawn as frames, the lock graph and a lasso's loop. Everything is inline (script, style, data, the
// lock graph's SVG) and a Content-Security-Policy forbids every fetch, so the file works offline and from a
// CI artifact. The page's code is src/report/ui/, bundled with Preact at build time (scripts/bundle-ui.mjs)
// into dist/ui/, which this writer inlines.

import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Counterexample } from '../checker/verdict.js';
import type { ModelInfo } from './dot.js';
import { reportData, sourceFiles, traceLockEdges, type ReportData } from './htmldata.js';
import { renderLockGraphDot } from './lockgraph.js';
import { renderSvg, stderrWarn, type Warn } from './svg.js';
import { escapeXml } from './xml.js';
import { readRegularFile } from '../lang/readfile.js';

/** No fetch of any kind: scripts and styles inline only, images only as data: URLs. */
export const REPORT_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

/** The package's root: the nearest directory above this module holding package.json (src/ and dist/src/ alike). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the schedcheck package root');
    dir = up;
  }
  return dir;
}

export interface UiBundle {
  script: string;
  style: string;
}

let bundle: UiBundle | null = null;

/** The page's script and style as `npm run build` bundled them. */
export function uiBundle(): UiBundle {
  if (bundle !== null) return bundle;
  const dir = join(packageRoot(), 'dist', 'ui');
  try {
    bundle = { script: readFileSync(join(dir, 'report.js'), 'utf8'), style: readFileSync(join(dir, 'report.css'), 'utf8') };
  } catch {
    throw new Error(`the HTML report's script is missing from ${dir}: run 'npm run build'`);
  }
  return bundle;
}

/** Text safe inside a <script> element: nothing in it can close the element. */
function scriptText(text: string): string {
  return text.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

function jsonText(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** The page for report data. */
export function htmlPage(data: ReportData, ui: UiBundle = uiBundle()): string {
  const title = `${data.property} violated: ${data.file}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="schedcheck">',
    `<title>${escapeXml(title)}</title>`,
    `<style>${ui.style.replace(/<\/(style)/gi, '<\\/$1')}</style>`,
    '</head>',
    '<body>',
    `<div id="app"><noscript><p>This report needs JavaScript. ${escapeXml(title)}: ${escapeXml(data.message)}</p></noscript></div>`,
    `<script type="application/json" id="schedcheck-data">${jsonText(data)}</script>`,
    `<script>${scriptText(ui.script)}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/**
 * Source files read from disk; a file that cannot be read is left out (the page then shows the step's line): a
 * saved trace may outlive its model. The paths come from the counterexample, which `export` reads from a file
 * anyone may have written: only regular files named `.sched` (a model's source) and of a model's size are read,
 * so that a crafted trace cannot put another file into a report, nor read a device or a pipe for ever.
 */
function readSources(files: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const file of files) {
    if (!file.endsWith('.sched')) continue;
    const read = readRegularFile(file);
    if (read.ok) out[file] = read.text;
  }
  return out;
}

/** The HTML report of a counterexample. Graphviz warnings about the lock graph go to `warn`. */
export async function renderHtmlReport(cex: Counterexample, model: ModelInfo | undefined, warn: Warn = stderrWarn): Promise<string> {
  const edges = cex.lockGraph ?? traceLockEdges(cex);
  let svg: string | null = null;
  if (edges.length > 0) {
    const rendering = await renderSvg(renderLockGraphDot(edges, model));
    for (const warning of rendering.warnings) warn(warning);
    if (rendering.ok) svg = rendering.svg.slice(Math.max(0, rendering.svg.indexOf('<svg'))); // the element alone: no XML prolog inside HTML
    else for (const error of rendering.errors) warn(error);
  }
  return htmlPage(reportData(cex, model, readSources(sourceFiles(cex, model)), svg));
}

/** Write the HTML report; returns the problems that kept it from being written (empty on success). */
export async function writeHtmlReport(cex: Counterexample, model: ModelInfo | undefined, path: string, warn: Warn = stderrWarn): Promise<string[]> {
  let page: string;
  try {
    page = await renderHtmlReport(cex, model, warn);
  } catch (error) {
    return [`cannot write ${path}: ${error instanceof Error ? error.message : String(error)}`];
  }
  try {
    await writeFile(path, page, 'utf8');
    return [];
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String((error as NodeJS.ErrnoException).code) : String(error);
    return [`cannot write ${path}: ${reason}`];
  }
}
