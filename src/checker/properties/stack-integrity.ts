// stack-integrity: every return pops the kind of frame its path pushed, of the thread it runs; stacks stay
// within their declared depth; ELR/SPSR are saved before anything can overwrite them; a thread is resumed only
// through the frame its suspension left. All of it is detected on the step that goes wrong (a fatal step).

import { violationOn, type PropertyDefinition } from './property.js';

export const stackIntegrity: PropertyDefinition = {
  id: 'stack-integrity',
  kind: 'safety',
  meaning: 'returns pop the right kind of frame of the right thread; stacks stay within depth; ELR/SPSR saved before reuse',
  // Only steps are watched: Model.stateEvents reports failed invariants and recursive acquires (assertions and
  // lock-order) and nothing of this property, so asking every state would only cost time.
  monitor: (x) => ({
    needsGraph: false,
    local: true,
    onTransition: (from, action, events) => (events.length === 0 ? null : violationOn(x, 'stack-integrity', events, from, action)),
  }),
};
