// A coordinator that holds two vnodes of a key (more replicas than nodes, or a ring that does not
// split evenly) mints against both; its own vnode may be behind the other one.
import { describe, expect, it } from 'vitest';
import { cartType } from '../../cart/cart-type.js';
import { DATA_NS } from '../node/vnode.js';
import { FAST } from '../testing/cluster-fixtures.test-support.js';
import { TestCluster } from '../testing/test-cluster.js';

describe('a coordinator holding two vnodes of a key', () => {
  it('accepts an update when its coordinating vnode lacks what its other vnode holds', async () => {
    // Two nodes, N=3: every key has two vnodes on one node. The situation a force-remove leaves
    // (an empty vnode reassigned to a node that holds another replica) or a missed put.
    const c = await new TestCluster({ type: cartType, nodes: ['n1', 'n2'], seed: 61, config: FAST }).start();
    const key = Array.from({ length: 500 }, (_, i) => `user-${i}/main`).find((k) => {
      const pl = c.node('n1').preferenceList(k);
      return pl[0]!.node === 'n1' && pl.filter((e) => e.node === 'n1').length === 2;
    })!;
    await c.run(() => c.node('n1').update(key, { type: 'add', productId: 'a', quantity: 1 }));
    const q = c.node('n1').preferenceList(key)[0]!.partition;
    await c.storages.get('n1')!.delete(DATA_NS, q, key); // the coordinating vnode loses the key
    await c.restart('n1');
    expect(await c.node('n1').localState(q, key)).toBeUndefined();
    // (CrdtCausalGapError before: the delta's causal past was in the other vnode only.)
    const res = await c.run(() => c.node('n1').update(key, { type: 'add', productId: 'b', quantity: 1 }));
    expect(res.state.lines().map((l) => l.productId)).toEqual(['a', 'b']);
    const local = await c.node('n1').localState(q, key);
    expect(local?.lines().map((l) => l.productId)).toEqual(['a', 'b']);
    await c.stop();
  });
});
