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
import { RouteTable } from '../../http/contract.js';
import { ApiError, handleError, handleNotFound } from '../../http/errors.js';
import { OrderError } from '../errors.js';
import { MAX_STOCK, PRODUCT_ID_PATTERN } from '../events.js';
import { type CheckoutService, IDEMPOTENCY_KEY_PATTERN } from '../service/checkout-service.js';
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

const orderId = z.object({ id: z.string().max(64).describe('Order id (ord_ + 32 hex)') });
const idempotencyHeader = z.object({
  'idempotency-key': z
    .string()
    .regex(IDEMPOTENCY_KEY_PATTERN)
    .describe('1-128 of [A-Za-z0-9_.:-]; same key, same order'),
});
const optionalIdempotency = z.object({
  'idempotency-key': idempotencyHeader.shape['idempotency-key'].optional(),
});
const orderLine = z.object({
  productId: z.string(),
  title: z.string(),
  quantity: z.number().int(),
  unitPriceMinor: z.number().int(),
  currency: z.string(),
});
const orderView = z.object({
  orderId: z.string(),
  userId: z.string(),
  cartId: z.string(),
  status: z.enum(['pending', 'confirmed', 'rejected']),
  lines: z.array(orderLine),
  totalMinor: z.number().int(),
  currency: z.string(),
  createdAt: z.number().int(),
  processedAt: z.number().int().optional(),
  rejection: z
    .object({
      reason: z.enum(['INSUFFICIENT_STOCK', 'UNKNOWN_PRODUCT', 'INVALID_ORDER']),
      productId: z.string().optional(),
      title: z.string().optional(),
      requested: z.number().int().optional(),
      available: z.number().int().optional(),
      message: z.string().describe('Names the product by its title'),
    })
    .optional(),
});
const checkoutAccepted = z.object({
  orderId: z.string(),
  status: z.enum(['pending', 'confirmed', 'rejected']),
  replayed: z.boolean().describe('The key had already placed this order'),
  links: z.object({ self: z.string().describe('GET it to follow the order until confirmed or rejected') }),
});
const inventoryAccepted = z.object({
  eventId: z.string(),
  partition: z.number().int(),
  offset: z.number().int(),
});
const inventoryLevel = z.object({ productId: z.string(), available: z.number().int(), known: z.boolean() });
const productParam = z.object({ productId: z.string().regex(PRODUCT_ID_PATTERN) });
const BODY_ERRORS = ['INVALID_JSON', 'VALIDATION_FAILED', 'PAYLOAD_TOO_LARGE'] as const;

export function createOrderRoutes(deps: OrderRoutesDeps): RouteTable<{ Variables: AuthVariables }> {
  const app = new Hono<{ Variables: AuthVariables }>();
  app.onError(handleError);
  app.notFound(handleNotFound);
  const routes = new RouteTable(app);
  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError('PAYLOAD_TOO_LARGE', `body exceeds ${MAX_BODY_BYTES} bytes`);
    },
  });
  const auth = requireAuth(deps.verifier);
  const seller = requireRole('seller', 'admin');
  const tags = ['orders'];

  routes.on(
    {
      method: 'post',
      path: '/orders',
      summary: 'Check out a cart',
      description:
        "Records the order (idempotent by Idempotency-Key) and answers 202 at once; follow `links.self` until the order is confirmed or rejected. A cart's lines are bought at most once: another order holding them answers 409 CART_ALREADY_ORDERED. The lines leave the cart when the order is confirmed.",
      tags,
      access: 'user',
      headers: idempotencyHeader,
      body: checkoutBody,
      bodyRequired: false,
      responses: {
        202: {
          description: 'Order recorded (a replayed key answers the same order)',
          schema: checkoutAccepted,
          headers: { Location: 'The order' },
        },
      },
      errors: [
        ...BODY_ERRORS,
        'IDEMPOTENCY_KEY_INVALID',
        'ORDER_INVALID',
        'PRODUCT_NOT_FOUND',
        'IDEMPOTENCY_CONFLICT',
        'CART_ALREADY_ORDERED',
        'OUT_OF_STOCK',
        'PRICE_CHANGED',
        'ORDER_TOO_LARGE',
        'EMPTY_CART',
        'ORDER_LOG_UNAVAILABLE',
      ],
    },
    auth,
    limit,
    async (c) => {
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
      return c.json(
        { orderId: result.orderId, status: result.status, replayed: result.replayed, links: { self } },
        202,
      );
    },
  );

  routes.on(
    {
      method: 'get',
      path: '/orders/:id',
      summary: "An order's status, from any node",
      description: 'The owner or an admin; others get 404. `Retry-After: 1` while pending.',
      tags,
      access: 'user',
      params: orderId,
      responses: {
        200: { description: 'The order', schema: orderView, headers: { 'Retry-After': 'While pending' } },
      },
      errors: ['ORDER_NOT_FOUND'],
    },
    auth,
    async (c) => {
      const { sub, role } = c.var.auth;
      const id = c.req.param('id') ?? '';
      const view = await deps.query.get(id);
      if (view === undefined || (view.userId !== sub && role !== 'admin')) {
        throw new OrderError('ORDER_NOT_FOUND', `no order ${id.slice(0, 64)}`);
      }
      if (view.status === 'pending') c.header('retry-after', '1');
      return c.json(view);
    },
  );

  routes.on(
    {
      method: 'post',
      path: '/inventory',
      summary: "Set or adjust a product's stock",
      description:
        "Goes through the product's log partition; an adjustment that would leave 0..1e9 is refused there (stock unchanged).",
      tags: ['inventory'],
      access: 'seller',
      headers: optionalIdempotency,
      body: inventoryBody,
      responses: { 202: { description: 'Update recorded', schema: inventoryAccepted } },
      errors: [
        ...BODY_ERRORS,
        'IDEMPOTENCY_KEY_INVALID',
        'ORDER_INVALID',
        'PRODUCT_NOT_FOUND',
        'STOCK_OUT_OF_RANGE',
        'ORDER_LOG_UNAVAILABLE',
      ],
    },
    auth,
    seller,
    limit,
    async (c) => {
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
    },
  );

  routes.on(
    {
      method: 'get',
      path: '/inventory/:productId',
      summary: "A product's checkpointed stock",
      tags: ['inventory'],
      access: 'seller',
      params: productParam,
      responses: {
        200: { description: 'The stock level (known=false: never recorded)', schema: inventoryLevel },
      },
      errors: ['VALIDATION_FAILED'],
    },
    auth,
    seller,
    async (c) => {
      const productId = c.req.param('productId') ?? '';
      if (!PRODUCT_ID_PATTERN.test(productId)) throw new OrderError('VALIDATION_FAILED', 'bad product id');
      const stock = await deps.inventory.stock(productId);
      return c.json({ productId, available: stock ?? 0, known: stock !== undefined });
    },
  );

  return routes;
}
