/**
 * HTTP routes of the order path, as a hono sub-app the cart server mounts at `/v1`, behind the
 * app's one auth middleware (requireAuth / requireRole — the same claim validation as carts):
 *   POST /orders            checkout (Idempotency-Key required) → 202 { orderId, status, links }
 *   GET  /orders/:id        the order's status (owner or admin; others get 404), from any node
 *   POST /inventory         seller stock update through the product's log partition → 202
 *   GET  /inventory/:id     checkpointed stock level (seller/admin)
 * Errors are OrderError / ApiError codes; the shared handler maps them to statuses.
 */
import type { Context } from 'hono';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { type AuthVariables, requireAuth, requireRole } from '../../auth/middleware.js';
import type { TokenVerifier } from '../../auth/tokens.js';
import { ApiError, handleError, handleNotFound } from '../../http/errors.js';
import { OrderError } from '../errors.js';
import { MAX_STOCK, PRODUCT_ID_PATTERN } from '../events.js';
import type { CheckoutService } from '../service/checkout-service.js';
import type { InventoryService } from '../service/inventory-service.js';
import type { OrderQuery } from '../service/order-query.js';

export interface OrderRoutesDeps {
  readonly checkout: CheckoutService;
  readonly query: OrderQuery;
  readonly inventory: InventoryService;
  /** The app's token verifier (one auth path for every route). */
  readonly verifier: TokenVerifier;
}

const MAX_BODY_BYTES = 16 * 1024;

const checkoutBody = z
  .object({
    cartId: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9_.:-]+$/)
      .default('default'),
    email: z.email().max(320).optional(),
    acceptPriceChanges: z.boolean().optional(),
  })
  .strict();

const inventoryBody = z
  .object({
    productId: z.string().regex(PRODUCT_ID_PATTERN),
    quantity: z.number().int().min(-MAX_STOCK).max(MAX_STOCK),
    mode: z.enum(['set', 'adjust']).default('set'),
  })
  .strict()
  .refine((b) => b.mode === 'adjust' || b.quantity >= 0, { message: 'a set quantity cannot be negative' });

async function jsonBody(c: Context, optional: boolean): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') {
    if (optional) return {};
    throw new OrderError('VALIDATION_FAILED', 'a JSON body is required');
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new OrderError('INVALID_JSON', 'body is not valid JSON', { cause: err });
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
    throw new OrderError('VALIDATION_FAILED', issues.join('; '), { details: { issues } });
  }
  return result.data;
}

export function createOrderRoutes(deps: OrderRoutesDeps): Hono<{ Variables: AuthVariables }> {
  const app = new Hono<{ Variables: AuthVariables }>();
  app.onError(handleError);
  app.notFound(handleNotFound);
  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError('PAYLOAD_TOO_LARGE', `body exceeds ${MAX_BODY_BYTES} bytes`);
    },
  });
  const auth = requireAuth(deps.verifier);
  const seller = requireRole('seller', 'admin');

  app.post('/orders', auth, limit, async (c) => {
    const key = c.req.header('idempotency-key');
    if (key === undefined || key === '') {
      throw new OrderError('IDEMPOTENCY_KEY_INVALID', 'the Idempotency-Key header is required');
    }
    const body = parse(checkoutBody, await jsonBody(c, true));
    const result = await deps.checkout.checkout({
      userId: c.var.auth.sub,
      cartId: body.cartId,
      idempotencyKey: key,
      ...(body.email === undefined ? {} : { email: body.email }),
      ...(body.acceptPriceChanges === undefined ? {} : { acceptPriceChanges: body.acceptPriceChanges }),
    });
    const self = `/v1/orders/${result.orderId}`;
    c.header('location', self);
    // Same answer for a replay (Stripe-style idempotency): 202, the same order id.
    return c.json(
      { orderId: result.orderId, status: result.status, replayed: result.replayed, links: { self } },
      202,
    );
  });

  app.get('/orders/:id', auth, async (c) => {
    const { sub, role } = c.var.auth;
    const id = c.req.param('id');
    const view = await deps.query.get(id);
    if (view === undefined || (view.userId !== sub && role !== 'admin')) {
      throw new OrderError('ORDER_NOT_FOUND', `no order ${id.slice(0, 64)}`);
    }
    if (view.status === 'pending') c.header('retry-after', '1');
    return c.json(view);
  });

  app.post('/inventory', auth, seller, limit, async (c) => {
    const body = parse(inventoryBody, await jsonBody(c, false));
    const key = c.req.header('idempotency-key');
    const result = await deps.inventory.update({
      sellerId: c.var.auth.sub,
      productId: body.productId,
      mode: body.mode,
      quantity: body.quantity,
      ...(key === undefined ? {} : { idempotencyKey: key }),
    });
    return c.json(result, 202);
  });

  app.get('/inventory/:productId', auth, seller, async (c) => {
    const productId = c.req.param('productId');
    if (!PRODUCT_ID_PATTERN.test(productId)) throw new OrderError('VALIDATION_FAILED', 'bad product id');
    const stock = await deps.inventory.stock(productId);
    return c.json({ productId, available: stock ?? 0, known: stock !== undefined });
  });

  return app;
}
