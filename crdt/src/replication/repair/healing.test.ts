/**
 * Healing after a node comes back, with as many nodes as replicas (N = 3 on 3 nodes: no fallback
 * vnode can take a write for a down primary). The restarted node must get every key back without
 * any client read: from the hints its peers kept for it, and from the anti-entropy catch-up that
 * starts when a peer comes up — each alone, within a small virtual-time bound.
 */
import { describe, expect, it } from 'vitest';
import type { ReplicationConfigInput } from '../config.js';
import { FAST } from '../testing/cluster-fixtures.test-support.js';
import { type DotSet, type DotSetOp, dotSetType, dotSetValues } from '../testing/dot-set-type.js';
import { TestCluster } from '../testing/test-cluster.js';
import { HINTS_NS } from './hint-store.js';

const NODES = ['n1', 'n2', 'n3'];
/** The periodic exchange effectively off: only what a come-back triggers can heal in time. */
const PERIODIC_OFF = 86_400_000;
const HINTS_ONLY: ReplicationConfigInput = {
  ...FAST,
  aae: { intervalMs: PERIODIC_OFF, maxKeysPerExchange: 64, catchUpExchangesPerSecond: 0 },
};
const CATCH_UP_ONLY: ReplicationConfigInput = {
  ...FAST,
  maxHints: 0,
  aae: { intervalMs: PERIODIC_OFF, maxKeysPerExchange: 64 },
};

type Cluster = TestCluster<DotSet, DotSetOp>;

async function start(config: ReplicationConfigInput, seed: number): Promise<Cluster> {
  return new TestCluster({
    type: dotSetType,
    nodes: NODES,
    seed,
    config,
    network: { minDelayMs: 1, maxDelayMs: 5 },
  }).start();
}

/** Waits until every other node's failure detector considers `id` down. */
async function markedDown(c: Cluster, id: string): Promise<void> {
  await c.clock.until(() => c.running.every((n) => n === id || !c.node(n).isUp(id)), 10_000, 50);
}

/** `count` adds spread over `keys` keys, coordinated alternately by n2 and n3 (all acknowledged). */
async function writeThroughOthers(c: Cluster, keys: string[], count: number): Promise<Map<string, string[]>> {
  const written = new Map<string, string[]>(keys.map((k) => [k, []]));
  for (let i = 0; i < count; i++) {
    const key = keys[i % keys.length]!;
    const value = `item-${i}`;
    await c.run(() => c.node(i % 2 === 0 ? 'n2' : 'n3').update(key, { type: 'add', value }, { w: 2 }));
    written.get(key)!.push(value);
  }
  return written;
}

/** Does `id` hold, in its own vnode of each key, everything written and the same as the others? */
async function caughtUp(c: Cluster, id: string, written: Map<string, string[]>): Promise<boolean> {
  for (const [key, values] of written) {
    const reps = await c.replicas(key);
    const mine = reps.find((r) => r.node === id);
    if (mine === undefined || reps.length !== 3) return false;
    if (JSON.stringify(dotSetValues(mine.state)) !== JSON.stringify([...values].sort())) return false;
    if (!reps.every((r) => dotSetType.equals(r.state, mine.state))) return false;
  }
  return true;
}

function total(
  c: Cluster,
  counter: 'gets' | 'aaeRepairs' | 'hintsRecorded' | 'hintsDelivered' | 'aaeExchanges',
): number {
  return c.running.reduce((n, id) => n + c.node(id).status().counters[counter], 0);
}

/** Restarts `id` and returns the virtual ms until it caught up (throws past `boundMs`). */
async function restartAndTimeHeal(
  c: Cluster,
  id: string,
  written: Map<string, string[]>,
  boundMs: number,
): Promise<number> {
  await c.restart(id);
  const t0 = c.clock.now();
  await c.clock.until(() => caughtUp(c, id, written), boundMs, 20);
  return c.clock.now() - t0;
}

