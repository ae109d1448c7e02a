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
  /** 'set' replaces the stock level; 'adjust' adds a (possibly negative) delta. */
  mode: z.enum(['set', 'adjust']),
  quantity: z.number().int().min(-MAX_STOCK).max(MAX_STOCK),
  at: z.number().int(),
});
export type InventoryUpdate = z.infer<typeof inventoryUpdateSchema>;

export const logEventSchema = z.discriminatedUnion('type', [orderPlacedSchema, inventoryUpdateSchema]);
export type LogEvent = z.infer<typeof logEventSchema>;

export type RejectionReason = 'INSUFFICIENT_STOCK' | 'UNKNOWN_PRODUCT' | 'INVALID_ORDER';

export interface OrderRejection {
  readonly productId?: string;
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

/** A message waiting in the outbox; `key` is its idempotency key (and the .eml file name). */
export interface OutboxMessage {
  readonly key: string;
  readonly orderId: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly createdAt: number;
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
