/**
 * Catalog, search and popularity for the cart server. Mount with
 * `app.route('/v1', createCatalogRoutes({ catalog: await openCatalog({ dataDir, redisUrl }), adminAuth }))`.
 */

export type { PopularityEvent } from '../popularity/events.js';
export type { RecordPopularity } from '../popularity/popularity-service.js';
export type { SearchHit, SearchPage, SearchQuery } from '../search/search-query.js';
export { CachedProductReader } from './cached-reader.js';
export type { CatalogPort, CatalogService } from './catalog-service.js';
export { DefaultCatalogService } from './catalog-service.js';
export {
  CacheUnavailableError,
  CatalogError,
  GenerationConflictError,
  GenerationNotFoundError,
  ImageNotFoundError,
  InvalidCatalogRequestError,
  InvalidCursorError,
  InvalidProductError,
  PayloadTooLargeError,
  PointerUnavailableError,
  ProductNotFoundError,
} from './errors.js';
export { CatalogGenerator, mulberry32 } from './generator.js';
export { ImageStore, imageUrlFor } from './images.js';
export type { ImportReport, RejectedLine } from './importer.js';
export { importJsonl } from './importer.js';
export { LevelProductStore } from './level-product-store.js';
export type { LevelLike } from './level-types.js';
export { LruProductCache } from './lru-product-cache.js';
export { MemoryProductStore } from './memory-product-store.js';
export type { Catalog, CatalogLogger, CatalogOptions } from './open-catalog.js';
export { openCatalog } from './open-catalog.js';
export { catalogOpenApiPaths, catalogOpenApiSchemas } from './openapi.js';
export type { AvailabilityStatus, Product, ProductSummary } from './product.js';
export { parseProduct, productSchema } from './product.js';
export type { ProductCache } from './product-cache.js';
export type { ProductStore } from './product-store.js';
export { RedisProductCache } from './redis-product-cache.js';
export type { CatalogRoutesDeps } from './routes.js';
export { createCatalogRoutes } from './routes.js';
export { TieredProductCache } from './tiered-product-cache.js';

import type { CatalogPort } from './catalog-service.js';
import type { Catalog } from './open-catalog.js';

/** The orders helper's CatalogPort: `getProduct(id)` (throws PRODUCT_NOT_FOUND). */
export function catalogPort(catalog: Catalog): CatalogPort {
  return { getProduct: (id) => catalog.service.getProduct(id) };
}
