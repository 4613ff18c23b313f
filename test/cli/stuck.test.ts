// A deadlock's report points at the instruction the CPU is stuck at (the spinning acquire, the hlt, the wait
// loop's test), not at the last step that ran: in the text trace, the SVG and the SARIF result's region.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, ROOT } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'schedcheck-stuck-'));
function model(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

const CASES = [
  { name: 'spinning acquire', file: join(ROOT, 'models/aethelos-001/spin-mutex-loom.sched'), line: 54, last: '  8  CPU0  handler timer (on worker)  line 53  work', stuck: 'acquire LOOM' },
  { name: 'wait loop', file: model('wait.sched', 'machine x86_64 { cpus 1 }\nvar flag : bool = false\nthread t on 0 {\n  work\n  while !flag { }\n}\n'), line: 5, last: '  1  CPU0  thread t  line 4  work', stuck: 'while !flag' },
];

describe('a deadlock points at the stuck instruction', () => {
  for (const c of CASES) {
    it(`${c.name}: text, SVG and SARIF`, () => {
      const svg = join(dir, `${c.line}-${c.stuck.length}.svg`);
      const text = cli(['check', c.file, '--property', 'no-deadlock', '--svg', svg]);
      expect(text.code).toBe(1);
      const lines = text.out.split('\n');
      const at = lines.indexOf(`     then stuck at line ${c.line}: ${c.stuck}   <-- here`);
      expect(at).toBeGreaterThan(0);
      expect(lines.slice(0, at).filter((l) => /^ {2}\d/.test(l)).at(-1)).toBe(c.last);
      expect(text.out).not.toMatch(/^ {2}\d.*<-- here$/m);
      const base = c.file.split('/').at(-1)!;
      // Graphviz writes '-' as &#45; in SVG text.
      const svgText = (s: string): string => s.replaceAll('-', '&#45;');
      expect(readFileSync(svg, 'utf8')).toContain(svgText(`VIOLATION: no-deadlock (at ${base}:${c.line})`));
      const sarif = JSON.parse(cli(['check', c.file, '--property', 'no-deadlock', '--format', 'sarif']).out) as {
        runs: { results: { locations: { physicalLocation: { region: { startLine: number } } }[] }[] }[];
      };
      expect(sarif.runs[0]!.results[0]!.locations[0]!.physicalLocation.region.startLine).toBe(c.line);
    });
  }

  it('hlt with interrupts masked: the hlt executes and the CPU stays halted there, the step marked in text and SARIF', () => {
    // A ready thread waits for the CPU, so the halted CPU is a deadlock, not idle.
    const file = model('hlt.sched', 'machine x86_64 { cpus 1 }\nthread t on 0 {\n  work\n  cli\n  hlt\n}\nthread u ready { work }\n');
    const text = cli(['check', file, '--property', 'no-deadlock']);
    expect(text.code).toBe(1);
    const steps = text.out.split('\n').filter((l) => /^ {2}\d/.test(l));
    expect(steps.at(-1)).toBe(`  3  CPU0  thread t  line 5  hlt   <-- here`);
    expect(text.out).not.toContain('then stuck at');
    const sarif = JSON.parse(cli(['check', file, '--property', 'no-deadlock', '--format', 'sarif']).out) as {
      runs: { results: { locations: { physicalLocation: { region: { startLine: number } } }[] }[] }[];
    };
    expect(sarif.runs[0]!.results[0]!.locations[0]!.physicalLocation.region.startLine).toBe(5);
  });
});
