/**
 * Wires the order path for a server process: the log (LevelDB by default, Redis Streams when a
 * Redis URL is given), the processor's state store, the processor, the outbox sender and sink,
 * and the request-side services the routes use.
 */
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { CheckoutService, InventoryService, OrderQuery } from './checkout.js';
import { EmlFileSink } from './eml-sink.js';
import type { OrderPlaced } from './events.js';
import { LevelOrderLog } from './log/level-order-log.js';
import type { OrderLog } from './log/order-log.js';
import { RedisOrderLog } from './log/redis-order-log.js';
import { createOrderMetrics, noopOrderMetrics, type OrderMetrics } from './metrics.js';
import { type MessageSink, OutboxSender } from './outbox.js';
import type { CartPort, CatalogPort } from './ports.js';
import { OrderProcessor } from './processor.js';
import { ProcessorStore } from './processor-store.js';

export interface OrderSystemOptions {
  /** Directory for the embedded log (`<dataDir>/order-log`) and processor state (`<dataDir>/order-state`). */
  readonly dataDir: string;
  readonly cart: CartPort;
  readonly catalog: CatalogPort;
  /** Use Redis Streams for the log instead of the embedded LevelDB log. */
  readonly redisUrl?: string;
  readonly redisPrefix?: string;
  /** Log partitions (default 16). Must stay the same for the life of a log. */
  readonly partitions?: number;
  /** Confirmation sink; default `.eml` files under `<dataDir>/outbox-mail` (or `emlDir`). */
  readonly sink?: MessageSink;
  readonly emlDir?: string;
  /** Run the processor and outbox sender in this process (default true). */
  readonly runProcessor?: boolean;
  /** fsync log appends and checkpoints (default true). */
  readonly sync?: boolean;
  readonly registry?: Registry;
  readonly processorName?: string;
  readonly onError?: (err: unknown) => void;
  /** Called once per placed order (replays excluded), e.g. to count it for popularity. */
  readonly onPlaced?: (order: OrderPlaced) => void;
}

export interface OrderSystem {
  readonly log: OrderLog;
  readonly store: ProcessorStore;
  readonly processor: OrderProcessor;
  readonly sender: OutboxSender;
  readonly checkout: CheckoutService;
  readonly query: OrderQuery;
  readonly inventory: InventoryService;
  readonly metrics: OrderMetrics;
  /** Starts the processor and the sender (when runProcessor). */
  start(): Promise<void>;
  /** Stops them, then closes the log and the store. */
  stop(): Promise<void>;
}

export async function openOrderSystem(options: OrderSystemOptions): Promise<OrderSystem> {
  const partitions = options.partitions ?? 16;
  const sync = options.sync ?? true;
  const log: OrderLog =
    options.redisUrl === undefined
      ? await LevelOrderLog.open({ location: join(options.dataDir, 'order-log'), partitions, sync })
      : await RedisOrderLog.open({
          url: options.redisUrl,
          partitions,
          ...(options.redisPrefix === undefined ? {} : { prefix: options.redisPrefix }),
        });
  const store = await ProcessorStore.open(join(options.dataDir, 'order-state'), { sync });
  const metrics = options.registry === undefined ? noopOrderMetrics : createOrderMetrics(options.registry);
  const sink =
    options.sink ?? (await EmlFileSink.open(options.emlDir ?? join(options.dataDir, 'outbox-mail')));
  const onError = options.onError ?? (() => undefined);
  const sender = new OutboxSender({ store, sink, metrics, onError });
  const processor = new OrderProcessor({
    log,
    store,
    metrics,
    consumer: options.processorName ?? 'processor-1',
    onCheckpoint: (c) => sender.notify(c.outbox.length),
    onError,
  });
  const query = new OrderQuery(log, store);
  const checkout = new CheckoutService({
    log,
    query,
    cart: options.cart,
    catalog: options.catalog,
    metrics,
    onCartError: onError,
    ...(options.onPlaced === undefined ? {} : { onPlaced: options.onPlaced }),
  });
  const inventory = new InventoryService({ log, store, catalog: options.catalog });
  const runProcessor = options.runProcessor ?? true;
  let started = false;
  return {
    log,
    store,
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
        await processor.stop();
        await sender.stop();
        started = false;
      }
      await log.close();
      await store.close();
    },
  };
}
