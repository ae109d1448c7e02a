/**
 * The mount point for the platform adapters other helpers build (SPEC §3): catalog/search
 * (`createCatalogRoutes`, cart-server/src/catalog) and orders (`createOrderRoutes`,
 * cart-server/src/orders), both hono sub-apps mounted at /v1 by `createApp`.
 *
 * MOUNT POINT: when a factory is committed, build it here from `ctx` (config, carts as the
 * orders' CartPort, storage, log, metrics registry) and return it as a SubAppMount.
 */
import type { StartOptions } from './node.js';

export function platformMounts(): StartOptions {
  return { mounts: () => [] };
}
