import { describe, expect, it } from 'vitest';
import { NO_AAE } from '../testing/cluster-fixtures.test-support.js';
import { dotSetType, dotSetValues } from '../testing/dot-set-type.js';
import { TestCluster } from '../testing/test-cluster.js';

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];

describe('read repair', () => {
  it.each([2, 1])(
    'fixes a replica that missed a write (R=%i; with R=1 the repair uses late replies)',
    async (r) => {
      const c = await new TestCluster({
        type: dotSetType,
        nodes: NODES,
        seed: 21 + r,
        config: NO_AAE,
      }).start();
      const key = 'cart-rr';
      const [a, b, stale] = c.node('n1').preferenceList(key);
      await c.run(() => c.node(a!.node).update(key, { type: 'add', value: 'one' }, { w: 3 }));
      // The stale replica misses the next write (the failure detector does not notice a short cut).
      c.network.block(a!.node, stale!.node);
      await c.run(() => c.node(a!.node).update(key, { type: 'add', value: 'two' }));
      c.network.heal();
      await c.advance(50);
      expect(dotSetValues((await c.node(stale!.node).localState(stale!.partition, key))!)).toEqual(['one']);
      const got = await c.run(() => c.node(b!.node).get(key, { r }));
      if (r === 2) expect(dotSetValues(got.state)).toEqual(['one', 'two']);
      await c.clock.until(async () => {
        const s = await c.node(stale!.node).localState(stale!.partition, key);
        return dotSetValues(s!).length === 2;
      }, 5_000);
      expect(c.node(b!.node).status().counters.readRepairs).toBeGreaterThanOrEqual(1);
      // A read of a converged key reports a single version and repairs nothing.
      const before = c.node(b!.node).status().counters.readRepairs;
      const again = await c.run(() => c.node(b!.node).get(key, { r: 3 }));
      expect(again.versions).toBe(1);
      await c.advance(100);
      expect(c.node(b!.node).status().counters.readRepairs).toBe(before);
      await c.stop();
    },
  );

  it('repairs a replica that has never seen the key', async () => {
    const c = await new TestCluster({ type: dotSetType, nodes: NODES, seed: 23, config: NO_AAE }).start();
    const key = 'cart-missing';
    const [a, , missing] = c.node('n1').preferenceList(key);
    c.network.block(a!.node, missing!.node);
    await c.run(() => c.node(a!.node).update(key, { type: 'add', value: 'x' }));
    c.network.heal();
    const got = await c.run(() => c.node(a!.node).get(key, { r: 3 }));
    expect(got.versions).toBe(2);
    await c.clock.until(
      async () => (await c.node(missing!.node).localState(missing!.partition, key)) !== undefined,
    );
    await c.stop();
  });
});
