/**
 * One shop on three real nodes (N=3, R=2, W=2) sharing Redis and PostgreSQL, as `npm run
 * cluster` runs it: a product created and repriced through one node is served and searchable the
 * same on every node; views and cart adds on every node make one ranking, the same on every
 * node, and a restart neither loses nor double-counts acknowledged counts; a search generation
 * rebuilt on one node is promoted on another and served by all, a query gets the same page on
 * every node, and a rollback survives a full restart. Every wait is a bounded poll: the test
 * must pass while other processes keep the CPUs busy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';
import { type RedisProcess, startRedis } from './support/redis.js';
import {
  type Api,
  api,
  createShopCluster,
  FAST_TIMERS,
  removeTempDirs,
  type ServerProcess,
  token,
  waitFor,
} from './support/server-process.js';

const PATIENCE = 90_000;
/** Each test waits for up to a few PATIENCE-bounded polls (restarts included) on a loaded box. */
const TEST_TIMEOUT = 300_000;

let redis: RedisProcess;
let database: TestDatabase;
let nodes: ServerProcess[] = [];
let admins: Api[] = [];

interface Generations {
  node: string;
  active: { id: string } | null;
  previous: { id: string } | null;
  standby: { id: string } | null;
  members: Array<{ node: string; held: string[] }>;
}
interface Ranking {
  computedAt: number;
  fence: number;
  ranked: number;
  top: string[];
  scores: Record<string, number>;
}
interface SearchPage {
  generation: string;
  total: number;
  items: Array<{ id: string; priceMinor: number; popularity: number }>;
}

async function json<T>(call: Promise<{ status: number; json: unknown }>, what: string): Promise<T> {
  const res = await call;
  if (res.status !== 200) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json as T;
}

const generations = (i: number) =>
  json<Generations>(admins[i]!('GET', '/v1/admin/catalog/generations'), `generations on n${i + 1}`);
const ranking = (i: number) =>
  json<Ranking>(admins[i]!('GET', '/v1/admin/catalog/popularity?limit=10'), `ranking on n${i + 1}`);
const searchOn = (i: number, query: string) =>
  json<SearchPage>(api(nodes[i]!.url)('GET', `/v1/search?${query}`), `search on n${i + 1}`);

/** Every node's answer to `probe`, once they are all equal (and pass `accept`). */
async function sameEverywhere<T>(
  what: string,
  probe: (i: number) => Promise<T>,
  accept: (v: T) => boolean = () => true,
): Promise<T> {
  return waitFor(
    async () => {
      const all = await Promise.all(nodes.map((_, i) => probe(i)));
      const first = JSON.stringify(all[0]);
      return all.every((v) => JSON.stringify(v) === first) && accept(all[0]!) ? all[0] : undefined;
    },
    what,
    PATIENCE,
  );
}

const activeEverywhere = (id: string) =>
  sameEverywhere(
    `every node to serve ${id}`,
    async (i) => (await generations(i)).active?.id,
    (active) => active === id,
  );

async function startAll(): Promise<void> {
  await Promise.all(nodes.map((n) => n.start()));
  await waitFor(
    async () => {
      for (const n of nodes) {
        const s = (await api(n.url)('GET', '/v1/cluster/status')).json as { members: { up: boolean }[] };
        if (!s.members.every((m) => m.up)) return undefined;
      }
      return true;
    },
    'cluster membership up',
    PATIENCE,
  );
}

beforeAll(async () => {
  [redis, database] = await Promise.all([startRedis(), createTestDatabase()]);
  ({ nodes } = await createShopCluster({
    redisUrl: redis.url,
    args: [...FAST_TIMERS, '--n', '3', '--r', '2', '--w', '2', '--database-url', database.url],
  }));
  await startAll();
  const bearer = await token('ops', { role: 'admin' });
  admins = nodes.map((n) => api(n.url, bearer));
}, 240_000);

