// Development aid, not a test: render every fixture's graphs to a folder (default /tmp/scratch) to look at.
//   npx tsx test/report/render-fixtures.ts [DIR]
import { writeFileSync } from 'node:fs';
import { renderCounterexampleDot } from '../../src/report/dot.js';
import { renderLockGraphDot } from '../../src/report/lockgraph.js';
import { renderSvg } from '../../src/report/svg.js';
import { FIXTURES } from './fixtures.js';

const out = process.argv[2] ?? '/tmp/scratch';
async function emit(name: string, dot: string): Promise<void> {
  writeFileSync(`${out}/${name}.dot`, dot);
  const svg = await renderSvg(dot);
  for (const w of svg.warnings) console.error(name, 'warning:', w);
  if (!svg.ok) console.error(name, svg.errors);
  else writeFileSync(`${out}/${name}.svg`, svg.svg);
}
for (const make of FIXTURES) {
  const f = make();
  await emit(f.name, renderCounterexampleDot(f.cex, f.program));
  if (f.cex.lockGraph !== undefined) await emit(`${f.name}.locks`, renderLockGraphDot(f.cex.lockGraph, f.program));
}
