// The progress line: written to stderr about once a second, and only when stderr is a terminal.

export class ProgressLine {
  private last = Date.now();
  private shown = false;
  private lastStates = 0;

  constructor(private readonly enabled: boolean) {}

  static forStderr(requested: boolean | undefined): ProgressLine {
    return new ProgressLine(requested !== false && process.stderr.isTTY === true);
  }

  tick(states: number, queue: number, depth: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 1000) return;
    const rate = Math.round(((states - this.lastStates) * 1000) / (now - this.last));
    this.last = now;
    this.lastStates = states;
    this.shown = true;
    process.stderr.write(`\r\x1b[K${states} states, ${rate} states/s, queue ${queue}, depth ${depth}`);
  }

  done(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
  }
}
