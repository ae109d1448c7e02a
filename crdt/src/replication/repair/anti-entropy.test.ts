import { describe, expect, it } from 'vitest';
import { DATA_NS } from '../node/vnode.js';
import { FAST } from '../testing/cluster-fixtures.test-support.js';
import { dotSetDelta, dotSetType, dotSetValues } from '../testing/dot-set-type.js';
import { TestCluster } from '../testing/test-cluster.js';
import { SEGMENTS, SegmentTree } from './merkle-tree.js';

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];

describe('segment tree', () => {
  it('is order-independent and incremental', () => {
    const a = new SegmentTree();
    const b = new SegmentTree();
    const keys = Array.from({ length: 500 }, (_, i) => `k${i}`);
    for (const [i, k] of keys.entries()) a.update(k, { hi: i, lo: i * 7 });
    for (const [i, k] of [...keys].reverse().entries()) b.update(k, { hi: 499 - i, lo: (499 - i) * 7 });
    expect([...a.branchHashes()]).toEqual([...b.branchHashes()]);
    b.update('k3', { hi: 1, lo: 1 });
    const diff = [...a.branchHashes()].findIndex((h, i) => h !== b.branchHashes()[i]);
    expect(diff).toBeGreaterThanOrEqual(0);
    b.update('k3', { hi: 3, lo: 21 });
    expect([...a.branchHashes()]).toEqual([...b.branchHashes()]);
    b.update('k3', undefined);
    expect(b.size).toBe(499);
    expect(a.keysIn(Array.from({ length: SEGMENTS }, (_, i) => i)).length).toBe(500);
  });
});

describe('active anti-entropy', () => {
  it('finds and repairs divergence injected straight into one replica storage', async () => {
    const c = await new TestCluster({ type: dotSetType, nodes: NODES, seed: 31, config: FAST }).start();
    const keys = Array.from({ length: 40 }, (_, i) => `cart-${i}`);
    for (const k of keys)
      await c.run(() => c.node('n1').update(k, { type: 'add', value: `v-${k}` }, { w: 3 }));
    const victim = c.node('n1').preferenceList('cart-0')[1]!;
    const storage = c.storages.get(victim.node)!;
    // Behind the node's back: lose one key and add a value only this replica has to another.
    await storage.delete(DATA_NS, victim.partition, 'cart-0');
    const lossKey = keys.find((k) =>
      c
        .node('n1')
        .preferenceList(k)
        .some((e) => e.node === victim.node && k !== 'cart-0'),
    )!;
    const q = c
      .node('n1')
      .preferenceList(lossKey)
      .find((e) => e.node === victim.node)!.partition;
    const cur = dotSetType.decode((await storage.get(DATA_NS, q, lossKey))!);
    const extra = dotSetType.join(cur, dotSetDelta('rogue', 1, 'only-here'));
    await storage.put(DATA_NS, q, lossKey, dotSetType.encode(extra));
    await c.restart(victim.node); // trees are rebuilt from storage
    const converged = async (k: string, want: string[]) => {
      const reps = await c.replicas(k);
      return (
        reps.length === 3 && reps.every((r) => JSON.stringify(dotSetValues(r.state)) === JSON.stringify(want))
      );
    };
    await c.clock.until(
      async () =>
        (await converged('cart-0', ['v-cart-0'])) &&
        (await converged(lossKey, [`v-${lossKey}`, 'only-here'].sort())),
      120_000,
    );
    const repairs = c.running.reduce((n, id) => n + c.node(id).status().counters.aaeRepairs, 0);
    expect(repairs).toBeGreaterThanOrEqual(3);
    for (const k of keys) expect((await c.replicas(k)).length).toBe(3);
    await c.stop();
  });

  it('bounds each exchange by maxKeysPerExchange', async () => {
    const c = await new TestCluster({
      type: dotSetType,
      nodes: ['n1', 'n2', 'n3'],
      seed: 32,
      // The periodic path alone: no catch-up when n3 comes back, no hints for what it missed.
      config: {
        ...FAST,
        ringSize: 8,
        maxHints: 0,
        aae: { intervalMs: 200, maxKeysPerExchange: 5, catchUpExchangesPerSecond: 0 },
      },
    }).start();
    // n3 misses 60 writes (cut off briefly, well under the failure timeout each time).
    const keys = Array.from({ length: 60 }, (_, i) => `bulk-${i}`);
    c.network.partition([['n1', 'n2'], ['n3']]);
    for (const k of keys) await c.run(() => c.node('n1').update(k, { type: 'add', value: k }));
    c.network.heal();
    let maxPerTick = 0;
    let last = 0;
    await c.clock.until(
      async () => {
        const total = c.running.reduce((n, id) => n + c.node(id).status().counters.aaeRepairs, 0);
        maxPerTick = Math.max(maxPerTick, total - last);
        last = total;
        for (const k of keys) if ((await c.replicas(k)).length < 3) return false;
        return true;
      },
      120_000,
      200,
    );
    // Three nodes each run at most one exchange per 200 ms tick, each exchange repairs <= 5 keys.
    expect(maxPerTick).toBeLessThanOrEqual(3 * 5 * 2);
    await c.stop();
  });
});
