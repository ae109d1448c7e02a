/**
 * Several nodes, one catalog: shops opened on separate data directories over one PostgreSQL
 * database (and one Redis, or none). A product written through one node is served, cached and
 * searchable on the others, and a write never leaves another node serving the old document.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openShop, type Shop } from '../../src/shop/open-shop.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { type RedisProcess, startRedis } from '../support/redis.js';
import { generated, product, waitFor } from './helpers.js';

let db: TestDatabase;
let redis: RedisProcess;
const dirs: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
  await db?.drop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function node(options: { redis: boolean; databaseUrl?: string }): Promise<Shop> {
  const dir = await mkdtemp(join(tmpdir(), 'cw-shared-catalog-'));
  dirs.push(dir);
  return openShop({
    dataDir: dir,
    databaseUrl: options.databaseUrl ?? db.url,
    ...(options.redis ? { redisUrl: redis.url } : {}),
    demoProducts: 20,
    popularityFlushMs: 0,
    followIntervalMs: 0,
  });
}

const titleOf = async (shop: Shop, id: string): Promise<string | undefined> =>
  (await shop.service.findProduct(id))?.title;
const priceOf = async (shop: Shop, id: string): Promise<number | undefined> =>
  (await shop.service.findProduct(id))?.priceMinor;
const found = (shop: Shop, q: string): string[] => shop.search({ q }).items.map((h) => h.id);

describe.each([
  { name: 'with Redis (near cache + shared cache + pub/sub)', redis: true },
  { name: 'without Redis (in-process LRU, PostgreSQL change feed)', redis: false },
])('three nodes on one PostgreSQL catalog, $name', ({ redis: withRedis }) => {
  let nodes: Shop[] = [];
  beforeAll(async () => {
    // Started together, as `npm run cluster` does: one migrates, all seed the same demo products.
    nodes = await Promise.all([0, 1, 2].map(() => node({ redis: withRedis })));
  });
  afterAll(async () => {
    for (const n of nodes) await n.close();
  });

  it('every node serves the same catalog, seeded once', async () => {
    const demo = generated(20, 42);
    for (const n of nodes) {
      expect(await n.store.count()).toBeGreaterThanOrEqual(20);
      expect(await n.service.getProduct(demo[3]!.id)).toEqual(demo[3]);
    }
  });

  it('a product created and repriced through one node is served, cached and searchable on every node', async () => {
    const [n1, n2, n3] = nodes as [Shop, Shop, Shop];
    const id = withRedis ? 'shared-r' : 'shared-l';
    const word = withRedis ? 'zanzibarite' : 'quetzalcoatlite';
    await n1.service.putProduct(product(id, { title: `Lamp ${word}`, priceMinor: 1000 }));
    for (const n of [n2, n3]) {
      expect(await priceOf(n, id)).toBe(1000); // read through, now cached on that node
      await waitFor(() => found(n, word).includes(id), 10_000, 'the product in search');
    }
    // Warm every cache tier on every node, then reprice through n1.
    for (const n of nodes) for (let i = 0; i < 3; i++) expect(await priceOf(n, id)).toBe(1000);
    await n1.service.putProduct(product(id, { title: `Lamp ${word}`, priceMinor: 1500 }));
    for (const n of [n2, n3]) {
      await waitFor(async () => (await priceOf(n, id)) === 1500, 10_000, 'the new price on another node');
      // Once a node serves the new price it never goes back to the old one.
      for (let i = 0; i < 5; i++) expect(await priceOf(n, id)).toBe(1500);
      expect(n.reader.peek(id) === undefined || JSON.parse(n.reader.peek(id)!).priceMinor === 1500).toBe(
        true,
      );
      await waitFor(
        () => n.search({ q: word }).items.find((h) => h.id === id)?.priceMinor === 1500,
        10_000,
        'the new price in search',
      );
    }
    // A rename through n3 and a delete through n2 reach everyone.
    await n3.service.putProduct(product(id, { title: `Desk ${word}`, priceMinor: 1500 }));
    for (const n of [n1, n2]) await waitFor(async () => (await titleOf(n, id)) === `Desk ${word}`, 10_000);
    await n2.service.deleteProduct(id);
    for (const n of [n1, n3]) {
      await waitFor(async () => (await titleOf(n, id)) === undefined, 10_000, 'the delete on another node');
      await expect(n.service.getProduct(id)).rejects.toMatchObject({ code: 'PRODUCT_NOT_FOUND' });
      await waitFor(() => !found(n, word).includes(id), 10_000, 'the product gone from search');
    }
  });

  it('an import through one node is served by the others (search sees it after a rebuild)', async () => {
    const [n1, n2, n3] = nodes as [Shop, Shop, Shop];
    const batch = generated(300, withRedis ? 61 : 62).map((p) => ({ ...p, id: `imp-${withRedis}-${p.id}` }));
    const jsonl = `${batch.map((p) => JSON.stringify(p)).join('\n')}\n`;
    const report = await n1.importJsonl(
      (async function* () {
        yield jsonl;
      })(),
    );
    expect(report.imported).toBe(300);
    for (const p of batch.slice(0, 5)) expect(await n2.service.getProduct(p.id)).toEqual(p);
    expect(await n3.service.getProduct(batch[299]!.id)).toEqual(batch[299]);
    await n3.generations.rebuild({ rank: false });
    await n3.generations.promote();
    expect(n3.generations.current().index.size).toBe(await n3.store.count());
  });
});

describe('a node without DATABASE_URL', () => {
  it('keeps its own LevelDB catalog, as before', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cw-shared-catalog-'));
    dirs.push(dir);
    const shop = await openShop({ dataDir: dir, demoProducts: 5, popularityFlushMs: 0 });
    try {
      expect(shop.store.kind).toBe('level');
      expect(await shop.store.count()).toBe(5);
    } finally {
      await shop.close();
    }
  });

  it('a node whose DATABASE_URL does not answer fails to open, naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cw-shared-catalog-'));
    dirs.push(dir);
    await expect(
      openShop({ dataDir: dir, databaseUrl: 'postgres://postgres@127.0.0.1:1/none', demoProducts: 0 }),
    ).rejects.toMatchObject({
      code: 'PRODUCT_STORE_UNAVAILABLE',
      message: expect.stringContaining('127.0.0.1:1'),
    });
    // It closed its LevelDB on the way out: the directory opens again.
    const again = await openShop({ dataDir: dir, demoProducts: 0 });
    await again.close();
  });
});
