// Colour: on a terminal unless NO_COLOR is set, never into a pipe or file; --color always|never decides.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { colourFor } from '../../src/cli/colour.js';
import { cli, MAIN, ROOT, TSX } from './run.js';

const FIXED = 'models/aethelos-001/spin-mutex-fixed.sched';
const LOOM = 'models/aethelos-001/spin-mutex-loom.sched';
const RED = '\x1b[1;31m';
const GREEN = '\x1b[32m';

/** The command run on a pseudo-terminal (util-linux `script`), as a user at a terminal runs it. */
function onTerminal(args: string[], env: Record<string, string> = {}): string {
  const command = [process.execPath, '--import', TSX, MAIN, ...args].map((a) => `'${a}'`).join(' ');
  const environment: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (env.NO_COLOR === undefined) delete environment.NO_COLOR;
  return spawnSync('script', ['-qec', command, '/dev/null'], { cwd: ROOT, encoding: 'utf8', env: environment }).stdout;
}

describe('colour', () => {
  it('colours verdicts on a terminal, and none with NO_COLOR set', () => {
    expect(onTerminal(['check', FIXED, '--property', 'no-deadlock'])).toContain(`  no-deadlock  ${GREEN}holds\x1b[0m  (expected holds: matches)`);
    expect(onTerminal(['check', FIXED, '--property', 'no-deadlock'], { NO_COLOR: '1' })).toContain('  no-deadlock  holds  (expected holds: matches)');
  });

  it('--color always colours a pipe; auto (the default) and never do not', () => {
    const always = cli(['check', LOOM, '--property', 'no-deadlock', '--color', 'always']);
    expect(always.out).toContain(`  no-deadlock  ${RED}VIOLATED\x1b[0m  (expected violated: matches)`);
    expect(cli(['check', LOOM, '--property', 'no-deadlock']).out).not.toContain('\x1b[');
    expect(cli(['check', LOOM, '--property', 'no-deadlock', '--color', 'never']).out).not.toContain('\x1b[');
  });

  it('colours diagnostics on stderr', () => {
    const r = cli(['check', 'no-such-file.sched', '--color', 'always']);
    expect(r.code).toBe(2);
    expect(r.err.startsWith(`${RED}no-such-file.sched:1:1: error E603: `)).toBe(true);
  });

  it('decides auto by the stream and NO_COLOR', () => {
    expect(colourFor('auto', { isTTY: true }, {})).toBe(true);
    expect(colourFor('auto', { isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colourFor('auto', { isTTY: false }, {})).toBe(false);
    expect(colourFor('always', { isTTY: false }, { NO_COLOR: '1' })).toBe(true);
    expect(colourFor('never', { isTTY: true }, {})).toBe(false);
  });
});
