// eoi-discipline: EOI (or GIC acknowledge) only for a line in service (pending), every handler sends its EOI
// before it returns, and no line stays in service forever: after a complete search, a reachable state where a
// line is in service on a CPU and no path from it ever EOIs that line is a violation (the line is lost for
// good). A fatal step also ends the question, so a crash is not reported twice.

import { lineName } from '../../hw/describe.js';
import { EDGE_FATAL } from '../explicit/graph.js';
import { violationIn, violationOn, type Finding, type PropertyDefinition } from './property.js';

export const eoiDiscipline: PropertyDefinition = {
  id: 'eoi-discipline',
  kind: 'safety',
  meaning: 'EOI only for a line in service, every handler EOIs before it returns, no line stays in service forever',
  monitor: (x) => {
    const m = x.machine;
    const lineCount = m.program.lines.length;
    const everInService = new Set<number>(); // cpu * lines + line
    return {
      needsGraph: true,
      onState(id, state, events): Finding | null {
        for (let c = 0; c < m.cpus; c++) {
          const mask = m.inService(state, c);
          if (mask === 0) continue;
          for (let l = 0; l < lineCount; l++) if (mask & (1 << l)) everInService.add(c * lineCount + l);
        }
        return violationIn('eoi-discipline', events, id);
      },
      onTransition: (from, action, events) => violationOn(x, 'eoi-discipline', events, from, action),
      onComplete(graph): Finding | null {
        if (graph === null) return null;
        let best: Finding | null = null;
        for (const key of [...everInService].sort((a, b) => a - b)) {
          const c = Math.floor(key / lineCount);
          const line = key % lineCount;
          const eois = graph.eoiEdges(key);
          const good = graph.canReach((edge, flags) => (flags & EDGE_FATAL) !== 0 || eois[edge] === 1);
          for (let id = 0; id < graph.stateCount && (best === null || id < best.state); id++) {
            if (good[id] === 1 || (m.inService(x.state(id), c) & (1 << line)) === 0) continue;
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
        return best;
      },
    };
  },
};
