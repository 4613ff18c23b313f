// A model whose states each have thousands of successors of thousands of words: one state takes tens of
// milliseconds to expand, and the bounds must still be looked at often enough (SearchBounds.periodic).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkModelFile } from '../../src/checker/check.js';

const HEAVY = `machine x86_64 { cpus 4 }
var a : 0..2147483647[1024]
var b : 0..2147483647[1024]
var c : 0..2147483647[1024]
var d : 0..2147483647[1024]
var x : 0..255 = 0
thread t[4] on each { loop { x := any 0..255; a[x] := 1 } }
`;

describe('a search of heavy states', () => {
  it('stops at --timeout, not a batch of 1024 states later (8 s with --timeout 3 before)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'schedcheck-heavy-')), 'heavy.sched');
    writeFileSync(file, HEAVY);
    const { report } = await checkModelFile(file, [], { engine: 'explicit', properties: ['assertions'], timeoutSeconds: 3, workers: 1 });
    const result = report!.results[0]!;
    expect(result).toMatchObject({ property: 'assertions', verdict: 'inconclusive', reason: 'timeout' });
    // The time bound is met to within a batch, which now takes about a tenth of a second.
    expect(result.stats.seconds).toBeLessThan(6);
    expect(result.stats.states).toBeGreaterThan(1024);
  }, 120_000);
});
