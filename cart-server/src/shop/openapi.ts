/**
 * OpenAPI 3.1 path items for the catalog routes (relative to the `/v1` mount), for the cart
 * server to merge into `/openapi.json`.
 */
const error = { $ref: '#/components/schemas/Error' };
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const errors = {
  '400': { description: 'invalid input', ...json(error) },
  '404': { description: 'not found', ...json(error) },
};
const q = (name: string, description: string, schema: object = { type: 'string' }) => ({
  name,
  in: 'query',
  description,
  schema,
});
const admin = { security: [{ bearer: [] }], tags: ['catalog-admin'] };

export const shopOpenApiSchemas = {
  Product: {
    type: 'object',
    required: [
      'id',
      'title',
      'description',
      'priceMinor',
      'currency',
      'category',
      'images',
      'attributes',
      'availability',
    ],
    properties: {
      id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
      title: { type: 'string', maxLength: 300 },
      description: { type: 'string', maxLength: 10000 },
      priceMinor: { type: 'integer', minimum: 0, description: 'price in minor units (cents)' },
      currency: { type: 'string', pattern: '^[A-Z]{3}$' },
      category: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,47}$' },
      images: { type: 'array', items: { type: 'string' }, maxItems: 16 },
      attributes: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
      availability: {
        type: 'object',
        properties: {
          status: { enum: ['in_stock', 'out_of_stock', 'preorder', 'discontinued'] },
          stock: { type: 'integer', minimum: 0 },
        },
      },
    },
  },
  SearchPage: {
    type: 'object',
    properties: {
      items: { type: 'array', items: { type: 'object' } },
      nextCursor: { type: 'string' },
      total: { type: 'integer' },
      generation: { type: 'string' },
      shardsQueried: { type: 'integer' },
    },
  },
} as const;

export const shopOpenApiPaths = {
  '/v1/products/{id}': {
    get: {
      tags: ['catalog'],
      summary: 'A product (served from the cache); with view=1, counts one product-page view for popularity',
      parameters: [
        { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
        q(
          'view',
          '1 when this read is a shopper opening the product page (counted once for popularity); any other read is not counted',
          { type: 'integer', enum: [1] },
        ),
      ],
      responses: {
        '200': { description: 'the product', ...json({ $ref: '#/components/schemas/Product' }) },
        ...errors,
      },
    },
  },
  '/v1/products': {
    get: {
      tags: ['catalog'],
      summary:
        'Products of one category in id order, optionally within a price range (category and price indexes)',
      parameters: [
        q('category', 'category slug (required)'),
        q('limit', '1..100', { type: 'integer' }),
        q('after', 'the `next` of the previous page'),
        q('minPrice', 'lowest price, minor units (inclusive)', { type: 'integer' }),
        q('maxPrice', 'highest price, minor units (inclusive)', { type: 'integer' }),
      ],
      responses: { '200': { description: '{ items, next? }' }, ...errors },
    },
  },
  '/v1/categories': {
    get: {
      tags: ['catalog'],
      summary: 'Categories with product counts',
      responses: { '200': { description: '{ categories }' } },
    },
  },
  '/v1/search': {
    get: {
      tags: ['search'],
      summary: 'Full-text search over category × popularity shards, ranked by relevance × popularity',
      parameters: [
        q('q', 'free text; empty browses by popularity'),
        q('category', 'category slug; repeat or comma-separate for several'),
        q('minPrice', 'minimum price in minor units', { type: 'integer' }),
        q('maxPrice', 'maximum price in minor units', { type: 'integer' }),
        q('limit', '1..100 (default 20)', { type: 'integer' }),
        q('cursor', 'nextCursor of the previous page'),
      ],
      responses: {
        '200': { description: 'a page', ...json({ $ref: '#/components/schemas/SearchPage' }) },
        ...errors,
      },
    },
  },
  '/v1/images/{name}': {
    get: {
      tags: ['catalog'],
      summary: 'Content-addressed image (immutable; ETag; 304 on If-None-Match)',
      parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { '200': { description: 'image bytes' }, '304': { description: 'not modified' }, ...errors },
    },
  },
  '/v1/admin/catalog/products/{id}': {
    put: {
      ...admin,
      summary: 'Create or replace a product',
      responses: { '200': { description: 'stored product' }, ...errors },
    },
    delete: {
      ...admin,
      summary: 'Delete a product',
      responses: { '204': { description: 'deleted' }, ...errors },
    },
  },
  '/v1/admin/catalog/import': {
    post: {
      ...admin,
      summary: 'Import JSONL (application/x-ndjson); rebuilds and promotes unless ?promote=false',
      responses: {
        '200': { description: '{ report: { imported, rejected, rejectedLines[{line,error}] }, generation }' },
      },
    },
  },
  '/v1/admin/catalog/rebuild': {
    post: {
      ...admin,
      summary:
        'Rank, then build + warm a standby generation; every node of the cluster builds and warms the same one',
      parameters: [q('rank', 'false: keep the current ranking')],
      responses: {
        '200': { description: 'standby info' },
        '409': { description: 'a rebuild or the ranking job is already running', ...json(error) },
      },
    },
  },
  '/v1/admin/catalog/promote': {
    post: {
      ...admin,
      summary:
        'Promote the standby (or {generation}) cluster-wide: once every live node holds it, one compare-and-set',
      responses: {
        '200': { description: 'active info' },
        '409': { description: 'a node did not get it ready in time, or the pointer moved', ...json(error) },
        '503': { description: 'the shared pointer (Redis) is unreachable', ...json(error) },
      },
    },
  },
  '/v1/admin/catalog/rollback': {
    post: {
      ...admin,
      summary: 'Switch back to the previous generation the pointer names (also after a restart)',
      responses: {
        '200': { description: 'active info' },
        '409': { description: 'nothing to roll back to', ...json(error) },
      },
    },
  },
  '/v1/admin/catalog/generations': {
    get: {
      ...admin,
      summary: 'Active / previous / standby generations on this node, and what every live node holds',
      responses: { '200': { description: 'status' } },
    },
  },
  '/v1/admin/catalog/popularity': {
    get: {
      ...admin,
      summary: 'The current ranking (the same on every node of a cluster)',
      parameters: [q('limit', 'top ids to list, 1..1000 (default 50)', { type: 'integer' })],
      responses: { '200': { description: '{ computedAt, fence, ranked, top, counters, pending }' } },
    },
  },
  '/v1/admin/catalog/popularity/rank': {
    post: {
      ...admin,
      summary: 'Run the ranking job now (under the cluster-wide lease)',
      responses: {
        '200': { description: 'summary' },
        '409': { description: 'another node is running the job', ...json(error) },
      },
    },
  },
  '/v1/admin/catalog/popularity/flush': {
    post: {
      ...admin,
      summary:
        "Acknowledge this node's recorded counts: written to its outbox and added to the shared windows",
      responses: {
        '200': { description: '{ pending }' },
        '503': { description: 'Redis unreachable: the counts wait in the outbox', ...json(error) },
      },
    },
  },
  '/v1/admin/catalog/images': {
    post: {
      ...admin,
      summary: 'Upload an image; returns its content-hashed URL',
      responses: { '201': { description: '{ url, hash }' } },
    },
  },
} as const;
