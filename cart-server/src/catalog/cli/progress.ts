/** A one-line progress bar on stderr (a plain line every 2 s when stderr is not a terminal). */
export class ProgressBar {
  readonly #total: number;
  readonly #label: string;
  readonly #tty = process.stderr.isTTY === true;
  #lastPlain = 0;

  constructor(label: string, total: number) {
    this.#label = label;
    this.#total = total;
  }

  update(done: number, extra = ''): void {
    const ratio = this.#total > 0 ? Math.min(1, done / this.#total) : 0;
    const pct = `${Math.floor(ratio * 100)}`.padStart(3);
    if (this.#tty) {
      const width = 30;
      const full = Math.round(ratio * width);
      process.stderr.write(
        `\r${this.#label} [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${pct}% ${extra}\x1b[K`,
      );
    } else if (Date.now() - this.#lastPlain > 2000) {
      this.#lastPlain = Date.now();
      process.stderr.write(`${this.#label} ${pct}% ${extra}\n`);
    }
  }

  done(extra = ''): void {
    this.#lastPlain = 0; // always print the final state
    this.update(this.#total, extra);
    if (this.#tty) process.stderr.write('\n');
  }
}

export function parseFlags(argv: readonly string[]): { flags: Map<string, string>; positional: string[] } {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq !== -1) flags.set(a.slice(2, eq), a.slice(eq + 1));
      else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) flags.set(a.slice(2), argv[++i]!);
      else flags.set(a.slice(2), 'true');
    } else positional.push(a);
  }
  return { flags, positional };
}

export function fail(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(2);
}
