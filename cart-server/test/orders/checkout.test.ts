import fc from 'fast-check';
import { sign } from 'hono/jwt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_STOCK } from '../../src/orders/index.js';
import { type RedisProcess, startRedis } from '../support/redis.js';
import { eventually, openTestOrders, SECRET, type TestOrders } from './harness.js';

const inAnHour = (): number => Math.floor(Date.now() / 1000) + 3600;

let redis: RedisProcess;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

async function stock(t: TestOrders, productId: string, quantity: number): Promise<void> {
  const seller = await t.token('seller-1', 'seller');
  const res = await t.request('POST', '/v1/inventory', { token: seller, body: { productId, quantity } });
  expect(res.status).toBe(202);
  await t.system.processor.caughtUp();
}

for (const backend of ['level', 'redis'] as const) {
  describe(`checkout over the ${backend} log`, () => {
    let t: TestOrders;
    beforeAll(async () => {
      t = await openTestOrders(backend === 'redis' ? { redisUrl: redis.url } : {});
    });
    afterAll(async () => {
      await t.close();
    });

    it('places an order: 202, pending then confirmed, stock decremented, purchased lines removed', async () => {
      t.catalog.put({ id: 'mug', priceMinor: 1299, title: 'Mug' });
      t.catalog.put({ id: 'tea', priceMinor: 450, title: 'Tea' });
      await stock(t, 'mug', 10);
      await stock(t, 'tea', 10);
      t.cart.add('alice', 'default', 'mug', 2, { priceMinor: 1299 });
      t.cart.add('alice', 'default', 'tea', 1);
      const token = await t.token('alice');
      const res = await t.request('POST', '/v1/orders', { token, headers: { 'idempotency-key': 'k-1' } });
      expect(res.status).toBe(202);
      const orderId = t.system.checkout.orderIdFor('alice', 'k-1');
      expect(res.json).toMatchObject({
        orderId,
        status: 'pending',
        links: { self: `/v1/orders/${orderId}` },
      });
      const order = await eventually(async () => {
        const r = await t.request('GET', `/v1/orders/${res.json.orderId}`, { token });
        return r.json.status === 'confirmed' ? r.json : undefined;
      });
      // The lines leave the cart with the confirmation (through the outbox), not before.
      await eventually(async () => (t.cart.lines('alice', 'default').length === 0 ? true : undefined));
      expect(order).toMatchObject({ totalMinor: 2 * 1299 + 450, currency: 'EUR' });
      expect(await t.system.inventory.stock('mug')).toBe(8);
      expect(await t.system.inventory.stock('tea')).toBe(9);
      // Another user cannot see it.
      const other = await t.request('GET', `/v1/orders/${res.json.orderId}`, {
        token: await t.token('mallory'),
      });
      expect(other.status).toBe(404);
      expect(other.json).toEqual({ error: { code: 'ORDER_NOT_FOUND', message: expect.any(String) } });
    });

    it('replays a checkout (sequentially and concurrently) without a second order', async () => {
      t.catalog.put({ id: 'pen', priceMinor: 100 });
      await stock(t, 'pen', 100);
      t.cart.add('bob', 'default', 'pen', 1);
      const token = await t.token('bob');
      const removalsBefore = t.cart.removals;
      const concurrent = await Promise.all(
        Array.from({ length: 8 }, () =>
          t.request('POST', '/v1/orders', { token, headers: { 'idempotency-key': 'same' } }),
        ),
      );
      expect(new Set(concurrent.map((r) => r.json.orderId)).size).toBe(1);
      expect(concurrent.every((r) => r.status === 202)).toBe(true);
      // The cart gets a new add after the order: the replay must not remove it.
      t.cart.add('bob', 'default', 'pen', 3);
      const replay = await t.request('POST', '/v1/orders', { token, headers: { 'idempotency-key': 'same' } });
      expect(replay.status).toBe(202);
      expect(replay.json).toMatchObject({ orderId: concurrent[0]!.json.orderId, replayed: true });
      const records = (
        await Promise.all(
          Array.from({ length: t.system.log.partitions }, (_, p) => t.system.log.read(p, 0, 10_000)),
        )
      ).flat();
      const placedRecords = records.filter(
        (r) => r.value.includes('"order.placed"') && r.dedupeId === replay.json.orderId,
      );
      expect(placedRecords).toHaveLength(1);
      // Popularity hears of the order once, with its lines, however often it was replayed.
      const reported = t.placed.filter((o) => o.orderId === concurrent[0]!.json.orderId);
      expect(reported.map((o) => o.lines.map((l) => [l.productId, l.quantity]))).toEqual([[['pen', 1]]]);
      await t.system.processor.caughtUp();
      await t.system.sender.drained();
      expect(t.cart.lines('bob', 'default').map((l) => [l.productId, l.quantity])).toEqual([['pen', 3]]);
      expect(t.cart.removals - removalsBefore).toBeGreaterThanOrEqual(1);
      expect(await t.system.inventory.stock('pen')).toBe(99);
      // Same key, another cart: a conflict, not a new order.
      const conflict = await t.request('POST', '/v1/orders', {
        token,
        headers: { 'idempotency-key': 'same' },
        body: { cartId: 'other' },
      });
      expect(conflict.status).toBe(409);
      expect((conflict.json.error as { code: string }).code).toBe('IDEMPOTENCY_CONFLICT');
    });

    it('lets exactly one of many concurrent orders take the last unit', async () => {
      t.catalog.put({ id: 'last', priceMinor: 5000 });
      await stock(t, 'last', 1);
      const buyers = Array.from({ length: 20 }, (_, i) => `buyer-${i}`);
      for (const b of buyers) t.cart.add(b, 'default', 'last', 1);
      const placed = await Promise.all(
        buyers.map(async (b) =>
          t.request('POST', '/v1/orders', {
            token: await t.token(b),
            headers: { 'idempotency-key': `buy-${b}` },
          }),
        ),
      );
      expect(placed.every((r) => r.status === 202)).toBe(true);
      await t.system.processor.caughtUp();
      const views = await Promise.all(placed.map((r) => t.system.query.get(String(r.json.orderId))));
      expect(views.filter((v) => v?.status === 'confirmed')).toHaveLength(1);
      const rejected = views.filter((v) => v?.status === 'rejected');
      expect(rejected).toHaveLength(19);
      expect(rejected[0]?.rejection).toMatchObject({
        productId: 'last',
        reason: 'INSUFFICIENT_STOCK',
        available: 0,
      });
      expect(await t.system.inventory.stock('last')).toBe(0);
    });

    it("buys a cart's lines once: 8 concurrent checkouts with distinct keys, one order, stock drops once", async () => {
      t.catalog.put({ id: 'lamp', priceMinor: 2500, title: 'Desk lamp' });
      await stock(t, 'lamp', 10);
      t.cart.add('dora', 'default', 'lamp', 2);
      const token = await t.token('dora');
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          t.request('POST', '/v1/orders', { token, headers: { 'idempotency-key': `dbl-${i}` } }),
        ),
      );
      const won = answers.filter((r) => r.status === 202);
      expect(won).toHaveLength(1);
      const lost = answers.filter((r) => r.status !== 202);
      expect(lost.map((r) => [r.status, (r.json.error as { code: string }).code])).toEqual(
        Array.from({ length: 7 }, () => [409, 'CART_ALREADY_ORDERED']),
      );
      for (const r of lost)
        expect(r.json.error).toMatchObject({ details: { orderId: won[0]!.json.orderId } });
      await t.system.processor.caughtUp();
      await t.system.sender.drained();
      expect(await t.system.inventory.stock('lamp')).toBe(8);
      // Bought and removed; a later add is a new intent and can be bought.
      expect(t.cart.lines('dora', 'default')).toEqual([]);
      t.cart.add('dora', 'default', 'lamp', 1);
      const again = await t.request('POST', '/v1/orders', {
        token,
        headers: { 'idempotency-key': 'dbl-again' },
      });
      expect(again.status).toBe(202);
    });

    it("leaves a rejected order's lines in the cart, and lets the shopper buy them once stock is back", async () => {
      t.catalog.put({ id: 'rare', priceMinor: 9900, title: 'Rare print' });
      t.catalog.put({ id: 'common', priceMinor: 100, title: 'Postcard' });
      await stock(t, 'rare', 1);
      await stock(t, 'common', 50);
      t.cart.add('eve', 'default', 'rare', 2);
      t.cart.add('eve', 'default', 'common', 3);
      const token = await t.token('eve');
      const first = await t.request('POST', '/v1/orders', { token, headers: { 'idempotency-key': 'r-1' } });
      expect(first.status).toBe(202);
      const rejected = await eventually(async () => {
        const r = await t.request('GET', `/v1/orders/${first.json.orderId}`, { token });
        return r.json.status === 'rejected' ? r.json : undefined;
      });
      expect(rejected.rejection).toMatchObject({
        productId: 'rare',
        title: 'Rare print',
        reason: 'INSUFFICIENT_STOCK',
        requested: 2,
        available: 1,
      });
      expect(String((rejected.rejection as { message: string }).message)).toContain('Rare print');
      await t.system.processor.caughtUp();
      await t.system.sender.drained();
      // Nothing left the cart and every reservation was given back.
      expect(t.cart.lines('eve', 'default').map((l) => [l.productId, l.quantity])).toEqual([
        ['common', 3],
        ['rare', 2],
      ]);
      expect(await t.system.inventory.stock('rare')).toBe(1);
      expect(await t.system.inventory.stock('common')).toBe(50);
      // Restocked: the same lines can be bought with a new key (the rejected order's claims go).
      await stock(t, 'rare', 5);
      const second = await t.request('POST', '/v1/orders', { token, headers: { 'idempotency-key': 'r-2' } });
      expect(second.status).toBe(202);
      await eventually(async () => {
        const r = await t.request('GET', `/v1/orders/${second.json.orderId}`, { token });
        return r.json.status === 'confirmed' ? true : undefined;
      });
      await t.system.processor.caughtUp();
      expect(await t.system.inventory.stock('rare')).toBe(3);
      expect(await t.system.inventory.stock('common')).toBe(47);
    });

    it('keeps stock within 0..MAX_STOCK: adjustments past the bound are refused', async () => {
      t.catalog.put({ id: 'bulk', priceMinor: 1 });
      const seller = await t.token('s', 'seller');
      const post = (body: unknown) => t.request('POST', '/v1/inventory', { token: seller, body });
      const code = (r: { json: Record<string, unknown> }) =>
        (r.json.error as { code: string } | undefined)?.code;
      expect((await post({ productId: 'bulk', quantity: MAX_STOCK })).status).toBe(202);
      await t.system.processor.caughtUp();
      // Refused at once when the checkpointed level already rules it out (1e9, then +1e9 twice).
      for (let i = 0; i < 2; i++) {
        const r = await post({ productId: 'bulk', mode: 'adjust', quantity: MAX_STOCK });
        expect([r.status, code(r)]).toEqual([409, 'STOCK_OUT_OF_RANGE']);
      }
      // Racing adjustments that each pass the check: the partition applies them in order and
      // refuses the one that would cross the bound.
      await post({ productId: 'bulk', mode: 'set', quantity: MAX_STOCK - 10 });
      await t.system.processor.caughtUp();
      const racing = await Promise.all([
        post({ productId: 'bulk', mode: 'adjust', quantity: 8 }),
        post({ productId: 'bulk', mode: 'adjust', quantity: 8 }),
      ]);
      expect(racing.map((r) => r.status)).toEqual([202, 202]);
      await t.system.processor.caughtUp();
      expect(await t.system.inventory.stock('bulk')).toBe(MAX_STOCK - 2);
      const below = await post({ productId: 'bulk', mode: 'adjust', quantity: -MAX_STOCK });
      expect([below.status, code(below)]).toEqual([409, 'STOCK_OUT_OF_RANGE']);
      expect(await t.system.inventory.stock('bulk')).toBe(MAX_STOCK - 2);
    });

    it('refuses a cart too large to record with 413, instead of a 503 or an order stuck pending', async () => {
      t.catalog.put({ id: 'confetti', priceMinor: 1 });
      await stock(t, 'confetti', 100_000);
      // 3,000 adds of one line: 3,000 dots to claim and a causal context past the event's bound.
      for (let i = 0; i < 3000; i++) t.cart.add('frank', 'default', 'confetti', 1);
      const token = await t.token('frank');
      const r = await t.request('POST', '/v1/orders', { token, headers: { 'idempotency-key': 'big' } });
      expect([r.status, (r.json.error as { code: string }).code]).toEqual([413, 'ORDER_TOO_LARGE']);
      expect(await t.system.query.get(t.system.checkout.orderIdFor('frank', 'big'))).toBeUndefined();
    });

    it('refuses malformed and impossible orders with typed 4xx errors', async () => {
      t.catalog.put({ id: 'cheap', priceMinor: 200 });
      t.catalog.put({ id: 'gone', available: false });
      const token = await t.token('carol');
      const code = (r: { json: Record<string, unknown> }) =>
        (r.json.error as { code: string } | undefined)?.code;
      const post = (opts: Parameters<TestOrders['request']>[2]) => t.request('POST', '/v1/orders', opts);
      expect(code(await post({}))).toBe('UNAUTHORIZED');
      expect((await post({ token: 'not-a-jwt' })).status).toBe(401);
      let r = await post({ token });
      expect([r.status, code(r)]).toEqual([400, 'IDEMPOTENCY_KEY_INVALID']);
      r = await post({ token, headers: { 'idempotency-key': 'bad key with spaces' } });
      expect([r.status, code(r)]).toEqual([400, 'IDEMPOTENCY_KEY_INVALID']);
      r = await post({ token, headers: { 'idempotency-key': 'k' }, raw: '{"cartId":' });
      expect([r.status, code(r)]).toEqual([400, 'INVALID_JSON']);
      r = await post({ token, headers: { 'idempotency-key': 'k' }, body: { cartId: 42 } });
      expect([r.status, code(r)]).toEqual([400, 'VALIDATION_FAILED']);
      r = await post({ token, headers: { 'idempotency-key': 'k' }, body: { surprise: true } });
      expect([r.status, code(r)]).toEqual([400, 'VALIDATION_FAILED']);
      r = await post({
        token,
        headers: { 'idempotency-key': 'k' },
        raw: JSON.stringify({ x: 'y'.repeat(40_000) }),
      });
      expect([r.status, code(r)]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
      r = await post({ token, headers: { 'idempotency-key': 'k' } });
      expect([r.status, code(r)]).toEqual([422, 'EMPTY_CART']);
      t.cart.add('carol', 'c2', 'nope', 1);
      r = await post({ token, headers: { 'idempotency-key': 'k2' }, body: { cartId: 'c2' } });
      expect([r.status, code(r)]).toEqual([404, 'PRODUCT_NOT_FOUND']);
      t.cart.add('carol', 'c3', 'gone', 1);
      r = await post({ token, headers: { 'idempotency-key': 'k3' }, body: { cartId: 'c3' } });
      expect([r.status, code(r)]).toEqual([409, 'OUT_OF_STOCK']);
      t.cart.add('carol', 'c4', 'cheap', 1, { priceMinor: 150 });
      r = await post({ token, headers: { 'idempotency-key': 'k4' }, body: { cartId: 'c4' } });
      expect([r.status, code(r)]).toEqual([409, 'PRICE_CHANGED']);
      expect(t.cart.lines('carol', 'c4')).toHaveLength(1); // nothing removed on refusal
      r = await post({
        token,
        headers: { 'idempotency-key': 'k4' },
        body: { cartId: 'c4', acceptPriceChanges: true },
      });
      expect(r.status).toBe(202);
      // Inventory: sellers only, validated.
      r = await t.request('POST', '/v1/inventory', { token, body: { productId: 'cheap', quantity: 1 } });
      expect([r.status, code(r)]).toEqual([403, 'ROLE_REQUIRED']);
      const seller = await t.token('s', 'seller');
      r = await t.request('POST', '/v1/inventory', {
        token: seller,
        body: { productId: 'cheap', quantity: -1 },
      });
      expect([r.status, code(r)]).toEqual([400, 'VALIDATION_FAILED']);
      r = await t.request('POST', '/v1/inventory', {
        token: seller,
        body: { productId: 'unknown', quantity: 1 },
      });
      expect([r.status, code(r)]).toEqual([404, 'PRODUCT_NOT_FOUND']);
      r = await t.request('GET', '/v1/orders/ord_nope', { token });
      expect([r.status, code(r)]).toEqual([404, 'ORDER_NOT_FOUND']);
      r = await t.request('GET', `/v1/orders/ord_fff${'0'.repeat(29)}`, { token });
      expect([r.status, code(r)]).toEqual([404, 'ORDER_NOT_FOUND']);
      // The app's claim validation: a subject with '/' or an unknown role is refused.
      for (const bad of [
        await sign({ sub: 'bob/main', exp: inAnHour() }, SECRET, 'HS256'),
        await sign({ sub: 'x', role: 'root', exp: inAnHour() }, SECRET, 'HS256'),
        await sign({ sub: 'x'.repeat(200), exp: inAnHour() }, SECRET, 'HS256'),
        await sign({ sub: 'x', act: 'not-a-uuid', exp: inAnHour() }, SECRET, 'HS256'),
      ]) {
        r = await post({ token: bad, headers: { 'idempotency-key': 'k9' } });
        expect([r.status, code(r)]).toEqual([401, 'UNAUTHORIZED']);
      }
    });

    it('answers random bodies with a 4xx, never a 5xx', async () => {
      const token = await t.token('fuzz');
      t.cart.add('fuzz', 'default', 'cheap', 1);
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.json(),
            fc.string(),
            fc.jsonValue().map((v) => JSON.stringify({ cartId: v })),
          ),
          async (raw) => {
            const r = await t.request('POST', '/v1/orders', {
              token,
              headers: { 'idempotency-key': 'fz' },
              raw,
            });
            expect(r.status === 202 || (r.status >= 400 && r.status < 500)).toBe(true);
            const inv = await t.request('POST', '/v1/inventory', {
              token: await t.token('s', 'seller'),
              raw,
            });
            expect(inv.status === 202 || (inv.status >= 400 && inv.status < 500)).toBe(true);
          },
        ),
        { numRuns: 60 },
      );
    });

    it('exposes metrics on the registry it was given', async () => {
      await t.system.sender.drained();
      const text = await t.registry.metrics();
      expect(text).toMatch(/cartwheel_orders_processed_total\{outcome="confirmed"\} [1-9]/);
      expect(text).toMatch(/cartwheel_orders_rejections_total\{reason="INSUFFICIENT_STOCK"\} [1-9]/);
      expect(text).toMatch(/cartwheel_orders_log_lag 0/);
      expect(text).toMatch(/cartwheel_orders_outbox_backlog 0/);
      expect(text).toMatch(/cartwheel_orders_checkout_total\{result="replayed"\} [1-9]/);
    });
  });
}
