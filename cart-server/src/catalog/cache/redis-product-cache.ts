/**
 * Cache-aside product cache in Redis (the source design caches popular products in Redis).
 * Keys `${prefix}p:${id}` hold the product JSON with a TTL (`SET … PX`). While the client is not
 * `ready` every call fails fast with CacheUnavailableError (no network wait), so a dead Redis
 * costs readers nothing but the fallback store read.
 *
 * An invalidation does not delete the key: it holds it off for `holdOffMs` (a marker value), and
 * fills skip a held key. Several nodes share this cache; without the hold-off, a node whose load
 * read the store just before another node's write could fill the key just after that write's
 * invalidation, and every node would serve the old document until the TTL. A load that
 * outlasts the hold-off can still do so; the hold-off bounds the load time this tolerates. (The
 * lease tokens of Facebook's memcache, Nishtala et al., NSDI 2013, §3.2.1, close the same race.)
 */
import type { Redis } from 'ioredis';
import { CacheUnavailableError } from '../errors.js';
import { type CacheStats, DEFAULT_CACHE_TTL_MS, type ProductCache } from './product-cache.js';

export interface RedisCacheOptions {
  readonly ttlMs?: number;
  /** How long an invalidated key refuses fills (default 5 s; see above). */
  readonly holdOffMs?: number;
  readonly keyPrefix?: string;
  /** Close the client on `close()` (default true: the cache owns it). */
  readonly ownsClient?: boolean;
}

/** The value of a held-off key: never valid JSON, so never a product document. */
const HELD = '~held';

/** SET unless the key is held off by an invalidation (one key: Redis Cluster-safe). */
const SET_UNLESS_HELD = `
if redis.call('GET', KEYS[1]) == ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

type HoldingRedis = Redis & {
  cwSetUnlessHeld(key: string, json: string, ttlMs: number, held: string): Promise<number>;
};

export class RedisProductCache implements ProductCache {
  readonly kind = 'redis';
  readonly redis: Redis;
  readonly #ttl: number;
  readonly #holdOff: number;
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
    this.#holdOff = options.holdOffMs ?? 5000;
    this.#prefix = options.keyPrefix ?? 'cw:catalog:';
    this.#owns = options.ownsClient ?? true;
    if (!(this.#ttl >= 1)) throw new TypeError('ttlMs must be ≥ 1');
    if (!Number.isInteger(this.#holdOff) || this.#holdOff < 1) throw new TypeError('holdOffMs must be ≥ 1');
    if (typeof (redis as unknown as Partial<HoldingRedis>).cwSetUnlessHeld !== 'function') {
      redis.defineCommand('cwSetUnlessHeld', { numberOfKeys: 1, lua: SET_UNLESS_HELD });
    }
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
    if (value === null || value === HELD) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    return value;
  }

  async set(id: string, json: string): Promise<void> {
    if (this.#pendingDeletes.has(id)) return;
    await this.#call(() => (this.redis as HoldingRedis).cwSetUnlessHeld(this.key(id), json, this.#ttl, HELD));
  }

  async setMany(entries: ReadonlyArray<readonly [string, string]>): Promise<void> {
    if (entries.length === 0) return;
    await this.#call(async () => {
      // Chunked pipelines bound the memory of one round trip.
      for (let i = 0; i < entries.length; i += 500) {
        const pipeline = this.redis.pipeline();
        for (const [id, json] of entries.slice(i, i + 500)) {
          (pipeline as unknown as HoldingRedis).cwSetUnlessHeld(this.key(id), json, this.#ttl, HELD);
        }
        const results = await pipeline.exec();
        const failed = results?.find(([err]) => err !== null);
        if (failed !== undefined) throw failed[0];
      }
    });
  }

  async delete(id: string): Promise<void> {
    try {
      await this.#call(() => this.redis.set(this.key(id), HELD, 'PX', this.#holdOff));
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
        const pipeline = this.redis.pipeline();
        for (const id of chunk) pipeline.set(this.key(id), HELD, 'PX', this.#holdOff);
        const results = await pipeline.exec();
        if (results?.some(([err]) => err !== null)) return;
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
