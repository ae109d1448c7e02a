/**
 * Three real nodes on loopback (N=3, R=2, W=2). Failure scenarios in the spirit of riak_test and
 * Jepsen's Riak set test: writes keep succeeding with a node SIGKILLed, the node catches up after a
 * restart (hinted handoff, read repair, anti-entropy), and a 1,000-add set workload across all
 * nodes with a kill/restart loses no acknowledged add on any replica.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Api,
  api,
  createCluster,
  removeTempDirs,
  type ServerProcess,
  token,
  waitFor,
} from './support/server-process.js';

let nodes: ServerProcess[] = [];

beforeAll(async () => {
  nodes = await createCluster(3, ['--max-lines-per-cart', '5000']);
  // All peers up everywhere before the faults start.
  await waitFor(async () => {
    for (const n of nodes) {
      const s = (await api(n.url)('GET', '/v1/cluster/status')).json as { members: { up: boolean }[] };
      if (!s.members.every((m) => m.up)) return undefined;
    }
    return true;
  }, 'cluster membership up');
}, 120_000);

afterAll(async () => {
  for (const n of nodes) await n.kill();
  removeTempDirs();
});

async function localLines(node: ServerProcess, user: string, cartId: string): Promise<Set<string>> {
  const admin = api(node.url, await token('ops', { role: 'admin' }));
  const res = await admin('GET', `/v1/admin/carts/${user}/${cartId}/local`);
  if (res.status !== 200) throw new Error(`local view ${res.status}`);
  return new Set((res.json as { lines: { productId: string }[] }).lines.map((l) => l.productId));
}

async function everyReplicaHas(user: string, cartId: string, acked: Set<string>): Promise<true | undefined> {
  for (const n of nodes) {
    const present = await localLines(n, user, cartId);
    for (const p of acked) if (!present.has(p)) return undefined;
  }
  return true;
}

describe('3-node cluster, W=2', () => {
  it('keeps acknowledging writes while a node is SIGKILLed, and the node catches up after restart', async () => {
    const user = 'cluster-user';
    const clients: Api[] = await Promise.all(
      nodes.slice(0, 2).map(async (n) => api(n.url, await token(user))),
    );
    const acked = new Set<string>();
    const failures: unknown[] = [];
    let i = 0;
    const writeSome = async (count: number) => {
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let k = 0; k < count / 4; k++) {
            const productId = `s${i++}`;
            const res = await clients[i % 2]!('POST', '/v1/carts/stream/items', { productId });
            if (res.status === 200) acked.add(productId);
            else failures.push(res.json);
          }
        }),
      );
    };
    await writeSome(40);
    const victim = nodes[2]!;
    await victim.kill();
    await writeSome(80); // while n3 is down (and before/after it is detected as down)
    expect(failures).toEqual([]);
    expect(acked.size).toBe(120);

    await victim.start();
    // Catch-up without any client read on n3 (which would repair it): handoff and anti-entropy.
    await waitFor(() => everyReplicaHas(user, 'stream', acked), 'n3 to catch up', 60_000);
    const status = (await api(nodes[0]!.url)('GET', '/v1/cluster/status')).json as {
      counters: Record<string, number>;
    };
    expect(status.counters.aaeExchanges).toBeGreaterThan(0);
  }, 120_000);

  it('Jepsen-style set test: 1,000 concurrent adds across all nodes with a kill/restart lose nothing acknowledged', async () => {
    const user = 'jepsen-user';
    const bearer = await token(user);
    const acked = new Set<string>();
    const attempted = new Set<string>();
    const total = 1000;
    let next = 0;
    const victim = nodes[1]!;
    let phase: 'before' | 'down' | 'after' = 'before';
    const worker = async (w: number) => {
      for (;;) {
        const n = next++;
        if (n >= total) return;
        const productId = `e${n}`;
        attempted.add(productId);
        // Spread over every node that is up; the client does not know about the kill in advance.
        const candidates = nodes.filter((x) => x !== victim || phase !== 'down');
        const node = candidates[(n + w) % candidates.length]!;
        try {
          const res = await api(node.url, bearer)('POST', '/v1/carts/set/items', { productId });
          if (res.status === 200) acked.add(productId);
        } catch {
          // connection refused/reset by the killed node: not acknowledged
        }
      }
    };
    const nemesis = (async () => {
      await waitFor(() => (next >= total * 0.3 ? true : undefined), 'progress before kill', 60_000);
      await victim.kill();
      phase = 'down';
      await waitFor(() => (next >= total * 0.6 ? true : undefined), 'progress while down', 60_000);
      await victim.start();
      phase = 'after';
    })();
    await Promise.all(Array.from({ length: 16 }, (_, w) => worker(w)));
    await nemesis;
    expect(attempted.size).toBe(total);
    expect(acked.size).toBeGreaterThan(total * 0.9);
    await waitFor(
      () => everyReplicaHas(user, 'set', acked),
      'every replica to hold every acknowledged add',
      90_000,
    );
    // A quorum read through every node agrees too.
    for (const n of nodes) {
      const lines = (
        (await api(n.url, bearer)('GET', '/v1/carts/set')).json as { lines: { productId: string }[] }
      ).lines;
      const present = new Set(lines.map((l) => l.productId));
      expect([...acked].filter((p) => !present.has(p))).toEqual([]);
    }
  }, 180_000);
});
