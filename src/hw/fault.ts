// A step that corrupts the machine or trips a kernel BUG throws a Fault. The model turns it into a fatal
// violation event: the path ends at that step, for every property (see docs/semantics.md, "Fatal steps").

import type { PropertyId } from '../ir/ir.js';

export class Fault extends Error {
  constructor(
    readonly property: PropertyId,
    message: string,
  ) {
    super(message);
  }
}
