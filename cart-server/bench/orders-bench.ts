/**
 * npm run bench:orders [-- --json] [--orders 10000] [--concurrency 64] [--latency-seconds 10] [--warmup 1000]
 *   [--no-sync] [--only embedded|redis]
 *
 * End-to-end order throughput — checkout accepted (POST /v1/orders through the hono routes,
 * in-process) → order processed → confirmation .eml written — with the embedded LevelDB log and
 * with Redis Streams (a private redis-server, or REDIS_URL), then p50/p99 latency of the same path
 * at the source design's average load of 115 orders/s (open loop, one order every 1/115 s).
 * Defaults are the production defaults: fsync on every log append batch and checkpoint.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Hono } from 'hono';
import { sign } from 'hono/jwt';
import {
  bearerJwtAuthenticator,
  createOrderRoutes,
  EmlFileSink,
  type MessageSink,
  openOrderSystem,
} from '../src/orders/index.js';
import { InMemoryCartPort, InMemoryCatalogPort } from '../src/orders/testing.js';
import { startRedis } from '../test/support/redis.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    orders: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '64' },
    'latency-seconds': { type: 'string', default: '10' },
    rate: { type: 'string', default: '115' },
    warmup: { type: 'string', default: '1000' },
    'no-sync': { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
const ORDERS = Number(values.orders);
const CONCURRENCY = Number(values.concurrency);
const LATENCY_SECONDS = Number(values['latency-seconds']);
const RATE = Number(values.rate);
const WARMUP = Number(values.warmup);
const SECRET = 'bench-secret';

interface Result {
  ordersPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

/** CPU time (user + system, this process) per order in the sustained phase: load-independent. */
const cpuMsPerOrder = new Map<string, number>();

const percentile = (sorted: number[], q: number): number =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function run(redisUrl: string | undefined): Promise<Result> {
  const dir = await mkdtemp(join(tmpdir(), 'cw-orders-bench-'));
  const cart = new InMemoryCartPort();
  const catalog = new InMemoryCatalogPort();
  for (let i = 0; i < 100; i++) catalog.put({ id: `sku-${i}`, priceMinor: 100 + i });
  const eml = await EmlFileSink.open(join(dir, 'mail'));
  const confirmedAt = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  const sink: MessageSink = {
    async deliver(message) {
      const r = await eml.deliver(message);
      confirmedAt.set(message.orderId, performance.now());
      waiters.get(message.orderId)?.();
      return r;
    },
  };
  const system = await openOrderSystem({
    dataDir: dir,
    cart,
    catalog,
    sink,
    partitions: 16,
    sync: !values['no-sync'],
    ...(redisUrl === undefined ? {} : { redisUrl, redisPrefix: `bench:${Date.now()}` }),
  });
  await system.start();
  const app = new Hono();
  app.route(
    '/v1',
    createOrderRoutes({
      checkout: system.checkout,
      query: system.query,
      inventory: system.inventory,
      authenticate: bearerJwtAuthenticator(SECRET),
    }),
  );
  const seller = await sign({ sub: 'seller', role: 'seller' }, SECRET, 'HS256');
  for (let i = 0; i < 100; i++) {
    await app.request('/v1/inventory', {
      method: 'POST',
      headers: { authorization: `Bearer ${seller}`, 'content-type': 'application/json' },
      body: JSON.stringify({ productId: `sku-${i}`, quantity: 1_000_000 }),
    });
  }
  await system.processor.caughtUp();
  const tokens = await Promise.all(
    Array.from({ length: 50 }, (_, i) => sign({ sub: `user-${i}`, role: 'user' }, SECRET, 'HS256')),
  );
  let seq = 0;
  /** One checkout: fills a cart and posts it; resolves once accepted, with a promise of the confirmation latency. */
  const order = async (): Promise<{ confirmed: Promise<number> }> => {
    const n = seq++;
    const user = `user-${n % 50}`;
    const cartId = `c${n}`;
    cart.add(user, cartId, `sku-${n % 100}`, 1 + (n % 3));
    cart.add(user, cartId, `sku-${(n * 7 + 3) % 100}`, 1);
    const start = performance.now();
    const res = await app.request('/v1/orders', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tokens[n % 50]}`,
        'idempotency-key': `bench-${n}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ cartId }),
    });
    if (res.status !== 202) throw new Error(`checkout failed: ${res.status} ${await res.text()}`);
    const { orderId } = (await res.json()) as { orderId: string };
    const confirmed = confirmedAt.has(orderId)
      ? Promise.resolve()
      : new Promise<void>((resolve) => waiters.set(orderId, resolve));
    // Wrapped: an async function returning a bare promise would wait for it.
    return {
      confirmed: confirmed.then(() => {
        waiters.delete(orderId);
        return confirmedAt.get(orderId)! - start;
      }),
    };
  };

  // Warm-up (JIT, LevelDB caches), not measured.
  const warm: Promise<number>[] = [];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (seq < WARMUP) warm.push((await order()).confirmed);
    }),
  );
  await Promise.all(warm);

  // (1) sustained throughput: CONCURRENCY shoppers check out back to back (a shopper does not
  // wait for the e-mail); the clock stops when the last confirmation is written.
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let issued = 0;
  const confirmations: Promise<number>[] = [];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (issued < ORDERS) {
        issued++;
        confirmations.push((await order()).confirmed);
      }
    }),
  );
  const acceptedMs = performance.now() - t0;
  await Promise.all(confirmations);
  if (process.env.BENCH_DEBUG)
    console.error(
      `accepted all in ${Math.round(acceptedMs)} ms, confirmed all in ${Math.round(performance.now() - t0)} ms`,
    );
  const ordersPerSec = ORDERS / ((performance.now() - t0) / 1000);
  const cpu = process.cpuUsage(cpu0);
  cpuMsPerOrder.set(redisUrl === undefined ? 'embedded' : 'redis', (cpu.user + cpu.system) / 1000 / ORDERS);

  // (2) latency at the source design's average rate, open loop.
  const latencies: number[] = [];
  const inflight: Promise<void>[] = [];
  const total = Math.round(RATE * LATENCY_SECONDS);
  const l0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = l0 + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inflight.push(
      order().then(async ({ confirmed }) => {
        latencies.push(await confirmed);
      }),
    );
  }
  await Promise.all(inflight);
  latencies.sort((a, b) => a - b);
  await system.stop();
  await rm(dir, { recursive: true, force: true });
  return {
    ordersPerSec: Math.round(ordersPerSec),
    p50Ms: round(percentile(latencies, 0.5)),
    p99Ms: round(percentile(latencies, 0.99)),
  };
}

