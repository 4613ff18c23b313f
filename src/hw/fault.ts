// A step that corrupts the machine or trips a kernel BUG throws a Fault. The model turns it into a fatal
// violation event: the path ends at that step, for every property (see docs/semantics.md, "Fatal steps").

import type { PropertyId } from '../ir/ir.js';

export class Fault extends Error {
  constructor(
    readonly property: PropertyId,
    message: string,
  ) {
    // A Fault is caught by the model on every path and becomes an event: a stack trace would never be read,
    // and capturing one costs more than the rest of the step (a search can meet thousands of faults).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}
