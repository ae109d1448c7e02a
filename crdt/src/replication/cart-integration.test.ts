// The replication core with the real cart type (cartType from the cart module).
import { describe, expect, it } from 'vitest';
import { Cart } from '../cart/cart.js';
import type { CartState } from '../cart/cart-state.js';
import { cartType } from '../cart/cart-type.js';
import { newDots } from '../cart/new-dots.js';
import { FAST } from './testing/cluster-fixtures.test-support.js';
import { TestCluster } from './testing/test-cluster.js';

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];
const lines = (s: CartState) => s.lines().map((l) => `${l.productId}x${l.quantity}`);

describe('replication with cartType', () => {
  it('HTTP-style ops through any node are stamped with vnode actors and replicated', async () => {
    const pushes: string[] = [];
    const c = await new TestCluster({
      type: cartType,
      nodes: NODES,
      seed: 51,
      config: FAST,
      onChange: (node, key, state) => pushes.push(`${node} ${key} ${lines(state).join(',')}`),
    }).start();
    const key = 'user-1/main';
    await c.run(() => c.node('n1').update(key, { type: 'add', productId: 'apple', quantity: 2 }));
    await c.run(() => c.node('n4').update(key, { type: 'add', productId: 'pear', quantity: 1 }));
    await c.run(() => c.node('n2').update(key, { type: 'setQuantity', productId: 'apple', quantity: 5 }));
    const res = await c.run(() => c.node('n5').update(key, { type: 'remove', productId: 'pear' }));
    expect(lines(res.state)).toEqual(['applex5']);
    const got = await c.run(() => c.node('n3').get(key, { r: 3 }));
    expect(lines(got.state)).toEqual(['applex5']);
    // Only vnode actors (bounded: one per node epoch) minted the dots.
    const actors = newDots(got.state, Cart.create().context()).map((d) => d.actor);
    expect(actors.length).toBeGreaterThan(0);
    expect(actors.every((a) => /^n\d#e\d+\.[0-9a-z]{8}$/.test(a))).toBe(true);
    expect(new Set(actors).size).toBeLessThanOrEqual(3);
    expect(pushes.some((p) => p.endsWith(`${key} applex5`))).toBe(true);
    await c.stop();
  });

  it('a device delta is merged as-is, and concurrent add on both sides of a partition survives a remove', async () => {
    const c = await new TestCluster({ type: cartType, nodes: NODES, seed: 52, config: FAST }).start();
    const key = 'user-2/main';
    const device = Cart.create({ actor: 'device-aaaa' });
    const d1 = device.add('milk', 1);
    const merged = await c.run(() => c.node('n2').mergeDelta(key, d1));
    expect(lines(merged.state)).toEqual(['milkx1']);
    // Partition: one side removes milk (observing the device's add), the other adds milk again.
    const pl = c.node('n1').preferenceList(key);
    const sideA = [pl[0]!.node, pl[1]!.node];
    const sideB = NODES.filter((n) => !sideA.includes(n));
    c.network.partition([sideA, sideB]);
    await c.advance(1_000);
    await c.run(() => c.node(sideA[0]!).update(key, { type: 'remove', productId: 'milk' }));
    const d2 = device.add('milk', 3);
    await c.run(() => c.node(sideB[0]!).mergeDelta(key, d2, { w: 2 }));
    c.network.heal();
    await c.advance(2_000);
    const got = await c.run(() => c.node(sideB[1]!).get(key, { r: 3 }));
    // The remove observed only the first add; the concurrent add of 3 survives (add-wins).
    expect(lines(got.state)).toEqual(['milkx3']);
    // And the device, syncing what it lacks, converges to the same cart.
    device.applyDelta(got.state);
    expect(device.lines().map((l) => `${l.productId}x${l.quantity}`)).toEqual(['milkx3']);
    await c.clock.until(async () => {
      const reps = await c.replicas(key);
      return reps.length >= 3 && reps.every((r) => r.state.equals(got.state));
    }, 60_000);
    await c.stop();
  });

  it('stamps server-minted ops on the cart HLC scale, so a later concurrent device set wins', async () => {
    const c = await new TestCluster({ type: cartType, nodes: NODES, seed: 53, config: FAST }).start();
    const key = 'user-3/main';
    const base = await c.run(() => c.node('n1').update(key, { type: 'add', productId: 'tea', quantity: 1 }));
    // The device's wall clock is 10 s ahead of the cluster's; both set the quantity concurrently.
    const device = Cart.fromState(base.state, { actor: 'device-bbbb', clock: () => c.clock.now() + 10_000 });
    const fromDevice = device.setQuantity('tea', 7);
    await c.run(() => c.node('n2').update(key, { type: 'setQuantity', productId: 'tea', quantity: 5 }));
    await c.run(() => c.node('n3').mergeDelta(key, fromDevice));
    const got = await c.run(() => c.node('n4').get(key, { r: 3 }));
    expect(lines(got.state)).toEqual(['teax7']);
    await c.stop();
  });
});
