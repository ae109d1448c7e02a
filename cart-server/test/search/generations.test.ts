import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CachedProductReader } from '../../src/catalog/cache/cached-reader.js';
import { LruProductCache } from '../../src/catalog/cache/lru-product-cache.js';
import { createCatalogRedis, waitReady } from '../../src/catalog/cache/redis-client.js';
import { DefaultCatalogService } from '../../src/catalog/catalog-service.js';
import { LevelProductStore } from '../../src/catalog/store/level-product-store.js';
import { PopularityService } from '../../src/popularity/popularity-service.js';
import {
  type GenerationPointer,
  LevelGenerationPointer,
  RedisGenerationPointer,
} from '../../src/search/generation-pointer.js';
import { SearchGenerations } from '../../src/search/generations.js';
import { search } from '../../src/search/search-engine.js';
import type { LevelLike } from '../../src/storage/level-types.js';
import { diskDb, generated, product } from '../catalog/helpers.js';
import { type RedisProcess, startRedis } from '../support/redis.js';
import { generationPointerConformance } from './generation-pointer.conformance.js';

let redis: RedisProcess;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => redis?.stop());

let keySeq = 0;
generationPointerConformance('level', async () => {
  const d = await diskDb();
  return { pointer: new LevelGenerationPointer(d.db), cleanup: d.close };
});
generationPointerConformance('redis', async () => {
  const client = createCatalogRedis(redis.url);
  await waitReady(client, 10_000);
  return {
    pointer: new RedisGenerationPointer(client, `ptr-${++keySeq}`),
    cleanup: async () => client.disconnect(),
  };
});

interface Rig {
  store: LevelProductStore;
  popularity: PopularityService;
  cache: LruProductCache;
  generations: SearchGenerations;
  service: DefaultCatalogService;
  close: () => Promise<void>;
}

async function rig(pointer?: (db: LevelLike) => GenerationPointer): Promise<Rig> {
  const d = await diskDb();
  const store = new LevelProductStore(d.db);
  await store.putMany(generated(1500, 9));
  const popularity = new PopularityService(d.db, { flushIntervalMs: 0, topK: 20 });
  const cache = new LruProductCache();
  const reader = new CachedProductReader(store, cache);
  const generations = new SearchGenerations({
    store,
    pointer: pointer?.(d.db) ?? new LevelGenerationPointer(d.db),
    popularity,
    warm: (ids) => reader.warm(ids),
    yieldEvery: 64,
  });
  const service = new DefaultCatalogService(store, reader, {
    onChanged: (p) => generations.productChanged(p),
    onRemoved: (id) => generations.productRemoved(id),
  });
  await generations.start();
  return { store, popularity, cache, generations, service, close: d.close };
}

