import { describe, expect, it } from 'vitest';
import { FAST } from '../testing/cluster-fixtures.test-support.js';
import { type DotSet, type DotSetOp, dotSetType, dotSetValues } from '../testing/dot-set-type.js';
import { TestCluster } from '../testing/test-cluster.js';

const KEYS = Array.from({ length: 60 }, (_, i) => `user-${i}/cart`);

type Cluster = TestCluster<DotSet, DotSetOp>;

function settled(c: Cluster): boolean {
  const digests = new Set(c.running.map((id) => c.node(id).currentRing().digest));
  return digests.size === 1 && c.node(c.running[0]!).currentRing().pendingTransfers().length === 0;
}

describe('joining a node that started alone (adoptRing)', () => {
  it('adopts the cluster ring instead of merging its own claim; its solo data reaches the owners', async () => {
    const c = await new TestCluster({
      type: dotSetType,
      nodes: ['n1', 'n2', 'n3'],
      seed: 51,
      config: FAST,
    }).start();
    for (const k of KEYS) await c.run(() => c.node('n1').update(k, { type: 'add', value: `v-${k}` }));
    // n4 starts on its own (a ring of one member) and takes a write before it joins.
    const n4 = await c.startNode('n4', ['n4']);
    expect(n4.isAlone()).toBe(true);
    await c.run(() => n4.update('solo/cart', { type: 'add', value: 'solo' }));
    await expect(c.node('n1').adoptRing(n4.currentRing())).rejects.toBeInstanceOf(TypeError);

    const clusterRing = c.node('n1').currentRing();
    await n4.adoptRing(clusterRing);
    expect(n4.isAlone()).toBe(false);
    expect(n4.currentRing().equals(clusterRing)).toBe(true);
    c.node('n1').stage({ type: 'join', node: 'n4' });
    expect(c.node('n1').stagedChanges()).toEqual([{ type: 'join', node: 'n4' }]);
    const plan = await c.node('n1').commitPlan();
    expect(c.node('n1').stagedChanges()).toEqual([]);
    await c.clock.until(() => settled(c), 120_000);

    // The ring is the committed plan, not a mix with n4's old single-member claim.
    const ring = c.node('n4').currentRing();
    const planned = plan.ring.owners().map((o, i) => plan.ring.nextOf(i) ?? o);
    expect(ring.owners()).toEqual(planned);
    expect(ring.ownedBy('n4').length).toBe(16);
    for (const k of [...KEYS, 'solo/cart']) {
      const got = await c.run(() => c.node('n2').get(k, { r: 3 }));
      expect(dotSetValues(got.state)).toEqual([k === 'solo/cart' ? 'solo' : `v-${k}`]);
    }
    await c.stop();
  });

  it('reports per-vnode anti-entropy: last exchange and keys repaired', async () => {
    const c = await new TestCluster({
      type: dotSetType,
      nodes: ['n1', 'n2', 'n3', 'n4'],
      seed: 52,
      config: FAST,
    }).start();
    for (const k of KEYS)
      await c.run(() => c.node('n1').update(k, { type: 'add', value: `v-${k}` }, { w: 3 }));
    c.wipe('n3');
    await c.startNode('n3');
    const repaired = () =>
      c
        .node('n3')
        .aaeStatus()
        .reduce((sum, v) => sum + v.keysRepaired, 0);
    await c.clock.until(() => repaired() > 0, 120_000);
    const status = c.node('n3').aaeStatus();
    expect(status.map((v) => v.partition)).toEqual(c.node('n3').currentRing().ownedBy('n3'));
    const done = status.filter((v) => v.lastExchangeAt !== undefined);
    expect(done.length).toBeGreaterThan(0);
    expect(done.every((v) => v.exchanges > 0 && typeof v.lastPeer === 'string')).toBe(true);
    await c.stop();
  });
});
