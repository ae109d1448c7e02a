/**
 * `/v1/carts/:cartId` — always the authenticated user's cart (SPEC §3). Responses are the cart
 * view; `context` (base64 encodeContext) lets a client start a delta sync from an HTTP read.
 */
import { type CartLine, type CartState, decodeCartDelta, encodeContext } from '@cartwheel/crdt';
import { Hono } from 'hono';
import type { AuthVariables } from '../auth/middleware.js';
import { ApiError } from '../http/errors.js';
import type { CartService } from './cart-service.js';
import {
  addItemSchema,
  cartIdSchema,
  mergeSchema,
  parseParam,
  productIdSchema,
  readJson,
  setQuantitySchema,
} from './validation.js';

export interface CartView {
  readonly cartId: string;
  readonly lines: CartLine[];
  readonly totalQuantity: number;
  readonly context: string;
}

export function cartView(cartId: string, state: CartState): CartView {
  // Straight from the state the update or read returned: no Cart.fromState copy, no re-decode.
  const lines = state.lines();
  return {
    cartId,
    lines,
    totalQuantity: lines.reduce((n, l) => n + l.quantity, 0),
    context: Buffer.from(encodeContext(state.context())).toString('base64'),
  };
}

function decodeBase64(text: string): Uint8Array {
  const normalized = text.replace(/-/g, '+').replace(/_/g, '/');
  return new Uint8Array(Buffer.from(normalized, 'base64'));
}

export function createCartRoutes(carts: CartService): Hono<{ Variables: AuthVariables }> {
  const app = new Hono<{ Variables: AuthVariables }>();

  app.get('/carts/:cartId', async (c) => {
    const cartId = parseParam(cartIdSchema, c.req.param('cartId'));
    return c.json(cartView(cartId, await carts.read(c.var.auth.sub, cartId)));
  });

  app.post('/carts/:cartId/items', async (c) => {
    const cartId = parseParam(cartIdSchema, c.req.param('cartId'));
    const body = await readJson(c, addItemSchema);
    const op =
      body.meta === undefined
        ? { type: 'add' as const, productId: body.productId, quantity: body.quantity }
        : { type: 'add' as const, productId: body.productId, quantity: body.quantity, meta: body.meta };
    return c.json(cartView(cartId, await carts.apply(c.var.auth.sub, cartId, op)));
  });

  app.put('/carts/:cartId/items/:productId', async (c) => {
    const cartId = parseParam(cartIdSchema, c.req.param('cartId'));
    const productId = parseParam(productIdSchema, c.req.param('productId'));
    const { quantity } = await readJson(c, setQuantitySchema);
    const op =
      quantity === 0
        ? { type: 'remove' as const, productId }
        : { type: 'setQuantity' as const, productId, quantity };
    return c.json(cartView(cartId, await carts.apply(c.var.auth.sub, cartId, op)));
  });

  app.delete('/carts/:cartId/items/:productId', async (c) => {
    const cartId = parseParam(cartIdSchema, c.req.param('cartId'));
    const productId = parseParam(productIdSchema, c.req.param('productId'));
    return c.json(cartView(cartId, await carts.apply(c.var.auth.sub, cartId, { type: 'remove', productId })));
  });

  app.delete('/carts/:cartId', async (c) => {
    const cartId = parseParam(cartIdSchema, c.req.param('cartId'));
    return c.json(cartView(cartId, await carts.apply(c.var.auth.sub, cartId, { type: 'clear' })));
  });

  app.post('/carts/:cartId/merge', async (c) => {
    const cartId = parseParam(cartIdSchema, c.req.param('cartId'));
    const actor = c.var.auth.act;
    if (actor === undefined) {
      throw new ApiError('DEVICE_REQUIRED', 'merging a delta needs a device token (POST /v1/devices)');
    }
    const { delta } = await readJson(c, mergeSchema);
    const decoded = decodeCartDelta(decodeBase64(delta));
    return c.json(cartView(cartId, await carts.merge(c.var.auth.sub, cartId, actor, decoded)));
  });

  return app;
}
