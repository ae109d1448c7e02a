import { describe, expect, it } from 'vitest';
import { NO_AAE } from '../testing/cluster-fixtures.test-support.js';
import { dotSetType, dotSetValues } from '../testing/dot-set-type.js';
import { TestCluster } from '../testing/test-cluster.js';

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];

describe('hinted handoff', () => {
  it('a fallback stores for a down primary, hands the update over when it returns, then drops it', async () => {
    const c = await new TestCluster({ type: dotSetType, nodes: NODES, seed: 11, config: NO_AAE }).start();
    const key = 'cart-hinted';
    const all = c.node('n1').preferenceList(key);
    const down = all[2]!;
    c.crash(down.node);
    const coord = all[0]!.node;
    await c.advance(1_000);
    const pl = c.node(coord).preferenceList(key);
    const fallback = pl.find((e) => e.kind === 'fallback')!;
    expect(fallback).toMatchObject({ partition: down.partition, hintFor: down.node });
    await c.run(() => c.node(coord).update(key, { type: 'add', value: 'while-down' }, { w: 3 }));
    // The fallback holds the write in the down primary's vnode, and reports it as backlog.
    expect(c.node(fallback.node).localKeys(down.partition)).toEqual([key]);
    expect(c.node(fallback.node).status().hintBacklog).toBe(1);
    // Still down: nothing is handed off or dropped.
    await c.advance(2_000);
    expect(c.node(fallback.node).localKeys(down.partition)).toEqual([key]);

    await c.restart(down.node);
    await c.clock.until(
      async () => (await c.node(down.node).localState(down.partition, key)) !== undefined,
      30_000,
    );
    const arrived = await c.node(down.node).localState(down.partition, key);
    expect(dotSetValues(arrived!)).toEqual(['while-down']);
    await c.clock.until(() => c.node(fallback.node).localKeys(down.partition).length === 0, 30_000);
    expect(c.node(fallback.node).status().hintBacklog).toBe(0);
    expect(c.node(fallback.node).status().counters.handoffItemsSent).toBeGreaterThanOrEqual(1);
    await c.stop();
  });

  it('keeps the hint when the primary never acknowledges (handoff to a cut-off node)', async () => {
    const c = await new TestCluster({ type: dotSetType, nodes: NODES, seed: 12, config: NO_AAE }).start();
    const key = 'cart-unacked';
    const all = c.node('n1').preferenceList(key);
    const down = all[1]!;
    c.crash(down.node);
    await c.advance(1_000);
    const coord = all[0]!.node;
    await c.run(() => c.node(coord).update(key, { type: 'add', value: 'v' }));
    const fallback = c
      .node(coord)
      .preferenceList(key)
      .find((e) => e.kind === 'fallback')!;
    await c.restart(down.node);
    // The primary can send heartbeats (so it looks up) but its acks never reach the fallback.
    c.network.block(down.node, fallback.node);
    c.network.block(fallback.node, down.node);
    await c.advance(3_000);
    expect(c.node(fallback.node).localKeys(down.partition)).toEqual([key]);
    c.network.heal();
    await c.clock.until(() => c.node(fallback.node).localKeys(down.partition).length === 0, 30_000);
    expect(dotSetValues((await c.node(down.node).localState(down.partition, key))!)).toEqual(['v']);
    await c.stop();
  });
});
