/**
 * `/v1/carts/:cartId` — always the authenticated user's cart (SPEC §3). `context` (base64
 * encodeContext) is the cart's version: it lets a client start a delta sync from an HTTP answer.
 *
 * Reads, clear and device merges answer with the whole cart (CartView). Add, set-quantity and
 * remove answer with what they changed (CartChangeView: the changed line as it is now, and the
 * cart's version), so their answer costs the same for a 1-line and a 500-line cart; a client that
 * wants the whole cart back asks with `Prefer: return=representation` (RFC 7240) and gets the
 * CartView with `Preference-Applied: return=representation`.
 */
import { type CartLine, type CartState, decodeCartDelta, encodeContext } from '@cartwheel/crdt';
import type { Context } from 'hono';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AuthVariables } from '../auth/middleware.js';
import { RouteTable } from '../http/contract.js';
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

/** The answer of add, set-quantity and remove unless the whole cart is asked for. */
export interface CartChangeView {
  readonly cartId: string;
  /** The line the operation changed, as it is after it (quantity 0: the cart no longer holds it). */
  readonly changed: CartLine[];
  readonly context: string;
}

export function cartChangeView(cartId: string, state: CartState, productId: string): CartChangeView {
  return {
    cartId,
    changed: [state.get(productId) ?? { productId, quantity: 0 }],
    context: Buffer.from(encodeContext(state.context())).toString('base64'),
  };
}

/** `Prefer: return=representation` among the request's preferences (RFC 7240 §2, §4.2). */
export function prefersRepresentation(prefer: string | undefined): boolean {
  if (prefer === undefined) return false;
  for (const item of prefer.split(',')) {
    const [pref] = item.split(';');
    const eq = pref?.indexOf('=') ?? -1;
    if (pref === undefined || eq < 0) continue;
    if (pref.slice(0, eq).trim().toLowerCase() !== 'return') continue;
    const value = pref
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    if (value.toLowerCase() === 'representation') return true;
  }
  return false;
}

/** The answer of a line change: the change, or the whole cart when the client prefers it. */
function changeAnswer(c: Context, cartId: string, state: CartState, productId: string): Response {
  if (prefersRepresentation(c.req.header('prefer'))) {
    c.header('preference-applied', 'return=representation');
    return c.json(cartView(cartId, state));
  }
  return c.json(cartChangeView(cartId, state, productId));
}

function decodeBase64(text: string): Uint8Array {
  const normalized = text.replace(/-/g, '+').replace(/_/g, '/');
  return new Uint8Array(Buffer.from(normalized, 'base64'));
}

const metaValue = z.union([z.string(), z.number(), z.boolean()]);
const cartLine = z.object({
  productId: z.string(),
  quantity: z.number().int(),
  meta: z.record(z.string(), metaValue).optional().describe('Title, price (priceMinor, currency) as added'),
});
const cartVersion = z.string().describe("The cart's causal context (base64 of encodeContext): its version");
export const cartViewSchema = z.object({
  cartId: z.string(),
  lines: z.array(cartLine),
  totalQuantity: z.number().int(),
  context: cartVersion,
});
const cartChangeSchema = z.object({
  cartId: z.string(),
  changed: z.array(cartLine).describe('The changed line as it is now (quantity 0: gone)'),
  context: cartVersion,
});
const cartParam = z.object({ cartId: cartIdSchema });
const lineParams = z.object({ cartId: cartIdSchema, productId: productIdSchema });
const prefer = z.object({
  prefer: z
    .string()
    .optional()
    .describe('RFC 7240: `return=representation` asks for the whole cart instead of the change'),
});
const changeResponse = {
  description:
    'W replicas acknowledged: the change (CartChange); with `Prefer: return=representation` the whole cart (Cart)',
  schema: z.union([cartChangeSchema, cartViewSchema]),
  headers: { 'Preference-Applied': '`return=representation` when the whole cart is returned' },
};
const tags = ['carts'];
/** What every cart route can answer besides its own codes. */
const COMMON = ['VALIDATION_FAILED', 'RATE_LIMITED', 'QUORUM_NOT_MET', 'SHUTTING_DOWN'];
const BODY = ['INVALID_JSON', 'PAYLOAD_TOO_LARGE'];

