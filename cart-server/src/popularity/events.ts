import { z } from 'zod';
import { PRODUCT_ID_PATTERN } from '../catalog/product.js';

/** What shoppers do with a product; the popularity signal of the source design. */
export const popularityEventSchema = z
  .object({
    type: z.enum(['view', 'cart_add', 'order']),
    productId: z.string().regex(PRODUCT_ID_PATTERN),
    /** Units added / ordered (default 1). */
    quantity: z.number().int().min(1).max(10_000).optional(),
    /** Event time in ms since the epoch (default: now). */
    at: z.number().int().min(0).optional(),
  })
  .strict();

export type PopularityEvent = z.infer<typeof popularityEventSchema>;
export type PopularityEventType = PopularityEvent['type'];

/** Per product and day: [views, cart-add units, ordered units]. */
export type DailyCounts = [views: number, adds: number, orders: number];

/** Signal weights: a purchase says more than a cart add, which says more than a view. */
export const EVENT_WEIGHTS: Readonly<Record<PopularityEventType, number>> = {
  view: 1,
  cart_add: 5,
  order: 20,
};

export const DAY_MS = 86_400_000;

/** UTC day key `YYYY-MM-DD` (sorts chronologically as a string). */
export function dayKey(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
