/**
 * A cache of serialized product documents (the exact JSON the HTTP layer sends, so a hit costs
 * no serialization). Implementations: `LruProductCache` (in-process, used when no REDIS_URL),
 * `RedisProductCache` (ioredis) and `TieredProductCache` (a short-lived in-process near cache in
 * front of Redis). All run cart-server/test/catalog/product-cache.conformance.ts.
 *
 * A backend failure surfaces as `CacheUnavailableError`; `CachedProductReader` turns it into a
 * cache miss so reads fall back to the store.
 */
export interface CacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly errors: number;
}

export interface ProductCache {
  readonly kind: string;
  get(id: string): Promise<string | undefined>;
  /** Optional synchronous probe of an in-process tier (no I/O, no stats side effects on Redis). */
  peek?(id: string): string | undefined;
  set(id: string, json: string): Promise<void>;
  /** Preloading (top-K warm-up): one round trip for many entries. */
  setMany(entries: ReadonlyArray<readonly [id: string, json: string]>): Promise<void>;
  /** Invalidation on update (this node wrote the product). */
  delete(id: string): Promise<void>;
  /** Drops this process's copy only: another node wrote the product and cleared the shared tier. */
  dropLocal?(id: string): void;
  /** Drops every copy this process holds: invalidations may have been missed. */
  clearLocal?(): void;
  /**
   * Ids another node invalidated through the cache's own broadcast (Redis pub/sub), reported
   * after their local copy was dropped; returns the unsubscribe function.
   */
  onRemoteInvalidation?(listener: (id: string) => void): () => void;
  /** True while the backend is believed reachable (always true in-process). */
  available(): boolean;
  stats(): CacheStats;
  close(): Promise<void>;
}

export const DEFAULT_CACHE_TTL_MS = 10 * 60_000;
