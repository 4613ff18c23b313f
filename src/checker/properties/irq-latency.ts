// irq-latency: no CPU keeps interrupts masked for more than the model's declared number of its own steps. The
// model counts consecutive masked steps per CPU (saturating one above the bound), so a state whose counter
// passes the bound is the end of a shortest path that masks interrupts too long.

import { readSlot } from '../../ir/layout.js';
import type { PropertyDefinition } from './property.js';

export const irqLatency: PropertyDefinition = {
  id: 'irq-latency',
  kind: 'safety',
  meaning: 'no CPU keeps interrupts masked for more than the declared `latency` bound of its own steps',
  monitor: (x) => {
    const bound = x.model.program.latencyBound;
    if (bound === null) return { notCheckable: 'the model declares no latency bound (machine { latency N })' };
    const counters = x.model.layout.cpus.map((cpu) => cpu.maskedSteps);
    return {
      needsGraph: false,
      local: true,
      onState(id, state) {
        for (let c = 0; c < counters.length; c++) {
          const slot = counters[c];
          if (slot && readSlot(state, slot) > bound) {
            return {
              message: `interrupts stay masked on CPU ${c} for more than ${bound} steps (the declared latency bound)`,
              state: id,
              action: null,
              violationSpan: null,
            };
          }
        }
        return null;
      },
    };
  },
};
