// Building blocks of the graphs' node labels: Graphviz HTML-like labels (a small XML dialect) and DOT
// quoting. Every graph in src/report goes through these, so escaping is decided in one place.

import { escapeXml } from './xml.js';

/** A double-quoted DOT string (IDs, plain labels, attribute values). */
export function dotQuote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

export interface FontStyle {
  face?: 'mono' | 'sans';
  size?: number;
  color?: string;
  bold?: boolean;
}

// Graphviz sizes every box from built-in font metrics, not from the viewer's fonts. DejaVu Sans is among the
// fonts it has metrics for and is as wide as any common sans font, so text fits whatever the viewer falls
// back to (svg.ts adds Verdana and sans-serif as fallbacks); Courier is the monospace font it knows.
export const SANS = 'DejaVu Sans';
export const MONO = 'Courier';

export function styled(text: string, style: FontStyle = {}): string {
  // Graphviz rejects an empty <FONT></FONT>; a blank line of a table is a single space.
  // Graphviz reads backslash escapes in the text of HTML-like labels too (a character reference does not
  // help: it is decoded first), so a backslash is doubled there, as in a quoted DOT string.
  let html = text.length === 0 ? ' ' : escapeXml(text).replace(/\\/g, '\\\\');
  if (style.bold) html = `<B>${html}</B>`;
  const attrs: string[] = [];
  if (style.face === 'mono') attrs.push(`FACE="${MONO}"`);
  if (style.size !== undefined) attrs.push(`POINT-SIZE="${style.size}"`);
  if (style.color !== undefined) attrs.push(`COLOR="${style.color}"`);
  return attrs.length === 0 ? html : `<FONT ${attrs.join(' ')}>${html}</FONT>`;
}

/** One left-aligned table row per entry; an entry is already-styled HTML. */
export function htmlTable(rows: string[], options: { bgcolor?: string } = {}): string {
  const bg = options.bgcolor === undefined ? '' : ` BGCOLOR="${options.bgcolor}"`;
  // One row per line of DOT (Graphviz ignores whitespace between table elements), so golden diffs read.
  const body = rows.map((row) => `\n    <TR><TD ALIGN="LEFT" BALIGN="LEFT">${row}</TD></TR>`).join('');
  return `<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1"${bg}>${body}\n  </TABLE>`;
}

/** An HTML-like label, kept apart from plain strings so that a name such as `<none>` is never taken for one. */
export interface Html {
  html: string;
}

export function html(text: string): Html {
  return { html: text };
}

/** Greedy word wrap; a word longer than the width stays whole on its own line. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w.length > 0)) {
    if (line.length > 0 && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line.length === 0 ? word : `${line} ${word}`;
    }
  }
  if (line.length > 0) lines.push(line);
  return lines;
}

export function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 3)}...`;
}

/** Shorten every `dir/sub/file.sched:12` inside a text to `file.sched:12`. */
export function shortenPaths(text: string): string {
  return text.replace(/[^\s(@]*[/\\]([^/\\\s]+:\d+)/g, '$1');
}

/** `models/aethelos/naive.sched:12` -> `naive.sched:12`: nodes are narrow, the title carries the path. */
export function shortLocation(location: string): string {
  const slash = Math.max(location.lastIndexOf('/'), location.lastIndexOf('\\'));
  return slash < 0 ? location : location.slice(slash + 1);
}

export type DotValue = string | number | boolean | Html | undefined;

/** Render `attrs` as a DOT attribute list: HTML labels as `<...>`, everything else quoted. */
export function dotAttrs(attrs: Record<string, DotValue>): string {
  const parts = Object.entries(attrs)
    .filter((entry): entry is [string, Exclude<DotValue, undefined>] => entry[1] !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'object' ? `<${value.html}>` : dotQuote(String(value))}`);
  return parts.length === 0 ? '' : ` [${parts.join(', ')}]`;
}
