/**
 * What travels through the order log, and what the processor records. Records are JSON,
 * versioned (`v: 1`) and validated with zod when read: a malformed record is rejected by the
 * processor (counted and skipped) rather than crash-looping it.
 */
import { z } from 'zod';

/** Bounds (documented in docs/orders.md). */
export const MAX_ORDER_LINES = 100;
export const MAX_LINE_QUANTITY = 10_000;
export const MAX_STOCK = 1_000_000_000;
export const PRODUCT_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

const productId = z.string().regex(PRODUCT_ID_PATTERN);

export const orderLineSchema = z.object({
  productId,
  quantity: z.number().int().min(1).max(MAX_LINE_QUANTITY),
  unitPriceMinor: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  currency: z.string().regex(/^[A-Z]{3}$/),
  title: z.string().max(500),
});
export type OrderLine = z.infer<typeof orderLineSchema>;

export const orderPlacedSchema = z.object({
  type: z.literal('order.placed'),
  v: z.literal(1),
  orderId: z.string().regex(/^ord_[a-f0-9]{32}$/),
  userId: z.string().min(1).max(256),
  cartId: z.string().min(1).max(256),
  email: z.string().max(320),
  createdAt: z.number().int(),
  lines: z.array(orderLineSchema).min(1).max(MAX_ORDER_LINES),
  totalMinor: z.number().int().min(0),
  currency: z.string().regex(/^[A-Z]{3}$/),
  /** base64 of the cart's encoded causal context when the snapshot was taken. */
  cartContext: z.string().max(48_000),
});
export type OrderPlaced = z.infer<typeof orderPlacedSchema>;

export const inventoryUpdateSchema = z.object({
  type: z.literal('inventory.update'),
  v: z.literal(1),
  eventId: z.string().min(1).max(200),
  sellerId: z.string().min(1).max(256),
  productId,
  /**
   * 'set' replaces the stock level; 'adjust' adds a (possibly negative) delta, refused when the
   * result would leave 0..MAX_STOCK; 'init' sets the level only when none is recorded yet (the
   * catalog's stock when a product is created or imported).
   */
  mode: z.enum(['set', 'adjust', 'init']),
  quantity: z.number().int().min(-MAX_STOCK).max(MAX_STOCK),
  at: z.number().int(),
});
export type InventoryUpdate = z.infer<typeof inventoryUpdateSchema>;

/** One line of a reservation: what a product's partition deducts (or gives back). */
const reservedLineSchema = z.object({
  productId,
  quantity: z.number().int().min(1).max(MAX_LINE_QUANTITY),
  title: z.string().max(500),
});
export type ReservedLine = z.infer<typeof reservedLineSchema>;

const partitionIndex = z.number().int().min(0).max(1023);
const orderIdSchema = z.string().regex(/^ord_[a-f0-9]{32}$/);

/** Home partition → a product partition: reserve these lines of the order (all or none). */
export const reserveRequestSchema = z.object({
  type: z.literal('reserve.request'),
  v: z.literal(1),
  orderId: orderIdSchema,
  home: partitionIndex,
  lines: z.array(reservedLineSchema).min(1).max(MAX_ORDER_LINES),
});
export type ReserveRequest = z.infer<typeof reserveRequestSchema>;

const rejectionSchema = z.object({
  productId: productId.optional(),
  title: z.string().max(500).optional(),
  reason: z.enum(['INSUFFICIENT_STOCK', 'UNKNOWN_PRODUCT', 'INVALID_ORDER']),
  requested: z.number().int().optional(),
  available: z.number().int().optional(),
  message: z.string().max(1000),
});

/** Product partition → home partition: the reservation's result. */
export const reserveReplySchema = z.object({
  type: z.literal('reserve.reply'),
  v: z.literal(1),
  orderId: orderIdSchema,
  from: partitionIndex,
  rejection: rejectionSchema.optional(),
});
export type ReserveReply = z.infer<typeof reserveReplySchema>;

/** Home partition → a product partition that reserved: give the units back (compensation). */
export const reserveReleaseSchema = z.object({
  type: z.literal('reserve.release'),
  v: z.literal(1),
  orderId: orderIdSchema,
  lines: z.array(reservedLineSchema).min(1).max(MAX_ORDER_LINES),
});
export type ReserveRelease = z.infer<typeof reserveReleaseSchema>;

export const logEventSchema = z.discriminatedUnion('type', [
  orderPlacedSchema,
  inventoryUpdateSchema,
  reserveRequestSchema,
  reserveReplySchema,
  reserveReleaseSchema,
]);
export type LogEvent = z.infer<typeof logEventSchema>;

export type RejectionReason = 'INSUFFICIENT_STOCK' | 'UNKNOWN_PRODUCT' | 'INVALID_ORDER';

export interface OrderRejection {
  readonly productId?: string;
  /** The product's title as ordered, so every message names the product, not its id. */
  readonly title?: string;
  readonly reason: RejectionReason;
  readonly requested?: number;
  readonly available?: number;
  readonly message: string;
}

export type OrderStatus = 'pending' | 'confirmed' | 'rejected';

/** The processor's durable record of an order's outcome (and GET /orders/:id's body). */
export interface OrderView {
  readonly orderId: string;
  readonly userId: string;
  readonly cartId: string;
  readonly status: OrderStatus;
  readonly lines: readonly OrderLine[];
  readonly totalMinor: number;
  readonly currency: string;
  readonly createdAt: number;
  readonly processedAt?: number;
  readonly rejection?: OrderRejection;
  /** Log position of the order event. */
  readonly partition?: number;
  readonly offset?: number;
}

/** The confirmation e-mail; `key` is its idempotency key (and the .eml file name). */
export interface EmailMessage {
  readonly kind: 'email';
  readonly key: string;
  readonly orderId: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly createdAt: number;
}

/**
 * The purchased lines leave the cart only when the order is confirmed: observed-remove of what the
 * checkout's snapshot saw (`context`, base64 of the encoded causal context), idempotent.
 */
export interface CartRemoval {
  readonly kind: 'cart-removal';
  readonly key: string;
  readonly orderId: string;
  readonly userId: string;
  readonly cartId: string;
  readonly productIds: readonly string[];
  readonly context: string;
}

/** A message waiting in the outbox of the partition that decided the order. */
export type OutboxMessage = EmailMessage | CartRemoval;

/**
 * An order its home partition is deciding: waiting for the reservations of the partitions in
 * `waiting`; `reserved` are those that deducted stock (released again if the order fails).
 */
export interface Saga {
  readonly order: OrderPlaced;
  readonly offset: number;
  readonly waiting: readonly number[];
  readonly reserved: readonly number[];
  readonly rejection?: OrderRejection;
}

export function decodeLogEvent(value: string): LogEvent | undefined {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return undefined;
  }
  const parsed = logEventSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** Confirmation idempotency key: one per order, stable across retries and crashes. */
export const confirmationKey = (orderId: string): string => `${orderId}-confirmation`;
export const cartRemovalKey = (orderId: string): string => `${orderId}-cart`;

/**
 * An order's home partition is encoded in its id (`ord_<3 hex: partition><29 hex>`), so any node
 * can find its status without an index. Undefined for ids that do not carry a valid one.
 */
export function homePartitionOf(orderId: string, partitions: number): number | undefined {
  if (!/^ord_[a-f0-9]{32}$/.test(orderId)) return undefined;
  const p = Number.parseInt(orderId.slice(4, 7), 16);
  return p < partitions ? p : undefined;
}
