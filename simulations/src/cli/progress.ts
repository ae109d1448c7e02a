/** A one-line progress bar on stderr (redrawn in place on a terminal, every 5% otherwise). */
export class ProgressBar {
  private readonly started = performance.now();
  private lastPercent = -1;

  constructor(
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  update(done: number, note: string): void {
    const fraction = this.total === 0 ? 1 : done / this.total;
    const percent = Math.floor(fraction * 100);
    const tty = this.stream.isTTY === true;
    if (!tty && percent < this.lastPercent + 5 && done !== this.total) return;
    this.lastPercent = percent;
    const width = 30;
    const filled = Math.round(fraction * width);
    const elapsed = (performance.now() - this.started) / 1000;
    const rate = done / Math.max(elapsed, 1e-3);
    const eta = rate > 0 ? (this.total - done) / rate : 0;
    const line =
      `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${this.total} seeds ` +
      `${rate.toFixed(1)}/s ETA ${eta.toFixed(0)}s  ${note}`;
    this.stream.write(tty ? `\r${line}\u001b[K` : `${line}\n`);
  }

  finish(): void {
    if (this.stream.isTTY === true) this.stream.write('\n');
  }
}
