/**
 * A cart holds only catalog products (issue 15): every cart path — HTTP add and set-quantity,
 * HTTP delta merge, WebSocket delta sync — refuses a line for an unknown product id with 404
 * PRODUCT_NOT_FOUND naming it, on a single node and in a cluster. The catalog is a fake
 * `KnownProducts` wired the way the platform wires the real one (`carts.useKnownProducts`);
 * a node without one (`--platform off`) accepts any id.
 */
import { Cart, decodeContext, encodeCartDelta, encodeContext } from '@cartwheel/crdt';
import { afterAll, describe, expect, it } from 'vitest';
import { catalogKnownProducts, knownProductsFrom } from '../src/carts/known-products.js';
import { type CartServerNode, loadConfig, startCartServer } from '../src/index.js';
import { freePort } from './support/redis.js';
import { api, removeTempDirs, TEST_SECRET, tempDataDir, token, waitFor } from './support/server-process.js';
import { registerDevice, SyncPeer } from './support/sync-peer.js';

const CATALOG = new Set(['p-0000001', 'p-0000002']);
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
let lookups = 0;
const catalog = knownProductsFrom(async (id) => {
  lookups++;
  return CATALOG.has(id);
});

async function startNode(id: string, port: number, peers: Array<[string, number]>, withCatalog: boolean) {
  const argv = ['--host', '127.0.0.1', '--port', String(port), '--node-id', id, '--data-dir', tempDataDir()];
  argv.push('--log-level', 'warn', '--platform', 'off', '--request-timeout-ms', '5000');
  if (peers.length > 0) argv.push('--peers', peers.map(([p, q]) => `${p}=http://127.0.0.1:${q}`).join(','));
  return startCartServer(loadConfig({ argv, env: { JWT_SECRET: TEST_SECRET } }), {
    mounts: (ctx) => {
      if (withCatalog) ctx.carts.useKnownProducts(catalog);
      return [];
    },
  });
}

/** Every cart path of one node refuses `unknown` and accepts a catalog product. */
async function everyPathRefuses(url: string, user: string): Promise<void> {
  const userApi = api(url, await token(user));
  const add = await userApi('POST', '/v1/carts/main/items', { productId: 'sku-unknown', quantity: 1 });
  expect(add.status).toBe(404);
  expect(add.json).toMatchObject({
    error: { code: 'PRODUCT_NOT_FOUND', details: { productIds: ['sku-unknown'] } },
  });
  expect((add.json as { error: { message: string } }).error.message).toContain('sku-unknown');
  const set = await userApi('PUT', '/v1/carts/main/items/sku-unknown', { quantity: 3 });
  expect(set.status).toBe(404);
  expect(set.json).toMatchObject({ error: { code: 'PRODUCT_NOT_FOUND' } });
  const ok = await userApi('POST', '/v1/carts/main/items', { productId: 'p-0000001', quantity: 2 });
  expect(ok.status).toBe(200);
  expect((await userApi('PUT', '/v1/carts/main/items/p-0000001', { quantity: 3 })).status).toBe(200);

  // A device delta bringing an unknown product in, over HTTP merge and over WebSocket sync.
  const device = await registerDevice(url, await token(user));
  const deviceApi = api(url, device.token);
  const cart = Cart.create({ actor: device.actor });
  const bad = cart.add('sku-other', 1, { title: 'Espresso beans', priceMinor: 900 });
  const merge = await deviceApi('POST', '/v1/carts/main/merge', { delta: b64(encodeCartDelta(bad)) });
  expect(merge.status).toBe(404);
  expect(merge.json).toMatchObject({
    error: { code: 'PRODUCT_NOT_FOUND', details: { productIds: ['sku-other'] } },
  });

  const peer = await SyncPeer.open(url, device.token);
  try {
    peer.send({ t: 'hello', cartId: 'main', context: b64(encodeContext(Cart.create().context())) });
    const welcome = await peer.next((f) => f.t === 'welcome');
    const serverContext = decodeContext(new Uint8Array(Buffer.from(welcome.context as string, 'base64')));
    peer.send({ t: 'delta', cartId: 'main', seq: 1, delta: b64(encodeCartDelta(bad)) });
    const refused = await peer.next((f) => f.t === 'error');
    expect(refused).toMatchObject({ code: 'PRODUCT_NOT_FOUND', seq: 1, productIds: ['sku-other'] });
    // what the sync client does next: drop the refused line, add a catalog product, and send
    // what the server lacks — acknowledged on the same socket
    cart.remove('sku-other');
    cart.add('p-0000002', 1);
    peer.send({
      t: 'delta',
      cartId: 'main',
      seq: 2,
      delta: b64(encodeCartDelta(cart.deltaSince(serverContext))),
    });
    expect(await peer.next((f) => f.t === 'ack' || f.t === 'error')).toEqual({ t: 'ack', seq: 2 });
  } finally {
    peer.close();
  }
  const read = await userApi('GET', '/v1/carts/main');
  const ids = (read.json as { lines: { productId: string }[] }).lines.map((l) => l.productId);
  expect(ids.sort()).toEqual(['p-0000001', 'p-0000002']);
}

