/**
 * Where the daily popularity windows live. Implementations: `LevelCounterStore` (one node,
 * embedded) and `RedisCounterStore` (every node of a cluster adds into one set of windows); both
 * run cart-server/test/popularity/counter-store.conformance.ts.
 *
 * What an *acknowledged* count is: `record` only sums an event in memory (views are
 * fire-and-forget, cart adds and orders are reported after their own write was acknowledged);
 * a count is acknowledged once a `flush()` that started after it resolved. From then on a
 * restart, a crash or a retried flush neither loses it nor counts it twice. A process that dies
 * before the next flush (every second in a cluster, every 5 s alone; SIGTERM flushes) loses the
 * counts recorded since the last one: popularity is a soft signal.
 */
import { DAY_MS, type DailyCounts, dayKey, type PopularityEvent } from './events.js';

/** One row of the window: `[day, productId, counts]`. */
export type WindowRow = readonly [day: string, productId: string, counts: DailyCounts];

export interface CounterStore {
  readonly kind: string;
  readonly windowDays: number;
  /** (day, product) pairs summed in memory and not yet flushed. */
  readonly pending: number;
  /** Sums one valid event in memory (the caller validated it); never throws, never waits. */
  record(event: PopularityEvent): void;
  /** Makes every count recorded before the call acknowledged; concurrent calls are serialized. */
  flush(): Promise<void>;
  /** Acknowledged counts per day within the window, oldest day first. */
  window(): AsyncIterable<WindowRow>;
  /** Acknowledged + pending counts of one product and day (tests, the admin view). */
  countsOf(productId: string, day: string): Promise<DailyCounts>;
  close(): Promise<void>;
}

/** Adds one event to a `(day, product) → counts` map of pending increments. */
export function addEvent(pending: Map<string, DailyCounts>, key: string, event: PopularityEvent): void {
  let counts = pending.get(key);
  if (counts === undefined) {
    counts = [0, 0, 0];
    pending.set(key, counts);
  }
  const n = event.quantity ?? 1;
  if (event.type === 'view') counts[0] += 1;
  else if (event.type === 'cart_add') counts[1] += n;
  else counts[2] += n;
}

/** `dayKey` for event times, formatting a date only when the day changes (it runs on every view). */
export class DayKeyCache {
  #start = 0;
  #end = 0;
  #text = '';
  key(ms: number): string {
    if (ms < this.#start || ms >= this.#end) {
      this.#start = ms - (ms % DAY_MS);
      this.#end = this.#start + DAY_MS;
      this.#text = dayKey(ms);
    }
    return this.#text;
  }
}
