/**
 * Cache-aside product cache in Redis (the source design caches popular products in Redis).
 * Keys `${prefix}p:${id}` hold the product JSON with a TTL (`SET … PX`). While the client is not
 * `ready` every call fails fast with CacheUnavailableError (no network wait), so a dead Redis
 * costs readers nothing but the fallback store read.
 */
import type { Redis } from 'ioredis';
import { CacheUnavailableError } from '../errors.js';
import { type CacheStats, DEFAULT_CACHE_TTL_MS, type ProductCache } from './product-cache.js';

export interface RedisCacheOptions {
  readonly ttlMs?: number;
  readonly keyPrefix?: string;
  /** Close the client on `close()` (default true: the cache owns it). */
  readonly ownsClient?: boolean;
}

export class RedisProductCache implements ProductCache {
  readonly kind = 'redis';
  readonly redis: Redis;
  readonly #ttl: number;
  readonly #prefix: string;
  readonly #owns: boolean;
  /**
   * Invalidations that failed while Redis was away: a stale entry must not be served when it
   * returns, so these ids read as misses until their DEL has gone through.
   */
  readonly #pendingDeletes = new Set<string>();
  #hits = 0;
  #misses = 0;
  #errors = 0;

  constructor(redis: Redis, options: RedisCacheOptions = {}) {
    this.redis = redis;
    this.#ttl = options.ttlMs ?? DEFAULT_CACHE_TTL_MS;
    this.#prefix = options.keyPrefix ?? 'cw:catalog:';
    this.#owns = options.ownsClient ?? true;
    if (!(this.#ttl >= 1)) throw new TypeError('ttlMs must be ≥ 1');
    redis.on('ready', () => void this.#flushPendingDeletes());
  }

  get pendingInvalidations(): number {
    return this.#pendingDeletes.size;
  }

  key(id: string): string {
    return `${this.#prefix}p:${id}`;
  }

  async get(id: string): Promise<string | undefined> {
    if (this.#pendingDeletes.size > 0 && this.#pendingDeletes.has(id)) {
      this.#misses++;
      return undefined;
    }
    const value = await this.#call(() => this.redis.get(this.key(id)));
    if (value === null) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    return value;
  }

  async set(id: string, json: string): Promise<void> {
    if (this.#pendingDeletes.has(id)) return;
    await this.#call(() => this.redis.set(this.key(id), json, 'PX', this.#ttl));
  }

  async setMany(entries: ReadonlyArray<readonly [string, string]>): Promise<void> {
    if (entries.length === 0) return;
    await this.#call(async () => {
      // Chunked pipelines bound the memory of one round trip.
      for (let i = 0; i < entries.length; i += 500) {
        const pipeline = this.redis.pipeline();
        for (const [id, json] of entries.slice(i, i + 500)) pipeline.set(this.key(id), json, 'PX', this.#ttl);
        const results = await pipeline.exec();
        const failed = results?.find(([err]) => err !== null);
        if (failed !== undefined) throw failed[0];
      }
    });
  }

  async delete(id: string): Promise<void> {
    try {
      await this.#call(() => this.redis.del(this.key(id)));
      this.#pendingDeletes.delete(id);
    } catch (err) {
      if (this.#pendingDeletes.size < 1_000_000) this.#pendingDeletes.add(id);
      throw err;
    }
  }

  async #flushPendingDeletes(): Promise<void> {
    const ids = [...this.#pendingDeletes];
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      try {
        await this.redis.del(...chunk.map((id) => this.key(id)));
        for (const id of chunk) this.#pendingDeletes.delete(id);
      } catch {
        return; // still away; the next 'ready' retries
      }
    }
  }

  available(): boolean {
    return this.redis.status === 'ready';
  }

  stats(): CacheStats {
    return { hits: this.#hits, misses: this.#misses, errors: this.#errors };
  }

  async close(): Promise<void> {
    if (this.#owns) this.redis.disconnect();
  }

  async #call<T>(fn: () => Promise<T>): Promise<T> {
    if (this.redis.status !== 'ready') {
      this.#errors++;
      throw new CacheUnavailableError(`redis is ${this.redis.status}`);
    }
    try {
      return await fn();
    } catch (err) {
      this.#errors++;
      throw new CacheUnavailableError(`redis command failed: ${(err as Error).message}`, { cause: err });
    }
  }
}
