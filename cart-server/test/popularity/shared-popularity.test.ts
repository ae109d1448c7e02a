import { describe, expect, it } from 'vitest';
import { waitReady } from '../../src/catalog/cache/redis-client.js';
import { DAY_MS, dayKey } from '../../src/popularity/events.js';
import { LevelCounterStore } from '../../src/popularity/level-counter-store.js';
import { PopularityService } from '../../src/popularity/popularity-service.js';
import { LevelRankingStore } from '../../src/popularity/ranking-store.js';
import { RedisCounterStore } from '../../src/popularity/redis-counter-store.js';
import { RedisRankingStore } from '../../src/popularity/redis-ranking-store.js';
import type { LevelLike } from '../../src/storage/level-types.js';
import { diskDb } from '../catalog/helpers.js';
import { redisForFile } from '../support/redis.js';
import { counterStoreConformance, T0 } from './counter-store.conformance.js';
import { rankingStoreConformance } from './ranking-store.conformance.js';

const { client, server } = redisForFile();

let seq = 0;

counterStoreConformance('level', async () => {
  const d = await diskDb();
  return {
    open: async (now, windowDays) =>
      new LevelCounterStore(d.db, { now, ...(windowDays ? { windowDays } : {}) }),
    cleanup: d.close,
  };
});

counterStoreConformance('redis', async () => {
  const d = await diskDb();
  const r = await client();
  const prefix = `pop-${++seq}`;
  return {
    open: (now, windowDays) =>
      RedisCounterStore.open({
        redis: r,
        local: d.db,
        nodeId: 'n1',
        prefix,
        now,
        ...(windowDays ? { windowDays } : {}),
      }),
    cleanup: d.close,
  };
});

rankingStoreConformance('level', async () => {
  const d = await diskDb();
  return { store: new LevelRankingStore(d.db), cleanup: d.close };
});

rankingStoreConformance('redis', async () => {
  const r = await client();
  return {
    store: new RedisRankingStore({ redis: r, prefix: `rank-${++seq}` }),
    cleanup: async () => undefined,
  };
});

describe('RedisCounterStore: exactly-once flushes through the outbox', () => {
  it('a batch applied but not yet deleted from the outbox (a crash in between) is not counted twice', async () => {
    const d = await diskDb();
    const r = await client();
    const prefix = `pop-${++seq}`;
    const now = () => T0;
    const s = await RedisCounterStore.open({ redis: r, local: d.db, nodeId: 'n1', prefix, now });
    for (let i = 0; i < 3; i++) s.record({ type: 'view', productId: 'p' });
    await s.flush();
    // Put the applied batch back, as if the process died after the script and before the delete.
    const outbox = d.db.sublevel('popularity-outbox', { valueEncoding: 'utf8' });
    await outbox.put(`b!${'1'.padStart(15, '0')}`, JSON.stringify([[dayKey(T0), 'p', 3, 0, 0]]));
    const restarted = await RedisCounterStore.open({ redis: r, local: d.db, nodeId: 'n1', prefix, now });
    expect(await restarted.outboxSize()).toBe(1);
    restarted.record({ type: 'view', productId: 'p' });
    await restarted.flush();
    expect(await restarted.outboxSize()).toBe(0);
    expect(await restarted.countsOf('p', dayKey(T0))).toEqual([4, 0, 0]);
    await d.close();
  });

  it('a wiped node (same id, new outbox) starts a new writer instead of being taken for old batches', async () => {
    const r = await client();
    const prefix = `pop-${++seq}`;
    const now = () => T0;
    const first = await diskDb();
    const a = await RedisCounterStore.open({ redis: r, local: first.db, nodeId: 'n1', prefix, now });
    for (let i = 0; i < 5; i++) {
      a.record({ type: 'view', productId: 'p' });
      await a.flush(); // five batches: seq 1..5
    }
    await first.close();
    const second = await diskDb();
    const b = await RedisCounterStore.open({ redis: r, local: second.db, nodeId: 'n1', prefix, now });
    expect(b.writer).not.toBe(a.writer);
    b.record({ type: 'view', productId: 'p' });
    await b.flush(); // seq 1 again, under the new writer
    expect(await b.countsOf('p', dayKey(T0))).toEqual([6, 0, 0]);
    await second.close();
  });

  it('while Redis is down a flush fails with POPULARITY_UNAVAILABLE and keeps the counts; they land once when it returns', async () => {
    const d = await diskDb();
    const r = await client();
    const prefix = `pop-${++seq}`;
    const s = await RedisCounterStore.open({ redis: r, local: d.db, nodeId: 'n1', prefix, now: () => T0 });
    await server().kill(); // (an unpersisted test server: it comes back empty)
    s.record({ type: 'order', productId: 'q', quantity: 2 });
    await expect(s.flush()).rejects.toMatchObject({ code: 'POPULARITY_UNAVAILABLE' });
    s.record({ type: 'order', productId: 'q', quantity: 1 });
    await expect(s.flush()).rejects.toMatchObject({ code: 'POPULARITY_UNAVAILABLE' });
    expect(await s.outboxSize()).toBe(2);
    await server().start();
    await waitReady(r, 10_000);
    await s.flush();
    await s.flush();
    expect(await s.outboxSize()).toBe(0);
    expect(await s.countsOf('q', dayKey(T0))).toEqual([0, 0, 3]);
    await d.close();
  });
});

