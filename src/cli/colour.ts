// Colour on a terminal: `--color auto` (the default) colours a stream that is a terminal unless NO_COLOR is set
// (https://no-color.org); `always` and `never` decide regardless.

import type { Tone } from '../report/text.js';

export type ColourMode = 'auto' | 'always' | 'never';
export const COLOUR_MODES = ['auto', 'always', 'never'] as const;

const SGR: Record<Tone, string> = {
  error: '1;31',
  warning: '1;33',
  violated: '1;31',
  holds: '32',
  inconclusive: '33',
  dim: '2',
};

const on = { stdout: false, stderr: false };

export function colourFor(mode: ColourMode, stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (mode !== 'auto') return mode === 'always';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}

/** Decide, once, from the command line, whether stdout and stderr get colour. */
export function setColourMode(mode: ColourMode): void {
  on.stdout = colourFor(mode, process.stdout);
  on.stderr = colourFor(mode, process.stderr);
}

/** `text` in the colour of `tone` when the stream it goes to is coloured. */
export function paint(tone: Tone, text: string, stream: 'stdout' | 'stderr' = 'stderr'): string {
  return on[stream] ? `\x1b[${SGR[tone]}m${text}\x1b[0m` : text;
}

/** The painter of one stream, for the report formatters (which know nothing of terminals). */
export function painter(stream: 'stdout' | 'stderr'): (tone: Tone, text: string) => string {
  return (tone, text) => paint(tone, text, stream);
}
