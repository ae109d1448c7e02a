import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono, type MiddlewareHandler } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleError, handleNotFound } from '../../src/http/errors.js';
import type { SearchPage } from '../../src/search/search-query.js';
import { openShop, type Shop } from '../../src/shop/open-shop.js';
import { createShopRoutes } from '../../src/shop/shop-routes.js';
import { type RedisProcess, startRedis } from '../support/redis.js';
import { generated, product } from './helpers.js';

const adminAuth: MiddlewareHandler = async (c, next) => {
  if (c.req.header('authorization') !== 'Bearer admin') {
    return c.json({ error: { code: 'ROLE_REQUIRED', message: 'admin only' } }, 403);
  }
  await next();
};
const ADMIN = { authorization: 'Bearer admin' };

let redis: RedisProcess;
let dir: string;
let catalog: Shop;
let app: Hono;

beforeAll(async () => {
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'cw-catalog-routes-'));
  catalog = await openShop({ dataDir: dir, redisUrl: redis.url, demoProducts: 200, popularityFlushMs: 0 });
  // Mounted as the cart server mounts it: the parent app's error handler maps the codes.
  app = new Hono();
  app.onError(handleError);
  app.notFound(handleNotFound);
  app.route('/v1', createShopRoutes({ shop: catalog, adminAuth }).app);
});
afterAll(async () => {
  await catalog?.close();
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('catalog HTTP routes', () => {
  it('serves the seeded demo catalog: product, categories, category listing', async () => {
    const demo = generated(1, 42)[0]!;
    const res = await app.request(`/v1/products/${demo.id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await res.json()).toEqual(demo);
    const cats = (await (await app.request('/v1/categories')).json()) as {
      categories: Array<{ products: number }>;
    };
    expect(cats.categories.reduce((n, c) => n + c.products, 0)).toBe(200);
    const list = (await (await app.request(`/v1/products?category=${demo.category}&limit=3`)).json()) as {
      items: Array<{ category: string }>;
      next?: string;
    };
    expect(list.items.length).toBeGreaterThan(0);
    expect(list.items.every((p) => p.category === demo.category)).toBe(true);
  });

  it('lists a category within a price range (minPrice/maxPrice, minor units)', async () => {
    const demo = generated(200, 42);
    const category = demo[0]!.category;
    const prices = demo.filter((p) => p.category === category).map((p) => p.priceMinor);
    const minPrice = Math.min(...prices);
    const maxPrice = Math.max(...prices);
    const mid = Math.floor((minPrice + maxPrice) / 2);
    const res = await app.request(`/v1/products?category=${category}&limit=100&minPrice=${mid}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: Array<{ id: string; priceMinor: number }> };
    const expected = demo
      .filter((p) => p.category === category && p.priceMinor >= mid)
      .map((p) => p.id)
      .sort();
    expect(body.items.map((p) => p.id)).toEqual(expected);
    const bad = await app.request(`/v1/products?category=${category}&maxPrice=-3`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('INVALID_CATALOG_REQUEST');
  });

  it('answers typed errors: 404 unknown product, 400 bad id and bad query', async () => {
    const missing = await app.request('/v1/products/nope-123');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: { code: 'PRODUCT_NOT_FOUND', message: expect.any(String) },
    });
    const bad = await app.request(`/v1/products/${encodeURIComponent('../../x')}`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('INVALID_PRODUCT');
    const q = await app.request('/v1/search?limit=abc');
    expect(q.status).toBe(400);
    expect(((await q.json()) as { error: { code: string } }).error.code).toBe('INVALID_SEARCH_QUERY');
    expect((await app.request('/v1/search?cursor=%%%')).status).toBe(400);
  });

  it('searches with filters and cursors over HTTP', async () => {
    const first = (await (await app.request('/v1/search?q=&limit=7&maxPrice=5000')).json()) as SearchPage;
    expect(first.items).toHaveLength(7);
    expect(first.items.every((h) => h.priceMinor <= 5000)).toBe(true);
    const second = (await (
      await app.request(`/v1/search?q=&limit=7&maxPrice=5000&cursor=${first.nextCursor}`)
    ).json()) as SearchPage;
    expect(second.items.map((h) => h.id)).not.toContain(first.items[0]!.id);
    const cat = generated(1, 42)[0]!.category;
    const filtered = (await (await app.request(`/v1/search?category=${cat}&limit=100`)).json()) as SearchPage;
    expect(filtered.items.every((h) => h.category === cat)).toBe(true);
  });

  it('serves content-hashed images with immutable caching, ETag and 304', async () => {
    const demo = generated(1, 42)[0]!;
    const url = demo.images[0]!;
    const res = await app.request(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const etag = res.headers.get('etag')!;
    expect(url).toContain(etag.replaceAll('"', ''));
    expect((await res.text()).startsWith('<svg')).toBe(true);
    const again = await app.request(url, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect((await app.request('/v1/images/ffffffffffffffffffffffffffffffff.svg')).status).toBe(404);
    const up = await app.request('/v1/admin/catalog/images', {
      method: 'POST',
      headers: { ...ADMIN, 'content-type': 'image/png' },
      body: new Uint8Array([137, 80, 78, 71, 1, 2, 3]),
    });
    expect(up.status).toBe(201);
    const { url: pngUrl } = (await up.json()) as { url: string };
    expect((await app.request(pngUrl)).headers.get('content-type')).toBe('image/png');
  });

  it('guards admin routes with the supplied middleware', async () => {
    const res = await app.request('/v1/admin/catalog/generations');
    expect(res.status).toBe(403);
    const ok = await app.request('/v1/admin/catalog/generations', { headers: ADMIN });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { pointer: string }).pointer).toBe('redis');
  });

  it('admin PUT updates the product, invalidates the cache and the live search index', async () => {
    const demo = generated(3, 42)[2]!;
    await app.request(`/v1/products/${demo.id}`); // cached now
    const put = await app.request(`/v1/admin/catalog/products/${demo.id}`, {
      method: 'PUT',
      headers: { ...ADMIN, 'content-type': 'application/json' },
      body: JSON.stringify({ ...demo, title: 'Capybara Reading Lamp' }),
    });
    expect(put.status).toBe(200);
    expect(((await (await app.request(`/v1/products/${demo.id}`)).json()) as { title: string }).title).toBe(
      'Capybara Reading Lamp',
    );
    const found = (await (await app.request('/v1/search?q=capybara')).json()) as SearchPage;
    expect(found.items.map((h) => h.id)).toEqual([demo.id]);
    const invalid = await app.request(`/v1/admin/catalog/products/${demo.id}`, {
      method: 'PUT',
      headers: { ...ADMIN, 'content-type': 'application/json' },
      body: JSON.stringify({ ...demo, priceMinor: 1.5 }),
    });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { error: { code: string } }).error.code).toBe('INVALID_PRODUCT');
  });

  it('imports JSONL with a rejected-lines report, then rebuilds and promotes; rollback restores', async () => {
    const before = catalog.generations.current().id;
    const body = [
      JSON.stringify(product('imp-1', { title: 'Narwhal Snow Globe', category: 'toys' })),
      'not json',
      JSON.stringify(product('imp-2', { title: 'Narwhal Bath Toy', category: 'toys' })),
      JSON.stringify({ id: 'imp-3' }),
    ].join('\n');
    const res = await app.request('/v1/admin/catalog/import', {
      method: 'POST',
      headers: { ...ADMIN, 'content-type': 'application/x-ndjson' },
      body,
    });
    expect(res.status).toBe(200);
    const out = (await res.json()) as {
      report: { imported: number; rejected: number; rejectedLines: Array<{ line: number }> };
      generation: { id: string };
    };
    expect(out.report.imported).toBe(2);
    expect(out.report.rejectedLines.map((r) => r.line)).toEqual([2, 4]);
    expect(out.generation.id).not.toBe(before);
    const found = (await (await app.request('/v1/search?q=narwhal')).json()) as SearchPage;
    expect(found.total).toBe(2);
    const rb = await app.request('/v1/admin/catalog/rollback', { method: 'POST', headers: ADMIN });
    expect(rb.status).toBe(200);
    expect((await (await app.request('/v1/search?q=narwhal')).json()) as SearchPage).toMatchObject({
      total: 0,
      generation: before,
    });
    const conflict = await app.request('/v1/admin/catalog/promote', {
      method: 'POST',
      headers: { ...ADMIN, 'content-type': 'application/json' },
      body: JSON.stringify({ generation: 'missing' }),
    });
    expect(conflict.status).toBe(404);
  });

  it('counts one view per product-page view (?view=1) and accepts the cart-add / order hook', async () => {
    const demo = generated(5, 42)[4]!;
    const today = new Date().toISOString().slice(0, 10);
    await catalog.popularity.flush();
    const [before] = await catalog.popularity.counters.countsOf(demo.id, today);
    // Plain reads (refreshes, cart lookups, caches revalidating) are not views.
    for (let i = 0; i < 4; i++) expect((await app.request(`/v1/products/${demo.id}`)).status).toBe(200);
    expect((await app.request(`/v1/products/${demo.id}?view=0`)).status).toBe(200);
    for (let i = 0; i < 3; i++)
      expect((await app.request(`/v1/products/${demo.id}?view=1`)).status).toBe(200);
    catalog.record({ type: 'cart_add', productId: demo.id, quantity: 2 });
    catalog.record({ type: 'order', productId: demo.id });
    await catalog.popularity.flush();
    const [views, adds, orders] = await catalog.popularity.counters.countsOf(demo.id, today);
    expect(views! - before!).toBe(3);
    expect([adds, orders]).toEqual([2, 1]);
    const rank = await app.request('/v1/admin/catalog/popularity/rank', { method: 'POST', headers: ADMIN });
    expect(((await rank.json()) as { top: string[] }).top[0]).toBe(demo.id);
  });
});
