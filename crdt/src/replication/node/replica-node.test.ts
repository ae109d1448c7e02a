import { describe, expect, it } from 'vitest';
import { QuorumError } from '../../errors.js';
import { dotSetDelta, dotSetType, dotSetValues } from '../testing/dot-set-type.js';
import { TestCluster } from '../testing/test-cluster.js';

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];
const FAST = {
  heartbeatIntervalMs: 100,
  failureTimeoutMs: 500,
  requestTimeoutMs: 1_000,
  handoffIntervalMs: 200,
  aae: { intervalMs: 200, maxKeysPerExchange: 64 },
};

function cluster(seed = 1, nodes = NODES) {
  return new TestCluster({
    type: dotSetType,
    nodes,
    seed,
    config: FAST,
    network: { minDelayMs: 1, maxDelayMs: 5 },
  });
}

describe('ReplicaNode quorums', () => {
  it('update then get returns the value from a quorum (every node may coordinate)', async () => {
    const c = await cluster().start();
    for (const [i, n] of NODES.entries()) {
      const res = await c.run(() => c.node(n).update('cart-1', { type: 'add', value: `v${i}` }));
      expect(dotSetValues(res.state)).toContain(`v${i}`);
    }
    const got = await c.run(() => c.node('n3').get('cart-1'));
    expect(dotSetValues(got.state)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
    expect(got.replies).toBeGreaterThanOrEqual(2);
    expect(got.state.conflicts.size).toBe(0);
    await c.stop();
  });

  it('writes succeed with one primary down (W=2) and fail with two down (W=3 needs all)', async () => {
    const c = await cluster(2).start();
    const key = 'k-down';
    const pl = c.node('n1').preferenceList(key);
    const primaries = pl.map((e) => e.node);
    const coordinator = NODES.find((n) => n !== primaries[1] && n !== primaries[2])!;
    c.crash(primaries[2]!);
    await c.advance(1_000); // failure detector notices
    await c.run(() => c.node(coordinator).update(key, { type: 'add', value: 'a' }));
    c.crash(primaries[1]!);
    await c.advance(1_000);
    const live = NODES.find((n) => c.running.includes(n))!;
    // Sloppy quorum: fallbacks take the down primaries' places, W=3 still reachable ...
    await c.run(() => c.node(live).update(key, { type: 'add', value: 'b' }, { w: 3 }));
    // ... but PW=2 refuses fallbacks: only one primary is up.
    const err = await c
      .run(() => c.node(live).update(key, { type: 'add', value: 'c' }, { pw: 2 }))
      .catch((e) => e);
    expect(err).toBeInstanceOf(QuorumError);
    expect(err.code).toBe('QUORUM_NOT_MET');
    expect(err.kind).toBe('pw');
    expect(err.needed).toBe(2);
    const rerr = await c.run(() => c.node(live).get(key, { pr: 2 })).catch((e) => e);
    expect(rerr).toBeInstanceOf(QuorumError);
    expect(rerr.kind).toBe('pr');
    await c.stop();
  });

  it('QuorumError says how many replied when replicas are unreachable', async () => {
    const c = await cluster(3).start();
    const key = 'k-part';
    // Cut n1 off from everyone before the failure detector can notice: requests time out.
    c.network.partition([['n1'], NODES.slice(1)]);
    const pl = c.node('n1').preferenceList(key);
    const err = await c.run(() => c.node('n1').get(key, { r: 3 })).catch((e) => e);
    expect(err).toBeInstanceOf(QuorumError);
    expect(err.kind).toBe('r');
    expect(err.needed).toBe(3);
    expect(err.replied).toBe(pl.some((e) => e.node === 'n1') ? 1 : 0);
    await c.stop();
  });

  it('mergeDelta merges a client delta as-is on W replicas and fires onChange', async () => {
    const changes: string[] = [];
    const c = await new TestCluster({
      type: dotSetType,
      nodes: NODES,
      config: FAST,
      onChange: (node, key, state) => changes.push(`${node}:${key}:${dotSetValues(state).join(',')}`),
    }).start();
    const res = await c.run(() => c.node('n2').mergeDelta('cart-9', dotSetDelta('device-a', 1, 'apple')));
    expect(dotSetValues(res.state)).toEqual(['apple']);
    await c.advance(100);
    const reps = await c.replicas('cart-9');
    expect(reps.length).toBe(3);
    expect(changes.filter((x) => x.endsWith(':cart-9:apple')).length).toBe(3);
    await c.stop();
  });

  it('an acknowledged update survives a crash of the coordinator (durable before ack)', async () => {
    const c = await cluster(4).start();
    const key = 'k-crash';
    const coord = c.node('n1').preferenceList(key)[0]!.node;
    await c.run(() => c.node(coord).update(key, { type: 'add', value: 'x' }));
    c.crash(coord);
    await c.restart(coord);
    await c.advance(500);
    const got = await c.run(() => c.node(coord).get(key, { r: 3 }));
    expect(dotSetValues(got.state)).toEqual(['x']);
    // The same actor and epoch after a clean restart; new dots never reuse old ones.
    await c.run(() => c.node(coord).update(key, { type: 'add', value: 'y' }));
    const after = await c.run(() => c.node(coord).get(key, { r: 3 }));
    expect(dotSetValues(after.state)).toEqual(['x', 'y']);
    expect(after.state.conflicts.size).toBe(0);
    await c.stop();
  });

  it('a node restarted on wiped storage mints under a new epoch (kv679)', async () => {
    const c = await cluster(5).start();
    const key = 'k-wipe';
    const coord = c.node('n1').preferenceList(key)[0]!.node;
    const actor1 = c.node(coord).actorId;
    await c.run(() => c.node(coord).update(key, { type: 'add', value: 'before' }));
    c.wipe(coord);
    await c.startNode(coord);
    expect(c.node(coord).actorId).not.toBe(actor1);
    await c.run(() => c.node(coord).update(key, { type: 'add', value: 'after' }));
    await c.advance(500);
    const got = await c.run(() => c.node(coord).get(key, { r: 3 }));
    expect(dotSetValues(got.state)).toEqual(['after', 'before']);
    expect(got.state.conflicts.size).toBe(0);
    await c.stop();
  });
});

describe('ReplicaNode lifecycle and misuse', () => {
  it('rejects bad keys and options with TypeError, and requests after stop with REPLICATION_STOPPED', async () => {
    const c = await cluster(6).start();
    const n = c.node('n1');
    await expect(n.get('')).rejects.toBeInstanceOf(TypeError);
    await expect(n.update('cart-\ud800', { type: 'add', value: 'x' })).rejects.toBeInstanceOf(TypeError);
    await expect(n.update('k', { type: 'add', value: 'x' }, { w: 4 })).rejects.toBeInstanceOf(TypeError);
    await expect(n.get('k', { pr: -1 })).rejects.toBeInstanceOf(TypeError);
    // A pending forwarded update is answered when the node stops.
    const key = Array.from({ length: 50 }, (_, i) => `key-${i}`).find(
      (k) => !n.preferenceList(k).some((e) => e.node === 'n1'),
    )!;
    c.network.partition([['n1'], NODES.slice(1)]);
    const pending = n.update(key, { type: 'add', value: 'y' }).catch((e) => e);
    await c.advance(10);
    await n.stop();
    expect((await pending).code).toBe('REPLICATION_STOPPED');
    await expect(n.get('k')).rejects.toMatchObject({ code: 'REPLICATION_STOPPED' });
    expect(n.status().counters.messagesSent).toBeGreaterThan(0);
    await c.stop();
  });

  it('drops undecodable messages and counts them', async () => {
    const c = await cluster(7).start();
    const rogue = c.network.transport('rogue');
    rogue.send('n1', Uint8Array.from([9, 9, 9]));
    rogue.send('n1', Uint8Array.from([1, 3, 0xff]));
    await c.advance(20);
    expect(c.node('n1').status().counters.decodeErrors).toBe(2);
    const got = await c.run(() => c.node('n1').get('still-works'));
    expect(got.replies).toBeGreaterThanOrEqual(2);
    await c.stop();
  });

  it('hands every client request to onRequest with the promise it settles by; a throwing observer changes nothing', async () => {
    const seen: Array<{ node: string; kind: string; outcome?: string }> = [];
    const c = await new TestCluster({
      type: dotSetType,
      nodes: NODES,
      seed: 8,
      config: FAST,
      network: { minDelayMs: 1, maxDelayMs: 5 },
      onRequest: (node, kind, settled) => {
        const entry: { node: string; kind: string; outcome?: string } = { node, kind };
        seen.push(entry);
        settled.then(
          () => {
            entry.outcome = 'ok';
          },
          () => {
            entry.outcome = 'error';
          },
        );
        if (kind === 'get') throw new Error('observer bug');
      },
    }).start();
    await c.run(() => c.node('n1').update('k-obs', { type: 'add', value: 'a' }));
    await c.run(() => c.node('n2').mergeDelta('k-obs', dotSetDelta('dev-1', 1, 'b')));
    const got = await c.run(() => c.node('n3').get('k-obs'));
    expect(dotSetValues(got.state)).toEqual(['a', 'b']);
    await expect(c.node('n1').update('k-obs', { type: 'add', value: 'x' }, { w: 9 })).rejects.toBeInstanceOf(
      TypeError,
    );
    await c.advance(1);
    expect(seen).toEqual([
      { node: 'n1', kind: 'put', outcome: 'ok' },
      { node: 'n2', kind: 'put', outcome: 'ok' },
      { node: 'n3', kind: 'get', outcome: 'ok' },
      { node: 'n1', kind: 'put', outcome: 'error' },
    ]);
    await c.stop();
  });
});
