import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RankingSnapshot } from '../../src/popularity/ranking.js';
import type { RankingStore } from '../../src/popularity/ranking-store.js';

const snapshot = (fence: number, top: string[]): RankingSnapshot => ({
  computedAt: 1000 + fence,
  topK: 10,
  top,
  scores: Object.fromEntries(top.map((id, i) => [id, 1 / (i + 1)])),
  fence,
});

/** Every RankingStore implementation runs these (ranking-store.ts states the contract). */
export function rankingStoreConformance(
  name: string,
  open: () => Promise<{ store: RankingStore; cleanup: () => Promise<void> }>,
): void {
  describe(`RankingStore conformance: ${name}`, () => {
    let f: { store: RankingStore; cleanup: () => Promise<void> };
    beforeEach(async () => {
      f = await open();
    });
    afterEach(async () => {
      await f.store.close();
      await f.cleanup();
    });

    it('starts empty; one lease at a time, each with a larger fence; release frees it', async () => {
      expect(await f.store.read()).toBeNull();
      const a = await f.store.acquire('n1', 60_000);
      expect(a).not.toBeNull();
      expect(await f.store.acquire('n2', 60_000)).toBeNull();
      await f.store.release(a!);
      const b = await f.store.acquire('n2', 60_000);
      expect(b!.fence).toBeGreaterThan(a!.fence);
      await f.store.release(a!); // a stale release does not free b's lease
      expect(await f.store.acquire('n3', 60_000)).toBeNull();
      await f.store.release(b!);
    });

    it('a lease expires after its TTL', async () => {
      const a = await f.store.acquire('n1', 50);
      expect(a).not.toBeNull();
      const deadline = Date.now() + 5000;
      let b = await f.store.acquire('n2', 60_000);
      while (b === null && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        b = await f.store.acquire('n2', 60_000);
      }
      expect(b!.fence).toBeGreaterThan(a!.fence);
    });

    it('keeps only a snapshot with a newer fence (a stalled holder cannot overwrite)', async () => {
      const a = await f.store.acquire('n1', 30);
      await new Promise((r) => setTimeout(r, 60)); // a's lease lapses while it "computes"
      let b = await f.store.acquire('n2', 60_000);
      while (b === null) b = await f.store.acquire('n2', 60_000);
      expect(await f.store.write(snapshot(b.fence, ['x', 'y']))).toBe(true);
      expect(await f.store.write(snapshot(a!.fence, ['stale']))).toBe(false);
      expect((await f.store.read())?.top).toEqual(['x', 'y']);
      expect(await f.store.write(snapshot(b.fence, ['again']))).toBe(false);
      await f.store.release(b);
    });

    it('exactly one of many concurrent acquirers gets the lease', async () => {
      const got = await Promise.all(Array.from({ length: 20 }, (_, i) => f.store.acquire(`n${i}`, 60_000)));
      expect(got.filter((l) => l !== null)).toHaveLength(1);
    });
  });
}