/** `/v1/carts/*`, mounted behind the app's auth: always the caller's own carts. */
export function createCartRoutes(carts: CartService): RouteTable<{ Variables: AuthVariables }> {
  const routes = new RouteTable(new Hono<{ Variables: AuthVariables }>());

  routes.on(
    {
      method: 'get',
      path: '/carts/:cartId',
      summary: "The caller's cart (quorum read)",
      tags,
      access: 'user',
      params: cartParam,
      responses: { 200: { description: 'The cart (R replicas answered)', schema: cartViewSchema } },
      errors: COMMON,
    },
    async (c) => {
      const cartId = parseParam(cartIdSchema, c.req.param('cartId'));
      return c.json(cartView(cartId, await carts.read(c.var.auth.sub, cartId)));
    },
  );

  routes.on(
    {
      method: 'post',
      path: '/carts/:cartId/items',
      summary: 'Add a quantity of a catalog product (concurrent adds are never lost)',
      tags,
      access: 'user',
      params: cartParam,
      headers: prefer,
      body: addItemSchema,
      responses: { 200: changeResponse },
      errors: [...COMMON, ...BODY, 'PRODUCT_NOT_FOUND', 'CART_TOO_LARGE'],
    },
    async (c) => {
      const cartId = parseParam(cartIdSchema, c.req.param('cartId'));
      const body = await readJson(c, addItemSchema);
      const op =
        body.meta === undefined
          ? { type: 'add' as const, productId: body.productId, quantity: body.quantity }
          : { type: 'add' as const, productId: body.productId, quantity: body.quantity, meta: body.meta };
      return changeAnswer(c, cartId, await carts.apply(c.var.auth.sub, cartId, op), op.productId);
    },
  );

  routes.on(
    {
      method: 'put',
      path: '/carts/:cartId/items/:productId',
      summary: 'Set the quantity of a line (0 removes it)',
      tags,
      access: 'user',
      params: lineParams,
      headers: prefer,
      body: setQuantitySchema,
      responses: { 200: changeResponse },
      errors: [...COMMON, ...BODY, 'PRODUCT_NOT_FOUND', 'CART_TOO_LARGE'],
    },
    async (c) => {
      const cartId = parseParam(cartIdSchema, c.req.param('cartId'));
      const productId = parseParam(productIdSchema, c.req.param('productId'));
      const { quantity } = await readJson(c, setQuantitySchema);
      const op =
        quantity === 0
          ? { type: 'remove' as const, productId }
          : { type: 'setQuantity' as const, productId, quantity };
      return changeAnswer(c, cartId, await carts.apply(c.var.auth.sub, cartId, op), productId);
    },
  );

  routes.on(
    {
      method: 'delete',
      path: '/carts/:cartId/items/:productId',
      summary: 'Remove a line (observed-remove: adds it did not see stay)',
      tags,
      access: 'user',
      params: lineParams,
      headers: prefer,
      responses: { 200: changeResponse },
      errors: COMMON,
    },
    async (c) => {
      const cartId = parseParam(cartIdSchema, c.req.param('cartId'));
      const productId = parseParam(productIdSchema, c.req.param('productId'));
      const state = await carts.apply(c.var.auth.sub, cartId, { type: 'remove', productId });
      return changeAnswer(c, cartId, state, productId);
    },
  );

  routes.on(
    {
      method: 'delete',
      path: '/carts/:cartId',
      summary: 'Clear the cart (observed-remove of every line)',
      tags,
      access: 'user',
      params: cartParam,
      responses: { 200: { description: 'The cart after it', schema: cartViewSchema } },
      errors: COMMON,
    },
    async (c) => {
      const cartId = parseParam(cartIdSchema, c.req.param('cartId'));
      return c.json(cartView(cartId, await carts.apply(c.var.auth.sub, cartId, { type: 'clear' })));
    },
  );

  routes.on(
    {
      method: 'post',
      path: '/carts/:cartId/merge',
      summary: "Merge a device's delta; every new dot must belong to the token's device actor",
      tags,
      access: 'user',
      params: cartParam,
      body: mergeSchema,
      responses: { 200: { description: 'The cart after the merge', schema: cartViewSchema } },
      errors: [
        ...COMMON,
        ...BODY,
        'CRDT_DECODE_ERROR',
        'CART_TOO_LARGE',
        'FORBIDDEN_DOTS',
        'DEVICE_REQUIRED',
        'PRODUCT_NOT_FOUND',
        'CRDT_CAUSAL_GAP',
        'DELTA_TOO_LARGE',
        'CRDT_LIMIT_EXCEEDED',
      ],
    },
    async (c) => {
      const cartId = parseParam(cartIdSchema, c.req.param('cartId'));
      const actor = c.var.auth.act;
      if (actor === undefined) {
        throw new ApiError('DEVICE_REQUIRED', 'merging a delta needs a device token (POST /v1/devices)');
      }
      const { delta } = await readJson(c, mergeSchema);
      const decoded = decodeCartDelta(decodeBase64(delta));
      return c.json(cartView(cartId, await carts.merge(c.var.auth.sub, cartId, actor, decoded)));
    },
  );

  return routes;
}
