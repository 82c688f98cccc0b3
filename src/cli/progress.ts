// Progress output on stderr (stdout stays clean for --json and tables). On a TTY: one updating line with a bar,
// ETA, loss and throughput. Without a TTY, or when CI is set: a plain line every few seconds and at the end of
// each phase, so logs stay readable.

export interface ProgressUpdate {
  /** what is running, e.g. "train original" or "salun" */
  label: string;
  done: number;
  total: number;
  loss?: number;
  imagesPerSecond?: number;
  /** e.g. "epoch 3/20" */
  detail?: string;
}

export interface Reporter {
  update(u: ProgressUpdate): void;
  /** a plain line (clears the bar first) */
  log(line: string): void;
  /** a line the user must see, even with --quiet: 'lethe: warning: …' */
  warn(line: string): void;
  /** ends the current bar */
  done(): void;
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '--:--';
  const m = Math.floor(s / 60);
  const sec = Math.floor(s % 60);
  return m >= 60 ? `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

export function formatSeconds(s: number): string {
  return s < 60 ? `${s.toFixed(1)} s` : fmtTime(s);
}

class BaseReporter implements Reporter {
  protected label = '';
  protected start = 0;
  protected startDone = 0;

  constructor(protected readonly stream: NodeJS.WriteStream | { write(s: string): boolean; isTTY?: boolean }) {}

  protected eta(u: ProgressUpdate): number {
    if (u.label !== this.label || u.done < this.startDone) {
      this.label = u.label;
      this.start = performance.now();
      this.startDone = u.done;
    }
    const elapsed = (performance.now() - this.start) / 1000;
    const progressed = u.done - this.startDone;
    return progressed > 0 ? (elapsed / progressed) * (u.total - u.done) : NaN;
  }

  protected text(u: ProgressUpdate, eta: number): string {
    const parts = [`${u.label}${u.detail ? ` ${u.detail}` : ''}`];
    parts.push(`${Math.floor((100 * u.done) / Math.max(u.total, 1))}%`);
    parts.push(`ETA ${fmtTime(eta)}`);
    if (u.loss !== undefined && Number.isFinite(u.loss)) parts.push(`loss ${u.loss.toFixed(4)}`);
    if (u.imagesPerSecond !== undefined && Number.isFinite(u.imagesPerSecond)) parts.push(`${Math.round(u.imagesPerSecond)} img/s`);
    return parts.join('  ');
  }

  update(_u: ProgressUpdate): void {}
  log(line: string): void {
    this.stream.write(line + '\n');
  }
  warn(line: string): void {
    this.log(`lethe: warning: ${line}`);
  }
  done(): void {}
}

class TtyReporter extends BaseReporter {
  private last = 0;
  private shown = false;

  override update(u: ProgressUpdate): void {
    const eta = this.eta(u);
    const now = performance.now();
    if (now - this.last < 100 && u.done < u.total) return;
    this.last = now;
    const width = 24;
    const filled = Math.round((width * u.done) / Math.max(u.total, 1));
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
    const cols = (this.stream as NodeJS.WriteStream).columns || 120;
    const line = `${bar} ${this.text(u, eta)}`.slice(0, Math.max(cols - 1, 20));
    this.stream.write(`\r\x1b[2K${line}`);
    this.shown = true;
  }

  override log(line: string): void {
    if (this.shown) this.stream.write('\r\x1b[2K');
    this.shown = false;
    this.stream.write(line + '\n');
  }

  override done(): void {
    if (this.shown) this.stream.write('\r\x1b[2K');
    this.shown = false;
  }
}

class PlainReporter extends BaseReporter {
  private last = 0;
  private lastLabel = '';

  constructor(stream: { write(s: string): boolean }, private readonly every: number) {
    super(stream);
  }

  override update(u: ProgressUpdate): void {
    const eta = this.eta(u);
    const now = performance.now();
    const finished = u.done >= u.total;
    if (!finished && u.label === this.lastLabel && now - this.last < this.every) return;
    this.last = now;
    this.lastLabel = u.label;
    this.stream.write(`  ${this.text(u, eta)}\n`);
  }
}

class SilentReporter extends BaseReporter {
  override log(): void {}
  // (--quiet silences progress, not warnings)
  override warn(line: string): void {
    this.stream.write(`lethe: warning: ${line}\n`);
  }
}

/** The reporter for this process: TTY bar, plain lines (no TTY or CI set), or silent (--quiet). */
export function makeReporter(o: { quiet?: boolean } = {}): Reporter {
  const stream = process.stderr;
  if (o.quiet) return new SilentReporter(stream);
  const ci = process.env['CI'] !== undefined && process.env['CI'] !== '' && process.env['CI'] !== '0' && process.env['CI'] !== 'false';
  if (stream.isTTY && !ci) return new TtyReporter(stream);
  const every = Number(process.env['LETHE_PROGRESS_SECONDS'] ?? '10') * 1000;
  return new PlainReporter(stream, Number.isFinite(every) && every >= 0 ? every : 10000);
}
