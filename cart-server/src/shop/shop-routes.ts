/**
 * `createShopRoutes(deps)`: the hono sub-app the cart server mounts at `/v1` —
 * product reads, categories, search, images, and the admin actions under `/admin/catalog`
 * (guarded by the `adminAuth` middleware the cart server supplies).
 */
import { type Context, type ErrorHandler, Hono, type MiddlewareHandler } from 'hono';
import { z } from 'zod';
import {
  InvalidCatalogRequestError,
  InvalidProductError,
  PayloadTooLargeError,
  ProductNotFoundError,
} from '../catalog/errors.js';
import { IMMUTABLE_CACHE_CONTROL, MAX_IMAGE_BYTES } from '../catalog/images.js';
import {
  CATEGORY_PATTERN,
  isProductId,
  MAX_PRICE_MINOR,
  MAX_PRODUCT_BYTES,
  productSchema,
} from '../catalog/product.js';
import { type RouteContract, RouteTable } from '../http/contract.js';
import type { RankingSnapshot } from '../popularity/ranking.js';
import { InvalidSearchQueryError } from '../search/errors.js';
import type { SearchPage, SearchQuery } from '../search/search-query.js';
import type { Shop } from './open-shop.js';

export interface ShopRoutesDeps {
  readonly shop: Shop;
  /** Guards `/admin/catalog/*` (e.g. the cart server's JWT check for role 'admin'). Required. */
  readonly adminAuth: MiddlewareHandler;
  /**
   * Error handler for this sub-app. Default: none, so the mounting app's handler (the cart
   * server's `createErrorHandler` in src/http/errors.ts) maps the catalog's error codes.
   */
  readonly onError?: ErrorHandler;
  /** Bound on an import body (default 64 MiB). */
  readonly maxImportBytes?: number;
  /** Count product page views (`GET /products/:id?view=1`) for popularity (default true). */
  readonly recordViews?: boolean;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' } as const;

const id = z.object({ id: z.string().describe('Product id') });
const productQuery = z.object({
  view: z.enum(['1']).optional().describe('1 = a product page opened: counts one popularity view'),
});
const listQuery = z.object({
  category: z.string().regex(CATEGORY_PATTERN).describe('A category slug (GET /v1/categories)'),
  limit: z.coerce.number().int().min(1).max(100).optional(),
  after: z.string().optional().describe('The last id of the previous page'),
  minPrice: z.coerce.number().int().min(0).max(MAX_PRICE_MINOR).optional(),
  maxPrice: z.coerce.number().int().min(0).max(MAX_PRICE_MINOR).optional(),
});
const searchQuery = z.object({
  q: z.string().optional().describe('Words; typos are corrected (see correctedQuery)'),
  category: z.string().optional().describe('Category slugs, comma-separated or repeated'),
  minPrice: z.coerce.number().int().min(0).optional(),
  maxPrice: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
  cursor: z.string().optional().describe('nextCursor of the previous page'),
});
const page = (name: string) => z.looseObject({}).describe(name);
const rankingView = z.object({
  computedAt: z.number(),
  fence: z.number().int(),
  ranked: z.number().int(),
  top: z.array(z.string()),
  scores: z.record(z.string(), z.number()),
});
const BODY = ['INVALID_CATALOG_REQUEST', 'CATALOG_PAYLOAD_TOO_LARGE'];

export function createShopRoutes(deps: ShopRoutesDeps): RouteTable {
  if (typeof deps.adminAuth !== 'function')
    throw new TypeError('createShopRoutes needs an adminAuth middleware');
  const { shop } = deps;
  const recordViews = deps.recordViews ?? true;
  const maxImport = deps.maxImportBytes ?? 64 * 1024 * 1024;
  const app = new Hono();
  if (deps.onError !== undefined) app.onError(deps.onError);
  const routes = new RouteTable(app);
  const catalog = ['catalog'];

  routes.on(
    {
      method: 'get',
      path: '/products/:id',
      summary: 'A product (served from the cache)',
      tags: catalog,
      access: 'public',
      params: id,
      query: productQuery,
      responses: { 200: { description: 'The product', schema: productSchema } },
      errors: ['INVALID_PRODUCT', 'PRODUCT_NOT_FOUND', 'PRODUCT_STORE_UNAVAILABLE'],
    },
    async (c) => {
      const id = c.req.param('id') ?? '';
      if (!isProductId(id)) throw new InvalidProductError('invalid product id');
      // A view is counted only when the request says it is one (`?view=1`, sent once per product
      // page the shopper opens): refreshes, prefetches, cart lookups and service-worker revalidation
      // read the same document without inflating its popularity.
      if (recordViews && c.req.query('view') === '1') shop.record({ type: 'view', productId: id });
      // Near-cache hit: no await, no serialization.
      const hit = shop.reader.peek(id);
      if (hit !== undefined) return c.body(hit, 200, JSON_HEADERS);
      return c.body(await shop.service.getProductJson(id), 200, JSON_HEADERS);
    },
  );

  routes.on(
    {
      method: 'get',
      path: '/products',
      summary: 'A page of one category, by id, with a price range',
      tags: catalog,
      access: 'public',
      query: listQuery,
      responses: { 200: { description: '{ items, nextAfter }', schema: page('CategoryPage') } },
      errors: ['INVALID_CATALOG_REQUEST', 'PRODUCT_STORE_UNAVAILABLE'],
    },
    async (c) => {
      const category = c.req.query('category');
      if (category === undefined || !CATEGORY_PATTERN.test(category)) {
        throw new InvalidCatalogRequestError('query parameter category (a category slug) is required');
      }
      const limit = intParam(c, 'limit', 1, 100) ?? 20;
      const after = c.req.query('after');
      if (after !== undefined && !isProductId(after)) throw new InvalidCatalogRequestError('invalid after');
      const minPrice = intParam(c, 'minPrice', 0, MAX_PRICE_MINOR);
      const maxPrice = intParam(c, 'maxPrice', 0, MAX_PRICE_MINOR);
      const page = await shop.service.listByCategory(category, {
        limit,
        ...optional('after', after),
        ...optional('minPrice', minPrice),
        ...optional('maxPrice', maxPrice),
      });
      return c.json(page);
    },
  );

  routes.on(
    {
      method: 'get',
      path: '/categories',
      summary: 'The categories with their product counts',
      tags: catalog,
      access: 'public',
      responses: { 200: { description: '{ categories }', schema: page('Categories') } },
    },
    (c) => c.json({ categories: shop.generations.current().index.categories() }),
  );

  routes.on(
    {
      method: 'get',
      path: '/search',
      summary: 'Full-text search, by relevance and popularity, with facets',
      tags: ['search'],
      access: 'public',
      query: searchQuery,
      responses: {
        200: {
          description: '{ items, total, facets, correctedQuery?, nextCursor? }',
          schema: page('SearchPage'),
        },
      },
      errors: ['INVALID_SEARCH_QUERY'],
    },
    (c) => {
      const categories = c.req
        .queries('category')
        ?.flatMap((v) => v.split(','))
        .filter((v) => v !== '');
      const query: SearchQuery = {
        ...optional('q', c.req.query('q')),
        ...optional('categories', categories !== undefined && categories.length > 0 ? categories : undefined),
        ...optional('minPrice', intParam(c, 'minPrice', 0, Number.MAX_SAFE_INTEGER, InvalidSearchQueryError)),
        ...optional('maxPrice', intParam(c, 'maxPrice', 0, Number.MAX_SAFE_INTEGER, InvalidSearchQueryError)),
        ...optional('limit', intParam(c, 'limit', 1, 100, InvalidSearchQueryError)),
        ...optional('cursor', c.req.query('cursor')),
      };
      const page = shop.search(query);
      // Cached pages are shared and frozen: serialise each once, not on every request for it.
      let body = pageJson.get(page);
      if (body === undefined) {
        body = JSON.stringify(page);
        if (Object.isFrozen(page)) pageJson.set(page, body);
      }
      return c.body(body, 200, { 'content-type': 'application/json' });
    },
  );

  routes.on(
    {
      method: 'get',
      path: '/images/:name',
      summary: 'A product image (content-addressed, immutable; ETag / If-None-Match)',
      tags: catalog,
      access: 'public',
      params: z.object({ name: z.string() }),
      responses: {
        200: {
          description: 'The image bytes',
          schema: z.string().describe('binary'),
          contentType: 'image/*',
        },
        304: { description: 'Not modified' },
      },
      errors: ['IMAGE_NOT_FOUND'],
    },
    async (c) => {
      const image = await shop.images.get(c.req.param('name') ?? '');
      const etag = `"${image.hash}"`;
      const headers = { etag, 'cache-control': IMMUTABLE_CACHE_CONTROL, 'content-type': image.contentType };
      const inm = c.req.header('if-none-match');
      if (inm?.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
        return c.body(null, 304, headers);
      }
      return c.body(new Uint8Array(image.bytes), 200, headers);
    },
  );

  // ---- admin: every route behind the adminAuth the cart server supplies ----
  const admin = deps.adminAuth;
  const adminTags = ['catalog-admin'];
  const adminRoute = (
    method: 'get' | 'post' | 'put' | 'delete',
    path: string,
    summary: string,
    response: z.ZodType,
    extra: Partial<RouteContract> = {},
  ): RouteContract => ({
    method,
    path: `/admin/catalog${path}`,
    summary,
    tags: adminTags,
    access: 'admin',
    responses: { 200: { description: summary, schema: response } },
    ...extra,
  });

  routes.on(
    adminRoute('put', '/products/:id', 'Create or replace a product', productSchema, {
      params: id,
      body: productSchema,
      errors: ['INVALID_PRODUCT', 'PRODUCT_TOO_LARGE', ...BODY],
    }),
    admin,
    async (c) => {
      const body = await readJson(c, MAX_PRODUCT_BYTES);
      if (typeof body !== 'object' || body === null || (body as { id?: unknown }).id !== c.req.param('id')) {
        throw new InvalidProductError('body.id must equal the id in the path');
      }
      return c.json(await shop.service.putProduct(body));
    },
  );

  routes.on(
    {
      ...adminRoute('delete', '/products/:id', 'Delete a product', z.never()),
      params: id,
      responses: { 204: { description: 'Deleted' } },
      errors: ['PRODUCT_NOT_FOUND'],
    },
    admin,
    async (c) => {
      const id = c.req.param('id') ?? '';
      if (!(await shop.service.deleteProduct(id))) throw new ProductNotFoundError(id);
      return c.body(null, 204);
    },
  );

  routes.on(
    adminRoute(
      'post',
      '/import',
      'Import products (JSONL), then rebuild and promote unless promote=false',
      page('ImportResult'),
      {
        query: z.object({ promote: z.enum(['true', 'false']).optional() }),
        body: z.string().describe('One product JSON document per line'),
        bodyType: 'application/x-ndjson',
        errors: BODY,
      },
    ),
    admin,
    async (c) => {
      const declared = Number(c.req.header('content-length') ?? '0');
      if (declared > maxImport) throw new PayloadTooLargeError(`import body larger than ${maxImport} bytes`);
      const body = c.req.raw.body;
      if (body === null) throw new InvalidCatalogRequestError('empty import body (JSONL expected)');
      const report = await shop.importJsonl(limitStream(body, maxImport));
      const promote = c.req.query('promote') !== 'false';
      if (!promote) return c.json({ report, generation: null });
      await shop.generations.rebuild();
      const generation = await shop.generations.promote();
      return c.json({ report, generation });
    },
  );

  routes.on(
    adminRoute(
      'post',
      '/rebuild',
      'Build a standby search generation (rank=false skips ranking)',
      page('Generation'),
      {
        query: z.object({ rank: z.enum(['true', 'false']).optional() }),
      },
    ),
    admin,
    async (c) => c.json(await shop.generations.rebuild({ rank: c.req.query('rank') !== 'false' })),
  );

  routes.on(
    adminRoute(
      'post',
      '/promote',
      'Promote a generation (default: the newest standby), cluster-wide',
      page('Generation'),
      {
        body: z.object({ generation: z.string().optional() }),
        bodyRequired: false,
        errors: BODY,
      },
    ),
    admin,
    async (c) => {
      const body = await readJson(c, 4096, true);
      const id =
        typeof body === 'object' && body !== null ? (body as { generation?: unknown }).generation : undefined;
      if (id !== undefined && typeof id !== 'string')
        throw new InvalidCatalogRequestError('generation must be a string');
      return c.json(await shop.generations.promote(id));
    },
  );

  routes.on(
    adminRoute('post', '/rollback', 'Serve the previous generation again', page('Generation')),
    admin,
    async (c) => c.json(await shop.generations.rollback()),
  );

  routes.on(
    adminRoute('get', '/generations', 'Live, standby and previous generations', page('GenerationStatus')),
    admin,
    (c) => c.json(shop.generations.status()),
  );

  routes.on(
    adminRoute(
      'get',
      '/popularity',
      'The latest ranking (top ids and scores) and the counters',
      rankingView.extend({ counters: z.string(), pending: z.number() }),
      {
        query: z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() }),
        errors: ['INVALID_CATALOG_REQUEST'],
      },
    ),
    admin,
    (c) => {
      const limit = intParam(c, 'limit', 1, 1000) ?? 50;
      return c.json({
        ...rankingSummary(shop.popularity.latest(), limit),
        counters: shop.popularity.counters.kind,
        pending: shop.popularity.counters.pending,
      });
    },
  );

  routes.on(
    adminRoute(
      'post',
      '/popularity/rank',
      'Rank now (the job runs once per period cluster-wide)',
      rankingView,
    ),
    admin,
    async (c) => c.json(rankingSummary(await shop.popularity.rank(), 50)),
  );

  routes.on(
    adminRoute(
      'post',
      '/popularity/flush',
      'Flush the pending counts now',
      z.object({ pending: z.number() }),
    ),
    admin,
    async (c) => {
      await shop.popularity.flush();
      return c.json({ pending: shop.popularity.counters.pending });
    },
  );

  routes.on(
    {
      ...adminRoute('post', '/images', 'Store an image (content-addressed)', page('StoredImage')),
      body: z.string().describe('binary'),
      bodyType: 'image/*',
      responses: { 201: { description: 'Stored', schema: page('StoredImage') } },
      errors: ['CATALOG_PAYLOAD_TOO_LARGE', 'INVALID_CATALOG_REQUEST'],
    },
    admin,
    async (c) => {
      const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim();
      const declared = Number(c.req.header('content-length') ?? '0');
      if (declared > MAX_IMAGE_BYTES)
        throw new PayloadTooLargeError(`image larger than ${MAX_IMAGE_BYTES} bytes`);
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      return c.json(await shop.images.put(bytes, type), 201);
    },
  );

  return routes;
}

