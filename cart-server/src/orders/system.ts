/**
 * Wires the order path for a server process.
 *   embedded (no Redis): LevelDB log + LevelDB partition state, this process owns every partition;
 *   shared (Redis):      Redis Streams log + Redis partition state + partition leases, so the
 *                        nodes of a cluster share one order system: each partition processed by
 *                        exactly one node at a time, taken over when that node dies.
 * Plus the outbox sender, the confirmation sink and the request-side services the routes use.
 */
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { OrderLogError } from './errors.js';
import type { OrderPlaced } from './events.js';
import { LevelOrderLog } from './log/level-order-log.js';
import type { OrderLog } from './log/order-log.js';
import { RedisOrderLog } from './log/redis-order-log.js';
import { createOrderMetrics, noopOrderMetrics, type OrderMetrics } from './metrics.js';
import { EmlFileSink } from './outbox/eml-sink.js';
import { type MessageSink, OutboxSender } from './outbox/outbox-sender.js';
import type { CartPort, CatalogPort } from './ports.js';
import { OrderProcessor } from './processor/order-processor.js';
import { LocalOwnership, type PartitionOwnership } from './processor/ownership.js';
import { PartitionLeases } from './processor/partition-leases.js';
import { CheckoutService } from './service/checkout-service.js';
import { InventoryService } from './service/inventory-service.js';
import { OrderQuery } from './service/order-query.js';
import { LevelPartitionStore } from './state/level-partition-store.js';
import type { PartitionStore } from './state/partition-store.js';
import { RedisPartitionStore } from './state/redis-partition-store.js';

export interface OrderSystemOptions {
  /** Directory for the embedded log (`<dataDir>/order-log`), state and default mail folder. */
  readonly dataDir: string;
  readonly cart: CartPort;
  readonly catalog: CatalogPort;
  /** Share the order system through Redis (log, state, leases) instead of LevelDB. */
  readonly redisUrl?: string;
  readonly redisPrefix?: string;
  /** Log partitions (default 16). Must stay the same for the life of a log. */
  readonly partitions?: number;
  /** Confirmation sink; default `.eml` files under `emlDir` (default `<dataDir>/outbox-mail`). */
  readonly sink?: MessageSink;
  readonly emlDir?: string;
  /** Run the processor and outbox sender in this process (default true). */
  readonly runProcessor?: boolean;
  /** fsync log appends and checkpoints (default true; embedded only). */
  readonly sync?: boolean;
  readonly registry?: Registry;
  /** This node's name on partition leases (default 'n1'). */
  readonly nodeName?: string;
  /** Partition lease time to live and renew period (Redis; defaults 3000 / 500 ms). */
  readonly leaseMs?: number;
  readonly leaseTickMs?: number;
  readonly onError?: (err: unknown) => void;
  readonly onLease?: (event: { partition: number; change: string; token: number }) => void;
  /** Called once per placed order (replays excluded), e.g. to count it for popularity. */
  readonly onPlaced?: (order: OrderPlaced) => void;
}

export interface OrderSystem {
  readonly log: OrderLog;
  readonly store: PartitionStore;
  readonly ownership: PartitionOwnership;
  readonly processor: OrderProcessor;
  readonly sender: OutboxSender;
  readonly checkout: CheckoutService;
  readonly query: OrderQuery;
  readonly inventory: InventoryService;
  readonly metrics: OrderMetrics;
  /** Starts the processor and the sender (when runProcessor). */
  start(): Promise<void>;
  /** Stops them (giving partitions back), then closes the log and the store. */
  stop(): Promise<void>;
}

interface Backend {
  readonly log: OrderLog;
  readonly store: PartitionStore;
  readonly ownership: PartitionOwnership;
  close(): Promise<void>;
}

async function openEmbedded(options: OrderSystemOptions, partitions: number): Promise<Backend> {
  const sync = options.sync ?? true;
  const log = await LevelOrderLog.open({ location: join(options.dataDir, 'order-log'), partitions, sync });
  const store = await LevelPartitionStore.open(join(options.dataDir, 'order-state'), {
    partitions,
    sync,
  }).catch(async (err: unknown) => {
    await log.close();
    throw err;
  });
  return {
    log,
    store,
    ownership: new LocalOwnership(partitions, options.nodeName),
    close: async () => {
      await log.close();
      await store.close();
    },
  };
}

async function openShared(options: OrderSystemOptions, url: string, partitions: number): Promise<Backend> {
  const prefix = options.redisPrefix ?? 'cw:orders';
  const log = await RedisOrderLog.open({ url, partitions, prefix });
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    await log.close();
    throw new OrderLogError('ORDER_LOG_UNAVAILABLE', 'cannot connect to Redis for the order state', {
      cause: err,
    });
  }
  const store = new RedisPartitionStore(redis, { prefix, partitions });
  const ownership = new PartitionLeases({
    redis,
    prefix,
    partitions,
    node: options.nodeName ?? 'n1',
    ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
    ...(options.leaseTickMs === undefined ? {} : { tickMs: options.leaseTickMs }),
    ...(options.onError === undefined ? {} : { onError: options.onError }),
    ...(options.onLease === undefined ? {} : { onChange: options.onLease }),
  });
  return {
    log,
    store,
    ownership,
    close: async () => {
      await log.close();
      await redis.quit().catch(() => undefined);
    },
  };
}

export async function openOrderSystem(options: OrderSystemOptions): Promise<OrderSystem> {
  const partitions = options.partitions ?? 16;
  const backend =
    options.redisUrl === undefined
      ? await openEmbedded(options, partitions)
      : await openShared(options, options.redisUrl, partitions);
  const { log, store, ownership } = backend;
  const metrics = options.registry === undefined ? noopOrderMetrics : createOrderMetrics(options.registry);
  const sink =
    options.sink ?? (await EmlFileSink.open(options.emlDir ?? join(options.dataDir, 'outbox-mail')));
  const onError = options.onError ?? (() => undefined);
  const sender = new OutboxSender({
    store,
    ownership,
    sink,
    metrics,
    onError,
    removeFromCart: (removal) =>
      options.cart.removePurchased(removal.userId, removal.cartId, {
        lines: removal.productIds.map((productId) => ({ productId, quantity: 1 })),
        context: Buffer.from(removal.context, 'base64'),
      }),
  });
  const processor = new OrderProcessor({
    log,
    store,
    ownership,
    metrics,
    onCommitted: (p, commit) => {
      if (commit.outbox.length > 0) sender.notify(commit.outbox.length, p);
    },
    onError,
  });
  const query = new OrderQuery(log, store);
  const checkout = new CheckoutService({
    log,
    query,
    cart: options.cart,
    catalog: options.catalog,
    metrics,
    ...(options.onPlaced === undefined ? {} : { onPlaced: options.onPlaced }),
  });
  const inventory = new InventoryService({ log, store, catalog: options.catalog });
  const runProcessor = options.runProcessor ?? true;
  let started = false;
  return {
    log,
    store,
    ownership,
    processor,
    sender,
    checkout,
    query,
    inventory,
    metrics,
    async start() {
      if (!runProcessor || started) return;
      started = true;
      await processor.start();
      await sender.start();
    },
    async stop() {
      if (started) {
        await sender.stop();
        await processor.stop();
        started = false;
      }
      await backend.close();
    },
  };
}
