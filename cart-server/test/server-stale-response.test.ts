/**
 * Read-your-writes in responses (issue 12): the answer to an add, set or remove never contains a
 * line that a quorum read at that moment would not show. Four real nodes, N=3 R=2 W=2: cart
 * {X, Y, K}; SIGKILL one of its replicas and wait until the others mark it down; DELETE X and Y
 * through another node; restart the killed node and add Z through it at once, before anything
 * heals its replica. The add used to answer from that node's own stale replica: {K, X, Y, Z}
 * (this test fails on that server). Now the core joins into the answer the state of every
 * acknowledging replica that differs from the coordinator's. Hinted handoff and periodic
 * anti-entropy are slowed down (the last flag wins over the helper's fast timers) so that the
 * restarted replica is still stale when the add arrives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createCluster,
  removeTempDirs,
  type ServerProcess,
  token,
  waitFor,
} from './support/server-process.js';

const USER = 'stale-user';

let nodes: ServerProcess[] = [];

interface Status {
  members: { node: string; up: boolean }[];
}

interface CartBody {
  lines: { productId: string; quantity: number }[];
}

async function membersUp(node: ServerProcess): Promise<Map<string, boolean>> {
  const res = await api(node.url)('GET', '/v1/cluster/status');
  if (res.status !== 200) throw new Error(`status ${res.status}`);
  return new Map((res.json as Status).members.map((m) => [m.node, m.up]));
}

/** `node`'s own replicas of the cart (admin view, no quorum round): undefined when it holds none. */
async function localLines(node: ServerProcess, cartId: string): Promise<string[] | undefined> {
  const admin = api(node.url, await token('ops', { role: 'admin' }));
  const res = await admin('GET', `/v1/admin/carts/${USER}/${cartId}/local`);
  if (res.status !== 200) throw new Error(`local view ${res.status}`);
  const body = res.json as { partitions: number[]; lines: { productId: string }[] };
  if (body.partitions.length === 0) return undefined;
  return body.lines.map((l) => l.productId).sort();
}

beforeAll(async () => {
  nodes = await createCluster(4, ['--handoff-interval-ms', '600000', '--aae-interval-ms', '3600000']);
  await waitFor(async () => {
    for (const n of nodes) if (![...(await membersUp(n)).values()].every(Boolean)) return undefined;
    return true;
  }, 'cluster membership up');
}, 120_000);

afterAll(async () => {
  for (const n of nodes) await n.kill();
  removeTempDirs();
});

describe('answers of a restarted, stale replica (4 nodes, N=3)', () => {
  it('never show lines that a quorum read would not show', async () => {
    const cartId = 'stale';
    const bearer = await token(USER);
    const full = { prefer: 'return=representation' };
    for (const productId of ['X', 'Y', 'K'])
      expect(
        (await api(nodes[0]!.url, bearer)('POST', `/v1/carts/${cartId}/items`, { productId })).status,
      ).toBe(200);
    // The three replicas hold {K, X, Y} (W=2 acknowledged; the third gets it too, shortly after).
    const replicas = await waitFor(async () => {
      const holding: ServerProcess[] = [];
      for (const n of nodes) {
        const lines = await localLines(n, cartId);
        if (lines === undefined) continue;
        if (lines.join() !== 'K,X,Y') return undefined;
        holding.push(n);
      }
      return holding.length === 3 ? holding : undefined;
    }, 'three replicas holding {K, X, Y}');
    const victim = replicas[0]!;
    const other = nodes.find((n) => n !== victim)!;

    await victim.kill();
    await waitFor(
      async () => ((await membersUp(other)).get(victim.nodeId) === false ? true : undefined),
      `${other.nodeId} to mark ${victim.nodeId} down`,
    );
    const through = api(other.url, bearer);
    expect((await through('DELETE', `/v1/carts/${cartId}/items/X`)).status).toBe(200);
    expect((await through('DELETE', `/v1/carts/${cartId}/items/Y`)).status).toBe(200);

    await victim.start();
    const viaVictim = api(victim.url, bearer);
    const added = await viaVictim('POST', `/v1/carts/${cartId}/items`, { productId: 'Z' }, full);
    expect(added.status).toBe(200);
    const shown = (added.json as CartBody).lines.map((l) => l.productId);
    const quorum = ((await viaVictim('GET', `/v1/carts/${cartId}`)).json as CartBody).lines.map(
      (l) => l.productId,
    );
    expect(quorum).toEqual(['K', 'Z']);
    expect(shown).toEqual(['K', 'Z']);

    // The compact answer of a re-add reports the line as a quorum sees it: X's old unit was removed.
    const readded = await viaVictim('POST', `/v1/carts/${cartId}/items`, { productId: 'X' });
    expect(readded.json).toMatchObject({ changed: [{ productId: 'X', quantity: 1 }] });
  }, 120_000);
});
