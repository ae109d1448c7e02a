import { describe, expect, it } from 'vitest';
import { FAST } from '../testing/cluster-fixtures.test-support.js';
import { type DotSet, type DotSetOp, dotSetType, dotSetValues } from '../testing/dot-set-type.js';
import { TestCluster } from '../testing/test-cluster.js';

const KEYS = Array.from({ length: 150 }, (_, i) => `user-${i}/cart`);

type Cluster = TestCluster<DotSet, DotSetOp>;

async function allKeysOnTheirReplicas(c: Cluster) {
  const any = c.node(c.running[0]!);
  for (const k of KEYS) {
    const ring = any.currentRing();
    const p = ring.partitionOf(k);
    for (let j = 0; j < 3; j++) {
      const q = (p + j) % ring.size;
      const s = await c.node(ring.ownerOf(q)).localState(q, k);
      if (s === undefined || !dotSetValues(s).includes(`v-${k}`)) return false;
    }
  }
  return true;
}

function ringsAgree(c: Cluster): boolean {
  const digests = new Set(c.running.map((id) => c.node(id).currentRing().digest));
  return digests.size === 1 && c.node(c.running[0]!).currentRing().pendingTransfers().length === 0;
}

describe('membership and ownership handoff', () => {
  it('a 4th node joins a 3-node ring: about a quarter of the partitions move, no key is lost', async () => {
    const c = await new TestCluster({
      type: dotSetType,
      nodes: ['n1', 'n2', 'n3'],
      seed: 41,
      config: FAST,
    }).start();
    for (const k of KEYS)
      await c.run(() => c.node('n1').update(k, { type: 'add', value: `v-${k}` }, { w: 3 }));
    const before = c.node('n1').currentRing().owners();
    // The joiner starts knowing the current members, then an existing member commits the join.
    await c.startNode('n4', ['n1', 'n2', 'n3']);
    const plan = c.node('n1').plan();
    expect(plan.transfers).toEqual([]);
    c.node('n1').stage({ type: 'join', node: 'n4' });
    const staged = c.node('n1').plan();
    expect(staged.transfers.length).toBeGreaterThanOrEqual(14);
    expect(staged.transfers.length).toBeLessThanOrEqual(18);
    await c.node('n1').commitPlan();
    await c.clock.until(() => ringsAgree(c), 120_000);
    const after = c.node('n4').currentRing().owners();
    const moved = after.filter((o, i) => o !== before[i]).length;
    expect(moved).toBe(staged.transfers.length);
    expect(after.filter((o) => o === 'n4').length).toBe(16);
    expect(c.node('n4').currentRing().violations(3)).toBe(0);
    expect(await allKeysOnTheirReplicas(c)).toBe(true);
    // Old owners dropped the data of partitions they handed off (once acknowledged).
    await c.clock.until(() => c.running.every((id) => c.node(id).status().hintBacklog === 0), 60_000);
    for (const id of ['n1', 'n2', 'n3']) {
      for (const q of c.node(id).localPartitions()) expect(c.node(id).currentRing().ownerOf(q)).toBe(id);
    }
    // Writes and reads keep working on the new layout.
    const got = await c.run(() => c.node('n4').get(KEYS[7]!, { r: 3 }));
    expect(dotSetValues(got.state)).toEqual([`v-${KEYS[7]}`]);
    await c.stop();
  });

  it('a leaving node hands its data off first, then owns nothing and holds nothing', async () => {
    const nodes = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const c = await new TestCluster({ type: dotSetType, nodes, seed: 42, config: FAST }).start();
    for (const k of KEYS)
      await c.run(() => c.node('n1').update(k, { type: 'add', value: `v-${k}` }, { w: 3 }));
    const held = c.node('n5').localPartitions().length;
    expect(held).toBeGreaterThan(0);
    await c.node('n2').leave('n5');
    // While the handoff runs, n5 still owns (and serves) its partitions.
    expect(c.node('n2').currentRing().ownedBy('n5').length).toBeGreaterThan(0);
    await c.clock.until(() => ringsAgree(c) && c.node('n5').localPartitions().length === 0, 120_000);
    expect(c.node('n1').currentRing().ownedBy('n5')).toEqual([]);
    expect(c.node('n1').currentRing().member('n5')?.status).toBe('removed');
    c.crash('n5');
    expect(await allKeysOnTheirReplicas(c)).toBe(true);
    await c.stop();
  });

  it('force-remove gives a dead node partitions to others; read repair and AAE restore the replicas', async () => {
    const nodes = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const c = await new TestCluster({ type: dotSetType, nodes, seed: 43, config: FAST }).start();
    for (const k of KEYS)
      await c.run(() => c.node('n1').update(k, { type: 'add', value: `v-${k}` }, { w: 3 }));
    c.crash('n3');
    await c.node('n1').forceRemove('n3');
    await c.clock.until(() => ringsAgree(c), 120_000);
    expect(c.node('n1').currentRing().ownedBy('n3')).toEqual([]);
    await c.clock.until(() => allKeysOnTheirReplicas(c), 300_000, 500);
    await c.stop();
  });

  it('losing ownership of a partition bumps the node epoch (kv679)', async () => {
    const c = await new TestCluster({
      type: dotSetType,
      nodes: ['n1', 'n2', 'n3'],
      seed: 44,
      config: FAST,
    }).start();
    const before = c.node('n1').status().epoch;
    await c.startNode('n4', ['n1', 'n2', 'n3']);
    await c.node('n2').join('n4');
    await c.clock.until(() => ringsAgree(c), 120_000);
    expect(c.node('n1').status().epoch).toBeGreaterThan(before);
    expect(c.node('n4').status().epoch).toBe(1);
    await c.stop();
  });
});
