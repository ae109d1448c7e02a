// Public API of the orders & inventory subsystem (mounted by the cart server).

export { OrderError, type OrderErrorCode, OrderLogError, type OrderLogErrorCode } from './errors.js';
export {
  type CartRemoval,
  confirmationKey,
  type EmailMessage,
  homePartitionOf,
  type InventoryUpdate,
  MAX_LINE_QUANTITY,
  MAX_ORDER_LINES,
  MAX_STOCK,
  type OrderLine,
  type OrderPlaced,
  type OrderRejection,
  type OrderStatus,
  type OrderView,
  type OutboxMessage,
  type RejectionReason,
  type Saga,
} from './events.js';
export { createOrderRoutes, type OrderRoutesDeps } from './http/order-routes.js';
export { LevelOrderLog, type LevelOrderLogOptions } from './log/level-order-log.js';
export {
  type AppendRequest,
  type AppendResult,
  ClaimConflictError,
  type LogPosition,
  type LogRecord,
  MAX_LOG_VALUE_BYTES,
  type OrderLog,
  type PollOptions,
  partitionForKey,
} from './log/order-log.js';
export { RedisOrderLog, type RedisOrderLogOptions } from './log/redis-order-log.js';
export { createOrderMetrics, noopOrderMetrics, type OrderMetrics } from './metrics.js';
export { EmlFileSink } from './outbox/eml-sink.js';
export {
  type CartRemover,
  type MessageSink,
  OutboxSender,
  type OutboxSenderOptions,
} from './outbox/outbox-sender.js';
export type {
  CartPort,
  CartSnapshot,
  CatalogPort,
  CatalogProductLike,
  CatalogProductView,
  SnapshotLine,
} from './ports.js';
export { OrderProcessor, type OrderProcessorOptions } from './processor/order-processor.js';
export { LocalOwnership, type PartitionOwnership } from './processor/ownership.js';
export {
  PartitionLeases,
  type PartitionLeasesOptions,
  preferredOwner,
} from './processor/partition-leases.js';
export {
  type PartitionCommit,
  type PartitionState,
  PartitionTask,
  type RecordOutcome,
  type TaskResult,
} from './processor/partition-task.js';
export { cartPortOf } from './service/cart-port.js';
export { lookupProduct, toProductView } from './service/catalog-lookup.js';
export {
  type CheckoutRequest,
  type CheckoutResult,
  CheckoutService,
  deriveOrderId,
  IDEMPOTENCY_KEY_PATTERN,
} from './service/checkout-service.js';
export {
  type InitialStock,
  InventoryService,
  type InventoryUpdateRequest,
} from './service/inventory-service.js';
export { OrderQuery } from './service/order-query.js';
export { LevelPartitionStore } from './state/level-partition-store.js';
export type { Fence, PartitionStore } from './state/partition-store.js';
export { RedisPartitionStore } from './state/redis-partition-store.js';
export { type OrderSystem, type OrderSystemOptions, openOrderSystem } from './system.js';
