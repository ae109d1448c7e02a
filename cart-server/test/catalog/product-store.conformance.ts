/** The behaviour every ProductStore must show (run by each implementation's test file). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Product, productSchema } from '../../src/catalog/product.js';
import type { ProductChange, ProductStore } from '../../src/catalog/store/product-store.js';
import { statusForCode } from '../../src/http/errors.js';
import { generated, product, waitFor } from './helpers.js';

export interface StoreFixture {
  readonly store: ProductStore;
  /** Another handle on the same data (a second node), for stores with `supports.shared`. */
  readonly peer?: () => Promise<ProductStore>;
  readonly cleanup: () => Promise<void>;
}

export interface ConformanceOptions {
  /** Products in the bulk import case (default 100,000). */
  readonly importCount?: number;
  /** The store reports other handles' writes (`supports.changeFeed`); needs `peer`. */
  readonly changeFeed?: boolean;
}

export function productStoreConformance(
  name: string,
  open: () => Promise<StoreFixture>,
  options: ConformanceOptions = {},
): void {
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
      expect(await f.store.getMany(['a', 'zz', 'a'])).toEqual([next, undefined, next]);
      expect(await f.store.getMany([])).toEqual([]);
      expect(await f.store.count()).toBe(1);
    });

    it('answers documents in the schema key order', async () => {
      await f.store.put(product('k'));
      expect(Object.keys((await f.store.get('k'))!)).toEqual(Object.keys(productSchema.shape));
    });

    it('lists a category in id order with stable pages', async () => {
      const ps = generated(300);
      await f.store.putMany(ps);
      const category = ps[0]!.category;
      const expected = ps
        .filter((p) => p.category === category)
        .map((p) => p.id)
        .sort();
      expect(await listAll(f.store, category, { limit: 7 })).toEqual(expected);
    });

    it('filters a category listing by price range, keeping id order and pages', async () => {
      const ps = generated(400, 11);
      await f.store.putMany(ps);
      const category = ps[0]!.category;
      const prices = ps.filter((p) => p.category === category).map((p) => p.priceMinor);
      prices.sort((a, b) => a - b);
      const minPrice = prices[Math.floor(prices.length / 4)]!;
      const maxPrice = prices[Math.floor((prices.length * 3) / 4)]!;
      const expected = ps
        .filter((p) => p.category === category && p.priceMinor >= minPrice && p.priceMinor <= maxPrice)
        .map((p) => p.id)
        .sort();
      expect(expected.length).toBeGreaterThan(3);
      expect(await listAll(f.store, category, { limit: 3, minPrice, maxPrice })).toEqual(expected);
      expect(await listAll(f.store, category, { limit: 50, minPrice: maxPrice + 1, maxPrice })).toEqual([]);
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

    it('rejects out-of-range list arguments with TypeError', async () => {
      await expect(f.store.listByCategory('books', { limit: 0 })).rejects.toBeInstanceOf(TypeError);
      await expect(f.store.listByCategory('books', { limit: 5000 })).rejects.toBeInstanceOf(TypeError);
      await expect(f.store.listByCategory('Books!', { limit: 5 })).rejects.toBeInstanceOf(TypeError);
      await expect(f.store.listByCategory('books', { limit: 5, after: '../x' })).rejects.toBeInstanceOf(
        TypeError,
      );
      await expect(f.store.listByCategory('books', { limit: 5, minPrice: -1 })).rejects.toBeInstanceOf(
        TypeError,
      );
    });

    describe('bad documents', () => {
      const bad: Array<[string, unknown, string]> = [
        ['a missing field', omit(product('b1'), 'title'), 'INVALID_PRODUCT'],
        ['a negative price', product('b2', { priceMinor: -1 }), 'INVALID_PRODUCT'],
        ['a fractional price', product('b3', { priceMinor: 19.99 }), 'INVALID_PRODUCT'],
        ['a price given as text', { ...product('b4'), priceMinor: '1999' }, 'INVALID_PRODUCT'],
        ['an unknown field', { ...product('b5'), colour: 'red' }, 'INVALID_PRODUCT'],
        ['a bad id', product('../etc/passwd'), 'INVALID_PRODUCT'],
        ['U+0000 in the title', product('b6', { title: 'nul \u0000 byte' }), 'INVALID_PRODUCT'],
        ['an unpaired surrogate', product('b7', { description: 'half \ud800 a pair' }), 'INVALID_PRODUCT'],
        ['not an object', 'product', 'INVALID_PRODUCT'],
        ['a document over 64 KiB of JSON', oversized('b8'), 'PRODUCT_TOO_LARGE'],
      ];
      for (const [what, doc, code] of bad) {
        it(`refuses ${what} with ${code} (${statusForCode(code)}) and writes nothing`, async () => {
          await f.store.put(product('keep'));
          const err = await f.store.put(doc as Product).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(err).toMatchObject({ code });
          expect(statusForCode((err as { code: string }).code)).toBeGreaterThanOrEqual(400);
          expect(statusForCode((err as { code: string }).code)).toBeLessThan(500);
          expect(await f.store.count()).toBe(1);
        });
      }

      it('a bad document refuses its whole putMany batch, naming its index', async () => {
        const batch = [product('m1'), product('m2'), product('m3', { currency: 'euro' }), product('m4')];
        await expect(f.store.putMany(batch)).rejects.toMatchObject({
          code: 'INVALID_PRODUCT',
          message: expect.stringContaining('products[2]'),
        });
        expect(await f.store.count()).toBe(0);
      });

      it('a bad document leaves the stored one as it was', async () => {
        await f.store.put(product('s1', { title: 'Good' }));
        await expect(f.store.put(product('s1', { title: '' }))).rejects.toMatchObject({
          code: 'INVALID_PRODUCT',
        });
        expect((await f.store.get('s1'))?.title).toBe('Good');
      });

      it('refuses bad ids on reads and deletes with INVALID_PRODUCT', async () => {
        await expect(f.store.get('')).rejects.toMatchObject({ code: 'INVALID_PRODUCT' });
        await expect(f.store.getMany(['ok', 'no way'])).rejects.toMatchObject({ code: 'INVALID_PRODUCT' });
        await expect(f.store.delete('a'.repeat(65))).rejects.toMatchObject({ code: 'INVALID_PRODUCT' });
      });
    });

    describe('concurrent writers', () => {
      it('concurrent puts of one product are linearizable: each returns its predecessor', async () => {
        const writers = await handles(f, 2);
        const docs = Array.from({ length: 24 }, (_, i) =>
          product('hot', { title: `version ${i}`, category: i % 2 === 0 ? 'books' : 'toys', priceMinor: i }),
        );
        const previous = await Promise.all(docs.map((d, i) => writers[i % writers.length]!.put(d)));
        // One put found nothing; every other put returned a different put's document; the one
        // document nobody returned is the one that stayed (a single chain, no lost update).
        expect(previous.filter((p) => p === undefined)).toHaveLength(1);
        const returned = previous.filter((p): p is Product => p !== undefined).map((p) => p.title);
        expect(new Set(returned).size).toBe(returned.length);
        const final = (await f.store.get('hot'))!;
        const unreturned = docs.map((d) => d.title).filter((t) => !returned.includes(t));
        expect(unreturned).toEqual([final.title]);
        const inBooks = (await f.store.listByCategory('books', { limit: 10 })).items.map((p) => p.id);
        const inToys = (await f.store.listByCategory('toys', { limit: 10 })).items.map((p) => p.id);
        expect([...inBooks, ...inToys]).toEqual(['hot']);
        await closePeers(writers, f);
      });

      it('concurrent writers of different products and overlapping batches lose nothing', async () => {
        const writers = await handles(f, 2);
        const singles = generated(120, 21).map((p) => ({ ...p, id: `s${p.id}` }));
        const pool = generated(400, 22);
        // Four batches over the same 400 ids in different orders, racing the single puts.
        const batches = [0, 1, 2, 3].map((k) => {
          const order = k % 2 === 0 ? [...pool] : [...pool].reverse();
          return order.map((p) => ({ ...p, title: `batch ${k} ${p.id}` }));
        });
        await Promise.all([
          ...singles.map((p, i) => writers[i % writers.length]!.put(p)),
          ...batches.map((b, k) => writers[k % writers.length]!.putMany(b)),
          ...singles.slice(0, 30).map((p, i) => writers[(i + 1) % writers.length]!.delete(p.id)),
        ]);
        const deleted = new Set(singles.slice(0, 30).map((p) => p.id));
        for (const p of singles.slice(30)) expect(await f.store.get(p.id)).toEqual(p);
        const survivors = await f.store.getMany(singles.slice(0, 30).map((p) => p.id));
        // A delete racing the put of the same id may run before it: either outcome, never a torn one.
        survivors.forEach((p, i) => {
          if (p !== undefined) expect(p).toEqual(singles[i]);
        });
        const docs = await f.store.getMany(pool.map((p) => p.id));
        docs.forEach((d, i) => {
          expect(d).toBeDefined();
          expect(d!.title).toMatch(new RegExp(`^batch [0-3] ${pool[i]!.id}$`));
        });
        const present = singles.length - deleted.size + survivors.filter((p) => p !== undefined).length;
        expect(await f.store.count()).toBe(present + pool.length);
        // Every listing agrees with the documents.
        const all = [...singles, ...pool];
        for (const category of new Set(all.map((p) => p.category))) {
          const listed = await listAll(f.store, category, { limit: 1000 });
          const stored = (await f.store.getMany(all.map((p) => p.id)))
            .filter((p): p is Product => p !== undefined && p.category === category)
            .map((p) => p.id);
          expect(listed).toEqual([...new Set(stored)].sort());
        }
        await closePeers(writers, f);
      });
    });

    // Only stores with a change feed register this case (single-process stores have no other
    // writers to report).
    const feedIt = options.changeFeed === true ? it : undefined;
    feedIt?.('reports writes made through another handle to watch listeners', async () => {
      expect(f.store.supports.changeFeed).toBe(true);
      expect(f.peer).toBeDefined();
      const changes: ProductChange[] = [];
      f.store.watch((c) => changes.push(c));
      await (f.store as { listening?: () => Promise<void> }).listening?.();
      const peer = await f.peer!();
      try {
        await f.store.put(product('own')); // this handle's own writes are not reported back
        await peer.put(product('w1'));
        await peer.putMany(generated(250, 5));
        await peer.delete('w1');
        await waitFor(() => changes.some((c) => c.kind === 'delete'), 10_000, 'the delete notification');
        expect(changes[0]).toEqual({ kind: 'put', ids: ['w1'] });
        const imported = changes.filter((c) => c.kind === 'import').flatMap((c) => c.ids);
        expect(imported.sort()).toEqual(
          generated(250, 5)
            .map((p) => p.id)
            .sort(),
        );
        expect(changes.at(-1)).toEqual({ kind: 'delete', ids: ['w1'] });
        expect(changes.some((c) => c.ids.includes('own'))).toBe(false);
      } finally {
        await peer.close();
      }
    });

    const importCount = options.importCount ?? 100_000;
    it(`imports ${importCount.toLocaleString('en')} products in batches`, { timeout: 240_000 }, async () => {
      const all = bulk(importCount);
      const started = performance.now();
      for (let i = 0; i < all.length; i += 5000) await f.store.putMany(all.slice(i, i + 5000));
      const importMs = performance.now() - started;
      expect(await f.store.count()).toBe(importCount);
      for (const i of [0, 1, Math.floor(importCount / 2), importCount - 1]) {
        expect(await f.store.get(all[i]!.id)).toEqual(all[i]);
      }
      const category = all[0]!.category;
      const expected = all.filter((p) => p.category === category).length;
      expect((await listAll(f.store, category, { limit: 1000 })).length).toBe(expected);
      let scanned = 0;
      const scanStarted = performance.now();
      for await (const _ of f.store.scan()) scanned++;
      expect(scanned).toBe(importCount);
      console.log(
        `[${name}] import of ${importCount.toLocaleString('en')} products: ${Math.round(importMs)} ms ` +
          `(${Math.round(importCount / (importMs / 1000)).toLocaleString('en')}/s); scan ${Math.round(performance.now() - scanStarted)} ms`,
      );
    });
  });
}

