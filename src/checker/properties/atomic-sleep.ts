// atomic-sleep: Linux's "scheduling while atomic" and "sleeping function called from invalid context". A
// switch in interrupt context or with a (not handed-off) spinlock held, and a mutex acquire in interrupt
// context, under a spinlock or with interrupts masked. Detected on the step; the path goes on, as Linux does.

import { violationOn, type PropertyDefinition } from './property.js';

export const atomicSleep: PropertyDefinition = {
  id: 'atomic-sleep',
  kind: 'safety',
  meaning: 'no context switch or sleeping lock in interrupt context, under a spinlock or with interrupts masked',
  // Only steps are watched: Model.stateEvents reports failed invariants and recursive acquires (assertions and
  // lock-order) and nothing of this property, so asking every state would only cost time.
  monitor: (x) => ({
    needsGraph: false,
    local: true,
    onTransition: (from, action, events) => (events.length === 0 ? null : violationOn(x, 'atomic-sleep', events, from, action)),
  }),
};
