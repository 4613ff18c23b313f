// Bundles the search's worker thread (dist/src/checker/explicit/shardworker.js and the modules it imports) into
// one file beside it, shardworker.bundle.js, which src/checker/explicit/workers.ts starts: a thread loads one
// file in about 15 ms where it took about 50 ms to load the sixty-odd modules one by one, and the search waits for
// its threads before it hands its states over (docs/performance.md, "Every core"). Part of `npm run build`, after
// tsc.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'dist/src/checker/explicit');

await build({
  entryPoints: [join(dir, 'shardworker.js')],
  outfile: join(dir, 'shardworker.bundle.js'),
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'warning',
});
