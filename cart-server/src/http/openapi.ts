/**
 * The OpenAPI 3.1 document served at /openapi.json, written by hand next to the zod schemas it
 * describes (cart-server/src/carts/validation.ts). Sub-apps (catalog, search, orders) contribute
 * their own `paths` through `createApp`'s mounts.
 */
import { MAX_QUANTITY } from '@cartwheel/crdt';
import { openApiDocument as contractDocument, type MountedContracts } from './contract.js';

type Json = { [key: string]: unknown };

const error = (description: string): Json => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});
const cartResponse: Json = {
  description: 'The cart after the operation (W replicas acknowledged)',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Cart' } } },
};
/** Add, set-quantity and remove: the change, or the whole cart when the client prefers it. */
const changeResponse: Json = {
  description:
    'W replicas acknowledged. By default the change (CartChange: the line as it is now, and the cart version); ' +
    'with `Prefer: return=representation` the whole cart (Cart), answered with `Preference-Applied: return=representation`.',
  headers: {
    'Preference-Applied': {
      description: '`return=representation` when the whole cart is returned',
      schema: { type: 'string' },
    },
  },
  content: {
    'application/json': {
      schema: {
        oneOf: [{ $ref: '#/components/schemas/CartChange' }, { $ref: '#/components/schemas/Cart' }],
      },
    },
  },
};
const prefer = {
  name: 'Prefer',
  in: 'header',
  required: false,
  description: 'RFC 7240. `return=representation` asks for the whole cart instead of the change.',
  schema: { type: 'string', example: 'return=representation' },
};
const common: Json = {
  '400': error('Bad input (VALIDATION_FAILED, INVALID_JSON, CRDT_DECODE_ERROR, CART_TOO_LARGE)'),
  '401': error('Missing or invalid bearer token'),
  '413': error('Body too large'),
  '429': error('Rate limited'),
  '503': error('Quorum not met (QUORUM_NOT_MET) or shutting down'),
};
const cartId = {
  name: 'cartId',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
};
const productId = {
  name: 'productId',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,128}$' },
};
const secured = [{ bearer: [] }];
const jsonBody = (ref: string): Json => ({
  required: true,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } },
});

export function openApiDocument(
  extraPaths: Record<string, unknown> = {},
  mounted: readonly MountedContracts[] = [],
): Json {
  const generated = contractDocument(mounted, { title: 'Cartwheel cart server', version: '0.1.0' });
  const legacy = legacyDocument(extraPaths);
  return {
    ...legacy,
    paths: { ...(legacy.paths as Json), ...(generated.paths as Json) },
    components: {
      ...(legacy.components as Json),
      securitySchemes: {
        ...((legacy.components as Json).securitySchemes as Json),
        ...((generated.components as Json).securitySchemes as Json),
      },
    },
  };
}

