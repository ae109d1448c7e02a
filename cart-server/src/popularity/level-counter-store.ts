/**
 * Daily-window popularity counters of one node (the source design's streaming aggregation,
 * embedded). Events are summed in memory and flushed to LevelDB as `day!productId → [views, adds,
 * orders]` increments (read-modify-write under one in-process writer; one LevelDB batch per
 * chunk). Days older than the window are deleted on flush.
 */
import { type LevelLike, prefixEnd } from '../storage/level-types.js';
import { addEvent, type CounterStore, DayKeyCache, type WindowRow } from './counter-store.js';
import { DAY_MS, type DailyCounts, dayKey, type PopularityEvent } from './events.js';

export interface CounterStoreOptions {
  readonly windowDays?: number;
  readonly now?: () => number;
  /** Flush once this many (day, product) pairs are pending (bounds memory). */
  readonly maxPending?: number;
}

export class LevelCounterStore implements CounterStore {
  readonly kind = 'level';
  readonly #db: LevelLike;
  readonly #pending = new Map<string, DailyCounts>();
  readonly #windowDays: number;
  readonly #now: () => number;
  readonly #maxPending: number;
  readonly #days = new DayKeyCache();
  #flushing: Promise<void> = Promise.resolve();
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
    addEvent(this.#pending, `${this.#days.key(event.at ?? this.#now())}!${event.productId}`, event);
    if (this.#pending.size >= this.#maxPending) void this.flush().catch(() => undefined);
  }

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

  async *window(): AsyncIterable<WindowRow> {
    const oldest = dayKey(this.#now() - (this.#windowDays - 1) * DAY_MS);
    for await (const [key, raw] of this.#db.iterator({ gte: oldest, lt: prefixEnd('9999') })) {
      const bang = key.indexOf('!');
      yield [key.slice(0, bang), key.slice(bang + 1), JSON.parse(raw) as DailyCounts];
    }
  }

  async countsOf(productId: string, day: string): Promise<DailyCounts> {
    const key = `${day}!${productId}`;
    const raw = await this.#db.get(key);
    const stored: DailyCounts = raw === undefined ? [0, 0, 0] : (JSON.parse(raw) as DailyCounts);
    const p = this.#pending.get(key) ?? [0, 0, 0];
    return [stored[0] + p[0], stored[1] + p[1], stored[2] + p[2]];
  }

  close(): Promise<void> {
    return this.flush();
  }
}