describe('healing a restarted node when cluster size = N (no fallback)', () => {
  it('hints alone: the coordinators deliver what n1 missed as soon as it is back', async () => {
    const c = await start(HINTS_ONLY, 41);
    c.crash('n1');
    await markedDown(c, 'n1');
    const written = await writeThroughOthers(c, ['cart-a', 'cart-b', 'cart-c'], 60);
    // One hint per (missed vnode, key) on each coordinator, not one per write (n1 holds at most
    // two vnodes of a key: 64 partitions do not split evenly over 3 nodes at the ring's wrap).
    const recorded = total(c, 'hintsRecorded');
    expect(recorded).toBeGreaterThanOrEqual(6);
    expect(recorded).toBeLessThanOrEqual(12);
    const gets = total(c, 'gets');

    const healMs = await restartAndTimeHeal(c, 'n1', written, 2_000);
    // n1's first heartbeat brings it up at n2 and n3, which deliver at once (not at a handoff tick).
    expect(healMs).toBeLessThanOrEqual(500);
    expect(total(c, 'gets')).toBe(gets); // no read repaired anything
    expect(total(c, 'aaeRepairs')).toBe(0);
    await c.clock.until(() => c.running.every((id) => c.node(id).status().hintBacklog === 0), 2_000);
    expect(total(c, 'hintsDelivered')).toBe(recorded);
    await c.stop();
  });

  it('anti-entropy catch-up alone (hints off) heals long before a periodic pass would', async () => {
    const c = await start(CATCH_UP_ONLY, 42);
    c.crash('n1');
    await markedDown(c, 'n1');
    const keys = Array.from({ length: 12 }, (_, i) => `cart-${i}`);
    const written = await writeThroughOthers(c, keys, 60);
    expect(c.node('n2').status().counters.hintsDropped).toBeGreaterThan(0);
    const gets = total(c, 'gets');

    const healMs = await restartAndTimeHeal(c, 'n1', written, 5_000);
    // One roots summary per peer, then an exchange per differing tree at 200 exchanges/s.
    expect(healMs).toBeLessThanOrEqual(1_000);
    expect(total(c, 'gets')).toBe(gets);
    expect(total(c, 'aaeRepairs')).toBeGreaterThanOrEqual(keys.length);
    await c.clock.until(() => c.running.every((id) => c.node(id).status().aaeCatchUpBacklog === 0), 5_000);
    await c.stop();
  });

  it('a put in flight when its replica died is handed over later (the replica never acknowledged)', async () => {
    const c = await start(HINTS_ONLY, 43);
    const key = 'cart-in-flight';
    c.crash('n1'); // the others still believe n1 is up: its put is sent and lost
    expect(c.node('n2').isUp('n1')).toBe(true);
    expect(
      c
        .node('n2')
        .preferenceList(key)
        .some((e) => e.node === 'n1'),
    ).toBe(true);
    await c.run(() => c.node('n2').update(key, { type: 'add', value: 'lost-put' }, { w: 2 }));
    // Acknowledged by n2 and n3; n1's silence becomes a hint at the request deadline.
    await c.clock.until(() => c.node('n2').status().counters.hintsRecorded === 1, 5_000, 50);
    const healMs = await restartAndTimeHeal(c, 'n1', new Map([[key, ['lost-put']]]), 2_000);
    expect(healMs).toBeLessThanOrEqual(500);
    await c.stop();
  });

  it('hints survive a restart of the coordinator that kept them', async () => {
    const c = await start(HINTS_ONLY, 44);
    c.crash('n1');
    await markedDown(c, 'n1');
    const keys = Array.from({ length: 10 }, (_, i) => `cart-${i}`);
    const written = new Map<string, string[]>();
    for (const key of keys) {
      await c.run(() => c.node('n2').update(key, { type: 'add', value: `v-${key}` }, { w: 2 }));
      written.set(key, [`v-${key}`]);
    }
    const backlog = c.node('n2').status().hintBacklog;
    expect(c.node('n2').status().counters.hintsRecorded).toBeGreaterThanOrEqual(keys.length);
    await c.advance(50); // the hint batch reaches storage
    await c.restart('n2');
    expect(c.node('n2').status().hintBacklog).toBe(backlog);

    await restartAndTimeHeal(c, 'n1', written, 3_000);
    expect(c.node('n2').status().counters.hintsDelivered).toBeGreaterThanOrEqual(keys.length);
    await c.clock.until(async () => (await c.storages.get('n2')!.partitions(HINTS_NS)).length === 0, 2_000);
    await c.stop();
  });

  it('bounds hint storage: past maxHints a hint is dropped and catch-up repairs the key', async () => {
    const c = await start(
      { ...FAST, maxHints: 5, aae: { intervalMs: PERIODIC_OFF, maxKeysPerExchange: 64 } },
      45,
    );
    c.crash('n1');
    await markedDown(c, 'n1');
    const keys = Array.from({ length: 40 }, (_, i) => `cart-${i}`);
    const written = new Map<string, string[]>();
    for (const key of keys) {
      await c.run(() => c.node('n2').update(key, { type: 'add', value: `v-${key}` }, { w: 2 }));
      written.set(key, [`v-${key}`]);
    }
    const s = c.node('n2').status();
    expect(s.counters.hintsRecorded).toBe(5);
    expect(s.counters.hintsDropped).toBeGreaterThanOrEqual(keys.length - 5 - 2);
    let stored = 0;
    const storage = c.storages.get('n2')!;
    for (const q of await storage.partitions(HINTS_NS))
      for await (const _ of storage.entries(HINTS_NS, q)) stored++;
    expect(stored).toBeLessThanOrEqual(5);

    await restartAndTimeHeal(c, 'n1', written, 5_000);
    await c.stop();
  });

  it('bounds catch-up by its rate: exchanges started per second stay under catchUpExchangesPerSecond', async () => {
    const c = await start(
      {
        ...FAST,
        maxHints: 0,
        aae: {
          intervalMs: PERIODIC_OFF,
          maxKeysPerExchange: 64,
          maxConcurrentExchanges: 2,
          catchUpExchangesPerSecond: 20,
        },
      },
      46,
    );
    c.crash('n1');
    await markedDown(c, 'n1');
    // Enough keys that most of the 64 trees n2 shares with n1 differ.
    const keys = Array.from({ length: 200 }, (_, i) => `cart-${i}`);
    const written = await writeThroughOthers(c, keys, keys.length);
    const before = c.node('n2').status().counters.aaeExchanges;
    await c.restart('n1');
    await c.clock.until(() => c.node('n2').status().aaeCatchUpBacklog > 0, 1_000, 10);
    await c.advance(1_000);
    const started = c.node('n2').status().counters.aaeExchanges - before;
    expect(started).toBeGreaterThan(0);
    expect(started).toBeLessThanOrEqual(21);
    expect(c.node('n2').status().aaeCatchUpBacklog).toBeGreaterThan(0); // differing trees wait their turn
    await c.clock.until(() => caughtUp(c, 'n1', written), 20_000, 100);
    await c.stop();
  });
});
