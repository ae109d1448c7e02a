/**
 * The catalog: product documents (`product.ts`), where they live (`store/`), the cache in front
 * of them (`cache/`), demo data and imports (`seed/`), images, and the service that ties a store
 * to a cache. Search, popularity and the HTTP routes that combine them live in `src/shop/`.
 */

export { CachedProductReader } from './cache/cached-reader.js';
export { LruProductCache } from './cache/lru-product-cache.js';
export type { CacheStats, ProductCache } from './cache/product-cache.js';
export { RedisProductCache } from './cache/redis-product-cache.js';
export { TieredProductCache } from './cache/tiered-product-cache.js';
export type { CatalogHooks, CatalogPort, CatalogService } from './catalog-service.js';
export { DefaultCatalogService } from './catalog-service.js';
export {
  CacheUnavailableError,
  CatalogError,
  ImageNotFoundError,
  InvalidCatalogRequestError,
  InvalidProductError,
  PayloadTooLargeError,
  ProductNotFoundError,
  ProductStoreUnavailableError,
  ProductTooLargeError,
} from './errors.js';
export { ImageStore, imageUrlFor } from './images.js';
export type { AvailabilityStatus, EncodedProduct, Product, ProductSummary } from './product.js';
export { encodeProduct, parseProduct, productSchema } from './product.js';
export { CatalogGenerator, mulberry32 } from './seed/generator.js';
export type { ImportReport, RejectedLine } from './seed/importer.js';
export { importJsonl } from './seed/importer.js';
export { LevelProductStore } from './store/level-product-store.js';
export { MemoryProductStore } from './store/memory-product-store.js';
export { CATALOG_MIGRATIONS, type Migration, migrateCatalog } from './store/postgres-migrations.js';
export { PostgresProductStore, type PostgresProductStoreOptions } from './store/postgres-product-store.js';
export type {
  CategoryPage,
  ListOptions,
  ProductChange,
  ProductStore,
  ProductStoreFeatures,
} from './store/product-store.js';
export { AbstractProductStore } from './store/product-store.js';
