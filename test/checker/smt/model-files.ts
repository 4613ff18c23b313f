// Every model the SMT tests run over: the seed designs in models/, the small test models of the checker's own
// tests, and the SMT engine's test models (features the seeds do not use).

import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..', '..');

function schedFiles(dir: string, recursive: boolean): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    if (entry.isDirectory() && recursive) out.push(...schedFiles(join(dir, entry.name), recursive));
    else if (entry.isFile() && entry.name.endsWith('.sched')) out.push(join(dir, entry.name));
  }
  return out.sort();
}

export const SEED_MODELS = schedFiles('models', true);
export const TEST_MODELS = [...schedFiles('test/checker/models', false), ...schedFiles('test/checker/smt/models', false)];
export const ALL_MODELS = [...SEED_MODELS, ...TEST_MODELS];

export function modelPath(file: string): string {
  return join(ROOT, file);
}
