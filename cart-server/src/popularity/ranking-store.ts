/**
 * Where the one current ranking lives, and the lease that lets the ranking job run once per
 * cluster at a time. Implementations: `LevelRankingStore` (one node) and `RedisRankingStore`
 * (shared by a cluster); both run cart-server/test/popularity/ranking-store.conformance.ts.
 *
 * The lease is a lock with a time-to-live and a *fencing token* (Kleppmann, "How to do
 * distributed locking", 2016): every grant gets a larger number, and the store keeps a snapshot
 * only if its fence is larger than the fence of the snapshot it holds. A holder that stalls past
 * its lease (a GC pause, a slow scan) and writes afterwards therefore cannot replace the ranking
 * of a holder that got the lease after it.
 */
import type { LevelLike } from '../storage/level-types.js';
import type { RankingSnapshot } from './ranking.js';

export interface RankingLease {
  readonly holder: string;
  /** Larger than every fence granted before it. */
  readonly fence: number;
}

export interface RankingStore {
  readonly kind: string;
  /** The current ranking, or null before the first one. */
  read(): Promise<RankingSnapshot | null>;
  /** Grants the lease for `ttlMs`, or null while someone else holds it. */
  acquire(holder: string, ttlMs: number): Promise<RankingLease | null>;
  /** Gives the lease back if it is still this one. */
  release(lease: RankingLease): Promise<void>;
  /**
   * Stores `snapshot` (its `fence` must be the lease's); false when a snapshot with the same or
   * a newer fence is already stored.
   */
  write(snapshot: RankingSnapshot): Promise<boolean>;
  /** Calls `listener` when another process may have stored a ranking; returns an unsubscribe. */
  watch(listener: () => void): () => void;
  close(): Promise<void>;
}

export class LevelRankingStore implements RankingStore {
  readonly kind = 'level';
  readonly #db: LevelLike;
  #lease: { lease: RankingLease; until: number } | undefined;
  #lock: Promise<unknown> = Promise.resolve();

  constructor(db: LevelLike) {
    // The sublevel and key of the ranking before the store existed: a node keeps its ranking.
    this.#db = db.sublevel('popularity-meta', { valueEncoding: 'utf8' });
  }

  async read(): Promise<RankingSnapshot | null> {
    const raw = await this.#db.get('ranking');
    return raw === undefined ? null : (JSON.parse(raw) as RankingSnapshot);
  }

  // One process owns a LevelDB database: an in-process lock makes each step atomic.
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  acquire(holder: string, ttlMs: number): Promise<RankingLease | null> {
    return this.#serial(async () => {
      if (this.#lease !== undefined && this.#lease.until > Date.now()) return null;
      const fence = Number((await this.#db.get('fence')) ?? '0') + 1;
      await this.#db.put('fence', String(fence));
      const lease = { holder, fence };
      this.#lease = { lease, until: Date.now() + ttlMs };
      return lease;
    });
  }

  async release(lease: RankingLease): Promise<void> {
    if (this.#lease?.lease.fence === lease.fence) this.#lease = undefined;
  }

  write(snapshot: RankingSnapshot): Promise<boolean> {
    return this.#serial(async () => {
      const stored = await this.read();
      if ((stored?.fence ?? 0) >= (snapshot.fence ?? 0)) return false;
      await this.#db.put('ranking', JSON.stringify(snapshot));
      return true;
    });
  }

  watch(_listener: () => void): () => void {
    return () => undefined; // nobody else writes this database
  }

  async close(): Promise<void> {}
}
