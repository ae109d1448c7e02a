/**
 * The platform adapters other helpers build (SPEC §3), mounted by `createApp` at /v1:
 * catalog/search/popularity (`createShopRoutes`, src/shop) and orders/inventory
 * (`createOrderRoutes`, src/orders). The cart service is the orders' CartPort, the catalog its
 * CatalogPort. `--platform off` runs carts only (the cluster tests use it to start faster).
 */
import { join } from 'node:path';
import { every } from 'hono/combine';
import { requireAuth, requireRole } from './auth/middleware.js';
import { catalogKnownProducts } from './carts/known-products.js';
import type { Product } from './catalog/product.js';
import type { StartOptions } from './node.js';
import {
  cartPortOf,
  createOrderRoutes,
  type InitialStock,
  type InventoryService,
  type OrderSystem,
  openOrderSystem,
} from './orders/index.js';
import { catalogPort, createShopRoutes, openShop, type Shop } from './shop/index.js';

const initialStock = (p: Product): InitialStock => ({ productId: p.id, stock: p.availability.stock });

async function seedCatalog(shop: Shop, inventory: InventoryService): Promise<void> {
  const batch: InitialStock[] = [];
  for await (const product of shop.store.scan()) {
    batch.push(initialStock(product));
    if (batch.length >= 500) await inventory.seed(batch.splice(0));
  }
  await inventory.seed(batch);
}

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
      // Carts hold only catalog products: an unknown id is refused on every cart path.
      ctx.carts.useKnownProducts(catalogKnownProducts((id) => opened.service.findProduct(id)));
      // Cart adds feed the popularity windows next to product views (record never throws).
      ctx.carts.onAdd((productId, quantity) => opened.record({ type: 'cart_add', productId, quantity }));
      const verifier = ctx.verifier;
      const adminAuth = every(requireAuth(verifier), requireRole('admin'));
      const orderLog = log.child({ component: 'orders' });
      // With Redis every node shares one order system (log, partition state, leases); alone, the
      // node's own LevelDB. Confirmations go to `<data>/outbox-mail`, shared by the nodes of
      // one data directory (the sink deduplicates by message key).
      orders = await openOrderSystem({
        dataDir: join(dataDir, 'orders'),
        emlDir: join(config.dataDir, 'outbox-mail'),
        cart: cartPortOf(ctx.carts),
        catalog: catalogPort(shop),
        ...(config.redisUrl === undefined ? {} : { redisUrl: config.redisUrl }),
        registry: ctx.metrics.registry,
        sync: config.fsync === 'always',
        nodeName: config.nodeId,
        // Ordered units feed the windows too, once per order (a replayed checkout is not counted).
        onPlaced: (order) => {
          for (const line of order.lines)
            opened.record({ type: 'order', productId: line.productId, quantity: line.quantity });
        },
        onLease: (event) => orderLog.info(event, `order partition ${event.change}`),
        onError: (err) => orderLog.warn({ err }, 'order path error'),
      });
      await orders.start();
      // Inventory starts from the catalog's stock: every product written from now on, and once
      // in the background everything already in the catalog (appended once per product ever).
      const inventory = orders.inventory;
      const seedFailed = (err: unknown) => orderLog.warn({ err }, 'inventory seeding failed');
      opened.onProductsWritten(
        (products) => void inventory.seed(products.map(initialStock)).catch(seedFailed),
      );
      void seedCatalog(opened, inventory).catch(seedFailed);
      return [
        { path: '/v1', routes: createShopRoutes({ shop, adminAuth }) },
        {
          path: '/v1',
          routes: createOrderRoutes({
            checkout: orders.checkout,
            query: orders.query,
            inventory: orders.inventory,
            verifier,
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
