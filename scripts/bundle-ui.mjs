// Bundles the HTML report's page code (src/report/ui/, Preact) into dist/ui/report.js and report.css, which
// src/report/html.ts inlines into every report. Part of `npm run build`; tests call bundleUi() to rebuild.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function bundleUi() {
  await build({
    entryPoints: [join(root, 'src/report/ui/app.tsx')],
    outfile: join(root, 'dist/ui/report.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'warning',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundleUi();
