/**
 * The platform adapters other helpers build (SPEC §3), mounted by `createApp` at /v1:
 * catalog/search/popularity (`createShopRoutes`, src/shop) and orders/inventory
 * (`createOrderRoutes`, src/orders). The cart service is the orders' CartPort, the catalog its
 * CatalogPort. `--platform off` runs carts only (the cluster tests use it to start faster).
 */
import { join } from 'node:path';
import { every } from 'hono/combine';
import { requireAuth, requireRole } from './auth/middleware.js';
import { TokenVerifier } from './auth/tokens.js';
import type { StartOptions } from './node.js';
import {
  bearerJwtAuthenticator,
  createOrderRoutes,
  type OrderSystem,
  openOrderSystem,
} from './orders/index.js';
import { catalogPort, createShopRoutes, openShop, type Shop, shopOpenApiPaths } from './shop/index.js';

export function platformMounts(): StartOptions {
  let shop: Shop | undefined;
  let orders: OrderSystem | undefined;
  return {
    mounts: async (ctx) => {
      const { config, log } = ctx;
      if (!config.platform) return [];
      const dataDir = join(config.dataDir, config.nodeId);
      shop = await openShop({
        dataDir,
        ...(config.redisUrl === undefined ? {} : { redisUrl: config.redisUrl }),
        ...(config.databaseUrl === undefined ? {} : { databaseUrl: config.databaseUrl }),
        nodeId: config.nodeId,
        logger: log.child({ component: 'catalog' }),
      });
      const opened = shop;
      // Cart adds feed the popularity windows next to product views (record never throws).
      ctx.carts.onAdd((productId, quantity) => opened.record({ type: 'cart_add', productId, quantity }));
      const verifier = new TokenVerifier(config.jwtSecret);
      const adminAuth = every(requireAuth(verifier), requireRole('admin'));
      orders = await openOrderSystem({
        dataDir,
        cart: ctx.carts,
        catalog: catalogPort(shop),
        ...(config.redisUrl === undefined ? {} : { redisUrl: config.redisUrl }),
        registry: ctx.metrics.registry,
        sync: config.fsync === 'always',
        // Ordered units feed the windows too, once per order (a replayed checkout is not counted).
        onPlaced: (order) => {
          for (const line of order.lines)
            opened.record({ type: 'order', productId: line.productId, quantity: line.quantity });
        },
        onError: (err) => log.warn({ err, component: 'orders' }, 'order path error'),
      });
      await orders.start();
      return [
        { path: '/v1', app: createShopRoutes({ shop, adminAuth }), openApiPaths: shopOpenApiPaths },
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
      await shop?.close();
    },
  };
}
