// Public API of the orders & inventory subsystem (mounted by the cart server).

export { cartServerAuthenticator, catalogPortFrom } from './adapters.js';
export { lookupProduct, toProductView } from './catalog-lookup.js';
export {
  type CheckoutRequest,
  type CheckoutResult,
  CheckoutService,
  deriveOrderId,
  IDEMPOTENCY_KEY_PATTERN,
  InventoryService,
  type InventoryUpdateRequest,
  OrderQuery,
} from './checkout.js';
export { EmlFileSink } from './eml-sink.js';
export { OrderError, type OrderErrorCode, OrderLogError, type OrderLogErrorCode } from './errors.js';
export {
  confirmationKey,
  type InventoryUpdate,
  MAX_LINE_QUANTITY,
  MAX_ORDER_LINES,
  type OrderLine,
  type OrderPlaced,
  type OrderRejection,
  type OrderStatus,
  type OrderView,
  type OutboxMessage,
  type RejectionReason,
} from './events.js';
export { InventoryRouter, InventoryShard } from './inventory.js';
export { LevelOrderLog, type LevelOrderLogOptions } from './log/level-order-log.js';
export {
  type AppendRequest,
  type AppendResult,
  type ConsumerOptions,
  type LogConsumer,
  type LogPosition,
  type LogRecord,
  MAX_LOG_VALUE_BYTES,
  type OrderLog,
  type PollOptions,
  partitionForKey,
} from './log/order-log.js';
export { RedisOrderLog, type RedisOrderLogOptions } from './log/redis-order-log.js';
export { createOrderMetrics, noopOrderMetrics, type OrderMetrics } from './metrics.js';
export { createOrderMount, type OrderMount, type OrderMountOptions } from './mount.js';
export { orderOpenApiPaths } from './openapi.js';
export { type MessageSink, OutboxSender, type OutboxSenderOptions } from './outbox.js';
export type {
  CartPort,
  CartSnapshot,
  CatalogPort,
  CatalogProductLike,
  CatalogProductView,
  SnapshotLine,
} from './ports.js';
export { OrderProcessor, type OrderProcessorOptions } from './processor.js';
export { type Checkpoint, ProcessorStore } from './processor-store.js';
export {
  type Authenticate,
  bearerJwtAuthenticator,
  createOrderRoutes,
  type OrderRoutesDeps,
  type Principal,
  type Role,
} from './routes.js';
export { type OrderSystem, type OrderSystemOptions, openOrderSystem } from './system.js';
