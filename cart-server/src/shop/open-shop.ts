/**
 * Composition root of the catalog, search and popularity: opens the product store (PostgreSQL
 * shared by every node with DATABASE_URL, else the node's own LevelDB `<dataDir>/catalog`, so
 * catalog tools never contend with the cart storage's lock), picks the cache (Redis + near
 * cache with REDIS_URL, else an in-process LRU) and the state search and popularity share
 * across nodes (shared-state.ts: Redis with REDIS_URL, else LevelDB), follows other nodes'
 * catalog writes, seeds a demo catalog on first start and builds the active search generation.
 * Images and the popularity outbox stay in the node's LevelDB.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Level } from 'level';
import { CachedProductReader } from '../catalog/cache/cached-reader.js';
import { LruProductCache } from '../catalog/cache/lru-product-cache.js';
import type { ProductCache } from '../catalog/cache/product-cache.js';
import { createCatalogRedis, waitReady } from '../catalog/cache/redis-client.js';
import { RedisProductCache } from '../catalog/cache/redis-product-cache.js';
import { TieredProductCache } from '../catalog/cache/tiered-product-cache.js';
import { type CatalogService, DefaultCatalogService } from '../catalog/catalog-service.js';
import { ImageStore } from '../catalog/images.js';
import type { Product } from '../catalog/product.js';
import { CatalogGenerator } from '../catalog/seed/generator.js';
import { CATEGORIES } from '../catalog/seed/generator-data.js';
import { type ImportReport, importJsonl } from '../catalog/seed/importer.js';
import { ensurePlaceholderImages } from '../catalog/seed/placeholder-images.js';
import { LevelProductStore } from '../catalog/store/level-product-store.js';
import { PostgresProductStore } from '../catalog/store/postgres-product-store.js';
import type { ProductStore } from '../catalog/store/product-store.js';
import type { PopularityEvent } from '../popularity/events.js';
import { PopularityService } from '../popularity/popularity-service.js';
import { SearchGenerations } from '../search/generations.js';
import { search as runSearch } from '../search/search-engine.js';
import type { SearchPage, SearchQuery } from '../search/search-query.js';
import type { LevelLike } from '../storage/level-types.js';
import { followCatalogChanges } from './catalog-changes.js';
import { openSharedState } from './shared-state.js';

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
  /** PostgreSQL for the products (migrated on open), shared by every node; else LevelDB. */
  readonly databaseUrl?: string;
  /** Use this product store instead of the PostgreSQL / LevelDB choice (tests). */
  readonly store?: ProductStore;
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
  /**
   * With Redis: announce the generations this node holds and re-read the pointer, the standby
   * and the ranking this often, in case a notification was missed (default 2000 ms; 0 off).
   */
  readonly followIntervalMs?: number;
  /** Flush popularity counts this often (default 1000 ms with Redis, 5000 ms alone). */
  readonly popularityFlushMs?: number;
  /** Run the ranking job once per this period, once per cluster (default 1 h; 0 = on demand only). */
  readonly rankIntervalMs?: number;
  /** How long a promotion waits for every node to hold the generation (default 60 s). */
  readonly promoteWaitMs?: number;
  /** This node's id: its name on the search board, the ranking lease and its counter batches. */
  readonly nodeId?: string;
  readonly logger?: ShopLogger;
  readonly now?: () => number;
}

export interface Shop {
  readonly service: CatalogService;
  readonly store: ProductStore;
  readonly cache: ProductCache;
  readonly reader: CachedProductReader;
  readonly images: ImageStore;
  readonly popularity: PopularityService;
  readonly generations: SearchGenerations;
  /** Popularity hook for cart adds and orders (never throws). */
  record(event: PopularityEvent): void;
  search(query: SearchQuery): SearchPage;
  importJsonl(source: AsyncIterable<Uint8Array | string>): Promise<ImportReport>;
  /**
   * Calls `listener` with the products this node writes (created, updated, imported); returns the
   * unsubscribe. The order path seeds inventory from their stock.
   */
  onProductsWritten(listener: (products: readonly Product[]) => void): () => void;
  close(): Promise<void>;
}

const silent: ShopLogger = { info: () => undefined, warn: () => undefined };

export async function openShop(options: ShopOptions = {}): Promise<Shop> {
  const logger = options.logger ?? silent;
  // What is open so far, closed in reverse order if a later step fails (a node that cannot
  // reach PostgreSQL or Redis exits without leaking the LevelDB lock or sockets).
  const closers: Array<() => Promise<void> | void> = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) await close();
  };
  try {
    return await open(options, logger, closers, closeAll);
  } catch (err) {
    await closeAll().catch(() => undefined);
    throw err;
  }
}