function rankingSummary(r: RankingSnapshot, limit: number) {
  return {
    computedAt: r.computedAt,
    fence: r.fence ?? 0,
    ranked: Object.keys(r.scores).length,
    top: r.top.slice(0, limit),
    /** Normalised scores of the listed ids (max = 1). */
    scores: Object.fromEntries(r.top.slice(0, limit).map((id) => [id, r.scores[id] ?? 0])),
  };
}

/** JSON text of cached search pages (weak: dropped with the page when the cache evicts it). */
const pageJson = new WeakMap<SearchPage, string>();

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

type InvalidRequest = new (message: string) => Error;

function intParam(
  c: Context,
  name: string,
  min: number,
  max: number,
  Invalid: InvalidRequest = InvalidCatalogRequestError,
): number | undefined {
  const raw = c.req.query(name);
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d{1,15}$/.test(raw)) throw new Invalid(`${name} must be an integer`);
  const n = Number(raw);
  if (n < min || n > max) throw new Invalid(`${name} must be in ${min}..${max}`);
  return n;
}

async function readJson(c: Context, maxBytes: number, emptyOk = false): Promise<unknown> {
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > maxBytes) throw new PayloadTooLargeError(`body larger than ${maxBytes} bytes`);
  const text = await c.req.text();
  if (Buffer.byteLength(text) > maxBytes)
    throw new PayloadTooLargeError(`body larger than ${maxBytes} bytes`);
  if (emptyOk && text.trim() === '') return undefined; // e.g. POST /promote with no body
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InvalidCatalogRequestError('body is not valid JSON', { cause: err });
  }
}

/** Passes a byte stream through, failing once more than `max` bytes went by. */
async function* limitStream(body: ReadableStream<Uint8Array>, max: number): AsyncGenerator<Uint8Array> {
  let seen = 0;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      seen += value.byteLength;
      if (seen > max) throw new PayloadTooLargeError(`import body larger than ${max} bytes`);
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}
