// stack-integrity: every return pops the kind of frame its path pushed, of the thread it runs; stacks stay
// within their declared depth; ELR/SPSR are saved before anything can overwrite them; a thread is resumed only
// through the frame its suspension left. All of it is detected on the step that goes wrong (a fatal step).

import { eventMonitor, type PropertyDefinition } from './property.js';

export const stackIntegrity: PropertyDefinition = {
  id: 'stack-integrity',
  kind: 'safety',
  meaning: 'returns pop the right kind of frame of the right thread; stacks stay within depth; ELR/SPSR saved before reuse',
  monitor: (x) => eventMonitor(x, 'stack-integrity'),
};
