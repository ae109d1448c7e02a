/** Input shapes of the cart API, validated with zod at the HTTP and WebSocket boundaries. */
import { MAX_QUANTITY } from '@cartwheel/crdt';
import type { Context } from 'hono';
import { z } from 'zod';
import { bodyText } from '../http/body.js';
import { ApiError } from '../http/errors.js';

export const CART_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const PRODUCT_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

export const cartIdSchema = z.string().regex(CART_ID, 'cartId must match [A-Za-z0-9_-]{1,64}');
export const productIdSchema = z.string().regex(PRODUCT_ID, 'productId must match [A-Za-z0-9_.:-]{1,128}');
export const quantitySchema = z
  .number()
  .int('quantity must be an integer')
  .min(1, 'quantity must be ≥ 1')
  .max(MAX_QUANTITY, `quantity must be ≤ ${MAX_QUANTITY}`);

/** Line metadata: a few scalar fields (price in minor units, currency, title...). */
export const metaSchema = z
  .record(
    z.string().regex(/^[A-Za-z0-9_]{1,32}$/, 'meta keys must match [A-Za-z0-9_]{1,32}'),
    z.union([z.string().max(256), z.number().finite(), z.boolean()]),
  )
  .refine((m) => Object.keys(m).length <= 16, 'meta holds at most 16 fields');

export const addItemSchema = z.strictObject({
  productId: productIdSchema,
  quantity: quantitySchema.default(1),
  meta: metaSchema.optional(),
});

/** Setting quantity 0 removes the line (observed-remove). */
export const setQuantitySchema = z.strictObject({
  quantity: z.number().int('quantity must be an integer').min(0).max(MAX_QUANTITY),
});

/** Base64 of an encoded CartDelta (encodeCartDelta). */
export const mergeSchema = z.strictObject({
  delta: z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'delta must be base64'),
});

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

/** Validates a path parameter; 400 VALIDATION_FAILED with the reason otherwise. */
export function parseParam<T>(schema: z.ZodType<T>, value: string | undefined): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new ApiError('VALIDATION_FAILED', describe(r.error));
  return r.data;
}

/**
 * Reads and validates a JSON body. The body size was already bounded by the boundedBody middleware;
 * invalid JSON is INVALID_JSON, a wrong shape VALIDATION_FAILED, both 400.
 */
export async function readJson<T>(
  c: Context,
  schema: z.ZodType<T>,
  options?: { allowEmpty?: boolean },
): Promise<T> {
  const text = await bodyText(c);
  let value: unknown;
  try {
    value = options?.allowEmpty === true && text.trim() === '' ? undefined : JSON.parse(text);
  } catch {
    throw new ApiError('INVALID_JSON', 'request body is not valid JSON');
  }
  const r = schema.safeParse(value);
  if (!r.success) throw new ApiError('VALIDATION_FAILED', describe(r.error));
  return r.data;
}