interface Node {
  svc: PopularityService;
  close(): Promise<void>;
}

async function node(
  id: string,
  prefix: string,
  options: { now?: () => number; rankIntervalMs?: number; onRanking?: () => void } = {},
): Promise<Node> {
  const d = await diskDb();
  const r = await client();
  const subscriber = await client();
  const now = options.now ?? (() => T0);
  const svc = new PopularityService(d.db as LevelLike, {
    holder: id,
    topK: 3,
    now,
    flushIntervalMs: 0,
    counters: await RedisCounterStore.open({ redis: r, local: d.db, nodeId: id, prefix, now }),
    rankings: new RedisRankingStore({ redis: r, subscriber, prefix }),
    ...(options.rankIntervalMs === undefined ? {} : { rankIntervalMs: options.rankIntervalMs }),
    ...(options.onRanking === undefined ? {} : { onRanking: options.onRanking }),
  });
  await svc.open();
  return {
    svc,
    close: async () => {
      await svc.close();
      await d.close();
    },
  };
}

describe('PopularityService on three nodes sharing Redis', () => {
  it('views on every node make one ranking, which every node adopts', async () => {
    const prefix = `pop-${++seq}`;
    const nodes = await Promise.all(['n1', 'n2', 'n3'].map((id) => node(id, prefix)));
    try {
      // Each product is popular on one node only; together they rank c > b > a > d.
      const views: Array<[number, string, number]> = [
        [0, 'a', 4],
        [1, 'b', 3],
        [2, 'b', 3],
        [2, 'c', 8],
        [0, 'd', 1],
        [1, 'a', 1],
      ];
      for (const [n, id, count] of views)
        for (let i = 0; i < count; i++) nodes[n]!.svc.record({ type: 'view', productId: id });
      await Promise.all(nodes.map((n) => n.svc.flush()));
      const ranking = await nodes[1]!.svc.rank();
      expect(ranking.top).toEqual(['c', 'b', 'a']);
      // The others hear of it (pub/sub) without ranking themselves.
      const deadline = Date.now() + 10_000;
      while (nodes.some((n) => n.svc.latest().fence !== ranking.fence) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      for (const n of nodes) expect(n.svc.latest()).toEqual(ranking);
    } finally {
      for (const n of nodes) await n.close();
    }
  });

  it('the periodic job runs once per cluster per period, whoever gets the lease', async () => {
    const prefix = `pop-${++seq}`;
    let now = T0;
    let computed = 0;
    const nodes = await Promise.all(
      ['n1', 'n2', 'n3'].map((id) => node(id, prefix, { now: () => now, rankIntervalMs: DAY_MS })),
    );
    try {
      nodes[0]!.svc.record({ type: 'view', productId: 'x' });
      await nodes[0]!.svc.flush();
      const count = async () => {
        const results = await Promise.all(nodes.map((n) => n.svc.rankIfDue(now)));
        computed += results.filter((r) => r !== undefined).length;
      };
      await count();
      await count();
      expect(computed).toBe(1); // three nodes, twice each, one period: one job
      now += DAY_MS;
      await count();
      expect(computed).toBe(2);
      const fences = new Set(nodes.map((n) => n.svc.latest().fence));
      await Promise.all(nodes.map((n) => n.svc.refresh()));
      expect(new Set(nodes.map((n) => n.svc.latest().fence)).size).toBe(1);
      expect(fences.size).toBeGreaterThan(0);
    } finally {
      for (const n of nodes) await n.close();
    }
  });

  it('rank() on two nodes at once: both wait their turn, the later fence wins everywhere', async () => {
    const prefix = `pop-${++seq}`;
    const nodes = await Promise.all(['n1', 'n2'].map((id) => node(id, prefix)));
    try {
      nodes[0]!.svc.record({ type: 'cart_add', productId: 'y', quantity: 2 });
      const [a, b] = await Promise.all(nodes.map((n) => n.svc.rank()));
      expect(a!.fence).not.toBe(b!.fence);
      await Promise.all(nodes.map((n) => n.svc.refresh()));
      const last = Math.max(a!.fence!, b!.fence!);
      for (const n of nodes) expect(n.svc.latest().fence).toBe(last);
    } finally {
      for (const n of nodes) await n.close();
    }
  });
});