function legacyDocument(extraPaths: Record<string, unknown>): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Cartwheel cart server',
      version: '0.1.0',
      description:
        'Carts are CRDTs replicated over a Riak-style ring. Every cart belongs to the authenticated user: ' +
        '/v1/carts/{cartId} is always the caller\'s own cart. Errors are {"error":{"code","message"}}.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT (HS256)' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
            },
          },
        },
        CartLine: {
          type: 'object',
          required: ['productId', 'quantity'],
          properties: {
            productId: { type: 'string' },
            quantity: { type: 'integer', minimum: 1, maximum: MAX_QUANTITY },
            meta: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
          },
        },
        Cart: {
          type: 'object',
          required: ['cartId', 'lines', 'totalQuantity', 'context'],
          properties: {
            cartId: { type: 'string' },
            lines: { type: 'array', items: { $ref: '#/components/schemas/CartLine' } },
            totalQuantity: { type: 'integer' },
            context: { type: 'string', description: 'base64 encodeContext of the causal context' },
          },
        },
        CartChange: {
          type: 'object',
          required: ['cartId', 'changed', 'context'],
          properties: {
            cartId: { type: 'string' },
            changed: {
              type: 'array',
              description:
                'The line the operation changed, as it is now (quantity 0: the cart no longer holds it)',
              items: {
                type: 'object',
                required: ['productId', 'quantity'],
                properties: {
                  productId: { type: 'string' },
                  quantity: { type: 'integer', minimum: 0, maximum: MAX_QUANTITY },
                  meta: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
                },
              },
            },
            context: {
              type: 'string',
              description: "base64 encodeContext: the cart's version after the change (as a read reports it)",
            },
          },
        },
        AddItem: {
          type: 'object',
          additionalProperties: false,
          required: ['productId'],
          properties: {
            productId: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,128}$' },
            quantity: { type: 'integer', minimum: 1, maximum: MAX_QUANTITY, default: 1 },
            meta: { type: 'object', maxProperties: 16 },
          },
        },
        SetQuantity: {
          type: 'object',
          additionalProperties: false,
          required: ['quantity'],
          properties: { quantity: { type: 'integer', minimum: 0, maximum: MAX_QUANTITY } },
        },
        Merge: {
          type: 'object',
          additionalProperties: false,
          required: ['delta'],
          properties: { delta: { type: 'string', description: 'base64 encodeCartDelta' } },
        },
        Device: {
          type: 'object',
          required: ['actor', 'token'],
          properties: { actor: { type: 'string', format: 'uuid' }, token: { type: 'string' } },
        },
      },
    },
    paths: {
      '/healthz': { get: { summary: 'Liveness', responses: { '200': { description: 'Process is up' } } } },
      '/readyz': {
        get: {
          summary: 'Readiness: storage open, replica started, not draining',
          responses: { '200': { description: 'Ready' }, '503': error('Not ready') },
        },
      },
      '/metrics': {
        get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text/plain' } } },
      },
      '/v1/cluster/status': {
        get: {
          summary: 'Ring ownership, peers up/down, hinted-handoff backlog, handoffs, counters',
          responses: { '200': { description: 'ReplicaStatus' } },
        },
      },
      '/v1/devices': {
        post: {
          summary:
            'Register a sync device: mints an actor id and a token carrying it (claim act); with {actor} claims the actor the device chose itself (201, first claim wins) or re-issues a token for an actor this user holds (200); an actor another user claimed first is 409 ACTOR_CONFLICT',
          security: secured,
          requestBody: {
            required: false,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: { name: { type: 'string' }, actor: { type: 'string', format: 'uuid' } },
                },
              },
            },
          },
          responses: {
            '201': {
              description: 'Registered',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Device' } } },
            },
            '200': {
              description: 'Token re-issued for a known actor',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Device' } } },
            },
            ...common,
            '409': error('ACTOR_CONFLICT: another user claimed this actor id first; choose a fresh one'),
          },
        },
        get: {
          summary: "List the user's devices",
          security: secured,
          responses: { '200': { description: 'ok' } },
        },
      },
      '/v1/carts/{cartId}': {
        parameters: [cartId],
        get: {
          summary: 'Read the cart (quorum read, R)',
          security: secured,
          responses: { '200': cartResponse, ...common },
        },
        delete: {
          summary: 'Clear the cart (observed-remove)',
          security: secured,
          responses: { '200': cartResponse, ...common },
        },
      },
      '/v1/carts/{cartId}/items': {
        parameters: [cartId],
        post: {
          summary: 'Add a quantity of a product (concurrent adds are never lost)',
          security: secured,
          parameters: [prefer],
          requestBody: jsonBody('AddItem'),
          responses: {
            '200': changeResponse,
            ...common,
            '404': error(
              'PRODUCT_NOT_FOUND: the catalog has no such product (details.productIds; not checked with --platform off)',
            ),
          },
        },
      },
      '/v1/carts/{cartId}/items/{productId}': {
        parameters: [cartId, productId],
        put: {
          summary: 'Set the quantity of a line (0 removes it)',
          security: secured,
          parameters: [prefer],
          requestBody: jsonBody('SetQuantity'),
          responses: {
            '200': changeResponse,
            ...common,
            '404': error(
              'PRODUCT_NOT_FOUND: the catalog has no such product (details.productIds; not checked with --platform off)',
            ),
          },
        },
        delete: {
          summary: 'Remove a line (observed-remove)',
          security: secured,
          parameters: [prefer],
          responses: { '200': changeResponse, ...common },
        },
      },
      '/v1/carts/{cartId}/merge': {
        parameters: [cartId],
        post: {
          summary: "Merge a device's delta; every new dot must belong to the token's device actor",
          security: secured,
          requestBody: jsonBody('Merge'),
          responses: {
            '200': cartResponse,
            ...common,
            '400': error('Bad input (VALIDATION_FAILED, CRDT_DECODE_ERROR) or CART_TOO_LARGE'),
            '403': error('FORBIDDEN_DOTS or DEVICE_REQUIRED'),
            '404': error(
              'PRODUCT_NOT_FOUND: the catalog has no such product (details.productIds; not checked with --platform off)',
            ),
            '409': error('CRDT_CAUSAL_GAP: the delta depends on changes the cart lacks'),
            '413': error('Body too large, DELTA_TOO_LARGE or CRDT_LIMIT_EXCEEDED'),
          },
        },
      },
      '/v1/sync': {
        get: {
          summary: 'WebSocket client sync (hello/welcome/delta/ack/error JSON frames, see README)',
          parameters: [{ name: 'token', in: 'query', schema: { type: 'string' } }],
          responses: { '101': { description: 'Switching protocols' }, '401': error('Bad token') },
        },
      },
      ...extraPaths,
    },
  };
}
