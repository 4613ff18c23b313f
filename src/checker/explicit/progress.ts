// Progress of a long search on stderr. On a terminal, a live line redrawn about once a second; anywhere else (a
// CI log, a file) a plain line at least every 10 seconds, so a log never stays silent for minutes (TLC prints one
// a minute, SPIN one per million states). Both give states, states per second, the queue, the depth, the memory
// the process holds and the time since the search started, with thousands separators; after the search, while
// the properties that judge the whole state graph are checked, the property, the states, the memory and the time.

export type ProgressMode = 'off' | 'terminal' | 'log';

/** Interval of the log lines (of the live line: 1 s); SCHEDCHECK_PROGRESS_SECONDS overrides both (tests use a short one). */
const LOG_SECONDS = 10;
const TERMINAL_MS = 1000;

const grouped = (n: number): string => Math.round(n).toLocaleString('en-US');

function megabytes(bytes: number): string {
  return `${grouped(bytes / (1024 * 1024))} MB`;
}

/** `0:07`, `12:34`, `1:02:03`. */
export function elapsedText(ms: number): string {
  const s = Math.floor(ms / 1000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

export interface ProgressOptions {
  /** Between log lines, in ms (default 10 s, or SCHEDCHECK_PROGRESS_SECONDS). */
  logIntervalMs?: number;
  /** Bytes the process holds (default its resident set size). */
  memory?: () => number;
}

export class ProgressLine {
  private readonly started = Date.now();
  private last = this.started;
  private shown = false;
  private lastStates = 0;
  private readonly interval: number;
  private readonly memory: () => number;

  constructor(
    private readonly mode: ProgressMode,
    options: ProgressOptions = {},
  ) {
    const fromEnv = Number(process.env.SCHEDCHECK_PROGRESS_SECONDS);
    const envMs = Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv * 1000 : undefined;
    this.interval = mode === 'terminal' ? (envMs ?? TERMINAL_MS) : (options.logIntervalMs ?? envMs ?? LOG_SECONDS * 1000);
    this.memory = options.memory ?? (() => process.memoryUsage.rss());
  }

  /** The line for stderr: off when not requested, live on a terminal, plain lines otherwise. */
  static forStderr(requested: boolean | undefined): ProgressLine {
    if (requested === false) return new ProgressLine('off');
    return new ProgressLine(process.stderr.isTTY === true ? 'terminal' : 'log');
  }

  tick(states: number, queue: number, depth: number): void {
    if (this.mode === 'off') return;
    const now = Date.now();
    if (now - this.last < this.interval) return;
    const rate = ((states - this.lastStates) * 1000) / (now - this.last);
    this.lastStates = states;
    this.show(now, `${grouped(states)} states, ${grouped(rate)} states/s, queue ${grouped(queue)}, depth ${grouped(depth)}`);
  }

  /**
   * During the analyses of the state graph after the search (heartbeat.ts): a line naming the property being
   * checked, at most once per interval (counted from the search's last line).
   */
  analysing(property: string, states: number): void {
    if (this.mode === 'off') return;
    const now = Date.now();
    if (now - this.last < this.interval) return;
    this.show(now, `checking ${property} over ${grouped(states)} states`);
  }

  /** A line of `what`, then the memory and the time: redrawn on a terminal, a line of its own in a log. */
  private show(now: number, what: string): void {
    this.last = now;
    const text = `${what}, ${megabytes(this.memory())}, ${elapsedText(now - this.started)} elapsed`;
    if (this.mode === 'terminal') {
      this.shown = true;
      process.stderr.write(`\r\x1b[K${text}`);
    } else {
      process.stderr.write(`schedcheck: progress: ${text}\n`);
    }
  }

  done(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
  }
}
