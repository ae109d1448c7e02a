/**
 * `npm run bench:catalog [-- --json] [--products 100000] [--duration 5] [--rounds 3] [--connections 50] [--cpu-prof DIR]`
 *
 * One run: (a) a bare hono hello-world, (b) cached product GET (near cache + Redis, top-K ids),
 * (c) uncached product GET (every request reads the store) on LevelDB and on PostgreSQL, each in
 * its own server process driven by autocannon from this one; (d) search latency/throughput of the
 * engine on N generated products (sequential queries, in-process: with the per-generation page
 * cache as served, and with it emptied before every query) and over HTTP; (e) index build time of
 * a generation; (f) import time of the N products into LevelDB and into PostgreSQL (putMany in
 * batches of 5,000, schema checks included).
 * Uses REDIS_URL when set, else starts a private redis-server; creates (and drops) its own
 * PostgreSQL database on TEST_PG_URL's server (default postgres@127.0.0.1:5432).
 * Each HTTP case also reports the server's CPU per request (from /proc, Linux), for the PostgreSQL
 * case with the CPU of its database backends: on a loaded machine req/s measures the share of the
 * cores a server got, CPU per request what a request cost, and hello's CPU per request over a
 * case's is the ratio a machine with spare cores would show.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { Level } from 'level';
import pgClient from 'pg';
import type { CacheStats, ProductCache } from '../src/catalog/cache/product-cache.js';
import { CatalogGenerator, mulberry32 } from '../src/catalog/seed/generator.js';
import { CATEGORIES, COLORS } from '../src/catalog/seed/generator-data.js';
import { LevelProductStore } from '../src/catalog/store/level-product-store.js';
import { PostgresProductStore } from '../src/catalog/store/postgres-product-store.js';
import { PopularityService } from '../src/popularity/popularity-service.js';
import { LevelGenerationPointer } from '../src/search/generation-pointer.js';
import { SearchGenerations } from '../src/search/generations.js';
import { search } from '../src/search/search-engine.js';
import type { SearchQuery } from '../src/search/search-query.js';
import { openShop } from '../src/shop/open-shop.js';
import { createShopRoutes } from '../src/shop/shop-routes.js';
import type { LevelLike } from '../src/storage/level-types.js';
import { createTestDatabase, type TestDatabase } from '../test/support/postgres.js';
import { startRedis } from '../test/support/redis.js';

interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
interface AutocannonRequest {
  method?: string;
  path?: string;
  setupRequest?: (req: { path?: string }) => { path?: string };
}
type Autocannon = (opts: {
  url: string;
  connections: number;
  duration: number;
  requests?: AutocannonRequest[];
}) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const argv = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i !== -1 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
};

/** A cache that never hits: the "uncached" server reads LevelDB on every request. */
class NoCache implements ProductCache {
  readonly kind = 'none';
  async get(): Promise<string | undefined> {
    return undefined;
  }
  async set(): Promise<void> {}
  async setMany(): Promise<void> {}
  async delete(): Promise<void> {}
  available(): boolean {
    return true;
  }
  stats(): CacheStats {
    return { hits: 0, misses: 0, errors: 0 };
  }
  async close(): Promise<void> {}
}

// ---------------------------------------------------------------- child: a server process
if (argv[0] === '--serve') {
  const kind = argv[1];
  let app: Hono;
  if (kind === 'hello') {
    app = new Hono();
    app.get('/', (c) => c.text('Hello Hono!'));
  } else {
    const catalog = await openShop({
      dataDir: flag('data-dir', ''),
      demoProducts: 0,
      followIntervalMs: 0,
      ...(kind === 'cached' ? { redisUrl: flag('redis', '') } : { cache: new NoCache() }),
      ...(kind === 'uncached-pg' ? { databaseUrl: flag('database-url', '') } : {}),
    });
    app = new Hono();
    app.route('/v1', createShopRoutes({ shop: catalog, adminAuth: async (c) => c.text('no', 403) }).app);
  }
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
    process.stdout.write(`${JSON.stringify({ port: info.port })}\n`);
  });
  process.on('SIGTERM', () => {
    server.close();
    process.exit(0);
  });
} else {
  await main();
}

