/**
 * A terminal progress bar for long jobs (training epochs, preprocessing, generation).
 *
 * On a TTY it redraws one line in place (a bar, percent, count, rate, ETA and any named values); when the
 * stream is not a TTY (a log file, CI) it prints a plain line every few seconds instead, so logs stay readable.
 *
 * @example
 * const bar = createProgress({ total: files.length, label: 'preprocess', unit: 'files' });
 * for (const f of files) { await work(f); bar.tick(1, { clips }); }
 * bar.finish();
 */

/** Where progress is written: stderr by default (stdout stays free for results). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** Units of work in all (items, files, samples). 0 or less: unknown, no bar or ETA. */
  total: number;
  /** Shown first on the line, e.g. "epoch 3/20". */
  label?: string;
  /** Name of one unit of work, for the rate ("samples" -> "12.5 samples/s"). */
  unit?: string;
  stream?: ProgressStream;
  /** Width of the bar in characters. */
  barWidth?: number;
  /** Least time between redraws on a TTY (ms). */
  redrawMs?: number;
  /** Time between plain lines when not a TTY (ms). */
  lineMs?: number;
  /** Clock in ms; injectable for tests. */
  now?: () => number;
  /**
   * Units of work that follow this bar's in the same job (the later epochs of a training run): the line then also
   * shows the whole job's ETA at the current rate, "ETA 0:12 (run 3:40)".
   */
  remainingAfter?: number;
  /** No ETA before this many seconds, and only once the projected duration holds still (see etaTolerance). */
  etaHoldSeconds?: number;
  /** The ETA shows once the projected duration moved by less than this fraction over the last second. */
  etaTolerance?: number;
}

/** Defaults of every option, in one place. */
export const DEFAULT_PROGRESS = {
  label: '',
  unit: 'items',
  barWidth: 24,
  redrawMs: 100,
  lineMs: 5000,
  remainingAfter: 0,
  etaHoldSeconds: 2,
  etaTolerance: 0.2,
} as const;

/** Extra values shown after the ETA, e.g. { loss: 1234.5, kl: 12.1 }. */
export type ProgressFields = Record<string, string | number>;

/**
 * Formats seconds as m:ss or h:mm:ss.
 * @example formatDuration(65) // "1:05"
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * Formats a number compactly with about 4 significant digits; exponent notation when very large or small.
 * @example formatNumber(12345.678) // "1.235e+4"
 */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e4 || a < 1e-3) return x.toExponential(3).replace(/\.?0+e/, 'e');
  return String(Number(x.toPrecision(4)));
}

/**
 * Draws the bar itself: filled part, then a head, then the rest.
 * @example renderBar(0.5, 10) // "[=====>    ]" (the head replaces the first empty cell)
 */
export function renderBar(fraction: number, width: number): string {
  const f = Math.min(1, Math.max(0, fraction));
  const filled = Math.floor(f * width);
  const head = filled < width ? '>' : '';
  return `[${'='.repeat(filled)}${head}${' '.repeat(Math.max(0, width - filled - head.length))}]`;
}

/** What one progress line shows. */
export interface ProgressState {
  label: string;
  unit: string;
  done: number;
  total: number;
  elapsedSeconds: number;
  fields: ProgressFields;
  /** Draw a bar (TTY) or not (plain lines). */
  bar: boolean;
  barWidth: number;
  /** True for the last line: shows the elapsed time instead of the ETA. */
  finished?: boolean;
  /** Leave the ETA out (not yet stable). */
  holdEta?: boolean;
  /** Units of work after this bar's, for the whole job's ETA. */
  remainingAfter?: number;
}

/** Renders one progress line (no newline, no terminal codes). Pure, for tests and custom displays. */
export function formatProgressLine(s: ProgressState): string {
  const parts: string[] = [];
  if (s.label) parts.push(s.label);
  const known = s.total > 0;
  if (known && s.bar) parts.push(renderBar(s.done / s.total, s.barWidth));
  if (known) parts.push(`${Math.floor((100 * Math.min(s.done, s.total)) / s.total)}%`.padStart(4));
  parts.push(known ? `${s.done}/${s.total}` : `${s.done}`);
  const rate = s.elapsedSeconds > 0 ? s.done / s.elapsedSeconds : NaN;
  if (Number.isFinite(rate)) parts.push(`${formatNumber(rate)} ${s.unit}/s`);
  if (s.finished) parts.push(`in ${formatDuration(s.elapsedSeconds)}`);
  else if (known && rate > 0 && !s.holdEta) {
    const left = Math.max(0, s.total - s.done);
    const run = s.remainingAfter ? ` (run ${formatDuration((left + s.remainingAfter) / rate)})` : '';
    parts.push(`ETA ${formatDuration(left / rate)}${run}`);
  }
  for (const [key, value] of Object.entries(s.fields)) {
    parts.push(`${key} ${typeof value === 'number' ? formatNumber(value) : value}`);
  }
  return parts.join(' ');
}