const round = (x: number): number => Math.round(x * 100) / 100;

async function main(): Promise<void> {
  const skipped = { ordersPerSec: Number.NaN, p50Ms: Number.NaN, p99Ms: Number.NaN };
  const embedded = values.only === 'redis' ? skipped : await run(undefined);
  let viaRedis = skipped;
  if (values.only !== 'embedded') {
    let redisUrl = process.env.REDIS_URL;
    const redis = redisUrl === undefined ? await startRedis() : undefined;
    redisUrl ??= redis!.url;
    viaRedis = await run(redisUrl);
    await redis?.stop();
  }
  const result = { embedded, redis: viaRedis };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const rows = [
    [
      'log',
      'orders/s (sustained)',
      'CPU ms/order',
      'orders/s per CPU core',
      `p50 ms @ ${RATE}/s`,
      `p99 ms @ ${RATE}/s`,
      'target 2,000/s',
    ],
    ...Object.entries(result).map(([name, r]) => [
      name,
      String(r.ordersPerSec),
      (cpuMsPerOrder.get(name) ?? Number.NaN).toFixed(3),
      String(Math.round(1000 / (cpuMsPerOrder.get(name) ?? Number.NaN))),
      String(r.p50Ms),
      String(r.p99Ms),
      r.ordersPerSec >= 2000 ? 'met' : 'not met',
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
  console.log(
    `\n${ORDERS} orders, ${CONCURRENCY} concurrent checkouts, fsync ${values['no-sync'] ? 'off' : 'on'}; ` +
      'end-to-end = POST /v1/orders sent → accepted → processed → confirmation .eml written.\n' +
      'CPU ms/order counts this process only (Redis server CPU excluded); the load generator runs in-process.',
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
