/**
 * Cache-aside reads with single-flight: on a miss the first caller loads from the store and
 * fills the cache; concurrent callers for the same id share that one load (so a cold key hit
 * by many requests reads the store once — the "thundering herd" / dog-pile problem).
 *
 * Invalidation races: `invalidate(id)` detaches the in-flight load of `id` so it neither fills
 * the cache with the value it read before the update nor serves later callers.
 *
 * Cache failures are misses: a dead Redis only costs the fallback store read.
 */
import { CacheUnavailableError } from '../errors.js';
import type { ProductStore } from '../store/product-store.js';
import type { ProductCache } from './product-cache.js';

interface Flight {
  readonly promise: Promise<string | undefined>;
  stale: boolean;
}

export interface ReaderStats {
  storeReads: number;
  cacheErrors: number;
  coalesced: number;
}

export class CachedProductReader {
  readonly store: ProductStore;
  readonly cache: ProductCache;
  readonly #flights = new Map<string, Flight>();
  readonly #onCacheError: ((err: unknown) => void) | undefined;
  readonly counters: ReaderStats = { storeReads: 0, cacheErrors: 0, coalesced: 0 };

  constructor(store: ProductStore, cache: ProductCache, onCacheError?: (err: unknown) => void) {
    this.store = store;
    this.cache = cache;
    this.#onCacheError = onCacheError;
    // Another node's write announced through the cache: a load in flight here may have read
    // the document before that write, so it must not fill the cache or serve later callers.
    cache.onRemoteInvalidation?.((id) => this.#detach(id));
  }

  /** A synchronous hit from an in-process cache tier, if there is one. */
  peek(id: string): string | undefined {
    return this.cache.peek?.(id);
  }

  /** The product's JSON, or undefined when it does not exist. */
  getJson(id: string): Promise<string | undefined> {
    const flight = this.#flights.get(id);
    if (flight !== undefined) {
      this.counters.coalesced++;
      return flight.promise;
    }
    const entry: Flight = { promise: Promise.resolve(undefined), stale: false };
    const promise = this.#load(id, entry).finally(() => {
      if (this.#flights.get(id) === entry) this.#flights.delete(id);
    });
    (entry as { promise: Promise<string | undefined> }).promise = promise;
    this.#flights.set(id, entry);
    return promise;
  }

  /** Drops the cached copy (after the store write) and detaches any in-flight load. */
  async invalidate(id: string): Promise<void> {
    this.#detach(id);
    await this.#safely(() => this.cache.delete(id));
  }

  /**
   * Another node wrote `id` (the store's change feed): drops this process's copy and detaches
   * its in-flight load. The shared tier (Redis) was cleared by the writer.
   */
  invalidateLocal(id: string): void {
    this.#detach(id);
    this.cache.dropLocal?.(id);
  }

  /** The change feed was interrupted: nothing this process holds can be trusted. */
  resetLocal(): void {
    for (const flight of this.#flights.values()) flight.stale = true;
    this.#flights.clear();
    this.cache.clearLocal?.();
  }

  #detach(id: string): void {
    const flight = this.#flights.get(id);
    if (flight !== undefined) {
      flight.stale = true;
      this.#flights.delete(id);
    }
  }

  /** Preloads documents (top-K warm-up); returns how many went in. */
  async warm(ids: readonly string[]): Promise<number> {
    let warmed = 0;
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const docs = await this.store.getMany(chunk);
      const entries: Array<readonly [string, string]> = [];
      docs.forEach((p, j) => {
        const id = chunk[j];
        if (p !== undefined && id !== undefined) entries.push([id, JSON.stringify(p)]);
      });
      const ok = await this.#safely(() => this.cache.setMany(entries));
      if (ok) warmed += entries.length;
    }
    return warmed;
  }

  get inFlight(): number {
    return this.#flights.size;
  }

  async #load(id: string, flight: Flight): Promise<string | undefined> {
    let cached: string | undefined;
    try {
      cached = await this.cache.get(id);
    } catch (err) {
      this.#cacheError(err);
    }
    if (cached !== undefined) return cached;
    this.counters.storeReads++;
    const product = await this.store.get(id);
    if (product === undefined) return undefined;
    const json = JSON.stringify(product);
    if (!flight.stale) await this.#safely(() => this.cache.set(id, json));
    return json;
  }

  async #safely(fn: () => Promise<void>): Promise<boolean> {
    try {
      await fn();
      return true;
    } catch (err) {
      this.#cacheError(err);
      return false;
    }
  }

  #cacheError(err: unknown): void {
    this.counters.cacheErrors++;
    this.#onCacheError?.(
      err instanceof CacheUnavailableError ? err : new CacheUnavailableError(String(err), { cause: err }),
    );
  }
}
