// The expander of a program the compiled code does not cover (compileModel returned null): every action listed
// and every step taken by the reference model.

import { NO_EVENTS, type Model, type ModelEvent } from '../../ir/model.js';
import { actionsInto } from './compile.js';
import { fatal, type Expander } from './expander.js';

export class ReferenceExpander implements Expander {
  readonly current: Uint32Array;
  events: readonly ModelEvent[] = NO_EVENTS;
  readonly written = -1;
  readonly dirty = null;

  constructor(private readonly model: Model) {
    this.current = new Uint32Array(model.layout.words);
  }

  actions(state: Uint32Array, out: Int32Array): number {
    return actionsInto(this.model, null, state, out);
  }

  step(state: Uint32Array, action: number, _observed: boolean): Uint32Array | null {
    const r = this.model.successor(state, action);
    this.events = r.events;
    return r.events !== NO_EVENTS && fatal(r.events) ? null : r.next;
  }

  stateEvents(state: Uint32Array): readonly ModelEvent[] {
    return this.model.stateEvents(state);
  }

  rebind(): void {}
}
