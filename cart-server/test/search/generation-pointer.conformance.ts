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
  });
}
