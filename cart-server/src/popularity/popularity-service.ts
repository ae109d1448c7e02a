/**
 * Popularity: the `record(event)` hook (product views from the catalog routes, cart adds from
 * the cart server, orders from the order processor), daily-window counters, and the ranking
 * job whose latest snapshot is persisted so bands survive a restart.
 */

import { PRODUCT_ID_PATTERN } from '../catalog/product.js';
import type { LevelLike } from '../storage/level-types.js';
import { PopularityCounterStore } from './counter-store.js';
import type { PopularityEvent, PopularityEventType } from './events.js';

const EVENT_TYPES: ReadonlySet<PopularityEventType> = new Set(['view', 'cart_add', 'order']);

import { computeRanking, EMPTY_RANKING, type RankingOptions, type RankingSnapshot } from './ranking.js';

export interface PopularityOptions extends RankingOptions {
  readonly windowDays?: number;
  /** Background flush period (0 disables the timer; call `flush()` yourself). */
  readonly flushIntervalMs?: number;
}

export type RecordPopularity = (event: PopularityEvent) => void;

export class PopularityService {
  readonly counters: PopularityCounterStore;
  readonly #meta: LevelLike;
  readonly #options: PopularityOptions;
  #latest: RankingSnapshot = EMPTY_RANKING;
  #timer: NodeJS.Timeout | undefined;
  #dropped = 0;

  constructor(db: LevelLike, options: PopularityOptions = {}) {
    this.#options = options;
    this.counters = new PopularityCounterStore(db, {
      ...(options.windowDays === undefined ? {} : { windowDays: options.windowDays }),
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    this.#meta = db.sublevel('popularity-meta', { valueEncoding: 'utf8' });
    const every = options.flushIntervalMs ?? 5000;
    if (every > 0) {
      this.#timer = setInterval(() => void this.counters.flush().catch(() => undefined), every);
      this.#timer.unref();
    }
  }

  /** Loads the last persisted ranking. */
  async open(): Promise<void> {
    const raw = await this.#meta.get('ranking');
    if (raw !== undefined) this.#latest = JSON.parse(raw) as RankingSnapshot;
  }

  /**
   * The hook other modules call. Never throws on bad input from a caller's hot path: invalid
   * events are counted and dropped (they are a soft signal), valid ones are summed in memory.
   */
  readonly record: RecordPopularity = (event) => {
    // Hand-rolled check instead of zod: this runs on every product view.
    if (
      typeof event !== 'object' ||
      event === null ||
      !EVENT_TYPES.has(event.type) ||
      typeof event.productId !== 'string' ||
      !PRODUCT_ID_PATTERN.test(event.productId) ||
      (event.quantity !== undefined &&
        !(Number.isInteger(event.quantity) && event.quantity >= 1 && event.quantity <= 10_000)) ||
      (event.at !== undefined && !(Number.isInteger(event.at) && event.at >= 0))
    ) {
      this.#dropped++;
      return;
    }
    this.counters.record(event);
  };

  get dropped(): number {
    return this.#dropped;
  }

  flush(): Promise<void> {
    return this.counters.flush();
  }

  /** Runs the ranking job over the flushed window and persists the snapshot. */
  async rank(): Promise<RankingSnapshot> {
    await this.flush();
    const snapshot = await computeRanking(this.counters, this.#options);
    await this.#meta.put('ranking', JSON.stringify(snapshot));
    this.#latest = snapshot;
    return snapshot;
  }

  latest(): RankingSnapshot {
    return this.#latest;
  }

  async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.flush();
  }
}
