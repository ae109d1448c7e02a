/**
 * Composition root of the catalog, search and popularity: opens the catalog LevelDB (its own
 * database `<dataDir>/catalog`, so catalog tools never contend with the cart storage's lock),
 * picks the cache (Redis + near cache with REDIS_URL, else an in-process LRU) and the
 * generation pointer (Redis with REDIS_URL, else LevelDB), seeds a demo catalog on first start
 * and builds the active search generation.
 */
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { Level } from 'level';
import { CachedProductReader } from '../catalog/cache/cached-reader.js';
import { LruProductCache } from '../catalog/cache/lru-product-cache.js';
import type { ProductCache } from '../catalog/cache/product-cache.js';
import { createCatalogRedis, waitReady } from '../catalog/cache/redis-client.js';
import { RedisProductCache } from '../catalog/cache/redis-product-cache.js';
import { TieredProductCache } from '../catalog/cache/tiered-product-cache.js';
import { type CatalogService, DefaultCatalogService } from '../catalog/catalog-service.js';
import { ImageStore } from '../catalog/images.js';
import { CatalogGenerator } from '../catalog/seed/generator.js';
import { CATEGORIES } from '../catalog/seed/generator-data.js';
import { type ImportReport, importJsonl } from '../catalog/seed/importer.js';
import { ensurePlaceholderImages } from '../catalog/seed/placeholder-images.js';
import { LevelProductStore } from '../catalog/store/level-product-store.js';
import type { PopularityEvent } from '../popularity/events.js';
import { PopularityService } from '../popularity/popularity-service.js';
import {
  type GenerationPointer,
  LevelGenerationPointer,
  RedisGenerationPointer,
} from '../search/generation-pointer.js';
import { SearchGenerations } from '../search/generations.js';
import { search as runSearch } from '../search/search-engine.js';
import type { SearchPage, SearchQuery } from '../search/search-query.js';
import type { LevelLike } from '../storage/level-types.js';

export interface ShopLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface ShopOptions {
  /** Directory for the catalog LevelDB (`<dataDir>/catalog`). Ignored when `db` is given. */
  readonly dataDir?: string;
  /** An already open database (tests pass a memory-level one). */
  readonly db?: LevelLike;
  readonly redisUrl?: string;
  /** Use this cache instead of the Redis / LRU choice (benchmarks, tests). */
  readonly cache?: ProductCache;
  /** Near cache in front of Redis (default true). */
  readonly nearCache?: boolean;
  readonly cacheTtlMs?: number;
  readonly lruMaxEntries?: number;
  /** Products in the top popularity band, preloaded into the cache (default 1000). */
  readonly topK?: number;
  /** Seed this many demo products when the catalog is empty (default 200; 0 disables). */
  readonly demoProducts?: number;
  /** Poll a shared (Redis) pointer for promotions made by other nodes (default 5000 ms; 0 off). */
  readonly followIntervalMs?: number;
  readonly popularityFlushMs?: number;
  readonly logger?: ShopLogger;
  readonly now?: () => number;
}

export interface Shop {
  readonly service: CatalogService;
  readonly store: LevelProductStore;
  readonly cache: ProductCache;
  readonly reader: CachedProductReader;
  readonly images: ImageStore;
  readonly popularity: PopularityService;
  readonly generations: SearchGenerations;
  /** Popularity hook for cart adds and orders (never throws). */
  record(event: PopularityEvent): void;
  search(query: SearchQuery): SearchPage;
  importJsonl(source: AsyncIterable<Uint8Array | string>): Promise<ImportReport>;
  close(): Promise<void>;
}

const silent: ShopLogger = { info: () => undefined, warn: () => undefined };

