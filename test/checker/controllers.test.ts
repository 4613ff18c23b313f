// Interrupt controllers (`machine { controller i8259 | gic }`): the 8259A's fixed priorities and its specific and
// non-specific EOI, the GIC's acknowledge into a variable, EOI of a variable id and running priority. Each rule
// is written once in src/hw, so the reference interpreter, the compiled successor function and the SMT encoding
// agree; each regression model's verdict flips when its rule is reverted (said in each model's header).

import { describe, it } from 'vitest';
import { expectBothEngines } from './both-engines.js';

describe('8259A in fully nested mode', () => {
  it('IR0 interrupts the IR1 handler', async () => {
    await expectBothEngines('i8259-ir0-preempts', 'assertions', 'violated 36 6', 'violated 6', 0);
  });
  it('IR1 is held off while IR0 is in service', async () => {
    await expectBothEngines('i8259-ir1-held-off', 'assertions', 'holds 44', 'holds', 12);
  });
  it('a non-specific EOI clears the highest-priority ISR bit', async () => {
    // The SMT engine proves the immediate rules (no EOI of a line not in service, no return with it in service)
    // and leaves "in service for ever" to the explicit engine (docs/smt.md): inconclusive, not holds.
    await expectBothEngines('i8259-nonspecific-eoi', 'eoi-discipline', 'holds 48', 'inconclusive', 12);
  });
  it('a specific EOI of the wrong level leaves the right one in service', async () => {
    await expectBothEngines('i8259-specific-eoi-wrong', 'eoi-discipline', 'violated 10 3', 'violated 3', 0);
  });
});