async function startServer(
  kind: string,
  extra: string[],
  children: ChildProcess[],
): Promise<{ url: string; child: ChildProcess }> {
  const self = fileURLToPath(import.meta.url);
  const profDir = flag('cpu-prof', '');
  const child = spawn(
    process.execPath,
    [
      // Default file names (pid, thread): tsx's loader thread writes a profile of its own.
      ...(profDir === '' ? [] : ['--cpu-prof', '--cpu-prof-dir', join(profDir, kind)]),
      '--conditions=@cartwheel/source',
      '--import',
      'tsx',
      self,
      '--serve',
      kind,
      ...extra,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child); // registered before the wait, so a failed start is still stopped
  const rl = createInterface({ input: child.stdout! });
  const [line] = (await Promise.race([
    once(rl, 'line'),
    once(child, 'exit').then(() => {
      throw new Error(`${kind} server exited before listening`);
    }),
  ])) as [string];
  const { port } = JSON.parse(line) as { port: number };
  return { url: `http://127.0.0.1:${port}`, child };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function queryMix(count: number, brands: string[], seed: number): SearchQuery[] {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const out: SearchQuery[] = [];
  for (let i = 0; i < count; i++) {
    const cat = pick(CATEGORIES);
    const noun = pick(cat.nouns).toLowerCase();
    const roll = rnd();
    if (roll < 0.3) out.push({ q: noun });
    else if (roll < 0.45)
      out.push({ q: `${pick(['wireless', 'classic', 'premium', 'compact', 'portable', 'eco'])} ${noun}` });
    else if (roll < 0.6) out.push({ q: pick(brands) });
    else if (roll < 0.7) out.push({ q: `${pick(COLORS).toLowerCase()} ${noun}` });
    else if (roll < 0.8)
      out.push({ q: noun, categories: [cat.slug], minPrice: cat.minPrice, maxPrice: cat.minPrice * 4 });
    else if (roll < 0.87)
      out.push({ q: noun.slice(0, Math.max(3, noun.length - 3)) }); // typing, prefix
    else if (roll < 0.92)
      out.push({ q: `${noun.slice(0, -2)}${noun.slice(-1)}` }); // a typo
    else out.push({ categories: [cat.slug], limit: 20 }); // browse by popularity
  }
  return out;
}

async function main(): Promise<void> {
  const json = argv.includes('--json');
  const products = Number(flag('products', '100000'));
  const duration = Number(flag('duration', '5'));
  const connections = Number(flag('connections', '50'));
  const roundsWanted = Number(flag('rounds', '3'));
  const log = (msg: string): void => {
    process.stderr.write(`[bench:catalog] ${msg}\n`);
  };
  const dir = await mkdtemp(join(tmpdir(), 'cw-catalog-bench-'));
  const redis = process.env.REDIS_URL === undefined ? await startRedis() : undefined;
  const redisUrl = process.env.REDIS_URL ?? redis!.url;
  let pg: TestDatabase | undefined;
  const children: ChildProcess[] = [];
  try {
    pg = await createTestDatabase();
    // 1. catalog of N generated products in LevelDB
    log(`generating ${products.toLocaleString('en')} products`);
    const level = new Level<string, string>(join(dir, 'catalog'), { valueEncoding: 'utf8' });
    await level.open();
    const db = level as unknown as LevelLike;
    const store = new LevelProductStore(db);
    const gen = new CatalogGenerator({ seed: 1 });
    const t0 = performance.now();
    for (let i = 0; i < products; i += 5000)
      await store.putMany([...gen.products(Math.min(5000, products - i), i)]);
    const loadMs = Math.round(performance.now() - t0);
    log(`LevelDB import ${fmt(loadMs)} ms`);

    // 1b. the same N products into PostgreSQL, through the same putMany batches
    const pgStore = await PostgresProductStore.open({ url: pg.url });
    const tp = performance.now();
    for (let i = 0; i < products; i += 5000)
      await pgStore.putMany([...gen.products(Math.min(5000, products - i), i)]);
    const pgImportMs = Math.round(performance.now() - tp);
    await pgStore.pool.query('ANALYZE catalog_products');
    await pgStore.close();
    log(`PostgreSQL import ${fmt(pgImportMs)} ms`);
    const brands = [...new Set([...gen.products(2000)].map((p) => String(p.attributes.brand)))];

    // 2. popularity: Zipf-distributed views, cart adds and orders, then the ranking job
    const popularity = new PopularityService(db, { flushIntervalMs: 0, topK: 1000 });
    const rnd = mulberry32(99);
    for (let i = 0; i < 300_000; i++) {
      const idx = Math.min(products - 1, Math.floor(products * rnd() ** 4));
      const r = rnd();
      popularity.record({
        type: r < 0.9 ? 'view' : r < 0.98 ? 'cart_add' : 'order',
        productId: gen.product(idx).id,
      });
    }
    const ranking = await popularity.rank();
    log(`ranked ${Object.keys(ranking.scores).length.toLocaleString('en')} products with a signal`);

    // 3. index build: the generation built at start (the same build path as a standby rebuild)
    const generations = new SearchGenerations({ store, pointer: new LevelGenerationPointer(db), popularity });
    await generations.start();
    const indexBuildMs = generations.current().buildMs;
    const standby = { shards: generations.current().index.shards().length };
    log(`index build ${indexBuildMs} ms, ${standby.shards} shards`);

    // 4. search engine latency, sequential
    const queries = queryMix(4000, brands, 7);
    for (const q of queries.slice(0, 300)) search(generations, q); // warm-up (JIT)
    generations.current().index.pages.clear(); // the measured run starts with an empty page cache
    const statsBefore = generations.current().index.pages.stats();
    const lat: number[] = [];
    const s0 = performance.now();
    for (const q of queries) {
      const a = performance.now();
      search(generations, q);
      lat.push(performance.now() - a);
    }
    const searchMs = performance.now() - s0;
    lat.sort((a, b) => a - b);
    const statsAfter = generations.current().index.pages.stats();
    const pageCache = {
      hits: statsAfter.hits - statsBefore.hits,
      misses: statsAfter.misses - statsBefore.misses,
    };
    // The same queries with the page cache emptied before each one: the engine's own cost.
    const cold: number[] = [];
    const c0 = performance.now();
    for (const q of queries) {
      generations.current().index.pages.clear();
      const a = performance.now();
      search(generations, q);
      cold.push(performance.now() - a);
    }
    const coldMs = performance.now() - c0;
    cold.sort((a, b) => a - b);
    const searchUncached = {
      qps: Math.round(queries.length / (coldMs / 1000)),
      p50Ms: round(percentile(cold, 50)),
      p99Ms: round(percentile(cold, 99)),
      maxMs: round(cold[cold.length - 1] ?? 0),
    };
    log(`search without page cache p50 ${searchUncached.p50Ms} ms p99 ${searchUncached.p99Ms} ms`);
    const searchResult = {
      products,
      qps: Math.round(queries.length / (searchMs / 1000)),
      p50Ms: round(percentile(lat, 50)),
      p99Ms: round(percentile(lat, 99)),
      maxMs: round(lat[lat.length - 1] ?? 0),
      pageCacheHitRate: round(pageCache.hits / Math.max(1, pageCache.hits + pageCache.misses)),
    };
    log(`search p50 ${searchResult.p50Ms} ms p99 ${searchResult.p99Ms} ms`);
    await popularity.close();
    await level.close();

    // 5. HTTP under autocannon, each server in its own process
    const run = async (
      url: string,
      paths: () => string,
      pids: () => Promise<number[]> = async () => [],
    ): Promise<Measured> => {
      const before = new Map((await pids()).map((pid) => [pid, cpuSeconds(pid)]));
      const r = await autocannon({
        url,
        connections,
        duration,
        requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths() }) }],
      });
      // Processes that started during the run (a new pooled backend) count from zero.
      let cpu = 0;
      for (const pid of await pids()) cpu += cpuSeconds(pid) - (before.get(pid) ?? 0);
      const requests = r.requests.average * duration;
      return { ...r, cpuUs: requests > 0 ? (cpu * 1e6) / requests : Number.NaN };
    };
    const pgAdmin = new pgClient.Client({ connectionString: pg.url });
    await pgAdmin.connect();
    const pgBackends = async (): Promise<number[]> =>
      (
        await pgAdmin.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'cartwheel-catalog'`,
        )
      ).rows.map((r) => r.pid);

    // All three servers up at once, then interleaved rounds: on a shared, loaded machine a
    // slow spell then hits every case alike, and the median of the rounds is reported.
    log('starting hello-world, cached (near cache + redis) and uncached (LevelDB, PostgreSQL) servers');
    const hello = await startServer('hello', [], children);
    const cached = await startServer('cached', ['--data-dir', dir, '--redis', redisUrl], children);
    // LevelDB allows one process per database: the uncached server reads a copy.
    await cp(join(dir, 'catalog'), join(dir, 'copy', 'catalog'), { recursive: true });
    const uncached = await startServer('uncached', ['--data-dir', join(dir, 'copy')], children);
    // Images, popularity and the pointer stay in a node's LevelDB: the PostgreSQL server gets its own.
    const uncachedPg = await startServer(
      'uncached-pg',
      ['--data-dir', join(dir, 'pg-node'), '--database-url', pg.url],
      children,
    );
    const top = ranking.top;
    let n = 0;
    const rnd2 = mulberry32(5);
    const rounds: Record<'hello' | 'cached' | 'uncached' | 'uncachedPg', Measured[]> = {
      hello: [],
      cached: [],
      uncached: [],
      uncachedPg: [],
    };
    const rnd3 = mulberry32(5);
    for (let r = 0; r < roundsWanted; r++) {
      log(`round ${r + 1}/${roundsWanted}`);
      rounds.hello.push(await run(hello.url, () => '/', self(hello)));
      rounds.cached.push(await run(cached.url, () => `/v1/products/${top[n++ % top.length]}`, self(cached)));
      rounds.uncached.push(
        await run(
          uncached.url,
          () => `/v1/products/${gen.product(Math.floor(rnd2() * products)).id}`,
          self(uncached),
        ),
      );
      rounds.uncachedPg.push(
        await run(
          uncachedPg.url,
          () => `/v1/products/${gen.product(Math.floor(rnd3() * products)).id}`,
          async () => [...(await self(uncachedPg)()), ...(await pgBackends())],
        ),
      );
    }
    await pgAdmin.end();
    const cpu = {
      hello: medianOf(rounds.hello.map((r) => r.cpuUs)),
      cached: medianOf(rounds.cached.map((r) => r.cpuUs)),
      uncached: medianOf(rounds.uncached.map((r) => r.cpuUs)),
      uncachedPg: medianOf(rounds.uncachedPg.map((r) => r.cpuUs)),
    };
    const cpuRatio = (us: number): number => Math.round((cpu.hello / us) * 100) / 100;
    const helloR = median(rounds.hello);
    const cachedR = median(rounds.cached);
    const uncachedR = median(rounds.uncached);
    const uncachedPgR = median(rounds.uncachedPg);
    log('search over HTTP');
    const httpQueries = queries.slice(0, 1000).map((q) => {
      const p = new URLSearchParams();
      if (q.q !== undefined) p.set('q', q.q);
      if (q.categories !== undefined) p.set('category', q.categories.join(','));
      if (q.minPrice !== undefined) p.set('minPrice', String(q.minPrice));
      if (q.maxPrice !== undefined) p.set('maxPrice', String(q.maxPrice));
      return `/v1/search?${p}`;
    });
    let m = 0;
    const searchHttpR = await run(cached.url, () => httpQueries[m++ % httpQueries.length]!);
    for (const c of [hello, cached, uncached, uncachedPg]) await stopServer(c.child);

    for (const [name, r] of [
      ['hello', helloR],
      ['cachedGet', cachedR],
      ['uncachedGet', uncachedR],
      ['uncachedGetPostgres', uncachedPgR],
      ['searchHttp', searchHttpR],
    ] as const) {
      if (r.non2xx > 0 || r.errors > 0)
        log(`WARNING ${name}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
    }
    const out = {
      hello: {
        reqPerSec: Math.round(helloR.requests.average),
        p99Ms: helloR.latency.p99,
        cpuUsPerRequest: Math.round(cpu.hello),
      },
      cachedGet: {
        reqPerSec: Math.round(cachedR.requests.average),
        p99Ms: cachedR.latency.p99,
        ratio: ratio(cachedR, helloR),
        cpuUsPerRequest: Math.round(cpu.cached),
        cpuRatio: cpuRatio(cpu.cached),
      },
      uncachedGet: {
        reqPerSec: Math.round(uncachedR.requests.average),
        p99Ms: uncachedR.latency.p99,
        ratio: ratio(uncachedR, helloR),
        cpuUsPerRequest: Math.round(cpu.uncached),
        cpuRatio: cpuRatio(cpu.uncached),
      },
      uncachedGetPostgres: {
        reqPerSec: Math.round(uncachedPgR.requests.average),
        p99Ms: uncachedPgR.latency.p99,
        ratio: ratio(uncachedPgR, helloR),
        cpuUsPerRequest: Math.round(cpu.uncachedPg),
        cpuRatio: cpuRatio(cpu.uncachedPg),
      },
      search: searchResult,
      searchUncached,
      searchHttp: { reqPerSec: Math.round(searchHttpR.requests.average), p99Ms: searchHttpR.latency.p99 },
      indexBuildMs,
      loadMs,
      importMs: { level: loadMs, postgres: pgImportMs },
      shards: standby.shards,
      connections,
      durationSec: duration,
      rounds: roundsWanted,
    };
    if (json) process.stdout.write(`${JSON.stringify(out)}\n`);
    else {
      const row = (
        name: string,
        r: { reqPerSec: number; p99Ms: number; ratio: number; cpuUsPerRequest?: number; cpuRatio?: number },
      ): string[] => [
        name,
        fmt(r.reqPerSec),
        String(r.p99Ms),
        r.ratio.toFixed(2),
        r.cpuUsPerRequest === undefined ? '–' : String(r.cpuUsPerRequest),
        r.cpuRatio === undefined ? '–' : r.cpuRatio.toFixed(2),
      ];
      const rows = [
        row('hello-world', { ...out.hello, ratio: 1, cpuRatio: 1 }),
        row('cached GET', out.cachedGet),
        row('uncached GET', out.uncachedGet),
        row('uncached GET pg', out.uncachedGetPostgres),
        row('search (HTTP)', { ...out.searchHttp, ratio: out.searchHttp.reqPerSec / out.hello.reqPerSec }),
      ];
      process.stdout.write(
        `\ncatalog benchmark (autocannon -c ${connections}, ${duration} s per case, median of ${roundsWanted} interleaved rounds)\n`,
      );
      process.stdout.write(
        `${'case'.padEnd(16)}${'req/s'.padStart(10)}${'p99 ms'.padStart(9)}${'× hello'.padStart(9)}${'CPU µs'.padStart(9)}${'CPU ×'.padStart(8)}\n`,
      );
      for (const r of rows)
        process.stdout.write(
          `${r[0]!.padEnd(16)}${r[1]!.padStart(10)}${r[2]!.padStart(9)}${r[3]!.padStart(9)}${r[4]!.padStart(9)}${r[5]!.padStart(8)}\n`,
        );
      process.stdout.write(
        `\nsearch engine on ${fmt(products)} products, ${out.shards} shards: ${fmt(searchResult.qps)} queries/s sequential, ` +
          `p50 ${searchResult.p50Ms} ms, p99 ${searchResult.p99Ms} ms, max ${searchResult.maxMs} ms (page cache hit rate ${searchResult.pageCacheHitRate})\n` +
          `  without the page cache: ${fmt(searchUncached.qps)} queries/s, p50 ${searchUncached.p50Ms} ms, p99 ${searchUncached.p99Ms} ms, max ${searchUncached.maxMs} ms\n` +
          `index build ${fmt(indexBuildMs)} ms; import of ${fmt(products)} products: LevelDB ${fmt(loadMs)} ms, PostgreSQL ${fmt(pgImportMs)} ms\n` +
          `CPU µs: server CPU per request (the PostgreSQL case adds its database backends); CPU ×: hello's CPU per request / the case's\n` +
          `targets: cached GET ≥ 0.60 × hello (${out.cachedGet.ratio >= 0.6 ? 'met' : 'NOT met'} by req/s, ${out.cachedGet.cpuRatio >= 0.6 ? 'met' : 'NOT met'} by CPU); search p99 ≤ 20 ms (${searchResult.p99Ms <= 20 ? 'met' : 'NOT met'})\n`,
      );
    }
  } finally {
    for (const c of children) await stopServer(c).catch(() => undefined);
    await redis?.stop();
    await pg?.drop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

interface Measured extends AutocannonResult {
  /** Server CPU µs per request (NaN where /proc is missing). */
  readonly cpuUs: number;
}

/** CPU seconds (user + system) a process has used, from /proc (Linux; NaN elsewhere or gone). */
function cpuSeconds(pid: number): number {
  try {
    // fields after the command name: utime is field 14, stime 15 (proc(5))
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return Number.NaN;
  }
}

function self(server: { child: ChildProcess }): () => Promise<number[]> {
  return async () => (server.child.pid === undefined ? [] : [server.child.pid]);
}

function medianOf(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** The round with the median req/s (its p99 goes with it). */
function median(results: AutocannonResult[]): AutocannonResult {
  const sorted = [...results].sort((a, b) => a.requests.average - b.requests.average);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function ratio(a: AutocannonResult, hello: AutocannonResult): number {
  return Math.round((a.requests.average / hello.requests.average) * 100) / 100;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

function fmt(n: number): string {
  return n.toLocaleString('en');
}