/** A live progress display; create with createProgress. */
export class ProgressBar {
  private readonly o: Required<Omit<ProgressOptions, 'now' | 'stream'>> & { stream: ProgressStream; now: () => number };
  private readonly start: number;
  private done = 0;
  private fields: ProgressFields = {};
  private lastDraw = -Infinity;
  private drawn = false;
  private closed = false;
  /** The projected duration a second or more ago, to tell when the ETA has settled; and whether it has. */
  private projection?: { at: number; seconds: number };
  private etaStable = false;

  constructor(options: ProgressOptions) {
    this.o = {
      ...DEFAULT_PROGRESS,
      ...dropUndefined(options),
      total: options.total,
      stream: options.stream ?? process.stderr,
      now: options.now ?? (() => performance.now()),
    };
    this.start = this.o.now();
  }

  private get tty(): boolean {
    return Boolean(this.o.stream.isTTY);
  }

  /** Adds `n` units of work done and optionally replaces the shown values. */
  tick(n = 1, fields?: ProgressFields): void {
    this.update(this.done + n, fields);
  }

  /** Sets the amount of work done and optionally the shown values; redraws when it is time to. */
  update(done: number, fields?: ProgressFields): void {
    if (this.closed) return;
    this.done = done;
    if (fields) this.fields = { ...this.fields, ...fields };
    const now = this.o.now();
    this.watchEta(now);
    const interval = this.tty ? this.o.redrawMs : this.o.lineMs;
    if (now - this.lastDraw >= interval) {
      this.lastDraw = now;
      this.draw(false);
    }
  }

  /** Prints the final line (with the elapsed time) and ends the display. Safe to call twice. */
  finish(fields?: ProgressFields): void {
    if (this.closed) return;
    if (fields) this.fields = { ...this.fields, ...fields };
    this.draw(true);
    this.closed = true;
  }

  /**
   * Clears the live line on a TTY so other output can be printed; the next update redraws it.
   * Use before console.error while a bar is showing.
   */
  clear(): void {
    if (this.tty && this.drawn) this.o.stream.write('\r\x1b[K');
    this.drawn = false;
    this.lastDraw = -Infinity;
  }

  /** Seconds since the bar was created. */
  elapsedSeconds(): number {
    return (this.o.now() - this.start) / 1000;
  }

  /**
   * The first estimates are dominated by start-up (workers starting, the first batch compiling): the ETA is held
   * until etaHoldSeconds have passed and the projected duration changed by at most etaTolerance over a second.
   */
  private watchEta(now: number): void {
    if (this.etaStable || this.o.total <= 0 || this.done <= 0) return;
    const elapsed = (now - this.start) / 1000;
    const seconds = (elapsed * this.o.total) / this.done;
    const prev = this.projection;
    if (prev && now - prev.at >= 1000) {
      if (elapsed >= this.o.etaHoldSeconds && Math.abs(seconds - prev.seconds) <= this.o.etaTolerance * seconds) this.etaStable = true;
      this.projection = { at: now, seconds };
    } else if (!prev) this.projection = { at: now, seconds };
  }

  private draw(finished: boolean): void {
    const line = formatProgressLine({
      label: this.o.label,
      unit: this.o.unit,
      done: this.done,
      total: this.o.total,
      elapsedSeconds: this.elapsedSeconds(),
      fields: this.fields,
      bar: this.tty,
      barWidth: this.o.barWidth,
      finished,
      holdEta: !this.etaStable,
      remainingAfter: this.o.remainingAfter,
    });
    if (this.tty) {
      // Clip to the terminal width so a long line never wraps (wrapping breaks the in-place redraw).
      const width = this.o.stream.columns ?? 0;
      const shown = width > 1 && !finished ? line.slice(0, width - 1) : line;
      this.o.stream.write(`\r\x1b[K${shown}${finished ? '\n' : ''}`);
      this.drawn = !finished;
    } else {
      this.o.stream.write(`${line}\n`);
    }
  }
}

/** Creates and shows a progress bar (see ProgressOptions for the defaults). */
export function createProgress(options: ProgressOptions): ProgressBar {
  return new ProgressBar(options);
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
