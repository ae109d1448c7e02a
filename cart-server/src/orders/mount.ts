/**
 * One call for the cart server's platform wiring (cart-server/src/platform.ts): opens the order
 * system under the node's data directory, starts its processor, and returns the sub-app to mount
 * at /v1 with its OpenAPI paths, plus `close` for shutdown.
 */
import { join } from 'node:path';
import type { Hono } from 'hono';
import type { Registry } from 'prom-client';
import { cartServerAuthenticator } from './adapters.js';
import { orderOpenApiPaths } from './openapi.js';
import type { CartPort, CatalogPort } from './ports.js';
import { type Authenticate, createOrderRoutes } from './routes.js';
import { type OrderSystem, openOrderSystem } from './system.js';

export interface OrderMountOptions {
  /** The node's data directory; orders live in `<dataDir>/orders`. */
  readonly dataDir: string;
  readonly carts: CartPort;
  readonly catalog: CatalogPort;
  readonly jwtSecret: string;
  readonly registry?: Registry;
  /** Redis Streams order log when set (else the embedded LevelDB log). */
  readonly redisUrl?: string;
  readonly partitions?: number;
  /** fsync log appends and checkpoints (default true). */
  readonly sync?: boolean;
  /** Run the processor + outbox sender in this node (default true). */
  readonly runProcessor?: boolean;
  readonly authenticate?: Authenticate;
  readonly onError?: (err: unknown) => void;
}

export interface OrderMount {
  readonly path: '/v1';
  readonly app: Hono;
  readonly openApiPaths: Record<string, unknown>;
  readonly system: OrderSystem;
  close(): Promise<void>;
}

export async function createOrderMount(options: OrderMountOptions): Promise<OrderMount> {
  const system = await openOrderSystem({
    dataDir: join(options.dataDir, 'orders'),
    cart: options.carts,
    catalog: options.catalog,
    ...(options.redisUrl === undefined ? {} : { redisUrl: options.redisUrl }),
    ...(options.partitions === undefined ? {} : { partitions: options.partitions }),
    ...(options.sync === undefined ? {} : { sync: options.sync }),
    ...(options.runProcessor === undefined ? {} : { runProcessor: options.runProcessor }),
    ...(options.registry === undefined ? {} : { registry: options.registry }),
    ...(options.onError === undefined ? {} : { onError: options.onError }),
  });
  await system.start();
  const app = createOrderRoutes({
    checkout: system.checkout,
    query: system.query,
    inventory: system.inventory,
    authenticate: options.authenticate ?? cartServerAuthenticator(options.jwtSecret),
  });
  return { path: '/v1', app, openApiPaths: orderOpenApiPaths, system, close: () => system.stop() };
}
