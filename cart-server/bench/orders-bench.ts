/**
 * npm run bench:orders [-- --json] [--orders 10000] [--cluster-orders 3000] [--concurrency 64]
 *   [--latency-seconds 10] [--rate 115] [--warmup 1000] [--no-sync] [--only embedded|redis|cluster]
 *   [--cpu-prof DIR]
 *
 * End-to-end order throughput — checkout accepted → order processed → confirmation .eml written:
 *   embedded  one process: POST /v1/orders through the hono routes in-process, embedded LevelDB log
 *             and state, in-memory carts and catalog;
 *   redis     the same process on Redis Streams + Redis partition state (a private redis-server, or
 *             REDIS_URL);
 *   cluster   three real cart-server processes sharing one order system on Redis (log, partition
 *             state, leases), the platform on (catalog, real replicated carts): carts filled over
 *             HTTP first (not timed, reported apart), then every order placed over HTTP spread over
 *             the three nodes; the clock stops when the last `<orderId>-confirmation.eml` exists in
 *             the shared `<data-dir>/outbox-mail`.
 * Then p50/p99 latency of the same path at the source design's average load of 115 orders/s (open
 * loop, one order every 1/115 s; for the cluster, POST sent → its .eml in the folder).
 * Defaults are the production defaults: fsync on every log append batch and checkpoint (embedded)
 * and on every cart write (cluster nodes). `--cpu-prof DIR` writes CPU profiles of the sustained
 * phase only (through the inspector protocol): `<DIR>/<row>.cpuprofile` for the in-process rows,
 * `<DIR>/cluster-n1.cpuprofile`… for the nodes (start-up and cart filling excluded).
 */
import { watch } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Hono } from 'hono';
import { WebSocket } from 'ws';
import { signToken, TokenVerifier } from '../src/auth/tokens.js';
import { createOrderRoutes, EmlFileSink, type MessageSink, openOrderSystem } from '../src/orders/index.js';
import { InMemoryCartPort, InMemoryCatalogPort } from '../src/orders/testing.js';
import { freePort, startRedis } from '../test/support/redis.js';
import {
  createShopCluster,
  removeTempDirs,
  type ServerProcess,
  TEST_SECRET,
} from '../test/support/server-process.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    orders: { type: 'string', default: '10000' },
    'cluster-orders': { type: 'string', default: '3000' },
    concurrency: { type: 'string', default: '64' },
    'latency-seconds': { type: 'string', default: '10' },
    rate: { type: 'string', default: '115' },
    warmup: { type: 'string', default: '1000' },
    'no-sync': { type: 'boolean', default: false },
    only: { type: 'string' },
    'cpu-prof': { type: 'string' },
  },
});
const ORDERS = Number(values.orders);
const CLUSTER_ORDERS = Number(values['cluster-orders']);
const CONCURRENCY = Number(values.concurrency);
const LATENCY_SECONDS = Number(values['latency-seconds']);
const RATE = Number(values.rate);
const WARMUP = Number(values.warmup);
const SECRET = 'bench-secret-of-sufficient-length-0123456789';
const profDir = values['cpu-prof'];

type Row = 'embedded' | 'redis' | 'cluster';
const TARGETS: Record<Row, number> = { embedded: 5000, redis: 2000, cluster: 1200 };

interface Result {
  ordersPerSec: number;
  /** CPU time per order in the sustained phase: this process, plus the nodes and Redis for the cluster. */
  cpuMsPerOrder: number;
  p50Ms: number;
  p99Ms: number;
  /** Cluster only: cart lines written over HTTP per second while filling the carts (not timed above). */
  cartLinesPerSec?: number;
}

const percentile = (sorted: number[], q: number): number =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const round = (x: number): number => Math.round(x * 100) / 100;
const skipped: Result = {
  ordersPerSec: Number.NaN,
  cpuMsPerOrder: Number.NaN,
  p50Ms: Number.NaN,
  p99Ms: Number.NaN,
};

/** Runs `fn` for i in [from, to) with `concurrency` workers. */
async function pool(
  from: number,
  to: number,
  concurrency: number,
  fn: (i: number) => Promise<void>,
): Promise<void> {
  let next = from;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < to) await fn(next++);
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// CPU profiles of one phase, over the inspector protocol (this process, or a node started with
// --inspect): `--cpu-prof` on the command line would also record start-up and cart filling.

