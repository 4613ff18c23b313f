// eoi-discipline: EOI (or GIC acknowledge) only for a line in service (pending), every handler sends its EOI
// before it returns, and no line stays in service forever: after a complete search, a reachable state where a
// line is in service on a CPU and no path from it ever EOIs that line is a violation (the line is lost for
// good). A fatal step also ends the question, so a crash is not reported twice.

import { lineName } from '../../hw/describe.js';
import { readSlot } from '../../ir/layout.js';
import { EDGE_FATAL } from '../explicit/graph.js';
import { violationIn, violationOn, type Finding, type PropertyDefinition } from './property.js';

export const eoiDiscipline: PropertyDefinition = {
  id: 'eoi-discipline',
  kind: 'safety',
  meaning: 'EOI only for a line in service, every handler EOIs before it returns, no line stays in service forever',
  monitor: (x) => {
    const m = x.machine;
    const lineCount = m.program.lines.length;
    const inServiceSlots = m.layout.cpus.map((cpu) => cpu.inService);
    /** Per CPU, the lines seen in service in some reachable state, as a mask (what onComplete examines). */
    const everInService = new Array<number>(m.cpus).fill(0);
    return {
      needsGraph: true,
      stateReads: { watch: ['in-service'] },
      onState(id, state, events): Finding | null {
        // Every state passes here: only a line not seen in service before on that CPU changes anything.
        for (let c = 0; c < inServiceSlots.length; c++) everInService[c]! |= readSlot(state, inServiceSlots[c]!);
        return events.length === 0 ? null : violationIn('eoi-discipline', events, id);
      },
      onTransition: (from, action, events) => (events.length === 0 ? null : violationOn(x, 'eoi-discipline', events, from, action)),
      onComplete(graph): Finding | null {
        if (graph === null) return null;
        const states = graph.stateCount;
        let best: Finding | null = null;
        // Keys cpu * lines + line in increasing order, as the graph's EOI edges name them.
        for (let c = 0; c < m.cpus; c++) {
          for (let line = 0; line < lineCount; line++) {
            if ((everInService[c]! & (1 << line)) === 0) continue;
            if (m.program.lines[line]!.nmi === true) continue; // NMI blocking ends at an iret, not at an EOI
            const eois = graph.eoiEdges(c * lineCount + line);
            const good = graph.canReach(EDGE_FATAL, eois);
            const limit = best === null ? states : best.state;
            // Only the states that cannot reach an EOI are read (usually none): indexOf finds them natively.
            for (let id = good.indexOf(0); id >= 0 && id < limit; id = good.indexOf(0, id + 1)) {
              if ((m.inService(x.view(id), c) & (1 << line)) === 0) continue;
              const word = m.program.arch === 'aarch64' ? 'active' : 'in service';
              best = {
                message: `${lineName(m, line)} is left ${word} forever on CPU ${c}: no path from here sends its EOI, so the line is never delivered again`,
                state: id,
                action: null,
                violationSpan: null,
              };
              break;
            }
          }
        }
        return best;
      },
    };
  },
};
