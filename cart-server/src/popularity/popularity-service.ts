/**
 * Popularity: the `record(event)` hook (product views from the catalog routes, cart adds from
 * the cart server, orders from checkout), the daily windows (a `CounterStore`), and the ranking
 * job, whose snapshot lives in a `RankingStore` so bands survive a restart and, in a cluster,
 * every node reads the same one.
 *
 * The job runs on demand (`rank()`: the admin action, a search rebuild) and, with
 * `rankIntervalMs`, once per period: every node checks a few times per period, but only the one
 * that gets the lease and finds no ranking of the current period computes it — once per cluster
 * per period, and a node that dies holding the lease only delays it by the lease's TTL.
 */

import { PRODUCT_ID_PATTERN } from '../catalog/product.js';
import type { LevelLike } from '../storage/level-types.js';
import type { CounterStore } from './counter-store.js';
import { RankingConflictError } from './errors.js';
import type { PopularityEvent, PopularityEventType } from './events.js';
import { LevelCounterStore } from './level-counter-store.js';
import { computeRanking, EMPTY_RANKING, type RankingOptions, type RankingSnapshot } from './ranking.js';
import { LevelRankingStore, type RankingLease, type RankingStore } from './ranking-store.js';

const EVENT_TYPES: ReadonlySet<PopularityEventType> = new Set(['view', 'cart_add', 'order']);

export interface PopularityOptions extends RankingOptions {
  readonly windowDays?: number;
  /** Background flush period (0 disables the timer; call `flush()` yourself). Default 5000. */
  readonly flushIntervalMs?: number;
  /** Where the windows live (default: LevelDB, in `db`). */
  readonly counters?: CounterStore;
  /** Where the ranking and its lease live (default: LevelDB, in `db`). */
  readonly rankings?: RankingStore;
  /** Who holds the ranking lease (the node id). */
  readonly holder?: string;
  /** Run the ranking job once per this period (0 = only on demand, the default). */
  readonly rankIntervalMs?: number;
  /** The lease's time-to-live: how long a dead holder blocks the job (default 120 s). */
  readonly leaseTtlMs?: number;
  /** How long `rank()` waits for a lease another node holds (default 30 s). */
  readonly rankWaitMs?: number;
  /** Re-read the stored ranking this often, in case an announcement was missed (0 = off). */
  readonly refreshIntervalMs?: number;
  /** Called when the current ranking changed (a job here or elsewhere): e.g. warm the cache. */
  readonly onRanking?: (snapshot: RankingSnapshot) => void;
  readonly onError?: (err: unknown, during: string) => void;
}

export type RecordPopularity = (event: PopularityEvent) => void;

export class PopularityService {
  readonly counters: CounterStore;
  readonly rankings: RankingStore;
  readonly #options: PopularityOptions;
  readonly #holder: string;
  #latest: RankingSnapshot = EMPTY_RANKING;
  readonly #timers: NodeJS.Timeout[] = [];
  #unwatch: () => void = () => undefined;
  #dropped = 0;
  #refreshing: Promise<void> | undefined;
  #closed = false;

  constructor(db: LevelLike, options: PopularityOptions = {}) {
    this.#options = options;
    this.#holder = options.holder ?? 'n1';
    this.counters =
      options.counters ??
      new LevelCounterStore(db, {
        ...(options.windowDays === undefined ? {} : { windowDays: options.windowDays }),
        ...(options.now === undefined ? {} : { now: options.now }),
      });
    this.rankings = options.rankings ?? new LevelRankingStore(db);
  }

  /** Loads the current ranking and starts the flush, ranking and refresh timers. */
  async open(): Promise<void> {
    this.#latest = (await this.rankings.read()) ?? EMPTY_RANKING;
    const o = this.#options;
    const fail = (during: string) => (err: unknown) => o.onError?.(err, during);
    const every = (ms: number, fn: () => Promise<unknown>, during: string): void => {
      const t = setInterval(() => void fn().catch(fail(during)), ms);
      t.unref();
      this.#timers.push(t);
    };
    const flushEvery = o.flushIntervalMs ?? 5000;
    if (flushEvery > 0) every(flushEvery, () => this.counters.flush(), 'flush');
    const period = o.rankIntervalMs ?? 0;
    // A few checks per period, so the job starts soon after a period begins.
    if (period > 0) every(Math.min(60_000, Math.max(250, period / 4)), () => this.rankIfDue(), 'rank');
    const refreshEvery = o.refreshIntervalMs ?? 0;
    if (refreshEvery > 0) every(refreshEvery, () => this.refresh(), 'refresh');
    this.#unwatch = this.rankings.watch(() => void this.refresh().catch(fail('refresh')));
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

  /** Acknowledges every count recorded before the call (counter-store.ts). */
  flush(): Promise<void> {
    return this.counters.flush();
  }

  /**
   * Runs the ranking job now under the lease (waiting up to `rankWaitMs` for another node's
   * job to finish) and returns the ranking it stored — or, when a newer job stored one first,
   * that one.
   */
  async rank(): Promise<RankingSnapshot> {
    const wait = this.#options.rankWaitMs ?? 30_000;
    const deadline = Date.now() + wait;
    for (;;) {
      const lease = await this.rankings.acquire(this.#holder, this.#options.leaseTtlMs ?? 120_000);
      if (lease !== null) return this.#rankUnder(lease);
      if (Date.now() >= deadline) {
        throw new RankingConflictError(`another node has been running the ranking job for over ${wait} ms`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The periodic job: computes the ranking if nobody did in the current period. */
  async rankIfDue(now = (this.#options.now ?? Date.now)()): Promise<RankingSnapshot | undefined> {
    const period = this.#options.rankIntervalMs ?? 0;
    if (period <= 0 || this.#closed) return undefined;
    const due = (r: RankingSnapshot | null): boolean =>
      r === null || Math.floor(r.computedAt / period) < Math.floor(now / period);
    if (!due(this.#latest) && !due(await this.rankings.read())) return undefined;
    const lease = await this.rankings.acquire(this.#holder, this.#options.leaseTtlMs ?? 120_000);
    if (lease === null) return undefined; // another node is running it
    // Checked again under the lease: the previous holder may have just stored this period's.
    if (!due(await this.rankings.read())) {
      await this.rankings.release(lease);
      await this.refresh();
      return undefined;
    }
    return this.#rankUnder(lease);
  }

  async #rankUnder(lease: RankingLease): Promise<RankingSnapshot> {
    try {
      await this.flush();
      const snapshot: RankingSnapshot = {
        ...(await computeRanking(this.counters, this.#options)),
        fence: lease.fence,
      };
      if (await this.rankings.write(snapshot)) this.#adopt(snapshot);
      else await this.refresh(); // a holder with a newer fence stored first: that one is current
      return this.#latest;
    } finally {
      await this.rankings.release(lease).catch(() => undefined);
    }
  }

  /** Re-reads the stored ranking (another node's job) and adopts it if it changed. */
  refresh(): Promise<void> {
    this.#refreshing ??= (async () => {
      try {
        const stored = await this.rankings.read();
        if (stored !== null) this.#adopt(stored);
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  #adopt(snapshot: RankingSnapshot): void {
    const cur = this.#latest;
    if (cur.fence === snapshot.fence && cur.computedAt === snapshot.computedAt) return;
    this.#latest = snapshot;
    this.#options.onRanking?.(snapshot);
  }

  latest(): RankingSnapshot {
    return this.#latest;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers.splice(0)) clearInterval(t);
    this.#unwatch();
    await this.counters.close();
    await this.rankings.close();
  }
}