interface Profiler {
  stop(file: string): Promise<void>;
}

async function profileSelf(): Promise<Profiler> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = await session.post('Profiler.stop');
      await writeFile(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

async function profileRemote(inspectPort: number): Promise<Profiler> {
  const list = (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json()) as {
    webSocketDebuggerUrl: string;
  }[];
  const socket = new WebSocket(list[0]!.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  let id = 0;
  const pending = new Map<number, (result: unknown) => void>();
  socket.on('message', (data) => {
    const msg = JSON.parse(String(data)) as { id?: number; result?: unknown };
    if (msg.id !== undefined) pending.get(msg.id)?.(msg.result);
  });
  const post = (method: string): Promise<unknown> =>
    new Promise((resolve) => {
      const n = ++id;
      pending.set(n, resolve);
      socket.send(JSON.stringify({ id: n, method }));
    });
  await post('Profiler.enable');
  await post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      await writeFile(file, JSON.stringify(profile));
      socket.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Single process: the routes in-process, embedded or Redis

async function runInProcess(row: 'embedded' | 'redis', redisUrl: string | undefined): Promise<Result> {
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
      verifier: new TokenVerifier(SECRET),
    }).app,
  );
  const seller = await signToken(SECRET, { sub: 'seller', role: 'seller' });
  for (let i = 0; i < 100; i++) {
    await app.request('/v1/inventory', {
      method: 'POST',
      headers: { authorization: `Bearer ${seller}`, 'content-type': 'application/json' },
      body: JSON.stringify({ productId: `sku-${i}`, quantity: 1_000_000 }),
    });
  }
  await system.processor.caughtUp();
  const tokens = await Promise.all(
    Array.from({ length: 50 }, (_, i) => signToken(SECRET, { sub: `user-${i}`, role: 'user' })),
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
  const profiler = profDir === undefined ? undefined : await profileSelf();
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
  await Promise.all(confirmations);
  const ordersPerSec = ORDERS / ((performance.now() - t0) / 1000);
  const cpu = process.cpuUsage(cpu0);
  await profiler?.stop(join(profDir!, `${row}.cpuprofile`));

  // (2) latency at the source design's average rate, open loop.
  const latencies: number[] = [];
  const inflight: Promise<void>[] = [];
  const total = Math.round(RATE * LATENCY_SECONDS);
  const l0 = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = l0 + (i * 1000) / RATE - performance.now();
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
    cpuMsPerOrder: (cpu.user + cpu.system) / 1000 / ORDERS,
    p50Ms: round(percentile(latencies, 0.5)),
    p99Ms: round(percentile(latencies, 0.99)),
  };
}

// ---------------------------------------------------------------------------------------------
// Cluster: three cart-server processes on one Redis, over HTTP

/** utime + stime of a process in ms (Linux /proc; 0 when unreadable). */
async function processCpuMs(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks at USER_HZ 100
  } catch {
    return 0;
  }
}

/** The redis-server listening on `port` (for its CPU time). */
async function redisPid(port: number): Promise<number | undefined> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmd = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmd.startsWith('redis-server') && cmd.includes(`:${port}`)) return Number(entry);
  }
  return undefined;
}