export async function openShop(options: ShopOptions = {}): Promise<Shop> {
  const logger = options.logger ?? silent;
  let level: Level<string, string> | undefined;
  let db: LevelLike;
  if (options.db !== undefined) db = options.db;
  else {
    if (options.dataDir === undefined) throw new TypeError('openShop needs dataDir or db');
    level = new Level<string, string>(join(options.dataDir, 'catalog'), { valueEncoding: 'utf8' });
    await level.open();
    db = level as unknown as LevelLike;
  }

  const redises: Redis[] = [];
  let cache: ProductCache;
  let pointer: GenerationPointer;
  if (options.cache !== undefined) {
    cache = options.cache;
    pointer = new LevelGenerationPointer(db);
  } else if (options.redisUrl !== undefined && options.redisUrl !== '') {
    const onError = (() => {
      let last = 0;
      return (err: Error): void => {
        // Reconnect attempts fail every second while Redis is down: log at most every 10 s.
        if (Date.now() - last > 10_000) {
          last = Date.now();
          logger.warn({ err: err.message }, 'catalog redis unavailable; reading through to the store');
        }
      };
    })();
    const redis = createCatalogRedis(options.redisUrl, { onError });
    redises.push(redis);
    await waitReady(redis, 5000).catch((err: Error) => {
      throw new Error(`REDIS_URL is set but Redis is unreachable: ${err.message}`, { cause: err });
    });
    const far = new RedisProductCache(
      redis,
      options.cacheTtlMs === undefined ? {} : { ttlMs: options.cacheTtlMs },
    );
    if (options.nearCache === false) cache = far;
    else {
      const subscriber = createCatalogRedis(options.redisUrl, { onError });
      redises.push(subscriber);
      cache = new TieredProductCache(far, { subscriber });
    }
    pointer = new RedisGenerationPointer(redis);
  } else {
    cache = new LruProductCache({
      ...(options.lruMaxEntries === undefined ? {} : { maxEntries: options.lruMaxEntries }),
      ...(options.cacheTtlMs === undefined ? {} : { ttlMs: options.cacheTtlMs }),
    });
    pointer = new LevelGenerationPointer(db);
  }

  const store = new LevelProductStore(db);
  const images = new ImageStore(db);
  await ensurePlaceholderImages(
    images,
    CATEGORIES.map((c) => c.name),
  );
  const demo = options.demoProducts ?? 200;
  if (demo > 0 && (await isEmpty(store))) {
    await store.putMany([...new CatalogGenerator({ seed: 42 }).products(demo)]);
    logger.info({ products: demo }, 'seeded the demo catalog');
  }

  const popularity = new PopularityService(db, {
    topK: options.topK ?? 1000,
    ...(options.popularityFlushMs === undefined ? {} : { flushIntervalMs: options.popularityFlushMs }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  await popularity.open();
  let cacheErrorLogged = 0;
  const reader = new CachedProductReader(store, cache, (err) => {
    if (Date.now() - cacheErrorLogged > 10_000) {
      cacheErrorLogged = Date.now();
      logger.warn({ err: (err as Error).message }, 'product cache error; served from the store');
    }
  });
  const generations = new SearchGenerations({
    store,
    pointer,
    popularity,
    warm: (ids) => reader.warm(ids),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const service = new DefaultCatalogService(store, reader, {
    onChanged: (p) => generations.productChanged(p),
    onRemoved: (id) => generations.productRemoved(id),
  });
  await generations.start();
  await reader.warm(popularity.latest().top);

  let follower: NodeJS.Timeout | undefined;
  const followEvery = options.followIntervalMs ?? 5000;
  if (pointer.kind === 'redis' && followEvery > 0) {
    follower = setInterval(() => {
      generations
        .follow()
        .catch((err: Error) => logger.warn({ err: err.message }, 'generation follow failed'));
    }, followEvery);
    follower.unref();
  }

  return {
    service,
    store,
    cache,
    reader,
    images,
    popularity,
    generations,
    record: popularity.record,
    search: (query) => runSearch(generations, query),
    importJsonl: (source) => importJsonl(source, { write: (batch) => service.putProducts(batch) }),
    close: async () => {
      if (follower !== undefined) clearInterval(follower);
      await popularity.close();
      await store.close();
      await cache.close();
      for (const r of redises) r.disconnect();
      await level?.close();
    },
  };
}

async function isEmpty(store: LevelProductStore): Promise<boolean> {
  for await (const _ of store.scan()) return false;
  return true;
}