async function open(
  options: ShopOptions,
  logger: ShopLogger,
  closers: Array<() => Promise<void> | void>,
  closeAll: () => Promise<void>,
): Promise<Shop> {
  let db: LevelLike;
  if (options.db !== undefined) db = options.db;
  else {
    if (options.dataDir === undefined) throw new TypeError('openShop needs dataDir or db');
    const level = new Level<string, string>(join(options.dataDir, 'catalog'), { valueEncoding: 'utf8' });
    await level.open();
    closers.push(() => level.close());
    db = level as unknown as LevelLike;
  }

  let cache: ProductCache;
  if (options.cache !== undefined) {
    cache = options.cache;
  } else if (options.redisUrl !== undefined && options.redisUrl !== '') {
    const onError = throttled(logger, 'catalog redis unavailable; reading through to the store');
    const redis = createCatalogRedis(options.redisUrl, { onError });
    closers.push(() => redis.disconnect());
    await waitReady(redis, 5000).catch((err: Error) => {
      throw new Error(`REDIS_URL is set but Redis is unreachable: ${err.message}`, { cause: err });
    });
    const far = new RedisProductCache(redis, {
      ownsClient: false,
      ...(options.cacheTtlMs === undefined ? {} : { ttlMs: options.cacheTtlMs }),
    });
    if (options.nearCache === false) cache = far;
    else {
      const subscriber = createCatalogRedis(options.redisUrl, { onError });
      closers.push(() => subscriber.disconnect());
      cache = new TieredProductCache(far, { subscriber });
    }
  } else {
    cache = new LruProductCache({
      ...(options.lruMaxEntries === undefined ? {} : { maxEntries: options.lruMaxEntries }),
      ...(options.cacheTtlMs === undefined ? {} : { ttlMs: options.cacheTtlMs }),
    });
  }
  closers.push(() => cache.close());
  // Generations and popularity are shared through Redis when the cache is (a cache given by a
  // test or benchmark keeps them in this process).
  // Nodes sharing Redis must not share a name on the board: without an id, a random one.
  const nodeId =
    options.nodeId ?? (options.redisUrl === undefined ? 'n1' : `shop-${randomBytes(3).toString('hex')}`);
  const shared = await openSharedState({
    db,
    nodeId,
    ...(options.cache === undefined && options.redisUrl !== undefined ? { redisUrl: options.redisUrl } : {}),
    ...(options.now === undefined ? {} : { now: options.now }),
    onError: throttled(logger, 'search/popularity redis unavailable'),
  });
  closers.push(() => shared.close());

  let store: ProductStore;
  if (options.store !== undefined) store = options.store;
  else if (options.databaseUrl !== undefined && options.databaseUrl !== '') {
    store = await PostgresProductStore.open({
      url: options.databaseUrl,
      onError: throttled(logger, 'catalog PostgreSQL connection error'),
    });
    logger.info({ store: 'postgres' }, 'catalog in PostgreSQL (migrated)');
  } else store = new LevelProductStore(db);
  closers.push(() => store.close());

  const images = new ImageStore(db);
  await ensurePlaceholderImages(
    images,
    CATEGORIES.map((c) => c.name),
  );
  const demo = options.demoProducts ?? 200;
  if (demo > 0 && (await isEmpty(store))) {
    // Nodes sharing PostgreSQL may all find it empty at once: they write the same documents.
    await store.putMany([...new CatalogGenerator({ seed: 42 }).products(demo)]);
    logger.info({ products: demo }, 'seeded the demo catalog');
  }

  const follow = options.followIntervalMs ?? 2000;
  let warmTop: (ids: readonly string[]) => void = () => undefined;
  const popularity = new PopularityService(db, {
    topK: options.topK ?? 1000,
    counters: shared.counters,
    rankings: shared.rankings,
    holder: nodeId,
    flushIntervalMs: options.popularityFlushMs ?? (shared.shared ? 1000 : 5000),
    rankIntervalMs: options.rankIntervalMs ?? 3_600_000,
    refreshIntervalMs: shared.shared ? follow : 0,
    // A new ranking (computed here or on another node): its top K are the products to preload.
    onRanking: (r) => warmTop(r.top),
    onError: (err, during) =>
      logger.warn({ err: (err as Error).message, during }, 'popularity background job failed'),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  await popularity.open();
  closers.push(() => popularity.close());
  const reader = new CachedProductReader(
    store,
    cache,
    throttled(logger, 'product cache error; served from the store'),
  );
  warmTop = (ids) => void reader.warm(ids).catch(() => undefined);
  const generations = new SearchGenerations({
    store,
    pointer: shared.pointer,
    board: shared.board,
    nodeId,
    popularity,
    warm: (ids) => reader.warm(ids),
    heartbeatMs: shared.shared ? follow : 0,
    ...(options.promoteWaitMs === undefined ? {} : { promoteWaitMs: options.promoteWaitMs }),
    onError: (err, during) =>
      logger.warn({ err: (err as Error).message, during }, 'search generation sync failed'),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const written = new Set<(products: readonly Product[]) => void>();
  const announce = (products: readonly Product[]): void => {
    for (const listener of written) listener(products);
  };
  const service = new DefaultCatalogService(store, reader, {
    onChanged: (p) => {
      generations.productChanged(p);
      announce([p]);
    },
    onRemoved: (id) => generations.productRemoved(id),
  });
  // Follow other nodes' writes before the first build, so none falls between build and feed.
  closers.push(followCatalogChanges(store, reader, generations, logger));
  await (store as { listening?: () => Promise<void> }).listening?.();
  await generations.start();
  closers.push(() => generations.close());
  await reader.warm(popularity.latest().top);

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
    importJsonl: (source) =>
      importJsonl(source, {
        write: async (batch) => {
          await service.putProducts(batch);
          announce(batch);
        },
      }),
    onProductsWritten: (listener) => {
      written.add(listener);
      return () => written.delete(listener);
    },
    close: closeAll,
  };
}

/** Logs an error at most every 10 s (reconnect attempts fail every second while a service is down). */
function throttled(logger: ShopLogger, msg: string): (err: unknown) => void {
  let last = 0;
  return (err) => {
    if (Date.now() - last > 10_000) {
      last = Date.now();
      logger.warn({ err: (err as Error).message }, msg);
    }
  };
}

async function isEmpty(store: ProductStore): Promise<boolean> {
  for await (const _ of store.scan()) return false;
  return true;
}
