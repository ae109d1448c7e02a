import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedProductReader } from '../../src/catalog/cache/cached-reader.js';
import { LruProductCache } from '../../src/catalog/cache/lru-product-cache.js';
import { createCatalogRedis, waitReady } from '../../src/catalog/cache/redis-client.js';
import { RedisProductCache } from '../../src/catalog/cache/redis-product-cache.js';
import { TieredProductCache } from '../../src/catalog/cache/tiered-product-cache.js';
import { DefaultCatalogService } from '../../src/catalog/catalog-service.js';
import type { Product } from '../../src/catalog/product.js';
import { MemoryProductStore } from '../../src/catalog/store/memory-product-store.js';
import { type RedisProcess, startRedis } from '../support/redis.js';
import { product, waitFor } from './helpers.js';

/**
 * A store that counts reads and can hold their answers back (to make concurrency deterministic):
 * a held read has already read the document, as a query that returned but is still on the wire.
 */
class CountingStore extends MemoryProductStore {
  reads = 0;
  gate: Promise<void> | undefined;
  override async get(id: string): Promise<Product | undefined> {
    this.reads++;
    const gate = this.gate;
    const doc = await super.get(id);
    if (gate !== undefined) await gate;
    return doc;
  }
}

let redis: RedisProcess;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => redis?.stop());

async function redisCache(prefix: string, holdOffMs?: number): Promise<RedisProductCache> {
  const client = createCatalogRedis(redis.url, { commandTimeoutMs: 200 });
  await waitReady(client, 10_000);
  return new RedisProductCache(client, {
    keyPrefix: prefix,
    ...(holdOffMs === undefined ? {} : { holdOffMs }),
  });
}

async function tieredCache(prefix: string, holdOffMs?: number): Promise<TieredProductCache> {
  const sub = createCatalogRedis(redis.url);
  await waitReady(sub, 10_000);
  return new TieredProductCache(await redisCache(prefix, holdOffMs), { subscriber: sub });
}

describe('CachedProductReader (cache-aside over Redis)', () => {
  it('miss reads the store and fills Redis; the next read is a hit; a write invalidates', async () => {
    const store = new CountingStore();
    const cache = await redisCache('r1:');
    const reader = new CachedProductReader(store, cache);
    const service = new DefaultCatalogService(store, reader);
    await store.put(product('p1'));
    expect(JSON.parse((await reader.getJson('p1'))!)).toEqual(product('p1'));
    expect(store.reads).toBe(1);
    expect(await cache.redis.get('r1:p:p1')).toBe(JSON.stringify(product('p1')));
    expect(await cache.redis.pttl('r1:p:p1')).toBeGreaterThan(0);
    await reader.getJson('p1');
    expect(store.reads).toBe(1);
    expect(cache.stats().hits).toBe(1);

    await service.putProduct(product('p1', { title: 'Updated title' }));
    expect(await cache.get('p1')).toBeUndefined();
    expect((await service.getProduct('p1')).title).toBe('Updated title');
    expect(store.reads).toBe(2);
    expect(await reader.getJson('missing')).toBeUndefined();
    await expect(service.getProduct('missing')).rejects.toMatchObject({ code: 'PRODUCT_NOT_FOUND' });
    await cache.close();
  });

  it('single-flight: 200 concurrent reads of a cold key read the store once', async () => {
    const store = new CountingStore();
    const cache = await redisCache('r2:');
    const reader = new CachedProductReader(store, cache);
    await store.put(product('hot'));
    let open!: () => void;
    store.gate = new Promise<void>((r) => {
      open = r;
    });
    const reads = Array.from({ length: 200 }, () => reader.getJson('hot'));
    await waitFor(() => store.reads === 1, 10_000, 'the one store read');
    open();
    const results = await Promise.all(reads);
    expect(new Set(results).size).toBe(1);
    expect(store.reads).toBe(1);
    expect(reader.counters.coalesced).toBe(199);
    expect(reader.inFlight).toBe(0);
    await cache.close();
  });

  it('an update during an in-flight load neither caches nor serves the stale value', async () => {
    const store = new CountingStore();
    const cache = new LruProductCache();
    const reader = new CachedProductReader(store, cache);
    const service = new DefaultCatalogService(store, reader);
    await store.put(product('race', { title: 'old' }));
    let open!: () => void;
    store.gate = new Promise<void>((r) => {
      open = r;
    });
    const stale = reader.getJson('race');
    await waitFor(() => store.reads === 1, 10_000, 'load started');
    store.gate = undefined;
    await service.putProduct(product('race', { title: 'new' }));
    const fresh = await reader.getJson('race'); // a new flight, not the detached one
    open();
    await stale;
    expect(JSON.parse(fresh!).title).toBe('new');
    expect(JSON.parse((await cache.get('race'))!).title).toBe('new');
  });
});

