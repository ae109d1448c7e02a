import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LruProductCache } from '../../src/catalog/cache/lru-product-cache.js';
import { createCatalogRedis, waitReady } from '../../src/catalog/cache/redis-client.js';
import { RedisProductCache } from '../../src/catalog/cache/redis-product-cache.js';
import { TieredProductCache } from '../../src/catalog/cache/tiered-product-cache.js';
import { type RedisProcess, startRedis } from '../support/redis.js';
import { productCacheConformance } from './product-cache.conformance.js';

let redis: RedisProcess;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => redis?.stop());

let prefixSeq = 0;
async function redisCache(ttlMs: number, prefix: string): Promise<RedisProductCache> {
  const client = createCatalogRedis(redis.url);
  await waitReady(client, 10_000);
  return new RedisProductCache(client, { ttlMs, keyPrefix: prefix });
}

async function tiered(ttlMs: number, prefix: string, nearTtlMs: number): Promise<TieredProductCache> {
  const sub = createCatalogRedis(redis.url);
  await waitReady(sub, 10_000);
  const t = new TieredProductCache(await redisCache(ttlMs, prefix), {
    subscriber: sub,
    nearTtlMs,
    channel: `${prefix}inv`,
  });
  return t;
}

productCacheConformance(
  'lru',
  async (ttlMs) => ({ cache: new LruProductCache({ ttlMs }), cleanup: async () => {} }),
  {
    shared: false,
  },
);

productCacheConformance(
  'redis',
  async (ttlMs) => {
    const prefix = `t${++prefixSeq}:`;
    return {
      cache: await redisCache(ttlMs, prefix),
      peer: () => redisCache(ttlMs, prefix),
      cleanup: async () => {},
    };
  },
  { shared: true },
);

productCacheConformance(
  'tiered (near LRU + redis + pub/sub invalidation)',
  async (ttlMs) => {
    const prefix = `u${++prefixSeq}:`;
    const near = Math.min(ttlMs, 60_000);
    return {
      cache: await tiered(ttlMs, prefix, near),
      // The peer's near cache keeps entries for a minute: only the broadcast can drop them.
      peer: () => tiered(ttlMs, prefix, 60_000),
      cleanup: async () => {},
    };
  },
  { shared: true },
);

describe('LruProductCache', () => {
  it('evicts the least recently used entry beyond maxEntries', async () => {
    const lru = new LruProductCache({ maxEntries: 2 });
    await lru.set('a', '1');
    await lru.set('b', '2');
    expect(await lru.get('a')).toBe('1'); // a is now the most recent
    await lru.set('c', '3');
    expect(await lru.get('b')).toBeUndefined();
    expect(await lru.get('a')).toBe('1');
    expect(lru.size).toBe(2);
  });

  it('refuses nonsense sizes', () => {
    expect(() => new LruProductCache({ maxEntries: 0 })).toThrow(TypeError);
  });
});