describe('unknown product ids', () => {
  const nodes: CartServerNode[] = [];
  afterAll(async () => {
    for (const n of nodes) await n.close();
    removeTempDirs();
  });

  it('are refused with 404 PRODUCT_NOT_FOUND on every cart path of a single node', async () => {
    const node = await startNode('n1', await freePort(), [], true);
    nodes.push(node);
    await everyPathRefuses(node.url, 'alice');
  });

  it('are refused on every cart path of every node of a 3-node cluster', async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    const ids = ['c1', 'c2', 'c3'];
    const cluster = await Promise.all(
      ids.map((id, i) =>
        startNode(
          id,
          ports[i]!,
          ids.flatMap((p, j) => (j === i ? [] : [[p, ports[j]!] as [string, number]])),
          true,
        ),
      ),
    );
    nodes.push(...cluster);
    await waitFor(async () => {
      for (const n of cluster) {
        const s = (await api(n.url)('GET', '/v1/cluster/status')).json as { members: { up: boolean }[] };
        if (!s.members.every((m) => m.up)) return undefined;
      }
      return true;
    }, 'cluster membership up');
    for (const [i, n] of cluster.entries()) await everyPathRefuses(n.url, `bob-${i}`);
  }, 60_000);

  it('are accepted by a node without a catalog (--platform off: carts only)', async () => {
    const node = await startNode('n9', await freePort(), [], false);
    nodes.push(node);
    const userApi = api(node.url, await token('carol'));
    expect((await userApi('POST', '/v1/carts/main/items', { productId: 'sku-unknown' })).status).toBe(200);
  });

  it('positive answers are cached, negative ones are asked again', async () => {
    let asked = 0;
    let t = 0;
    const known = knownProductsFrom(
      async (id) => {
        asked++;
        return id.startsWith('p-');
      },
      { ttlMs: 1_000, now: () => t },
    );
    expect(await known(['p-1', 'x', 'p-1'])).toEqual(new Set(['p-1']));
    expect(asked).toBe(2);
    expect(await known(['p-1', 'x'])).toEqual(new Set(['p-1']));
    expect(asked).toBe(3); // only x again
    t = 1_001; // expired
    await known(['p-1']);
    expect(asked).toBe(4);
    expect(lookups).toBeGreaterThan(0);
  });

  it('over a catalog: a malformed id is unknown, a catalog outage is an error, not an answer', async () => {
    const known = catalogKnownProducts(async (id) => {
      if (id === 'down') throw Object.assign(new Error('catalog down'), { code: 'STORAGE_UNAVAILABLE' });
      if (!id.startsWith('p-'))
        throw Object.assign(new Error('invalid product id'), { code: 'INVALID_PRODUCT' });
      return id === 'p-1' ? { id } : undefined;
    });
    expect(await known(['p-1', 'p-2', 'sku.1'])).toEqual(new Set(['p-1']));
    await expect(known(['down'])).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
  });
});
