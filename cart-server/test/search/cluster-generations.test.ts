import { describe, expect, it } from 'vitest';
import { CachedProductReader } from '../../src/catalog/cache/cached-reader.js';
import { LruProductCache } from '../../src/catalog/cache/lru-product-cache.js';
import { LevelProductStore } from '../../src/catalog/store/level-product-store.js';
import { PopularityService } from '../../src/popularity/popularity-service.js';
import { LocalGenerationBoard, RedisGenerationBoard } from '../../src/search/generation-board.js';
import { RedisGenerationPointer } from '../../src/search/generation-pointer.js';
import { SearchGenerations } from '../../src/search/generations.js';
import { search } from '../../src/search/search-engine.js';
import { diskDb, generated } from '../catalog/helpers.js';
import { redisForFile } from '../support/redis.js';
import { generationBoardConformance } from './generation-board.conformance.js';

const { client } = redisForFile();

let seq = 0;

generationBoardConformance('local', async () => ({
  board: new LocalGenerationBoard(),
  cleanup: async () => undefined,
}));
generationBoardConformance('redis', async () => {
  const prefix = `board-${++seq}`;
  const [a, b, sub] = [await client(), await client(), await client()];
  return {
    board: new RedisGenerationBoard({ redis: a, prefix }),
    peer: new RedisGenerationBoard({ redis: b, subscriber: sub, prefix }),
    cleanup: async () => undefined,
  };
});

const CATALOG = generated(600, 21);

