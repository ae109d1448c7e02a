import { describe, expect, it } from 'vitest';
import { orderMessage } from '../../storefront/cart-views.js';
import { OrderWatch, type WatchedOrder } from '../../storefront/order-watch.js';
import { pollDelay, refusalText, rejectionText, toOrderView } from '../../storefront/orders.js';

const titles: Record<string, string> = { 'p-0000021': 'Chelsea Boots H5, Navy', 'p-0000002': 'Kettle' };
const titleOf = (id: string) => titles[id];
const euros = (m: number) => `€${(m / 100).toFixed(2)}`;

const order = (status: string, extra: Record<string, unknown> = {}) =>
  toOrderView({
    orderId: 'ord_1',
    status,
    lines: [
      {
        productId: 'p-0000021',
        title: 'Chelsea Boots H5, Navy',
        quantity: 3,
        unitPriceMinor: 5999,
        currency: 'EUR',
      },
    ],
    totalMinor: 17997,
    currency: 'EUR',
    createdAt: 1,
    ...extra,
  })!;

describe('orders in words', () => {
  it('every state of an order names its products', () => {
    expect(orderMessage(order('pending'), titleOf)).toContain('“Chelsea Boots H5, Navy” ×3');
    expect(orderMessage(order('confirmed'), titleOf)).toMatch(
      /^Thank you!.*“Chelsea Boots H5, Navy” ×3.*confirmed/,
    );
    const rejected = order('rejected', {
      rejection: {
        reason: 'INSUFFICIENT_STOCK',
        productId: 'p-0000021',
        requested: 3,
        available: 1,
        message: 'x',
      },
    });
    expect(orderMessage(rejected, titleOf)).toBe(
      'Only 1 of “Chelsea Boots H5, Navy” was left; you asked for 3. Nothing was charged, and “Chelsea Boots H5, Navy” ×3 stays in your cart.',
    );
  });

  it('rejection reasons, with the title even when the rejection carries only the id', () => {
    expect(
      rejectionText(
        { reason: 'INSUFFICIENT_STOCK', productId: 'p-0000002', requested: 2, available: 0 },
        titleOf,
      ),
    ).toBe('“Kettle” sold out before we could reserve it (you asked for 2).');
    expect(rejectionText({ reason: 'UNKNOWN_PRODUCT', productId: 'p-0000002' }, titleOf)).toBe(
      '“Kettle” is no longer sold.',
    );
    expect(rejectionText({ reason: 'ALREADY_ORDERED' }, titleOf)).toMatch(/already bought/);
    expect(rejectionText({ reason: 'INVALID_ORDER', message: 'too many lines' }, titleOf)).toBe(
      'The order could not be processed: too many lines.',
    );
  });

  it('checkout refusals name products, never bare ids', () => {
    const refusal = (code: string, details: unknown, status = 409) =>
      refusalText(status, { error: { code, message: 'm', details } }, titleOf, euros);
    expect(refusal('OUT_OF_STOCK', { unavailable: ['p-0000021'] }).text).toBe(
      'Out of stock: “Chelsea Boots H5, Navy”. Remove it to order the rest.',
    );
    expect(refusal('PRODUCT_NOT_FOUND', { missing: ['p-0000002'] }, 404).text).toContain('“Kettle”');
    const price = refusal('PRICE_CHANGED', {
      changed: [{ productId: 'p-0000002', cartPriceMinor: 2500, currentPriceMinor: 2900 }],
    });
    expect(price.text).toContain('“Kettle” from €25.00 to €29.00');
    expect(price.canAcceptPrices).toBe(true);
    expect(refusal('CART_ALREADY_ORDERED', { orderId: 'ord_9' })).toEqual({
      text: 'These items are already in an order.',
      orderId: 'ord_9',
    });
    expect(refusal('EMPTY_CART', undefined, 400).text).toMatch(/empty/);
    expect(refusal('OUT_OF_STOCK', { unavailable: ['p-9999999'] }).text).not.toContain('p-9999999');
  });

  it('polls with a bounded backoff', () => {
    expect([0, 1, 2, 3, 4, 10].map(pollDelay)).toEqual([500, 1000, 2000, 4000, 5000, 5000]);
  });
});

describe('OrderWatch', () => {
  it('polls until the order is not pending, showing each state', async () => {
    const answers = ['pending', 'pending', 'confirmed'];
    const shown: WatchedOrder[] = [];
    const sleeps: number[] = [];
    const watch = new OrderWatch({
      fetchOrder: async () => ({ ok: true, status: 200, body: order(answers.shift() ?? 'confirmed') }),
      isShown: () => true,
      show: (s) => shown.push(s),
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    await watch.watch('ord_1');
    expect(shown.map((s) => s.order?.status)).toEqual(['pending', 'pending', 'confirmed']);
    expect(sleeps).toEqual([500, 1000]);
    expect(watch.state?.order?.status).toBe('confirmed');
  });

  it('says when the network is down and stops once the page is left', async () => {
    let shownPage = true;
    const shown: WatchedOrder[] = [];
    const watch = new OrderWatch({
      fetchOrder: async () => {
        throw new TypeError('Failed to fetch');
      },
      isShown: () => shownPage,
      show: (s) => shown.push(s),
      sleep: async () => {
        shownPage = false;
      },
    });
    await watch.watch('ord_1');
    expect(shown).toHaveLength(1);
    expect(shown[0]?.note).toMatch(/offline/);
  });

  it('an unknown order, and a signed-out shopper, are said in words', async () => {
    const shown: WatchedOrder[] = [];
    await new OrderWatch({
      fetchOrder: async () => ({ ok: false, status: 404, body: undefined }),
      isShown: () => true,
      show: (s) => shown.push(s),
    }).watch('ord_x');
    await new OrderWatch({ fetchOrder: undefined, isShown: () => true, show: (s) => shown.push(s) }).watch(
      'ord_y',
    );
    expect(shown.map((s) => s.note)).toEqual([
      'There is no such order for this account.',
      'Sign in to see your orders.',
    ]);
  });
});
