/**
 * Checkout on a real node started as `npm start` starts one (embedded defaults: demo catalog,
 * LevelDB log and state, no Redis): inventory comes from the catalog's stock, so the first order
 * of a fresh node is confirmed and writes one confirmation; the lines leave the cart with the
 * confirmation; a rejected order leaves the cart as it was.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createServer,
  removeTempDirs,
  type ServerProcess,
  token,
  waitFor,
} from '../support/server-process.js';

let node: ServerProcess;

beforeAll(async () => {
  node = await createServer({ args: ['--fsync', 'never'] });
  await node.start();
}, 120_000);

afterAll(async () => {
  await node?.stop();
  removeTempDirs();
});

interface ProductDoc {
  id: string;
  title: string;
  priceMinor: number;
  availability: { status: string; stock: number };
}
interface OrderDoc {
  status: string;
  rejection?: { reason: string; productId: string; title: string; message: string };
  lines: { productId: string; title: string }[];
}
interface CartDoc {
  lines: { productId: string; quantity: number }[];
}

/** The `skip`-th demo product with at least two in stock (full document). */
async function productInStock(client: ReturnType<typeof api>, skip: number): Promise<ProductDoc> {
  const items = (
    (await client('GET', '/v1/search?limit=100')).json as { items: { id: string; availability: string }[] }
  ).items;
  const docs: ProductDoc[] = [];
  for (const item of items.filter((i) => i.availability === 'in_stock')) {
    const doc = (await client('GET', `/v1/products/${item.id}`)).json as ProductDoc;
    if (doc.availability.stock >= 2) docs.push(doc);
    if (docs.length > skip) return doc;
  }
  throw new Error('the demo catalog has no product in stock');
}

const mailDir = () => join(node.dataDir, 'outbox-mail');

describe('orders on a fresh embedded node', () => {
  it('confirms the first order of a demo product, writes one .eml, then empties the cart', async () => {
    const shopper = api(node.url, await token('fresh-shopper'));
    const product = await productInStock(shopper, 0);
    const added = await shopper('POST', '/v1/carts/default/items', {
      productId: product!.id,
      quantity: 1,
      meta: { title: product!.title, priceMinor: product!.priceMinor },
    });
    expect(added.status).toBe(200);
    // Inventory is seeded from the catalog in the background: the first checkout may race it, so
    // the test waits for the seller's view of the stock first (what a shopper never needs to do
    // after the node has been up a moment).
    const seller = api(node.url, await token('seller-1', { role: 'seller' }));
    await waitFor(async () => {
      const r = await seller('GET', `/v1/inventory/${product!.id}`);
      return (r.json as { known: boolean }).known ? true : undefined;
    }, 'inventory seeded from the catalog');
    const placed = await shopper('POST', '/v1/orders', {}, { 'idempotency-key': 'first-order' });
    expect(placed.status).toBe(202);
    const { orderId, links } = placed.json as { orderId: string; links: { self: string } };
    expect(placed.headers.get('location')).toBe(links.self);
    const order = await waitFor(async () => {
      const r = await shopper('GET', links.self);
      const doc = r.json as OrderDoc;
      return doc.status === 'pending' ? undefined : doc;
    }, 'the order decided');
    expect(order.status).toBe('confirmed');
    const stock = await seller('GET', `/v1/inventory/${product!.id}`);
    expect((stock.json as { available: number }).available).toBe(product!.availability.stock - 1);
    const files = await waitFor(async () => {
      const names = (await readdir(mailDir()).catch(() => [] as string[])).filter((n) => n.endsWith('.eml'));
      return names.length > 0 ? names : undefined;
    }, 'the confirmation e-mail');
    expect(files).toEqual([`${orderId}-confirmation.eml`]);
    expect(await readFile(join(mailDir(), files[0]!), 'utf8')).toContain(product!.title);
    await waitFor(async () => {
      const cart = (await shopper('GET', '/v1/carts/default')).json as CartDoc;
      return cart.lines.length === 0 ? true : undefined;
    }, 'the bought line removed from the cart');
  });

  it('rejects an order the stock cannot cover, naming the product, and leaves the cart as it was', async () => {
    const shopper = api(node.url, await token('unlucky-shopper'));
    const product = await productInStock(shopper, 1);
    const seller = api(node.url, await token('seller-1', { role: 'seller' }));
    await waitFor(async () => {
      const r = await seller('GET', `/v1/inventory/${product.id}`);
      return (r.json as { known: boolean }).known ? true : undefined;
    }, 'inventory seeded');
    const available = ((await seller('GET', `/v1/inventory/${product.id}`)).json as { available: number })
      .available;
    await shopper('POST', '/v1/carts/default/items', { productId: product.id, quantity: available + 1 });
    const placed = await shopper('POST', '/v1/orders', {}, { 'idempotency-key': 'too-many' });
    expect(placed.status).toBe(202);
    const order = await waitFor(async () => {
      const doc = (await shopper('GET', (placed.json as { links: { self: string } }).links.self))
        .json as OrderDoc;
      return doc.status === 'pending' ? undefined : doc;
    }, 'the order decided');
    expect(order.status).toBe('rejected');
    expect(order.rejection).toMatchObject({
      reason: 'INSUFFICIENT_STOCK',
      productId: product.id,
      title: product.title,
    });
    expect(order.rejection!.message).toContain(product.title);
    const cart = (await shopper('GET', '/v1/carts/default')).json as CartDoc;
    expect(cart.lines.map((l) => [l.productId, l.quantity])).toEqual([[product.id, available + 1]]);
    // The same lines again, with another key, while the first order is rejected: accepted again.
    const retry = await shopper('POST', '/v1/orders', {}, { 'idempotency-key': 'too-many-2' });
    expect(retry.status).toBe(202);
  });

  it('answers order routes with the app auth rules', async () => {
    const anon = api(node.url);
    expect((await anon('POST', '/v1/orders', {}, { 'idempotency-key': 'x' })).status).toBe(401);
    const badSub = api(node.url, await token('bob/main').catch(() => 'x.y.z'));
    expect((await badSub('GET', '/v1/orders/ord_00000000000000000000000000000000')).status).toBe(401);
    const user = api(node.url, await token('plain-user'));
    const inv = await user('POST', '/v1/inventory', { productId: 'p-0000001', quantity: 1 });
    expect(inv.status).toBe(403);
  });
});
