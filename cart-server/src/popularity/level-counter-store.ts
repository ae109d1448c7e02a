/**
 * Daily-window popularity counters (the source design's streaming aggregation, on one node).
 * Events are summed in memory and flushed to LevelDB as `day!productId → [views, adds, orders]`
 * increments (read-modify-write under one in-process writer), so a crash loses at most the last
 * flush interval of a soft signal. Days older than the window are deleted on flush.
 */
import { type LevelLike, prefixEnd } from '../storage/level-types.js';
import { DAY_MS, type DailyCounts, dayKey, type PopularityEvent } from './events.js';

export interface CounterStoreOptions {
  readonly windowDays?: number;
  readonly now?: () => number;
  /** Flush once this many (day, product) pairs are pending (bounds memory). */
  readonly maxPending?: number;
}

export class PopularityCounterStore {
  readonly #db: LevelLike;
  readonly #pending = new Map<string, DailyCounts>();
  readonly #windowDays: number;
  readonly #now: () => number;
  readonly #maxPending: number;
  #flushing: Promise<void> = Promise.resolve();
  /** The UTC day of the last event and its bounds: formatting a date on every view is costly. */
  #dayStart = 0;
  #dayEnd = 0;
  #dayText = '';
  #lastPrunedDay = '';

  constructor(db: LevelLike, options: CounterStoreOptions = {}) {
    this.#db = db.sublevel('popularity-days', { valueEncoding: 'utf8' });
    this.#windowDays = options.windowDays ?? 30;
    this.#now = options.now ?? Date.now;
    this.#maxPending = options.maxPending ?? 100_000;
    if (!Number.isInteger(this.#windowDays) || this.#windowDays < 1) throw new TypeError('windowDays ≥ 1');
  }

  get windowDays(): number {
    return this.#windowDays;
  }

  get pending(): number {
    return this.#pending.size;
  }

  record(event: PopularityEvent): void {
    const key = `${this.#day(event.at ?? this.#now())}!${event.productId}`;
    let counts = this.#pending.get(key);
    if (counts === undefined) {
      counts = [0, 0, 0];
      this.#pending.set(key, counts);
    }
    const n = event.quantity ?? 1;
    if (event.type === 'view') counts[0] += 1;
    else if (event.type === 'cart_add') counts[1] += n;
    else counts[2] += n;
    if (this.#pending.size >= this.#maxPending) void this.flush().catch(() => undefined);
  }

  #day(ms: number): string {
    if (ms < this.#dayStart || ms >= this.#dayEnd) {
      this.#dayStart = ms - (ms % DAY_MS);
      this.#dayEnd = this.#dayStart + DAY_MS;
      this.#dayText = dayKey(ms);
    }
    return this.#dayText;
  }

  /** Writes pending increments; concurrent calls are serialized. */
  flush(): Promise<void> {
    const run = this.#flushing.then(() => this.#flushNow());
    this.#flushing = run.catch(() => undefined);
    return run;
  }

  async #flushNow(): Promise<void> {
    if (this.#pending.size > 0) {
      const entries = [...this.#pending];
      this.#pending.clear();
      for (let i = 0; i < entries.length; i += 1000) {
        const chunk = entries.slice(i, i + 1000);
        const stored = await this.#db.getMany(chunk.map(([k]) => k));
        await this.#db.batch(
          chunk.map(([key, inc], j) => {
            const raw = stored[j];
            const old: DailyCounts = raw === undefined ? [0, 0, 0] : (JSON.parse(raw) as DailyCounts);
            const sum: DailyCounts = [old[0] + inc[0], old[1] + inc[1], old[2] + inc[2]];
            return { type: 'put' as const, key, value: JSON.stringify(sum) };
          }),
        );
      }
    }
    await this.#prune();
  }

  async #prune(): Promise<void> {
    const today = dayKey(this.#now());
    if (today === this.#lastPrunedDay) return;
    this.#lastPrunedDay = today;
    const oldest = dayKey(this.#now() - (this.#windowDays - 1) * DAY_MS);
    const dels: Array<{ type: 'del'; key: string }> = [];
    for await (const key of this.#db.keys({ lt: oldest })) {
      dels.push({ type: 'del', key });
      if (dels.length >= 1000) await this.#db.batch(dels.splice(0));
    }
    if (dels.length > 0) await this.#db.batch(dels);
  }

  /** Flushed counts per day within the window (oldest first): `[day, productId, counts]`. */
  async *window(): AsyncIterable<readonly [string, string, DailyCounts]> {
    const oldest = dayKey(this.#now() - (this.#windowDays - 1) * DAY_MS);
    for await (const [key, raw] of this.#db.iterator({ gte: oldest, lt: prefixEnd('9999') })) {
      const bang = key.indexOf('!');
      yield [key.slice(0, bang), key.slice(bang + 1), JSON.parse(raw) as DailyCounts];
    }
  }

  /** Counts of one product and day (flushed + pending), for tests and the admin view. */
  async countsOf(productId: string, day: string): Promise<DailyCounts> {
    const key = `${day}!${productId}`;
    const raw = await this.#db.get(key);
    const stored: DailyCounts = raw === undefined ? [0, 0, 0] : (JSON.parse(raw) as DailyCounts);
    const p = this.#pending.get(key) ?? [0, 0, 0];
    return [stored[0] + p[0], stored[1] + p[1], stored[2] + p[2]];
  }
}
