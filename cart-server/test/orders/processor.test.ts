import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  EmlFileSink,
  InventoryShard,
  LevelOrderLog,
  type OrderPlaced,
  OrderProcessor,
  OutboxSender,
  ProcessorStore,
} from '../../src/orders/index.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const orderEvent = (n: number, lines: [string, number][]): OrderPlaced => ({
  type: 'order.placed',
  v: 1,
  orderId: `ord_${n.toString(16).padStart(32, '0')}`,
  userId: 'u1',
  cartId: 'default',
  email: 'u1@example.com',
  createdAt: 1,
  lines: lines.map(([productId, quantity]) => ({
    productId,
    quantity,
    unitPriceMinor: 100,
    currency: 'EUR',
    title: productId,
  })),
  totalMinor: lines.reduce((s, [, q]) => s + 100 * q, 0),
  currency: 'EUR',
  cartContext: '',
});
const stockEvent = (productId: string, quantity: number, mode: 'set' | 'adjust' = 'set') =>
  JSON.stringify({
    type: 'inventory.update',
    v: 1,
    eventId: `e-${productId}-${quantity}`,
    sellerId: 's',
    productId,
    mode,
    quantity,
    at: 1,
  });

async function rig() {
  const dir = await mkdtemp(join(tmpdir(), 'cw-proc-'));
  dirs.push(dir);
  const open = async () => {
    const log = await LevelOrderLog.open({ location: join(dir, 'log'), partitions: 4, sync: false });
    const store = await ProcessorStore.open(join(dir, 'state'), { sync: false });
    const sink = await EmlFileSink.open(join(dir, 'mail'));
    const sender = new OutboxSender({ store, sink, idleMs: 20 });
    const processor = new OrderProcessor({
      log,
      store,
      blockMs: 20,
      onCheckpoint: (c) => sender.notify(c.outbox.length),
    });
    await processor.start();
    await sender.start();
    return {
      log,
      store,
      processor,
      sender,
      async close() {
        await processor.stop();
        await sender.stop();
        await log.close();
        await store.close();
      },
    };
  };
  return { dir, open };
}

describe('InventoryShard', () => {
  it('reserves all lines or none and never goes below zero', () => {
    const shard = new InventoryShard();
    shard.load('a', 3);
    shard.load('b', 1);
    expect(
      shard.reserve('o1', [
        { productId: 'a', quantity: 2 },
        { productId: 'b', quantity: 2 },
      ]),
    ).toMatchObject({
      productId: 'b',
      reason: 'INSUFFICIENT_STOCK',
      requested: 2,
      available: 1,
    });
    expect(shard.available('a')).toBe(3);
    expect(shard.reserve('o2', [{ productId: 'a', quantity: 3 }])).toBeUndefined();
    expect(shard.available('a')).toBe(0);
    expect(shard.reserve('o3', [{ productId: 'a', quantity: 1 }])?.reason).toBe('INSUFFICIENT_STOCK');
    shard.release('o2');
    expect(shard.available('a')).toBe(3);
    expect(shard.reserve('o4', [{ productId: 'zzz', quantity: 1 }])?.reason).toBe('UNKNOWN_PRODUCT');
    expect(shard.applyUpdate('a', 'adjust', -4)).toEqual({ ok: false, stock: 3 });
    expect(shard.applyUpdate('a', 'adjust', -1)).toEqual({ ok: true, stock: 2 });
  });
});

describe('OrderProcessor', () => {
  it('confirms, rejects with the failing line (compensating other partitions), and writes one confirmation', async () => {
    const r = await rig();
    const s = await r.open();
    // Products on different partitions so the reservation spans shards.
    const ids = Array.from({ length: 40 }, (_, i) => `p${i}`);
    const a = ids[0]!;
    const b = ids.find((id) => s.log.partitionFor(id) !== s.log.partitionFor(a))!;
    await s.log.append({ key: a, value: stockEvent(a, 5) });
    await s.log.append({ key: b, value: stockEvent(b, 1) });
    const ok = orderEvent(1, [
      [a, 2],
      [b, 1],
    ]);
    const bad = orderEvent(2, [
      [a, 1],
      [b, 1],
    ]);
    await s.log.append({ key: ok.orderId, value: JSON.stringify(ok), dedupeId: ok.orderId });
    await s.processor.caughtUp();
    await s.log.append({ key: bad.orderId, value: JSON.stringify(bad), dedupeId: bad.orderId });
    await s.log.append({ key: 'junk', value: '{"type":"order.placed"' });
    await s.processor.caughtUp();
    expect((await s.store.order(ok.orderId))?.status).toBe('confirmed');
    const rejected = await s.store.order(bad.orderId);
    expect(rejected?.status).toBe('rejected');
    expect(rejected?.rejection).toMatchObject({
      productId: b,
      reason: 'INSUFFICIENT_STOCK',
      requested: 1,
      available: 0,
    });
    expect(await s.store.stock(a)).toBe(3); // line a of the rejected order was compensated
    expect(await s.store.stock(b)).toBe(0);
    await s.sender.drained();
    expect(await readdir(join(r.dir, 'mail'))).toEqual([`${ok.orderId}-confirmation.eml`]);
    await s.close();
  });

  it('applies a duplicated order event once and restores its checkpoint after restart', async () => {
    const r = await rig();
    let s = await r.open();
    await s.log.append({ key: 'x', value: stockEvent('x', 10) });
    const o = orderEvent(3, [['x', 4]]);
    // Two appends without dedupe id: the processor still applies the order once.
    await s.log.append({ key: o.orderId, value: JSON.stringify(o) });
    await s.log.append({ key: o.orderId, value: JSON.stringify(o) });
    await s.processor.caughtUp();
    expect(await s.store.stock('x')).toBe(6);
    await s.close();
    s = await r.open();
    expect(s.processor.stockOf('x')).toBe(6);
    await s.log.append({ key: 'x', value: stockEvent('x', 2, 'adjust') });
    await s.processor.caughtUp();
    expect(await s.store.stock('x')).toBe(8);
    expect(await s.processor.lag()).toBe(0);
    await s.close();
  });
});

describe('EmlFileSink', () => {
  it('writes one file per idempotency key and deduplicates redelivery', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cw-eml-'));
    dirs.push(dir);
    const sink = await EmlFileSink.open(dir);
    const m = {
      key: 'ord_1-confirmation',
      orderId: 'ord_1',
      to: 'a@b.c\r\nBcc: x@y.z',
      subject: 's',
      text: 't',
      createdAt: 0,
    };
    const results = await Promise.all([sink.deliver(m), sink.deliver(m)]);
    expect(results).toContain('sent');
    expect(await sink.deliver(m)).toBe('deduplicated');
    expect(await readdir(dir)).toEqual(['ord_1-confirmation.eml']);
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(join(dir, 'ord_1-confirmation.eml'), 'utf8');
    expect(text).toContain('To: a@b.c Bcc: x@y.z\r\n');
    expect(text).not.toMatch(/^Bcc:/m);
  });
});
