/**
 * bench:sync — catch-up after reconnect. For a cart of 1,000 lines, device A goes offline,
 * makes 10 / 100 / 1,000 changes, and reconnects; we measure the bytes A sends (hello + deltas)
 * and the time until A is acknowledged and device B shows the same cart, against the size of a
 * frame carrying the full state.
 *
 *   npm run bench:sync [-- --json] [-- --peer | --url http://127.0.0.1:8080]
 *
 * It also reports the library bundle (SyncClient + the IndexedDB store, esbuild minified, gzip -9,
 * no shims or polyfills: what an app bundling the packages pays) against its 30,000-byte budget.
 *
 * By default it spawns a real cart-server process (one node, LevelDB in a temp dir, fsync
 * always, carts only: `--platform off`, so its synthetic product ids need no catalog) with
 * `--max-lines-per-cart 5000` (the default cap is 500 lines). `--peer` uses the
 * in-process protocol peer instead (no storage, no quorum: the protocol's own cost); `--url` an
 * already running server (start it with a cap ≥ 1,000 lines; tokens use JWT_SECRET or the dev
 * secret).
 */
import { encodeCart, encodeClientFrame } from '@cartwheel/crdt';
import { WebSocket } from 'ws';
import { BUNDLE_BUDGET_GZIP_BYTES, measureClientBundle } from '../scripts/bundle.js';
import { signDevToken } from '../scripts/dev-token.js';
import { createMemoryReplicaStore, type SocketLike, SyncClient } from '../src/index.js';
import { startCartServer } from '../test/support/cart-server-process.js';
import { startSyncPeer } from '../test/support/sync-peer.js';

const LINES = 1000;
const OPS = [10, 100, 1000];

interface Case {
  lines: number;
  offlineOps: number;
  deltaBytes: number;
  fullStateBytes: number;
  convergeMs: number;
}

function rng(seed: number): () => number {
  // mulberry32: small, seedable, good enough for a workload mix
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function waitUntil(cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() - start > timeoutMs) return reject(new Error('bench: timed out'));
      setTimeout(tick, 1);
    };
    tick();
  });
}

const key = (c: SyncClient) =>
  c
    .lines()
    .map((l) => `${l.productId}:${l.quantity}`)
    .join(',');

async function runCase(
  url: string,
  userToken: (u: string) => string,
  offlineOps: number,
  seed: number,
): Promise<Case> {
  const user = `bench-${Date.now().toString(36)}-${offlineOps}`;
  let sentBytes = 0;
  const counting = (u: string): SocketLike => {
    const socket = new WebSocket(u) as unknown as SocketLike;
    const send = socket.send.bind(socket);
    socket.send = (data: string) => {
      sentBytes += data.length;
      send(data);
    };
    return socket;
  };
  const common = { url, cartId: 'bench', tabs: 'off' as const, getUserToken: () => userToken(user) };
  const a = new SyncClient({ ...common, store: createMemoryReplicaStore(), createSocket: counting });
  await a.ready;
  for (let i = 0; i < LINES; i++)
    void a.add(`sku-${String(i).padStart(5, '0')}`, 1 + (i % 3), { priceMinor: 100 + i, currency: 'EUR' });
  await a.whenSynced(60_000);
  const b = new SyncClient({
    ...common,
    store: createMemoryReplicaStore(),
    createSocket: (u) => new WebSocket(u) as unknown as SocketLike,
  });
  await b.ready;
  await waitUntil(() => b.lines().length === LINES && b.status === 'online');

  a.disconnect();
  await waitUntil(() => a.status === 'offline');
  const random = rng(seed);
  const ops: Promise<void>[] = [];
  for (let i = 0; i < offlineOps; i++) {
    const sku = `sku-${String(Math.floor(random() * LINES)).padStart(5, '0')}`;
    const r = random();
    if (r < 0.6) ops.push(a.add(sku, 1));
    else if (r < 0.8) ops.push(a.setQuantity(sku, 1 + Math.floor(random() * 9)));
    else if (r < 0.9) ops.push(a.remove(sku));
    else ops.push(a.add(`new-${i}`, 1));
  }
  await Promise.all(ops);
  const fullStateBytes = encodeClientFrame({
    t: 'delta',
    cartId: 'bench',
    seq: 1,
    delta: encodeCart(a.state()),
  }).length;

  sentBytes = 0;
  const start = performance.now();
  a.connect();
  const target = key(a);
  await waitUntil(() => a.status === 'online' && a.pendingCount === 0 && key(b) === target);
  const convergeMs = performance.now() - start;
  await Promise.all([a.close(), b.close()]);
  return {
    lines: LINES,
    offlineOps,
    deltaBytes: sentBytes,
    fullStateBytes,
    convergeMs: Math.round(convergeMs * 10) / 10,
  };
}

const args = process.argv.slice(2);
const urlArg = args.indexOf('--url');
const external = urlArg >= 0 ? args[urlArg + 1] : undefined;
const usePeer = args.includes('--peer');
const peer = usePeer ? await startSyncPeer() : undefined;
const server =
  !usePeer && external === undefined
    ? await startCartServer({ args: ['--max-lines-per-cart', '5000', '--platform', 'off'] })
    : undefined;
const url = external ?? peer?.url ?? server!.url;
const token =
  peer !== undefined
    ? (u: string) => `user:${u}`
    : server !== undefined
      ? (u: string) => server.userToken(u)
      : (u: string) => signDevToken(u);
const serverName =
  external ?? (peer !== undefined ? 'in-process protocol peer' : 'cart-server process (1 node, LevelDB)');

const cases: Case[] = [];
try {
  await runCase(url, token, 10, 7); // warm-up (JIT, server caches), not reported
  for (const [i, n] of OPS.entries()) cases.push(await runCase(url, token, n, 42 + i));
} finally {
  await peer?.stop();
  await server?.dispose();
}

const { entry: _entry, inputs: _inputs, ...size } = await measureClientBundle();
const bundle = { ...size, budgetGzipBytes: BUNDLE_BUDGET_GZIP_BYTES };

if (args.includes('--json')) {
  console.log(JSON.stringify({ cases, bundle }));
} else {
  console.log(
    `bundle (SyncClient + createBrowserReplicaStore, no shims): ${bundle.minifiedBytes} B minified, ${bundle.gzipBytes} B gzip (budget ${bundle.budgetGzipBytes})`,
  );
  console.log(`server: ${serverName}`);
  console.log('lines  offlineOps  deltaBytes  fullStateBytes  delta/full  convergeMs');
  for (const c of cases) {
    console.log(
      `${String(c.lines).padStart(5)}  ${String(c.offlineOps).padStart(10)}  ${String(c.deltaBytes).padStart(10)}  ${String(c.fullStateBytes).padStart(14)}  ${`${((100 * c.deltaBytes) / c.fullStateBytes).toFixed(1)}%`.padStart(10)}  ${String(c.convergeMs).padStart(10)}`,
    );
  }
}
