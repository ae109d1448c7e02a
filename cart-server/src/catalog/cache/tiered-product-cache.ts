/**
 * A near cache: a small, short-lived in-process LRU in front of Redis, so the hottest products
 * are served without a network round trip while Redis stays the shared cache of every node.
 * Invalidations are broadcast on a Redis pub/sub channel so the other nodes drop their near
 * copy at once; if the subscriber connection drops, the near cache is cleared when it comes
 * back (invalidations may have been missed meanwhile), and the near TTL bounds staleness anyway.
 */
import type { Redis } from 'ioredis';
import { LruProductCache } from './lru-product-cache.js';
import type { CacheStats, ProductCache } from './product-cache.js';
import type { RedisProductCache } from './redis-product-cache.js';

export interface TieredOptions {
  readonly nearMaxEntries?: number;
  /** Near-cache TTL: the staleness bound if an invalidation message is lost (default 5 s). */
  readonly nearTtlMs?: number;
  readonly channel?: string;
  /** A second connection for SUBSCRIBE (ioredis needs a dedicated one); omit to skip broadcast. */
  readonly subscriber?: Redis;
}

export class TieredProductCache implements ProductCache {
  readonly kind = 'tiered';
  readonly near: LruProductCache;
  readonly far: RedisProductCache;
  readonly #channel: string;
  readonly #subscriber: Redis | undefined;
  readonly #remote = new Set<(id: string) => void>();

  constructor(far: RedisProductCache, options: TieredOptions = {}) {
    this.far = far;
    this.near = new LruProductCache({
      maxEntries: options.nearMaxEntries ?? 5_000,
      ttlMs: options.nearTtlMs ?? 5_000,
    });
    this.#channel = options.channel ?? 'cw:catalog:invalidate';
    this.#subscriber = options.subscriber;
    const sub = this.#subscriber;
    if (sub !== undefined) {
      sub.on('message', (channel: string, id: string) => {
        if (channel !== this.#channel) return;
        this.near.remove(id);
        for (const listener of this.#remote) listener(id);
      });
      sub.on('ready', () => {
        this.near.clear();
        sub.subscribe(this.#channel).catch(() => undefined);
      });
      if (sub.status === 'ready') sub.subscribe(this.#channel).catch(() => undefined);
    }
    // Redis came back after an outage: near entries may have missed invalidations.
    far.redis.on('ready', () => this.near.clear());
  }

  async get(id: string): Promise<string | undefined> {
    const near = this.near.peek(id);
    if (near !== undefined) return near;
    const value = await this.far.get(id);
    if (value !== undefined) this.near.put(id, value);
    return value;
  }

  /** Synchronous near-cache probe (the HTTP fast path). */
  peek(id: string): string | undefined {
    return this.near.peek(id);
  }

  async set(id: string, json: string): Promise<void> {
    this.near.put(id, json);
    await this.far.set(id, json);
  }

  async setMany(entries: ReadonlyArray<readonly [string, string]>): Promise<void> {
    for (const [id, json] of entries) this.near.put(id, json);
    await this.far.setMany(entries);
  }

  async delete(id: string): Promise<void> {
    this.near.remove(id);
    await this.far.delete(id);
    if (this.#subscriber !== undefined) {
      await this.far.redis.publish(this.#channel, id).catch(() => undefined);
    }
  }

  dropLocal(id: string): void {
    this.near.remove(id);
  }

  clearLocal(): void {
    this.near.clear();
  }

  onRemoteInvalidation(listener: (id: string) => void): () => void {
    this.#remote.add(listener);
    return () => {
      this.#remote.delete(listener);
    };
  }

  available(): boolean {
    return this.far.available();
  }

  stats(): CacheStats {
    const a = this.near.stats();
    const b = this.far.stats();
    return { hits: a.hits + b.hits, misses: b.misses, errors: b.errors };
  }

  async close(): Promise<void> {
    this.#subscriber?.disconnect();
    await this.near.close();
    await this.far.close();
  }
}
