/** The behaviour every ProductStore must show (run by each implementation's test file). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProductStore } from '../../src/catalog/store/product-store.js';
import { generated, product } from './helpers.js';

export interface StoreFixture {
  readonly store: ProductStore;
  readonly cleanup: () => Promise<void>;
}

export function productStoreConformance(name: string, open: () => Promise<StoreFixture>): void {
  describe(`ProductStore conformance: ${name}`, () => {
    let f: StoreFixture;
    beforeEach(async () => {
      f = await open();
    });
    afterEach(async () => {
      await f.store.close();
      await f.cleanup();
    });

    it('gets what was put, returns the previous document, undefined when missing', async () => {
      expect(await f.store.get('a')).toBeUndefined();
      expect(await f.store.put(product('a'))).toBeUndefined();
      const next = product('a', { title: 'Renamed' });
      expect(await f.store.put(next)).toEqual(product('a'));
      expect(await f.store.get('a')).toEqual(next);
      expect(await f.store.getMany(['a', 'zz'])).toEqual([next, undefined]);
      expect(await f.store.count()).toBe(1);
    });

    it('lists a category in id order with stable pages', async () => {
      const ps = generated(300);
      await f.store.putMany(ps);
      const category = ps[0]!.category;
      const expected = ps
        .filter((p) => p.category === category)
        .map((p) => p.id)
        .sort();
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await f.store.listByCategory(
          category,
          after === undefined ? { limit: 7 } : { limit: 7, after },
        );
        seen.push(...page.items.map((p) => p.id));
        expect(page.items.every((p) => p.category === category)).toBe(true);
        if (page.next === undefined) break;
        after = page.next;
      }
      expect(seen).toEqual(expected);
    });

    it('keeps the category index in step when a product changes category or is deleted', async () => {
      await f.store.put(product('x', { category: 'books' }));
      await f.store.put(product('x', { category: 'toys' }));
      expect((await f.store.listByCategory('books', { limit: 10 })).items).toEqual([]);
      expect((await f.store.listByCategory('toys', { limit: 10 })).items.map((p) => p.id)).toEqual(['x']);
      expect(await f.store.delete('x')).toBe(true);
      expect(await f.store.delete('x')).toBe(false);
      expect((await f.store.listByCategory('toys', { limit: 10 })).items).toEqual([]);
      expect(await f.store.count()).toBe(0);
    });

    it('putMany: last write wins for duplicate ids and concurrent puts keep one index entry', async () => {
      await f.store.putMany([product('d', { category: 'books' }), product('d', { category: 'garden' })]);
      expect((await f.store.get('d'))?.category).toBe('garden');
      await Promise.all(
        ['books', 'toys', 'garden', 'tools'].map((category) => f.store.put(product('e', { category }))),
      );
      const final = (await f.store.get('e'))!.category;
      for (const c of ['books', 'toys', 'garden', 'tools']) {
        const ids = (await f.store.listByCategory(c, { limit: 10 })).items.map((p) => p.id);
        expect(ids.includes('e')).toBe(c === final);
      }
    });

    it('scans every product in id order', async () => {
      const ps = generated(50, 3);
      await f.store.putMany([...ps].reverse());
      const ids: string[] = [];
      for await (const p of f.store.scan()) ids.push(p.id);
      expect(ids).toEqual(ps.map((p) => p.id).sort());
    });

    it('rejects out-of-range list limits with TypeError', async () => {
      await expect(f.store.listByCategory('books', { limit: 0 })).rejects.toBeInstanceOf(TypeError);
      await expect(f.store.listByCategory('books', { limit: 5000 })).rejects.toBeInstanceOf(TypeError);
    });
  });
}
