// no-starvation: a liveness property (under weak fairness of CPUs, every ready thread eventually runs). It
// needs cycle detection over the state graph, which is a later step; until then it says so.

import type { PropertyDefinition } from './property.js';

export const noStarvation: PropertyDefinition = {
  id: 'no-starvation',
  kind: 'liveness',
  meaning: 'under weak fairness of CPUs, every ready thread eventually runs again (liveness)',
  monitor: () => ({ notCheckable: 'liveness checking (no-starvation) is not implemented yet' }),
};
