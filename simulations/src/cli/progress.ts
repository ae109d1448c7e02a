/** A one-line progress bar on stderr (redrawn in place on a terminal; else every 1% or 30 s). */
export class ProgressBar {
  private readonly started = performance.now();
  private lastPercent = -1;
  private lastAt = 0;

  constructor(
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  update(done: number, note: string): void {
    const fraction = this.total === 0 ? 1 : done / this.total;
    const percent = Math.floor(fraction * 100);
    const tty = this.stream.isTTY === true;
    const now = performance.now();
    if (!tty && percent < this.lastPercent + 1 && now - this.lastAt < 30_000 && done !== this.total) return;
    this.lastPercent = percent;
    this.lastAt = now;
    const width = 30;
    const filled = Math.round(fraction * width);
    const elapsed = (performance.now() - this.started) / 1000;
    const rate = done / Math.max(elapsed, 1e-3);
    const eta = rate > 0 ? (this.total - done) / rate : 0;
    const line =
      `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${this.total} seeds ` +
      `${rate.toFixed(1)}/s elapsed ${elapsed.toFixed(0)}s ETA ${eta.toFixed(0)}s  ${note}`;
    this.stream.write(tty ? `\r${line}\u001b[K` : `${line}\n`);
  }

  finish(): void {
    if (this.stream.isTTY === true) this.stream.write('\n');
  }
}
