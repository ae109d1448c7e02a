/**
 * `npm run bench:popularity [-- --json] [--products 100000] [--catalog 20000]`: the cost of
 * sharing popularity and search through Redis, in one process against a private redis-server
 * (or REDIS_URL):
 *  (a) record(): views summed in memory (the per-request cost on the product route);
 *  (b) flush: distinct (day, product) pairs acknowledged — LevelDB alone vs. Redis through the
 *      outbox (one LevelDB write, then one Lua script per 1,000 rows);
 *  (c) the ranking job over a window holding that many products (LevelDB vs. Redis HSCAN);
 *  (d) a cluster promotion on three SearchGenerations sharing Redis: rebuild on one node until
 *      every node holds the standby, then promote until every node serves it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Level } from 'level';
import { CachedProductReader } from '../src/catalog/cache/cached-reader.js';
import { LruProductCache } from '../src/catalog/cache/lru-product-cache.js';
import { createCatalogRedis, waitReady } from '../src/catalog/cache/redis-client.js';
import { CatalogGenerator } from '../src/catalog/seed/generator.js';
import { LevelProductStore } from '../src/catalog/store/level-product-store.js';
import type { CounterStore } from '../src/popularity/counter-store.js';
import { LevelCounterStore } from '../src/popularity/level-counter-store.js';
import { PopularityService } from '../src/popularity/popularity-service.js';
import { computeRanking } from '../src/popularity/ranking.js';
import { RedisCounterStore } from '../src/popularity/redis-counter-store.js';
import { RedisGenerationBoard } from '../src/search/generation-board.js';
import { RedisGenerationPointer } from '../src/search/generation-pointer.js';
import { SearchGenerations } from '../src/search/generations.js';
import type { LevelLike } from '../src/storage/level-types.js';
import { startRedis } from '../test/support/redis.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    products: { type: 'string', default: '100000' },
    catalog: { type: 'string', default: '20000' },
  },
});
const PRODUCTS = Number(values.products);
const CATALOG = Number(values.catalog);
const log = (msg: string) => {
  if (!values.json) process.stderr.write(`${msg}\n`);
};

const redisProcess = process.env.REDIS_URL === undefined ? await startRedis() : undefined;
const redisUrl = process.env.REDIS_URL ?? redisProcess!.url;
const clients: ReturnType<typeof createCatalogRedis>[] = [];
async function client() {
  const c = createCatalogRedis(redisUrl, { commandTimeoutMs: 30_000 });
  clients.push(c);
  await waitReady(c, 10_000);
  return c;
}
const dirs: string[] = [];
async function level(): Promise<LevelLike> {
  const dir = await mkdtemp(join(tmpdir(), 'cw-pop-bench-'));
  dirs.push(dir);
  const db = new Level<string, string>(dir, { valueEncoding: 'utf8' });
  await db.open();
  return db as unknown as LevelLike;
}
const ms = (t0: number) => Math.round((performance.now() - t0) * 10) / 10;
const ids = Array.from({ length: PRODUCTS }, (_, i) => `p-${String(i).padStart(7, '0')}`);
const prefix = `bench-${Date.now().toString(36)}`;

// (a) record(): 1 M views over the products.
const recordStore = new LevelCounterStore(await level(), { maxPending: Number.MAX_SAFE_INTEGER });
let t0 = performance.now();
for (let i = 0; i < 1_000_000; i++) recordStore.record({ type: 'view', productId: ids[i % PRODUCTS]! });
const recordMs = ms(t0);
log(`(a) record: 1,000,000 views in ${recordMs} ms`);

// (b) + (c): flush PRODUCTS distinct pairs, then rank over them.
async function flushAndRank(store: CounterStore) {
  for (const id of ids) store.record({ type: 'view', productId: id, quantity: 1 });
  let t = performance.now();
  await store.flush();
  const flushMs = ms(t);
  t = performance.now();
  const ranking = await computeRanking(store, { topK: 1000 });
  return { flushMs, rankMs: ms(t), ranked: ranking.top.length };
}
const levelFigures = await flushAndRank(new LevelCounterStore(await level()));
log(`(b,c) level: flush ${levelFigures.flushMs} ms, rank ${levelFigures.rankMs} ms`);
const redisFigures = await flushAndRank(
  await RedisCounterStore.open({ redis: await client(), local: await level(), nodeId: 'n1', prefix }),
);
log(`(b,c) redis: flush ${redisFigures.flushMs} ms, rank ${redisFigures.rankMs} ms`);

// (d) promotion across three nodes sharing Redis.
const catalog = [...new CatalogGenerator({ seed: 42 }).products(CATALOG)];
const nodes: SearchGenerations[] = [];
for (let i = 1; i <= 3; i++) {
  const db = await level();
  const store = new LevelProductStore(db);
  await store.putMany(catalog);
  const popularity = new PopularityService(db, { flushIntervalMs: 0 });
  const reader = new CachedProductReader(store, new LruProductCache());
  const [r, sub] = [await client(), await client()];
  const g = new SearchGenerations({
    store,
    popularity,
    nodeId: `n${i}`,
    pointer: new RedisGenerationPointer(r, `${prefix}:pointer`),
    board: new RedisGenerationBoard({ redis: r, subscriber: sub, prefix }),
    warm: (w) => reader.warm(w),
    heartbeatMs: 2000,
  });
  await g.start();
  nodes.push(g);
}
async function until(probe: () => boolean): Promise<void> {
  while (!probe()) await new Promise((r) => setTimeout(r, 5));
}
t0 = performance.now();
const standby = await nodes[0]!.rebuild({ rank: false });
const builtHereMs = ms(t0);
await until(() => nodes.every((n) => n.status().standby?.id === standby.id));
const heldEverywhereMs = ms(t0);
t0 = performance.now();
await nodes[1]!.promote();
const promoteMs = ms(t0);
await until(() => nodes.every((n) => n.current().id === standby.id));
const servedEverywhereMs = ms(t0);
log(
  `(d) ${CATALOG} products: standby built on n1 ${builtHereMs} ms, held by all ${heldEverywhereMs} ms; ` +
    `promote (CAS) ${promoteMs} ms, served by all ${servedEverywhereMs} ms`,
);

const result = {
  record: { views: 1_000_000, ms: recordMs, perSecond: Math.round(1_000_000 / (recordMs / 1000)) },
  flush: {
    pairs: PRODUCTS,
    levelMs: levelFigures.flushMs,
    redisMs: redisFigures.flushMs,
    redisPairsPerSecond: Math.round(PRODUCTS / (redisFigures.flushMs / 1000)),
  },
  rank: { products: PRODUCTS, levelMs: levelFigures.rankMs, redisMs: redisFigures.rankMs },
  promotion: { products: CATALOG, builtHereMs, heldEverywhereMs, promoteMs, servedEverywhereMs },
};
if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
else console.table(result);

for (const n of nodes) await n.close();
for (const c of clients) c.disconnect();
await redisProcess?.stop();
for (const d of dirs) await rm(d, { recursive: true, force: true });
process.exit(0);