describe('Redis dies mid-run', () => {
  it('reads fall back to the store, nothing throws, and Redis is used again when it returns', async () => {
    const store = new CountingStore();
    const far = await redisCache('r3:');
    const sub = createCatalogRedis(redis.url);
    await waitReady(sub, 10_000);
    // Near cache off for this check (TTL 1 ms) so every read goes to Redis or the store.
    const cache = new TieredProductCache(far, { subscriber: sub, nearTtlMs: 1 });
    const errors: unknown[] = [];
    const reader = new CachedProductReader(store, cache, (e) => errors.push(e));
    const service = new DefaultCatalogService(store, reader);
    for (let i = 0; i < 20; i++) await store.put(product(`k${i}`));
    for (let i = 0; i < 20; i++) await reader.getJson(`k${i}`);
    expect(store.reads).toBe(20);

    await redis.kill();
    await waitFor(() => !cache.available(), 10_000, 'client to notice');
    const started = performance.now();
    for (let i = 0; i < 20; i++) expect(await reader.getJson(`k${i}`)).toBe(JSON.stringify(product(`k${i}`)));
    // Fail-fast: 20 reads with Redis gone take store time, not 20 command timeouts.
    expect(performance.now() - started).toBeLessThan(2000);
    expect(store.reads).toBe(40);
    expect(errors.length).toBeGreaterThan(0);
    // A write while Redis is away: its invalidation is remembered.
    await service.putProduct(product('k0', { title: 'written during outage' }));
    expect(far.pendingInvalidations).toBe(1);

    await redis.start(); // a fresh, empty server on the same port
    await waitFor(() => cache.available(), 20_000, 'reconnect');
    await waitFor(() => far.pendingInvalidations === 0, 10_000, 'pending invalidations flushed');
    const before = store.reads;
    await reader.getJson('k1'); // miss in the empty Redis → store → fills Redis
    await reader.getJson('k1'); // now a Redis hit
    expect(store.reads).toBe(before + 1);
    expect(await far.redis.get('r3:p:k1')).not.toBeNull();
    expect(JSON.parse((await reader.getJson('k0'))!).title).toBe('written during outage');
    await cache.close();
  });

  it('a stale entry written before an outage is not served after it when an invalidation was missed', async () => {
    const store = new CountingStore();
    const far = await redisCache('r4:');
    const reader = new CachedProductReader(store, far);
    const service = new DefaultCatalogService(store, reader);
    await store.put(product('s', { title: 'v1' }));
    await reader.getJson('s'); // cached v1
    // Redis "pauses": the client is disconnected while the server keeps its data.
    far.redis.disconnect(true);
    await waitFor(() => !far.available(), 10_000, 'disconnect');
    await service.putProduct(product('s', { title: 'v2' }));
    await waitFor(() => far.available(), 20_000, 'reconnect');
    await waitFor(() => far.pendingInvalidations === 0, 10_000, 'flush');
    expect(JSON.parse((await reader.getJson('s'))!).title).toBe('v2');
    await far.close();
  });
});

