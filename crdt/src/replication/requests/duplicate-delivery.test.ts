// Exactly-once coordination under duplicated messages (regression: simulator seeds 1023, 1058,
// 1063, 1089 saw a duplicated forwarded `coord` message minting a second dot).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cart } from '../../cart/cart.js';
import type { CartState } from '../../cart/cart-state.js';
import { cartType } from '../../cart/cart-type.js';
import { newDots } from '../../cart/new-dots.js';
import { FAST } from '../testing/cluster-fixtures.test-support.js';
import { TestCluster } from '../testing/test-cluster.js';
import { RequestDedup } from './request-dedup.js';

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];
const qty = (s: CartState, p: string) => s.get(p)?.quantity ?? 0;
const dots = (s: CartState) => newDots(s, Cart.create().context()).length;

function cluster(seed: number, duplicate: number) {
  return new TestCluster({
    type: cartType,
    nodes: NODES,
    seed,
    config: FAST,
    network: { minDelayMs: 1, maxDelayMs: 20, duplicate },
  });
}

/** A node that is not a primary of `key`, so its updates are forwarded. */
function nonPrimary(c: TestCluster<CartState, unknown>, key: string): string {
  const primaries = c
    .node('n1')
    .preferenceList(key)
    .map((e) => e.node);
  return NODES.find((n) => !primaries.includes(n))!;
}

describe('duplicated delivery', () => {
  it('every message delivered twice: a forwarded add counts once, a set-quantity keeps its register', async () => {
    const c = await cluster(7, 1).start();
    const key = 'user-dup/main';
    const via = nonPrimary(c, key);
    await c.run(() => c.node(via).update(key, { type: 'add', productId: 'apple', quantity: 2 }));
    await c.run(() => c.node(via).update(key, { type: 'add', productId: 'apple', quantity: 3 }));
    await c.run(() => c.node(via).update(key, { type: 'setQuantity', productId: 'pear', quantity: 4 }));
    await c.advance(5_000);
    const got = await c.run(() => c.node(via).get(key, { r: 3 }));
    expect(qty(got.state, 'apple')).toBe(5);
    expect(qty(got.state, 'pear')).toBe(4);
    expect(dots(got.state)).toBe(3); // one dot per operation
    expect(c.network.stats.duplicated).toBeGreaterThan(0);
    for (const r of await c.replicas(key)) expect(qty(r.state, 'apple')).toBe(5);
    await c.stop();
  });

  it('property: with high duplication and reordering, n forwarded adds of 1 sum to n', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.double({ min: 0.5, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 6 }),
        async (seed, duplicate, n) => {
          const c = await cluster(seed, duplicate).start();
          const key = `user-${seed}/main`;
          const via = nonPrimary(c, key);
          for (let i = 0; i < n; i++)
            await c.run(() => c.node(via).update(key, { type: 'add', productId: 'x', quantity: 1 }));
          await c.advance(3_000);
          const got = await c.run(() => c.node(via).get(key, { r: 3 }));
          await c.stop();
          expect(qty(got.state, 'x')).toBe(n);
          expect(dots(got.state)).toBe(n);
        },
      ),
      { numRuns: 12 },
    );
  });
});

describe('RequestDedup', () => {
  const reply = (id: number, bytes = 0) =>
    ({
      t: 'coord-reply',
      id,
      state: new Uint8Array(bytes),
      delta: undefined,
      error: undefined,
    }) as const;

  it('attaches duplicates in flight, re-sends the stored reply after, forgets after the window', () => {
    let now = 0;
    const d = new RequestDedup(() => now, 1_000);
    expect(d.begin('a', 7, 1).kind).toBe('new');
    expect(d.begin('a', 7, 1).kind).toBe('in-flight');
    expect(d.begin('a', 7, 2).kind).toBe('in-flight'); // a retry under a new message id
    expect(d.begin('b', 7, 1).kind).toBe('new'); // rids are per requesting node
    expect(d.finish('a', 7, reply(1))).toEqual([1, 2]);
    const again = d.begin('a', 7, 9);
    expect(again.kind === 'done' && again.reply.id).toBe(9);
    now = 999;
    expect(d.begin('a', 7, 1).kind).toBe('done');
    now = 1_000;
    expect(d.begin('a', 7, 1).kind).toBe('new');
  });

  it('is bounded by count and by reply bytes (oldest first)', () => {
    const d = new RequestDedup(() => 0, 1_000, 3, 100);
    for (let i = 0; i < 5; i++) {
      d.begin('a', i, i);
      d.finish('a', i, reply(i));
    }
    expect(d.size).toBe(3);
    expect(d.begin('a', 0, 0).kind).toBe('new');
    const big = new RequestDedup(() => 0, 1_000, 100, 100);
    big.begin('a', 1, 1);
    big.finish('a', 1, reply(1, 60));
    big.begin('a', 2, 2);
    big.finish('a', 2, reply(2, 60));
    expect(big.size).toBe(1);
    expect(big.begin('a', 2, 2).kind).toBe('done');
  });
});
