/**
 * The shop: catalog, search and popularity composed into one unit for the cart server. Mount
 * with `app.route('/v1', createShopRoutes({ shop: await openShop({ dataDir, redisUrl }), adminAuth }))`.
 */

import type { CatalogPort } from '../catalog/catalog-service.js';
import type { Shop } from './open-shop.js';

export {
  PopularityError,
  PopularityUnavailableError,
  RankingConflictError,
} from '../popularity/errors.js';
export type { PopularityEvent } from '../popularity/events.js';
export type { RecordPopularity } from '../popularity/popularity-service.js';
export {
  GenerationConflictError,
  GenerationNotFoundError,
  InvalidCursorError,
  InvalidSearchQueryError,
  PointerUnavailableError,
  SearchError,
} from '../search/errors.js';
export type { SearchHit, SearchPage, SearchQuery } from '../search/search-query.js';
export type { Shop, ShopLogger, ShopOptions } from './open-shop.js';
export { openShop } from './open-shop.js';
export type { ShopRoutesDeps } from './shop-routes.js';
export { createShopRoutes } from './shop-routes.js';

/** The orders helper's CatalogPort: `getProduct(id)` (throws PRODUCT_NOT_FOUND). */
export function catalogPort(shop: Shop): CatalogPort {
  return { getProduct: (id) => shop.service.getProduct(id) };
}
