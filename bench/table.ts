// Rendering the bench's tables, as aligned text for the terminal and as Markdown for docs/performance.md.

export type Cell = string | number;

export interface Table {
  title: string;
  header: string[];
  rows: Cell[][];
  /** Columns aligned right (numbers). */
  numeric: boolean[];
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function fmtSeconds(s: number): string {
  return s < 10 ? s.toFixed(3) : s.toFixed(1);
}

export function fmtRatio(r: number): string {
  return Number.isFinite(r) ? `${r < 10 ? r.toFixed(2) : r.toFixed(1)}x` : '-';
}

export function renderText(t: Table): string {
  const cells = [t.header, ...t.rows.map((r) => r.map(String))];
  const widths = t.header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: Cell[]) =>
    r.map((c, i) => (t.numeric[i] ? String(c).padStart(widths[i]!) : String(c).padEnd(widths[i]!))).join('  ').trimEnd();
  return [t.title, line(t.header), widths.map((w) => '-'.repeat(w)).join('  '), ...t.rows.map(line)].join('\n');
}

export function renderMarkdown(t: Table): string {
  const sep = t.numeric.map((n) => (n ? '---:' : '---'));
  const row = (r: Cell[]) => `| ${r.map(String).join(' | ')} |`;
  return [`**${t.title}**`, '', row(t.header), `|${sep.join('|')}|`, ...t.rows.map(row)].join('\n');
}
