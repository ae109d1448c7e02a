import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GenerationPointer } from '../../src/search/generation-pointer.js';

export function generationPointerConformance(
  name: string,
  open: () => Promise<{ pointer: GenerationPointer; cleanup: () => Promise<void> }>,
): void {
  describe(`GenerationPointer conformance: ${name}`, () => {
    let f: { pointer: GenerationPointer; cleanup: () => Promise<void> };
    beforeEach(async () => {
      f = await open();
    });
    afterEach(async () => {
      await f.pointer.close();
      await f.cleanup();
    });

    it('starts empty; CAS from version 0 creates it; a stale version is refused', async () => {
      expect(await f.pointer.read()).toBeNull();
      const v1 = await f.pointer.compareAndSet(0, { active: 'g1', previous: null });
      expect(v1).toEqual({ active: 'g1', previous: null, version: 1 });
      expect(await f.pointer.read()).toEqual(v1);
      expect(await f.pointer.compareAndSet(0, { active: 'gX', previous: null })).toBeNull();
      const v2 = await f.pointer.compareAndSet(1, { active: 'g2', previous: 'g1' });
      expect(v2).toEqual({ active: 'g2', previous: 'g1', version: 2 });
      expect(await f.pointer.compareAndSet(1, { active: 'g3', previous: 'g1' })).toBeNull();
      expect(await f.pointer.read()).toEqual(v2);
    });

    it('exactly one of many concurrent CAS writers from the same version wins', async () => {
      await f.pointer.compareAndSet(0, { active: 'base', previous: null });
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          f.pointer.compareAndSet(1, { active: `g${i}`, previous: 'base' }),
        ),
      );
      const winners = results.filter((r) => r !== null);
      expect(winners).toHaveLength(1);
      expect((await f.pointer.read())?.active).toBe(winners[0]!.active);
    });

    it('stores manifests first-writer-wins and prunes all but the kept ones', async () => {
      const ranking = { computedAt: 5, topK: 1, top: ['a'], scores: { a: 1 }, fence: 3 };
      expect(await f.pointer.loadManifest('g1')).toBeUndefined();
      const first = { id: 'g1', createdAt: 10, ranking };
      expect(await f.pointer.saveManifest(first)).toEqual(first);
      // A second node describing g1 differently gets the stored description back.
      const other = { id: 'g1', createdAt: 11, ranking: { ...ranking, top: ['b'] } };
      expect(await f.pointer.saveManifest(other)).toEqual(first);
      expect(await f.pointer.loadManifest('g1')).toEqual(first);
      await f.pointer.saveManifest({ id: 'g2', createdAt: 12, ranking });
      await f.pointer.saveManifest({ id: 'g3', createdAt: 13, ranking });
      await f.pointer.pruneManifests(new Set(['g1', 'g3']));
      expect(await f.pointer.loadManifest('g2')).toBeUndefined();
      expect((await f.pointer.loadManifest('g3'))?.createdAt).toBe(13);
      expect((await f.pointer.loadManifest('g1'))?.createdAt).toBe(10);
    });
  });
}
