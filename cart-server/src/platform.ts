/**
 * The platform adapters other helpers build (SPEC §3), mounted by `createApp` at /v1:
 * catalog/search/popularity (`createCatalogRoutes`, src/catalog) and orders/inventory
 * (`createOrderRoutes`, src/orders). The cart service is the orders' CartPort, the catalog its
 * CatalogPort. `--platform off` runs carts only (the cluster tests use it to start faster).
 */
import { join } from 'node:path';
import { every } from 'hono/combine';
import { requireAuth, requireRole } from './auth/middleware.js';
import { TokenVerifier } from './auth/tokens.js';
import {
  type Catalog,
  catalogOpenApiPaths,
  catalogPort,
  createCatalogRoutes,
  openCatalog,
} from './catalog/index.js';
import type { StartOptions } from './node.js';
import {
  bearerJwtAuthenticator,
  createOrderRoutes,
  type OrderSystem,
  openOrderSystem,
} from './orders/index.js';

export function platformMounts(): StartOptions {
  let catalog: Catalog | undefined;
  let orders: OrderSystem | undefined;
  return {
    mounts: async (ctx) => {
      const { config, log } = ctx;
      if (!config.platform) return [];
      const dataDir = join(config.dataDir, config.nodeId);
      catalog = await openCatalog({
        dataDir,
        ...(config.redisUrl === undefined ? {} : { redisUrl: config.redisUrl }),
        logger: log.child({ component: 'catalog' }),
      });
      const opened = catalog;
      // Cart adds feed the popularity windows next to product views (record never throws).
      ctx.carts.onAdd((productId, quantity) => opened.record({ type: 'cart_add', productId, quantity }));
      const verifier = new TokenVerifier(config.jwtSecret);
      const adminAuth = every(requireAuth(verifier), requireRole('admin'));
      orders = await openOrderSystem({
        dataDir,
        cart: ctx.carts,
        catalog: catalogPort(catalog),
        ...(config.redisUrl === undefined ? {} : { redisUrl: config.redisUrl }),
        registry: ctx.metrics.registry,
        sync: config.fsync === 'always',
        onError: (err) => log.warn({ err, component: 'orders' }, 'order path error'),
      });
      await orders.start();
      return [
        { path: '/v1', app: createCatalogRoutes({ catalog, adminAuth }), openApiPaths: catalogOpenApiPaths },
        {
          path: '/v1',
          app: createOrderRoutes({
            checkout: orders.checkout,
            query: orders.query,
            inventory: orders.inventory,
            authenticate: bearerJwtAuthenticator(config.jwtSecret),
          }),
        },
      ];
    },
    onClose: async () => {
      await orders?.stop();
      await catalog?.close();
    },
  };
}
