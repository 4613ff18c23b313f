// `schedcheck properties`: every property id, one per line, with what violates it.

import { PROPERTIES } from '../../checker/properties/index.js';
import { PROPERTY_IDS } from '../../ir/ir.js';

export function propertiesText(): string {
  const width = Math.max(...PROPERTY_IDS.map((id) => id.length));
  return PROPERTY_IDS.map((id) => `${id.padEnd(width)}  ${PROPERTIES[id].meaning}\n`).join('');
}

export async function propertiesCommand(): Promise<number> {
  process.stdout.write(propertiesText());
  return 0;
}