describe('standby promotion', () => {
  let r: Rig;
  beforeEach(async () => {
    r = await rig();
  });
  afterEach(async () => {
    await r.popularity.close();
    await r.close();
  });

  it('queries during a rebuild see the old generation, then the new one after promote — never a mix', async () => {
    const oldGen = r.generations.current().id;
    // Written straight to the store: only a rebuild brings it into search.
    await r.store.put(product('zebra-1', { title: 'Zebra Striped Umbrella', category: 'garden' }));
    let stop = false;
    const observed: Array<{ generation: string; total: number }> = [];
    const reader = (async () => {
      while (!stop) {
        const page = search(r.generations, { q: 'zebra striped umbrella' });
        observed.push({ generation: page.generation, total: page.total });
        await new Promise((res) => setImmediate(res));
      }
    })();
    const standby = await r.generations.rebuild();
    const duringBuild = observed.length;
    expect(r.generations.current().id).toBe(oldGen);
    expect(search(r.generations, { q: 'zebra striped umbrella' }).total).toBe(0);
    const promoted = await r.generations.promote();
    expect(promoted.id).toBe(standby.id);
    // Until the reader has seen the new generation a few times (an event, not a 50 ms guess).
    const deadline = Date.now() + 30_000;
    while (observed.filter((o) => o.generation === standby.id).length < 3 && Date.now() < deadline)
      await new Promise((res) => setImmediate(res));
    stop = true;
    await reader;
    expect(duringBuild).toBeGreaterThan(5); // the old generation really served during the build
    for (const o of observed) {
      // Every answer is internally consistent: old generation ⇒ no zebra; new ⇒ exactly one.
      expect(o.total).toBe(o.generation === oldGen ? 0 : 1);
      expect([oldGen, standby.id]).toContain(o.generation);
    }
    expect(observed.at(-1)!.generation).toBe(standby.id);
    const first = observed.findIndex((o) => o.generation === standby.id);
    expect(observed.slice(first).every((o) => o.generation === standby.id)).toBe(true);
  });

  it('keeps the previous generation for rollback, and a cursor pins its generation across a promotion', async () => {
    const g1 = r.generations.current().id;
    const page1 = search(r.generations, { q: 'black', limit: 5 });
    await r.generations.rebuild();
    const g2 = (await r.generations.promote()).id;
    // The old cursor still reads g1 (kept as previous), so its pages stay stable.
    const page2 = search(r.generations, { q: 'black', limit: 5, cursor: page1.nextCursor! });
    expect(page2.generation).toBe(g1);
    expect(page2.items.map((h) => h.id)).not.toContain(page1.items[0]!.id);
    const back = await r.generations.rollback();
    expect(back.id).toBe(g1);
    expect(r.generations.current().id).toBe(g1);
    expect(r.generations.status().previous?.id).toBe(g2);
    await expect(r.generations.promote('no-such-gen')).rejects.toMatchObject({
      code: 'GENERATION_NOT_FOUND',
    });
  });

  it('refuses a second concurrent rebuild and a promote with nothing built', async () => {
    await expect(r.generations.promote()).rejects.toMatchObject({ code: 'GENERATION_CONFLICT' });
    const first = r.generations.rebuild();
    await expect(r.generations.rebuild()).rejects.toMatchObject({ code: 'GENERATION_CONFLICT' });
    await first;
  });

  it('a product write during the build reaches the standby even if the scan read the old version', async () => {
    const victim = generated(1500, 9)[1499]!; // last in scan order
    const building = r.generations.rebuild();
    await r.service.putProduct({ ...victim, title: 'Quokka Lantern Special' });
    await building;
    await r.generations.promote();
    const page = search(r.generations, { q: 'quokka lantern' });
    expect(page.items.map((h) => h.id)).toEqual([victim.id]);
  });

  it('ranks by popularity, moves the top K into the top band and preloads them into the cache', async () => {
    const ids = generated(1500, 9).map((p) => p.id);
    for (let i = 0; i < 30; i++)
      for (let v = 0; v <= 30 - i; v++) r.popularity.record({ type: 'view', productId: ids[i]! });
    r.popularity.record({ type: 'order', productId: ids[29]!, quantity: 3 }); // 60 points: first place
    const standby = await r.generations.rebuild();
    expect(standby.topK).toBe(20);
    expect(standby.warmed).toBe(20);
    await r.generations.promote();
    const ranking = r.popularity.latest();
    expect(ranking.top[0]).toBe(ids[29]);
    for (const id of ranking.top) expect(await r.cache.get(id)).toBeDefined();
    const topShards = r.generations
      .current()
      .index.shards()
      .filter((s) => s.band === 'top');
    expect(topShards.reduce((n, s) => n + s.documents, 0)).toBe(20);
    expect(search(r.generations, { limit: 1 }).items[0]!.id).toBe(ids[29]);
  });
});

describe('shared Redis pointer (two nodes)', () => {
  it('a node follows a promotion made by another node', async () => {
    const key = `ptr-follow-${++keySeq}`;
    const clients = [createCatalogRedis(redis.url), createCatalogRedis(redis.url)];
    for (const c of clients) await waitReady(c, 10_000);
    const a = await rig(() => new RedisGenerationPointer(clients[0]!, key));
    const b = await rig(() => new RedisGenerationPointer(clients[1]!, key));
    try {
      expect(b.generations.current().id).toBe(a.generations.current().id);
      await a.store.put(product('ocelot', { title: 'Ocelot Figurine' }));
      await b.store.put(product('ocelot', { title: 'Ocelot Figurine' }));
      await a.generations.rebuild();
      const promoted = await a.generations.promote();
      expect(await b.generations.follow()).toBe(true);
      expect(b.generations.current().id).toBe(promoted.id);
      expect(search(b.generations, { q: 'ocelot' }).total).toBe(1);
      // b's stale view cannot promote over a's newer pointer without following first.
      await a.generations.rebuild();
      await a.generations.promote();
      await b.generations.rebuild();
      await expect(b.generations.promote()).rejects.toMatchObject({ code: 'GENERATION_CONFLICT' });
    } finally {
      for (const x of [a, b]) {
        await x.popularity.close();
        await x.close();
      }
      for (const c of clients) c.disconnect();
    }
  });
});