describe('several nodes over one Redis and one store', () => {
  it('an invalidation holds the key off: a fill that read the store before the write does not land', async () => {
    const store = new CountingStore(); // the shared catalog (PostgreSQL in a cluster)
    const cacheA = await redisCache('n1:', 300);
    const cacheB = await redisCache('n1:', 300);
    const nodeA = new DefaultCatalogService(store, new CachedProductReader(store, cacheA));
    const readerB = new CachedProductReader(store, cacheB);
    await store.put(product('race', { title: 'old' }));
    let open!: () => void;
    store.gate = new Promise<void>((r) => {
      open = r;
    });
    const loadB = readerB.getJson('race'); // node B misses and reads the store...
    await waitFor(() => store.reads === 1, 10_000, 'B to read the store');
    store.gate = undefined;
    await nodeA.putProduct(product('race', { title: 'new' })); // ...node A writes and invalidates...
    open(); // ...then B's load (of the old document) finishes and tries to fill Redis.
    expect(JSON.parse((await loadB)!).title).toBe('old'); // B's caller asked before the write
    expect(await cacheA.get('race')).toBeUndefined(); // the old document did not land
    expect(JSON.parse((await readerB.getJson('race'))!).title).toBe('new');
    // After the hold-off, fills land again.
    await waitFor(
      async () => {
        await readerB.getJson('race');
        return (await cacheA.get('race')) !== undefined;
      },
      10_000,
      'fills after the hold-off',
    );
    expect(JSON.parse((await cacheA.get('race'))!).title).toBe('new');
    await cacheA.close();
    await cacheB.close();
  });

  it("another node's invalidation drops this node's near copy and detaches its in-flight load", async () => {
    const store = new CountingStore();
    const cacheA = await tieredCache('n2:');
    const cacheB = await tieredCache('n2:');
    const nodeA = new DefaultCatalogService(store, new CachedProductReader(store, cacheA));
    const readerB = new CachedProductReader(store, cacheB);
    await store.put(product('hot', { title: 'v1' }));
    await readerB.getJson('hot');
    expect(cacheB.peek('hot')).toBeDefined(); // B serves it from its near cache
    await nodeA.putProduct(product('hot', { title: 'v2' }));
    await waitFor(() => cacheB.peek('hot') === undefined, 10_000, 'B to drop its near copy');
    expect(JSON.parse((await readerB.getJson('hot'))!).title).toBe('v2');

    await store.put(product('hot2', { title: 'v1' }));
    let open!: () => void;
    store.gate = new Promise<void>((r) => {
      open = r;
    });
    const before = store.reads;
    const loadB = readerB.getJson('hot2'); // B's load of v1 is in flight...
    await waitFor(() => store.reads === before + 1, 10_000, 'B to read the store');
    expect(readerB.inFlight).toBe(1);
    store.gate = undefined;
    await nodeA.putProduct(product('hot2', { title: 'v2 by A' })); // ...when A announces v2
    await waitFor(() => readerB.inFlight === 0, 10_000, 'B to detach its load');
    open();
    expect(JSON.parse((await loadB)!).title).toBe('v1'); // read before A's write
    expect(cacheB.peek('hot2')).toBeUndefined(); // and not put in the near cache
    expect(JSON.parse((await readerB.getJson('hot2'))!).title).toBe('v2 by A');
    await cacheA.close();
    await cacheB.close();
  });

  it("the store's change feed drops local copies and in-flight loads (LRU only, no Redis)", async () => {
    const store = new CountingStore();
    const lru = new LruProductCache();
    const reader = new CachedProductReader(store, lru);
    await store.put(product('f', { title: 'v1' }));
    await reader.getJson('f');
    expect(lru.peek('f')).toBeDefined();
    reader.invalidateLocal('f'); // what openShop does for a change another node made
    expect(lru.peek('f')).toBeUndefined();
    await reader.getJson('f');
    reader.resetLocal(); // the feed reconnected: anything may have changed
    expect(lru.size).toBe(0);
  });
});
