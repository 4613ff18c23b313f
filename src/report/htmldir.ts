// `gate --html DIR`: an HTML report (html.ts) for every counterexample a gate run found, and an index.html
// that lists them, so a CI job can publish the directory as one artifact.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Counterexample } from '../checker/verdict.js';
import type { ModelInfo } from './dot.js';
import { writeHtmlReport, REPORT_CSP } from './html.js';
import type { Warn } from './svg.js';
import { stderrWarn } from './svg.js';
import { escapeXml } from './xml.js';

export interface HtmlEntry {
  /** The model as the gate's table shows it (`models/x/y.sched`). */
  model: string;
  /** The configuration label (`CPUS=2 THREADS=3`, `-` for the model's own constants). */
  config: string;
  engine: string;
  /** Whether the plan expects this violation. */
  expected: boolean;
  cex: Counterexample;
  program: ModelInfo;
}

/** `models/x/y.sched`, `CPUS=2`, `no-deadlock` -> `models_x_y.CPUS=2.no-deadlock.html`. */
export function reportFileName(entry: HtmlEntry): string {
  const safe = (text: string): string => text.replace(/[^A-Za-z0-9=_-]+/g, '_').replace(/^_+|_+$/g, '');
  const parts = [safe(entry.model.replace(/\.sched$/, ''))];
  if (entry.config !== '-' && entry.config !== '') parts.push(entry.config.split(/\s+/).map(safe).join(','));
  parts.push(entry.cex.property);
  if (entry.engine !== 'explicit') parts.push(entry.engine);
  return `${parts.join('.')}.html`;
}

function indexPage(rows: { entry: HtmlEntry; file: string }[]): string {
  const items = rows.map(({ entry, file }) => {
    const expected = entry.expected ? 'expected' : 'NOT EXPECTED';
    const cells = [entry.model, entry.config, entry.cex.property, `${entry.cex.length} steps`, expected, entry.cex.message];
    return `<tr class="${entry.expected ? 'expected' : 'unexpected'}"><td><a href="${escapeXml(encodeURI(file))}">${escapeXml(cells[0]!)}</a></td>${cells
      .slice(1)
      .map((c) => `<td>${escapeXml(c)}</td>`)
      .join('')}</tr>`;
  });
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<title>schedcheck gate: counterexamples</title>
<style>body{font-family:'DejaVu Sans',Verdana,sans-serif;font-size:13px;margin:16px}table{border-collapse:collapse}td,th{border-bottom:1px solid #dee2e6;padding:3px 8px;text-align:left;vertical-align:top}tr.unexpected td{color:#e03131;font-weight:bold}</style>
</head>
<body>
<h1>schedcheck gate: ${rows.length} counterexample${rows.length === 1 ? '' : 's'}</h1>
<table>
<thead><tr><th>model</th><th>config</th><th>property</th><th>length</th><th>plan</th><th>message</th></tr></thead>
<tbody>
${items.join('\n')}
</tbody>
</table>
</body>
</html>
`;
}

/** Write a report per entry and the index into `dir` (made if missing). Returns the problems met. */
export async function writeHtmlReports(entries: HtmlEntry[], dir: string, warn: Warn = stderrWarn): Promise<{ written: number; problems: string[] }> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    return { written: 0, problems: [`cannot make ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`] };
  }
  const problems: string[] = [];
  const rows: { entry: HtmlEntry; file: string }[] = [];
  const taken = new Set<string>(['index.html']);
  for (const entry of entries) {
    let file = reportFileName(entry);
    for (let n = 2; taken.has(file); n++) file = reportFileName(entry).replace(/\.html$/, `.${n}.html`);
    taken.add(file);
    const failed = await writeHtmlReport(entry.cex, entry.program, join(dir, file), warn);
    problems.push(...failed);
    if (failed.length === 0) rows.push({ entry, file });
  }
  try {
    await writeFile(join(dir, 'index.html'), indexPage(rows), 'utf8');
  } catch (error) {
    problems.push(`cannot write ${join(dir, 'index.html')}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return { written: rows.length, problems };
}