interface NodeRig {
  readonly id: string;
  readonly popularity: PopularityService;
  generations: SearchGenerations;
  /** Stops this node's search (a process exit) and starts it again over the same data. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

async function cluster(size: number, options: { promoteWaitMs?: number } = {}) {
  const prefix = `cl-${++seq}`;
  const rigs: NodeRig[] = [];
  for (let i = 1; i <= size; i++) {
    const id = `n${i}`;
    const d = await diskDb();
    const store = new LevelProductStore(d.db);
    await store.putMany(CATALOG);
    const popularity = new PopularityService(d.db, { flushIntervalMs: 0, topK: 10, holder: id });
    const reader = new CachedProductReader(store, new LruProductCache());
    const make = async (): Promise<SearchGenerations> => {
      const [r, sub] = [await client(), await client()];
      const g = new SearchGenerations({
        store,
        popularity,
        nodeId: id,
        pointer: new RedisGenerationPointer(r, `${prefix}:pointer`),
        board: new RedisGenerationBoard({ redis: r, subscriber: sub, prefix, livenessMs: 3000 }),
        warm: (ids) => reader.warm(ids),
        heartbeatMs: 200,
        yieldEvery: 64,
        ...(options.promoteWaitMs === undefined ? {} : { promoteWaitMs: options.promoteWaitMs }),
      });
      await g.start();
      return g;
    };
    const rig: NodeRig = {
      id,
      popularity,
      generations: await make(),
      restart: async () => {
        await rig.generations.close();
        rig.generations = await make();
      },
      close: async () => {
        await rig.generations.close();
        await popularity.close();
        await d.close();
      },
    };
    rigs.push(rig);
  }
  return Object.assign(rigs, { prefix });
}

async function until(what: string, probe: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const activeIds = (rigs: NodeRig[]) => rigs.map((r) => r.generations.current().id);

describe('search generations across three nodes (Redis pointer and board)', () => {
  it('a rebuild on one node is built everywhere before one CAS promotes it; every node answers with the same page', async () => {
    const rigs = await cluster(3);
    try {
      const g1 = rigs[0]!.generations.current().id;
      expect(new Set(activeIds(rigs))).toEqual(new Set([g1])); // one pointer from the first start
      // Only n1 saw these views: its ranking (in the manifest) decides the bands on every node.
      for (const p of CATALOG.slice(0, 12))
        for (let v = 0; v < 20; v++) rigs[0]!.popularity.record({ type: 'view', productId: p.id });
      const standby = await rigs[0]!.generations.rebuild();
      await until('every node to hold the standby', () =>
        rigs.every((r) => r.generations.status().standby?.id === standby.id),
      );
      expect(activeIds(rigs)).toEqual([g1, g1, g1]); // built, not served
      const promoted = await rigs[2]!.generations.promote(); // any node may promote it
      expect(promoted.id).toBe(standby.id);
      await until('every node to switch', () => activeIds(rigs).every((id) => id === standby.id));
      const pages = rigs.map((r) => search(r.generations, { limit: 10 }));
      for (const page of pages) expect(page).toEqual(pages[0]);
      expect(pages[0]!.items.map((h) => h.id).sort()).toEqual(
        CATALOG.slice(0, 10)
          .map((p) => p.id)
          .sort(),
      );
      const text = rigs.map((r) => search(r.generations, { q: 'black', limit: 5 }));
      for (const page of text) expect(page).toEqual(text[0]);
    } finally {
      for (const r of rigs) await r.close();
    }
  });

  it('a promotion waits for a live node that does not hold the target, and refuses after promoteWaitMs', async () => {
    const rigs = await cluster(2, { promoteWaitMs: 600 });
    try {
      const standby = await rigs[0]!.generations.rebuild();
      await until('n2 to hold the standby', () => rigs[1]!.generations.status().standby?.id === standby.id);
      // A third node that is alive (announcing) but never builds anything.
      const members = rigs[0]!.generations.status().members.map((m) => m.node);
      expect(members).toEqual(['n1', 'n2']);
      const ghost = new RedisGenerationBoard({ redis: await client(), prefix: rigs.prefix });
      await ghost.announce('n9', []);
      await expect(rigs[0]!.generations.promote()).rejects.toMatchObject({
        code: 'GENERATION_CONFLICT',
        message: expect.stringContaining('n9'),
      });
      expect(activeIds(rigs)[0]).not.toBe(standby.id);
      await ghost.leave('n9');
      expect((await rigs[0]!.generations.promote()).id).toBe(standby.id);
      await until('n2 to switch', () => rigs[1]!.generations.current().id === standby.id);
    } finally {
      for (const x of rigs) await x.close();
    }
  });

  it('a pointer lost with Redis data is put back by the nodes, and promotions work again', async () => {
    const rigs = await cluster(2);
    try {
      const g1 = rigs[0]!.generations.current().id;
      const r = await client();
      await r.del(`${rigs.prefix}:pointer`, `${rigs.prefix}:pointer:manifests`);
      const pointer = new RedisGenerationPointer(r, `${rigs.prefix}:pointer`);
      const deadline = Date.now() + 20_000;
      while ((await pointer.read()) === null && Date.now() < deadline)
        await new Promise((x) => setTimeout(x, 50));
      expect((await pointer.read())?.active).toBe(g1);
      await rigs[1]!.generations.rebuild({ rank: false });
      const g2 = (await rigs[1]!.generations.promote()).id;
      await until('both nodes on the new generation', () => activeIds(rigs).every((id) => id === g2));
    } finally {
      for (const x of rigs) await x.close();
    }
  });

  it('a rollback made before or after a full restart is served by every node, and survives the next restart', async () => {
    const rigs = await cluster(3);
    try {
      const g1 = rigs[0]!.generations.current().id;
      await rigs[0]!.generations.rebuild({ rank: false });
      const g2 = (await rigs[0]!.generations.promote()).id;
      await until('every node on g2', () => activeIds(rigs).every((id) => id === g2));

      for (const x of rigs) await x.restart(); // every node: the pointer names g2, previous g1
      expect(activeIds(rigs)).toEqual([g2, g2, g2]);
      await until('every node to rebuild previous g1', () =>
        rigs.every((x) => x.generations.status().previous?.id === g1),
      );
      const back = await rigs[1]!.generations.rollback();
      expect(back.id).toBe(g1);
      await until('every node on g1', () => activeIds(rigs).every((id) => id === g1));

      for (const x of rigs) await x.restart();
      expect(activeIds(rigs)).toEqual([g1, g1, g1]);
      const pages = rigs.map((x) => search(x.generations, { q: 'cotton', limit: 5 }));
      for (const page of pages) expect(page).toEqual(pages[0]);
    } finally {
      for (const r of rigs) await r.close();
    }
  });
});