afterAll(async () => {
  for (const n of nodes) await n.kill();
  await redis?.stop();
  await database?.drop();
  removeTempDirs();
});

describe('one shop on three nodes (Redis + PostgreSQL)', () => {
  it(
    'starts on one search generation, held by every node',
    async () => {
      const first = await sameEverywhere(
        'one active generation',
        async (i) => (await generations(i)).active?.id,
      );
      const status = await waitFor(
        async () => {
          const s = await generations(0);
          return s.members.length === 3 && s.members.every((m) => m.held.includes(first!)) ? s : undefined;
        },
        'every node on the board',
        PATIENCE,
      );
      expect(status.members.map((m) => m.node)).toEqual(['n1', 'n2', 'n3']);
    },
    TEST_TIMEOUT,
  );

  it(
    'a product created and repriced through one node is served and found the same on every node',
    async () => {
      const doc = {
        id: 'cluster-kettle',
        title: 'Quillfeather Copper Kettle',
        description: 'A kettle written through n1 only.',
        priceMinor: 4200,
        currency: 'EUR',
        category: 'home-kitchen',
        images: ['/v1/images/0123456789abcdef0123456789abcdef.svg'],
        attributes: { brand: 'Quillfeather' },
        availability: { status: 'in_stock', stock: 3 },
      };
      expect((await admins[0]!('PUT', `/v1/admin/catalog/products/${doc.id}`, doc)).status).toBe(200);
      // Read through the category listing, not GET /products/:id: a view would count for popularity.
      const served = async (price: number) =>
        sameEverywhere(
          `every node to serve the kettle at ${price}`,
          async (i) => {
            const page = (await api(nodes[i]!.url)('GET', '/v1/products?category=home-kitchen&limit=100'))
              .json as { items: Array<{ id: string; priceMinor: number }> };
            const product = page.items.find((p) => p.id === doc.id);
            const hits = (await searchOn(i, 'q=quillfeather')).items.map((h) => [h.id, h.priceMinor]);
            return { price: product?.priceMinor, hits };
          },
          (v) => v.price === price && v.hits.length === 1 && v.hits[0]![1] === price,
        );
      await served(4200);
      expect(
        (await admins[0]!('PUT', `/v1/admin/catalog/products/${doc.id}`, { ...doc, priceMinor: 3900 }))
          .status,
      ).toBe(200);
      await served(3900);
    },
    TEST_TIMEOUT,
  );

  it(
    'views and cart adds on every node make one ranking, the same on every node; a restart neither loses nor double-counts',
    async () => {
      // Each product is viewed on a different node; together: p3 (3 units added to a cart, 5
      // points each: 15) > p7 (11 views) > p2 (9) > p5 (4).
      const plan: Array<[node: number, product: string, views: number]> = [
        [0, 'p-0000007', 6],
        [1, 'p-0000007', 5],
        [1, 'p-0000002', 7],
        [2, 'p-0000005', 4],
        [2, 'p-0000002', 2],
      ];
      for (const [n, id, count] of plan) {
        const anon = api(nodes[n]!.url);
        for (let v = 0; v < count; v++)
          expect((await anon('GET', `/v1/products/${id}?view=1`)).status).toBe(200);
      }
      const shopper = api(nodes[2]!.url, await token('shopper-1'));
      expect(
        (await shopper('POST', '/v1/carts/main/items', { productId: 'p-0000003', quantity: 3 })).status,
      ).toBe(200);
      for (const a of admins)
        expect((await a('POST', '/v1/admin/catalog/popularity/flush')).status).toBe(200);
      const ranked = await json<Ranking>(
        admins[1]!('POST', '/v1/admin/catalog/popularity/rank'),
        'rank on n2',
      );
      expect(ranked.top.slice(0, 4)).toEqual(['p-0000003', 'p-0000007', 'p-0000002', 'p-0000005']);
      const everywhere = await sameEverywhere(
        'one ranking on every node',
        ranking,
        (r) => r.fence >= ranked.fence,
      );
      expect(everywhere.top.slice(0, 4)).toEqual(ranked.top.slice(0, 4));

      // Acknowledged (flushed) counts, then a crash: nothing lost, nothing counted twice. Counts
      // recorded and not yet flushed are flushed by a clean stop.
      await nodes[2]!.kill();
      await nodes[2]!.start();
      const anon = api(nodes[0]!.url);
      for (let v = 0; v < 3; v++) await anon('GET', '/v1/products/p-0000005?view=1');
      expect(await nodes[0]!.stop()).toBe(0);
      await nodes[0]!.start();
      await json(admins[2]!('POST', '/v1/admin/catalog/popularity/rank'), 'rank on n3');
      // Exactly 15 : 11 : 9 : 7 points (p5: 4 views, then 3 more flushed by the clean stop); one
      // count lost or counted twice would change a ratio. Every node reads the same.
      const after = await sameEverywhere(
        'the new ranking on every node',
        ranking,
        (r) => r.fence > ranked.fence,
      );
      expect(after.top).toEqual(['p-0000003', 'p-0000007', 'p-0000002', 'p-0000005']);
      const points = after.top.map((id) => (after.scores[id]! * 15).toFixed(6));
      expect(points).toEqual(['15.000000', '11.000000', '9.000000', '7.000000']);
    },
    TEST_TIMEOUT,
  );

  it(
    'a generation rebuilt on one node and promoted on another is served by every node, with the same page',
    async () => {
      const before = await sameEverywhere(
        'one active generation',
        async (i) => (await generations(i)).active?.id,
      );
      const standby = await json<{ id: string; warmed: number }>(
        admins[0]!('POST', '/v1/admin/catalog/rebuild'),
        'rebuild on n1',
      );
      await sameEverywhere(
        'every node to hold the standby',
        async (i) => (await generations(i)).standby?.id,
        (id) => id === standby.id,
      );
      const promoted = await json<{ id: string }>(
        admins[1]!('POST', '/v1/admin/catalog/promote'),
        'promote on n2',
      );
      expect(promoted.id).toBe(standby.id);
      await activeEverywhere(standby.id);
      // Browsing ranks by popularity: the cluster's top product leads on every node.
      const browse = await sameEverywhere('the same browse page', (i) => searchOn(i, 'limit=5'));
      expect(browse.generation).toBe(standby.id);
      expect(browse.items[0]!.id).toBe('p-0000003');
      for (const q of ['q=black&limit=7', 'q=kettle', 'category=home-kitchen&limit=3']) {
        const page = await sameEverywhere(`the same page for ${q}`, (i) => searchOn(i, q));
        expect(page.generation).toBe(standby.id);
      }
      expect(before).not.toBe(standby.id);
    },
    TEST_TIMEOUT,
  );

  it(
    'a rollback is seen by every node and survives a full restart',
    async () => {
      const status = await generations(2);
      const current = status.active!.id;
      const previous = await waitFor(
        async () => (await generations(2)).previous?.id,
        'a previous generation on n3',
        PATIENCE,
      );
      const back = await json<{ id: string }>(
        admins[2]!('POST', '/v1/admin/catalog/rollback'),
        'rollback on n3',
      );
      expect(back.id).toBe(previous);
      await activeEverywhere(previous);

      for (const n of nodes) expect(await n.stop()).toBe(0);
      await startAll();
      await activeEverywhere(previous);
      // The generation rolled back from is rebuilt from its manifest as the previous one, on every node.
      await sameEverywhere(
        'every node to hold the rolled-back-from generation',
        async (i) => (await generations(i)).previous?.id,
        (id) => id === current,
      );
      const page = await sameEverywhere('the same page after the restart', (i) =>
        searchOn(i, 'q=black&limit=7'),
      );
      expect(page.generation).toBe(previous);
    },
    TEST_TIMEOUT,
  );
});