async function listAll(
  store: ProductStore,
  category: string,
  options: { limit: number; minPrice?: number; maxPrice?: number },
): Promise<string[]> {
  const seen: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.listByCategory(category, after === undefined ? options : { ...options, after });
    expect(page.items.length).toBeLessThanOrEqual(options.limit);
    for (const p of page.items) {
      expect(p.category).toBe(category);
      if (options.minPrice !== undefined) expect(p.priceMinor).toBeGreaterThanOrEqual(options.minPrice);
      if (options.maxPrice !== undefined) expect(p.priceMinor).toBeLessThanOrEqual(options.maxPrice);
    }
    seen.push(...page.items.map((p) => p.id));
    if (page.next === undefined) return seen;
    after = page.next;
  }
}

/** The store itself plus `count - 1` peers when the store is shared (several nodes writing). */
async function handles(f: StoreFixture, count: number): Promise<ProductStore[]> {
  const out = [f.store];
  if (f.peer !== undefined) for (let i = 1; i < count; i++) out.push(await f.peer());
  return out;
}

async function closePeers(writers: ProductStore[], f: StoreFixture): Promise<void> {
  for (const w of writers) if (w !== f.store) await w.close();
}

function omit<T extends object>(o: T, key: keyof T): Partial<T> {
  const copy = { ...o };
  delete copy[key];
  return copy;
}

/** Schema-valid but over MAX_PRODUCT_BYTES as JSON: 64 attributes of 500 three-byte characters. */
function oversized(id: string): Product {
  const attributes: Record<string, string> = {};
  for (let i = 0; i < 64; i++) attributes[`a${i}`] = '€'.repeat(500);
  return product(id, { attributes });
}

let bulkCache: Product[] | undefined;
/** One generated catalog per test file, shared by the implementations it runs. */
function bulk(count: number): Product[] {
  if (bulkCache === undefined || bulkCache.length !== count) bulkCache = generated(count, 2);
  return bulkCache;
}
