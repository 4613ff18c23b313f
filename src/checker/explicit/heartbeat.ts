// The analyses that judge the whole state graph after the search (no-deadlock's reachability, no-starvation's fair
// components, eoi-discipline's) can take as long as the search on a large model. They call `beat()` in their
// loops, once per 4096 states they go through (an index tested against the literal mask 4095: a call per state,
// or an imported constant read in a tight loop, cost 5% of the checks' time) or once per sweep over all of them;
// while someone listens (explore.ts, through its progress line), a beat asks it to write a line when one is due,
// so that a log is not silent for minutes after the search's last line (docs/ci.md).

let listener: (() => void) | null = null;

/** Some of an analysis' work done. */
export function beat(): void {
  if (listener !== null) listener();
}

/** `f` hears the beats until the next call (null: nobody). */
export function listen(f: (() => void) | null): void {
  listener = f;
}
