// assertions: a model `assert` fails, an invariant is false in a reachable state, or the code does something
// a kernel would BUG() on (a value out of its range, division by zero, enqueuing a queued thread...).

import { eventMonitor, type PropertyDefinition } from './property.js';

export const assertions: PropertyDefinition = {
  id: 'assertions',
  kind: 'safety',
  meaning: 'every assert and invariant holds; no value leaves its range, no division by zero, no run-queue misuse',
  monitor: (x) => eventMonitor(x, 'assertions'),
};
