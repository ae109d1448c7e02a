/**
 * The replication core's main property, in the spirit of riak_dt's prop_converge and Jepsen's
 * set test: over random small histories with message loss, duplication, reordering (random
 * delays), partitions and node crashes (drop the ReplicaNode, restart on the same storage),
 * once the network heals and anti-entropy has run, every replica of every key is equal and
 * contains every acknowledged update, and no dot was ever minted twice.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DotSet, dotSetDelta, dotSetType, dotSetValues } from './testing/dot-set-type.js';
import { TestCluster } from './testing/test-cluster.js';

type Action =
  | { kind: 'update'; node: number; key: number; w: number }
  | { kind: 'merge'; node: number; key: number; w: number }
  | { kind: 'crash'; node: number }
  | { kind: 'restart'; node: number }
  | { kind: 'partition'; cut: number[] }
  | { kind: 'heal' }
  | { kind: 'wait'; ms: number }
  | { kind: 'join' }
  | { kind: 'leave'; node: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('update' as const),
      node: fc.nat(4),
      key: fc.nat(3),
      w: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('merge' as const),
      node: fc.nat(4),
      key: fc.nat(3),
      w: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), node: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const), node: fc.nat(4) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('partition' as const),
      cut: fc.uniqueArray(fc.nat(4), { minLength: 1, maxLength: 2 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('heal' as const) }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 1500 }) }),
  },
);

const membershipAction: fc.Arbitrary<Action> = fc.oneof(
  { weight: 10, arbitrary: action },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('join' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('leave' as const), node: fc.nat(5) }) },
);

const scenario = fc.record({
  seed: fc.nat(),
  nodes: fc.integer({ min: 3, max: 5 }),
  ringSize: fc.constantFrom(8, 16),
  loss: fc.constantFrom(0, 0.05, 0.2),
  duplicate: fc.constantFrom(0, 0.1, 0.3),
  maxDelayMs: fc.constantFrom(1, 20, 200),
  actions: fc.array(action, { minLength: 5, maxLength: 40 }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

const JOINER = 'n9';

async function check(s: Scenario): Promise<void> {
  const ids = Array.from({ length: s.nodes }, (_, i) => `n${i + 1}`);
  const everyone = [...ids];
  const c = await new TestCluster({
    type: dotSetType,
    nodes: ids,
    seed: s.seed,
    config: {
      ringSize: s.ringSize,
      heartbeatIntervalMs: 200,
      failureTimeoutMs: 1_000,
      requestTimeoutMs: 1_000,
      handoffIntervalMs: 300,
      aae: { intervalMs: 150, maxKeysPerExchange: 16 },
    },
    network: { minDelayMs: 0.5, maxDelayMs: s.maxDelayMs, loss: s.loss, duplicate: s.duplicate },
  }).start();
  const acked = new Map<string, Set<string>>();
  let n = 0;
  const ack = (key: string, value: string) => () => {
    const set = acked.get(key) ?? new Set<string>();
    set.add(value);
    acked.set(key, set);
  };
  for (const a of s.actions) {
    const id = ids[('node' in a ? a.node : 0) % s.nodes]!;
    switch (a.kind) {
      case 'update':
      case 'merge': {
        if (!c.running.includes(id)) break;
        const key = `k${a.key}`;
        const value = `${a.kind}-${n++}`;
        const p =
          a.kind === 'update'
            ? c.node(id).update(key, { type: 'add', value }, { w: a.w })
            : c.node(id).mergeDelta(key, dotSetDelta(`client-${value}`, 1, value), { w: a.w });
        p.then(ack(key, value), () => {});
        await c.advance(5);
        break;
      }
      case 'crash':
        if (c.running.length > 1) c.crash(id);
        break;
      case 'restart':
        if (!c.running.includes(id)) await c.startNode(id);
        break;
      case 'partition':
        c.network.partition([a.cut.map((i) => ids[i % s.nodes]!), ids.filter((_, i) => !a.cut.includes(i))]);
        break;
      case 'heal':
        c.network.heal();
        break;
      case 'wait':
        await c.advance(a.ms);
        break;
      case 'join': {
        if (everyone.includes(JOINER) || c.running.length === 0) break;
        everyone.push(JOINER);
        await c.startNode(JOINER, ids);
        c.node(c.running[0]!)
          .join(JOINER)
          .catch(() => {});
        await c.advance(5);
        break;
      }
      case 'leave': {
        const who = everyone[a.node % everyone.length]!;
        const via = c.running.find((r) => r !== who);
        if (via === undefined || c.node(via).currentRing().validMembers().length < 4) break;
        c.node(via)
          .leave(who)
          .catch(() => {});
        await c.advance(5);
        break;
      }
    }
  }
  // Heal everything, let in-flight requests finish, then wait for anti-entropy to converge.
  c.network.heal();
  c.network.setFaults({ loss: 0, duplicate: 0 });
  for (const id of everyone) if (!c.running.includes(id)) await c.startNode(id);
  await c.advance(3_000);
  const keys = ['k0', 'k1', 'k2', 'k3'];
  const converged = async (): Promise<boolean> => {
    const ring = c.node(everyone[0]!).currentRing();
    if (everyone.some((id) => !c.node(id).currentRing().equals(ring))) return false;
    if (ring.pendingTransfers().length > 0) return false;
    // Nothing left on nodes that do not own it (hints delivered, handoffs finished).
    for (const id of everyone) {
      for (const q of c.node(id).localPartitions()) if (ring.ownerOf(q) !== id) return false;
    }
    for (const key of keys) {
      const p = ring.partitionOf(key);
      let first: DotSet | undefined;
      for (let j = 0; j < 3; j++) {
        const q = (p + j) % ring.size;
        const st = (await c.node(ring.ownerOf(q)).localState(q, key)) ?? dotSetType.empty();
        if (first === undefined) first = st;
        else if (!dotSetType.equals(first, st)) return false;
      }
      const values = new Set(dotSetValues(first!));
      for (const v of acked.get(key) ?? []) if (!values.has(v)) return false;
    }
    return true;
  };
  await c.clock.until(converged, 300_000, 250);
  // Every replica anywhere: no dot minted twice (kv679) and nothing acknowledged missing.
  for (const key of keys) {
    for (const r of await c.replicas(key)) expect(r.state.conflicts.size).toBe(0);
  }
  await c.stop();
}

describe('replication converges under faults (property)', () => {
  // Regression: n3 handed q5 to its next owner n2 while n2 (a ring behind) handed the same copy
  // back to n3 as a hint; each side then deleted its copy on the other's acknowledgement, and a
  // write acknowledged with W=1 was gone. A vnode a node has come to own is never emptied by a
  // handoff's acknowledgement now.
  it('regression: a handoff bounced by a stale peer leaves a copy (seed 1023436205)', async () => {
    await check(
      JSON.parse(
        '{"seed":1023436205,"nodes":3,"ringSize":8,"loss":0.2,"duplicate":0.3,"maxDelayMs":200,"actions":[{"kind":"leave","node":3},{"kind":"update","node":1,"key":2,"w":1},{"kind":"update","node":4,"key":2,"w":1},{"kind":"merge","node":2,"key":2,"w":2},{"kind":"update","node":2,"key":0,"w":3},{"kind":"update","node":0,"key":2,"w":3},{"kind":"update","node":4,"key":3,"w":1},{"kind":"merge","node":3,"key":0,"w":3},{"kind":"join"},{"kind":"partition","cut":[2]},{"kind":"merge","node":2,"key":2,"w":2},{"kind":"update","node":2,"key":1,"w":1},{"kind":"update","node":1,"key":0,"w":1},{"kind":"heal"}]}',
      ),
    );
  }, 120_000);

  it('regression: a scenario with joins and restarts under 20% loss converges (seed 1724379142)', async () => {
    await check(
      JSON.parse(
        '{"seed":1724379142,"nodes":4,"ringSize":8,"loss":0.2,"duplicate":0.1,"maxDelayMs":200,"actions":[{"kind":"wait","ms":1140},{"kind":"update","node":0,"key":0,"w":2},{"kind":"restart","node":2},{"kind":"wait","ms":279},{"kind":"merge","node":4,"key":1,"w":3},{"kind":"join"},{"kind":"merge","node":2,"key":0,"w":1},{"kind":"partition","cut":[0,4]},{"kind":"update","node":0,"key":3,"w":1},{"kind":"merge","node":1,"key":2,"w":3},{"kind":"wait","ms":7},{"kind":"restart","node":4},{"kind":"update","node":0,"key":2,"w":2}]}',
      ),
    );
  }, 120_000);

  it('also while nodes join and leave', async () => {
    await fc.assert(
      fc.asyncProperty(
        scenario.chain((sc) =>
          fc.array(membershipAction, { minLength: 5, maxLength: 40 }).map((actions) => ({ ...sc, actions })),
        ),
        async (sc) => {
          await check(sc);
        },
      ),
      { numRuns: 25, endOnFailure: true },
    );
  }, 120_000);

  it('after heal, quiescence and anti-entropy all replicas are equal and hold every acknowledged update', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        await check(s);
      }),
      { numRuns: 60, endOnFailure: true },
    );
  }, 120_000);
});