async function http(
  node: ServerProcess,
  method: string,
  path: string,
  bearer: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${node.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${bearer}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

async function runCluster(): Promise<Result> {
  const redis = process.env.REDIS_URL === undefined ? await startRedis() : undefined;
  const redisUrl = process.env.REDIS_URL ?? redis!.url;
  const inspectPorts = await Promise.all([0, 1, 2].map(() => freePort()));
  const { nodes, dataDir } = await createShopCluster({
    redisUrl,
    args: ['--fsync', values['no-sync'] ? 'never' : 'always', '--access-log', 'off'],
    ...(profDir === undefined ? {} : { nodeArgs: (i: number) => [`--inspect=127.0.0.1:${inspectPorts[i]}`] }),
  }).catch(async (err: unknown) => {
    await redis?.stop();
    throw err;
  });
  const mailDir = join(dataDir, 'outbox-mail');
  try {
    const seller = await signToken(TEST_SECRET, { sub: 'bench-seller', role: 'seller' });
    // The demo catalog's in-stock products, stocked far beyond what the run buys.
    const search = await http(nodes[0]!, 'GET', '/v1/search?limit=100', seller);
    const products = (search.json.items as { id: string; availability: string }[])
      .filter((p) => p.availability === 'in_stock')
      .map((p) => p.id)
      .slice(0, 50);
    for (const id of products) {
      const r = await http(nodes[0]!, 'POST', '/v1/inventory', seller, {
        productId: id,
        quantity: 1_000_000,
      });
      if (r.status !== 202) throw new Error(`stock ${id}: ${r.status} ${JSON.stringify(r.json)}`);
    }
    for (const id of products) {
      for (;;) {
        const r = await http(nodes[0]!, 'GET', `/v1/inventory/${id}`, seller);
        if (r.json.available === 1_000_000) break;
        await new Promise((res) => setTimeout(res, 50));
      }
    }
    const users = 200;
    const tokens = await Promise.all(
      Array.from({ length: users }, (_, i) => signToken(TEST_SECRET, { sub: `shopper-${i}`, role: 'user' })),
    );
    const latencyOrders = Math.round(RATE * LATENCY_SECONDS);
    const warmup = Math.min(WARMUP, 500);
    const total = warmup + CLUSTER_ORDERS + latencyOrders;
    const lines = (n: number): [string, number][] => [
      [products[n % products.length]!, 1 + (n % 3)],
      [products[(n * 7 + 3) % products.length]!, 1],
    ];
    // Fill every cart first (shoppers fill carts over minutes; checkout is what is measured).
    const f0 = performance.now();
    await pool(0, total, CONCURRENCY, async (n) => {
      const node = nodes[n % 3]!;
      for (const [productId, quantity] of new Map(lines(n))) {
        const r = await http(node, 'PUT', `/v1/carts/c${n}/items/${productId}`, tokens[n % users]!, {
          quantity,
        });
        if (r.status !== 200) throw new Error(`cart c${n}: ${r.status} ${JSON.stringify(r.json)}`);
      }
    });
    const cartLinesPerSec = (total * 2) / ((performance.now() - f0) / 1000);

    // Confirmation files as they appear (inotify), by order id.
    await mkdir(mailDir, { recursive: true });
    const seenAt = new Map<string, number>();
    const waiters = new Map<string, () => void>();
    const seen = (name: string | null): void => {
      const m = /^(ord_[0-9a-f]{32})-confirmation\.eml$/.exec(name ?? '');
      if (m === null || seenAt.has(m[1]!)) return;
      seenAt.set(m[1]!, performance.now());
      waiters.get(m[1]!)?.();
    };
    const watcher = watch(mailDir, (_event, name) => seen(name));
    // A missed inotify event must not hang the run: reconcile with the folder once a second.
    const reconcile = setInterval(() => {
      readdir(mailDir).then(
        (names) => {
          for (const name of names) seen(name);
        },
        () => undefined,
      );
    }, 1000);
    const confirmation = (orderId: string): Promise<number> =>
      seenAt.has(orderId)
        ? Promise.resolve(seenAt.get(orderId)!)
        : new Promise<number>((resolve) =>
            waiters.set(orderId, () => {
              waiters.delete(orderId);
              resolve(seenAt.get(orderId)!);
            }),
          );
    const checkout = async (n: number): Promise<string> => {
      const r = await http(
        nodes[n % 3]!,
        'POST',
        '/v1/orders',
        tokens[n % users]!,
        { cartId: `c${n}` },
        {
          'idempotency-key': `bench-${n}`,
        },
      );
      if (r.status !== 202) throw new Error(`checkout c${n}: ${r.status} ${JSON.stringify(r.json)}`);
      return r.json.orderId as string;
    };
    const settle = async (ids: string[]): Promise<void> => {
      await Promise.all(ids.map(confirmation));
    };

    // Warm-up, not measured.
    const warmIds: string[] = [];
    await pool(0, warmup, CONCURRENCY, async (n) => {
      warmIds.push(await checkout(n));
    });
    await settle(warmIds);

    // (1) sustained: every order over HTTP, spread over the nodes; until the last .eml exists.
    const pids = [...nodes.map((n) => n.pid()), redis === undefined ? undefined : await redisPid(redis.port)];
    const cpuBefore = await Promise.all(pids.map(processCpuMs));
    const profilers = profDir === undefined ? [] : await Promise.all(inspectPorts.map(profileRemote));
    const self0 = process.cpuUsage();
    const t0 = performance.now();
    const ids: string[] = [];
    await pool(warmup, warmup + CLUSTER_ORDERS, CONCURRENCY, async (n) => {
      ids.push(await checkout(n));
    });
    const acceptedMs = performance.now() - t0;
    await settle(ids);
    const elapsed = performance.now() - t0;
    const cpuAfter = await Promise.all(pids.map(processCpuMs));
    const self = process.cpuUsage(self0);
    await Promise.all(profilers.map((p, i) => p.stop(join(profDir!, `cluster-n${i + 1}.cpuprofile`))));
    const cpuMs = cpuAfter.reduce((s, v, i) => s + v - cpuBefore[i]!, 0) + (self.user + self.system) / 1000;
    if (process.env.BENCH_DEBUG)
      console.error(
        `cluster: accepted all in ${Math.round(acceptedMs)} ms, last .eml after ${Math.round(elapsed)} ms; ` +
          `CPU ms by process (n1 n2 n3 redis): ${cpuAfter.map((v, i) => Math.round(v - cpuBefore[i]!)).join(' ')}, bench ${Math.round((self.user + self.system) / 1000)}`,
      );

    // (2) latency at RATE/s, open loop: POST sent → its .eml in the folder.
    const latencies: number[] = [];
    const inflight: Promise<void>[] = [];
    const first = warmup + CLUSTER_ORDERS;
    const l0 = performance.now();
    for (let i = 0; i < latencyOrders; i++) {
      const wait = l0 + (i * 1000) / RATE - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const sent = performance.now();
      inflight.push(
        checkout(first + i).then(async (id) => {
          await settle([id]);
          latencies.push(seenAt.get(id)! - sent);
        }),
      );
    }
    await Promise.all(inflight);
    watcher.close();
    clearInterval(reconcile);
    latencies.sort((a, b) => a - b);
    return {
      ordersPerSec: Math.round(CLUSTER_ORDERS / (elapsed / 1000)),
      cpuMsPerOrder: cpuMs / CLUSTER_ORDERS,
      p50Ms: round(percentile(latencies, 0.5)),
      p99Ms: round(percentile(latencies, 0.99)),
      cartLinesPerSec: Math.round(cartLinesPerSec),
    };
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
    await redis?.stop();
    removeTempDirs();
  }
}

async function main(): Promise<void> {
  const only = values.only as Row | undefined;
  const want = (row: Row): boolean => only === undefined || only === row;
  const result: Record<Row, Result> = { embedded: skipped, redis: skipped, cluster: skipped };
  if (profDir !== undefined) await mkdir(profDir, { recursive: true });
  if (want('embedded')) result.embedded = await runInProcess('embedded', undefined);
  if (want('redis')) {
    const redis = process.env.REDIS_URL === undefined ? await startRedis() : undefined;
    result.redis = await runInProcess('redis', process.env.REDIS_URL ?? redis!.url);
    await redis?.stop();
  }
  if (want('cluster')) result.cluster = await runCluster();
  const load = loadavg().map((l) => l.toFixed(2));
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ ...result, load, cpus: cpus().length })}\n`);
    return;
  }
  const rows = [
    [
      'row',
      'orders/s (sustained)',
      'CPU ms/order',
      `p50 ms @ ${RATE}/s`,
      `p99 ms @ ${RATE}/s`,
      'target',
      'status',
    ],
    ...(Object.entries(result) as [Row, Result][])
      .filter(([name]) => want(name))
      .map(([name, r]) => [
        name,
        String(r.ordersPerSec),
        r.cpuMsPerOrder.toFixed(3),
        String(r.p50Ms),
        String(r.p99Ms),
        `≥ ${TARGETS[name].toLocaleString('en')}/s`,
        r.ordersPerSec >= TARGETS[name] ? 'met' : 'NOT met',
      ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
  console.log(
    `\nembedded/redis: ${ORDERS} orders, ${CONCURRENCY} concurrent checkouts in-process, fsync ${values['no-sync'] ? 'off' : 'on'}; ` +
      'CPU counts this process only (Redis server excluded).\n' +
      `cluster: 3 nodes + Redis, ${CLUSTER_ORDERS} orders over HTTP round robin, ${CONCURRENCY} concurrent; ` +
      `CPU counts the 3 nodes, Redis and the load generator; carts filled beforehand at ${result.cluster.cartLinesPerSec ?? '-'} lines/s.\n` +
      `end to end = POST /v1/orders sent → accepted → processed → confirmation .eml written. Load average ${load.join(' ')} on ${cpus().length} CPUs.`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
