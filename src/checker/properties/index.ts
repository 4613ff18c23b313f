// Every property, by id, in the order `schedcheck properties` lists them.

import { PROPERTY_IDS, type PropertyId } from '../../ir/ir.js';
import { assertions } from './assertions.js';
import { atomicSleep } from './atomic-sleep.js';
import { eoiDiscipline } from './eoi-discipline.js';
import { irqLatency } from './irq-latency.js';
import { irqLockSafety } from './irq-lock-safety.js';
import { lockOrder } from './lock-order.js';
import { noDeadlock } from './no-deadlock.js';
import { noStarvation } from './no-starvation.js';
import type { PropertyDefinition } from './property.js';
import { stackIntegrity } from './stack-integrity.js';

export const PROPERTIES: Record<PropertyId, PropertyDefinition> = {
  'no-deadlock': noDeadlock,
  'stack-integrity': stackIntegrity,
  'lock-order': lockOrder,
  'irq-lock-safety': irqLockSafety,
  'eoi-discipline': eoiDiscipline,
  'atomic-sleep': atomicSleep,
  'no-starvation': noStarvation,
  'irq-latency': irqLatency,
  assertions,
};

export function isPropertyId(id: string): id is PropertyId {
  return (PROPERTY_IDS as readonly string[]).includes(id);
}
