/**
 * HTTP routes of the order path, as a hono sub-app the cart server mounts at `/v1`:
 *   POST /orders            checkout (Idempotency-Key required) → 202 { orderId, status }
 *   GET  /orders/:id        the order's status (owner or admin; others get 404)
 *   POST /inventory         seller stock update through the order log → 202
 *   GET  /inventory/:id     checkpointed stock level (seller/admin)
 * Errors are OrderError / ApiError codes; the shared handler maps them to statuses.
 */
import type { Context } from 'hono';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { verify } from 'hono/jwt';
import { z } from 'zod';
import { ApiError, handleError, handleNotFound } from '../http/errors.js';
import type { CheckoutService, InventoryService, OrderQuery } from './checkout.js';
import { OrderError } from './errors.js';
import { MAX_STOCK, PRODUCT_ID_PATTERN } from './events.js';

export type Role = 'user' | 'seller' | 'admin';

export interface Principal {
  readonly userId: string;
  readonly role: Role;
}

/** Resolves the caller of a request; throws (UNAUTHORIZED) when there is none. */
export type Authenticate = (c: Context) => Promise<Principal>;

export interface OrderRoutesDeps {
  readonly checkout: CheckoutService;
  readonly query: OrderQuery;
  readonly inventory: InventoryService;
  readonly authenticate: Authenticate;
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

/**
 * Verifies `Authorization: Bearer <HS256 JWT>` with claims `sub` and optional `role`. Verified
 * tokens are cached (bounded, until their `exp`): WebCrypto HMAC verification costs about a
 * millisecond under load, more than the whole rest of a checkout.
 */
export function bearerJwtAuthenticator(secret: string, options: { cacheSize?: number } = {}): Authenticate {
  const cacheSize = options.cacheSize ?? 10_000;
  const cache = new Map<string, { principal: Principal; expMs: number }>();
  return async (c) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (match === null) throw new ApiError('UNAUTHORIZED', 'missing bearer token');
    const token = match[1]!;
    const cached = cache.get(token);
    if (cached !== undefined && cached.expMs > Date.now()) return cached.principal;
    let payload: Record<string, unknown>;
    try {
      payload = await verify(token, secret, 'HS256');
    } catch (err) {
      throw new ApiError('UNAUTHORIZED', 'invalid bearer token', { cause: err });
    }
    const sub = payload.sub;
    if (typeof sub !== 'string' || sub.length === 0 || sub.length > 256) {
      throw new ApiError('UNAUTHORIZED', 'token has no subject');
    }
    const role = payload.role === 'seller' || payload.role === 'admin' ? payload.role : 'user';
    const principal: Principal = { userId: sub, role };
    const expMs = typeof payload.exp === 'number' ? payload.exp * 1000 : Date.now() + 60_000;
    if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
    cache.set(token, { principal, expMs });
    return principal;
  };
}

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

export function createOrderRoutes(deps: OrderRoutesDeps): Hono {
  const app = new Hono();
  app.onError(handleError);
  app.notFound(handleNotFound);
  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError('PAYLOAD_TOO_LARGE', `body exceeds ${MAX_BODY_BYTES} bytes`);
    },
  });

  app.post('/orders', limit, async (c) => {
    const principal = await deps.authenticate(c);
    const key = c.req.header('idempotency-key');
    if (key === undefined || key === '') {
      throw new OrderError('IDEMPOTENCY_KEY_INVALID', 'the Idempotency-Key header is required');
    }
    const body = parse(checkoutBody, await jsonBody(c, true));
    const result = await deps.checkout.checkout({
      userId: principal.userId,
      cartId: body.cartId,
      idempotencyKey: key,
      ...(body.email === undefined ? {} : { email: body.email }),
      ...(body.acceptPriceChanges === undefined ? {} : { acceptPriceChanges: body.acceptPriceChanges }),
    });
    c.header('location', `orders/${result.orderId}`);
    // Same answer for a replay (Stripe-style idempotency): 202, the same order id.
    return c.json({ orderId: result.orderId, status: result.status, replayed: result.replayed }, 202);
  });

  app.get('/orders/:id', async (c) => {
    const principal = await deps.authenticate(c);
    const id = c.req.param('id');
    const view = /^ord_[a-f0-9]{32}$/.test(id) ? await deps.query.get(id) : undefined;
    if (view === undefined || (view.userId !== principal.userId && principal.role !== 'admin')) {
      throw new OrderError('ORDER_NOT_FOUND', `no order ${id.slice(0, 64)}`);
    }
    return c.json(view);
  });

  app.post('/inventory', limit, async (c) => {
    const principal = await deps.authenticate(c);
    if (principal.role !== 'seller' && principal.role !== 'admin') {
      throw new OrderError('ROLE_REQUIRED', 'inventory updates need the seller role');
    }
    const body = parse(inventoryBody, await jsonBody(c, false));
    const key = c.req.header('idempotency-key');
    const result = await deps.inventory.update({
      sellerId: principal.userId,
      productId: body.productId,
      mode: body.mode,
      quantity: body.quantity,
      ...(key === undefined ? {} : { idempotencyKey: key }),
    });
    return c.json(result, 202);
  });

  app.get('/inventory/:productId', async (c) => {
    const principal = await deps.authenticate(c);
    if (principal.role !== 'seller' && principal.role !== 'admin') {
      throw new OrderError('ROLE_REQUIRED', 'inventory reads need the seller role');
    }
    const productId = c.req.param('productId');
    if (!PRODUCT_ID_PATTERN.test(productId)) throw new OrderError('VALIDATION_FAILED', 'bad product id');
    const stock = await deps.inventory.stock(productId);
    return c.json({ productId, available: stock ?? 0, known: stock !== undefined });
  });

  return app;
}
