/**
 * `createShopRoutes(deps)`: the hono sub-app the cart server mounts at `/v1` —
 * product reads, categories, search, images, and the admin actions under `/admin/catalog`
 * (guarded by the `adminAuth` middleware the cart server supplies).
 */
import { type Context, type ErrorHandler, Hono, type MiddlewareHandler } from 'hono';
import {
  InvalidCatalogRequestError,
  InvalidProductError,
  PayloadTooLargeError,
  ProductNotFoundError,
} from '../catalog/errors.js';
import { IMMUTABLE_CACHE_CONTROL, MAX_IMAGE_BYTES } from '../catalog/images.js';
import { CATEGORY_PATTERN, isProductId, MAX_PRICE_MINOR, MAX_PRODUCT_BYTES } from '../catalog/product.js';
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

export function createShopRoutes(deps: ShopRoutesDeps): Hono {
  if (typeof deps.adminAuth !== 'function')
    throw new TypeError('createShopRoutes needs an adminAuth middleware');
  const { shop } = deps;
  const recordViews = deps.recordViews ?? true;
  const maxImport = deps.maxImportBytes ?? 64 * 1024 * 1024;
  const app = new Hono();
  if (deps.onError !== undefined) app.onError(deps.onError);

  app.get('/products/:id', async (c) => {
    const id = c.req.param('id');
    if (!isProductId(id)) throw new InvalidProductError('invalid product id');
    // A view is counted only when the request says it is one (`?view=1`, sent once per product
    // page the shopper opens): refreshes, prefetches, cart lookups and service-worker revalidation
    // read the same document without inflating its popularity.
    if (recordViews && c.req.query('view') === '1') shop.record({ type: 'view', productId: id });
    // Near-cache hit: no await, no serialization.
    const hit = shop.reader.peek(id);
    if (hit !== undefined) return c.body(hit, 200, JSON_HEADERS);
    return c.body(await shop.service.getProductJson(id), 200, JSON_HEADERS);
  });

  app.get('/products', async (c) => {
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
  });

  app.get('/categories', (c) => c.json({ categories: shop.generations.current().index.categories() }));

  app.get('/search', (c) => {
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
  });

  app.get('/images/:name', async (c) => {
    const image = await shop.images.get(c.req.param('name'));
    const etag = `"${image.hash}"`;
    const headers = { etag, 'cache-control': IMMUTABLE_CACHE_CONTROL, 'content-type': image.contentType };
    const inm = c.req.header('if-none-match');
    if (inm?.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
      return c.body(null, 304, headers);
    }
    return c.body(new Uint8Array(image.bytes), 200, headers);
  });

  // ---- admin ----
  const admin = new Hono();
  admin.use('*', deps.adminAuth);

  admin.put('/products/:id', async (c) => {
    const body = await readJson(c, MAX_PRODUCT_BYTES);
    if (typeof body !== 'object' || body === null || (body as { id?: unknown }).id !== c.req.param('id')) {
      throw new InvalidProductError('body.id must equal the id in the path');
    }
    return c.json(await shop.service.putProduct(body));
  });

  admin.delete('/products/:id', async (c) => {
    const id = c.req.param('id');
    if (!(await shop.service.deleteProduct(id))) throw new ProductNotFoundError(id);
    return c.body(null, 204);
  });

  admin.post('/import', async (c) => {
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
  });

  admin.post('/rebuild', async (c) =>
    c.json(await shop.generations.rebuild({ rank: c.req.query('rank') !== 'false' })),
  );

  admin.post('/promote', async (c) => {
    const body = await readJson(c, 4096, true);
    const id =
      typeof body === 'object' && body !== null ? (body as { generation?: unknown }).generation : undefined;
    if (id !== undefined && typeof id !== 'string')
      throw new InvalidCatalogRequestError('generation must be a string');
    return c.json(await shop.generations.promote(id));
  });

  admin.post('/rollback', async (c) => c.json(await shop.generations.rollback()));

  admin.get('/generations', (c) => c.json(shop.generations.status()));

  admin.get('/popularity', (c) => {
    const limit = intParam(c, 'limit', 1, 1000) ?? 50;
    return c.json({
      ...rankingSummary(shop.popularity.latest(), limit),
      counters: shop.popularity.counters.kind,
      pending: shop.popularity.counters.pending,
    });
  });

  admin.post('/popularity/rank', async (c) => c.json(rankingSummary(await shop.popularity.rank(), 50)));

  admin.post('/popularity/flush', async (c) => {
    await shop.popularity.flush();
    return c.json({ pending: shop.popularity.counters.pending });
  });

  admin.post('/images', async (c) => {
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim();
    const declared = Number(c.req.header('content-length') ?? '0');
    if (declared > MAX_IMAGE_BYTES)
      throw new PayloadTooLargeError(`image larger than ${MAX_IMAGE_BYTES} bytes`);
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    return c.json(await shop.images.put(bytes, type), 201);
  });

  app.route('/admin/catalog', admin);
  return app;
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
