import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Product } from '../../src/catalog/product.js';
import { BandAssigner, EMPTY_RANKING, type RankingSnapshot } from '../../src/popularity/ranking.js';
import { type IndexGenerationView, searchIndex } from '../../src/search/search-engine.js';
import type { SearchHit, SearchQuery } from '../../src/search/search-query.js';
import { ShardedIndex, shardKey, tokenize } from '../../src/search/sharded-index.js';
import { generated, product } from '../catalog/helpers.js';

function build(
  products: Product[],
  ranking: RankingSnapshot = EMPTY_RANKING,
  id = 'g1',
): IndexGenerationView {
  const index = new ShardedIndex(new BandAssigner(ranking));
  for (const p of products) index.upsert(p);
  return { id, index };
}

function allPages(view: IndexGenerationView, query: SearchQuery): SearchHit[] {
  const out: SearchHit[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 10_000; i++) {
    const page = searchIndex(view, cursor === undefined ? query : { ...query, cursor });
    out.push(...page.items);
    if (page.nextCursor === undefined) return out;
    cursor = page.nextCursor;
  }
  throw new Error('pagination did not end');
}

let catalog: Product[];
let view: IndexGenerationView;
const ranking: RankingSnapshot = {
  computedAt: 1,
  topK: 50,
  top: generated(2000, 5)
    .slice(0, 50)
    .map((p) => p.id),
  scores: Object.fromEntries(
    generated(2000, 5)
      .slice(0, 400)
      .map((p, i) => [p.id, 1 - i / 400]),
  ),
};

beforeAll(() => {
  catalog = generated(2000, 5);
  view = build(catalog, ranking);
});

describe('sharding', () => {
  it('places products in category × popularity-band shards', () => {
    const shards = view.index.shards();
    const bands = new Set(shards.map((s) => s.band));
    expect(bands).toEqual(new Set(['top', 'active', 'tail']));
    expect(shards.reduce((n, s) => n + s.documents, 0)).toBe(2000);
    const top = shards.filter((s) => s.band === 'top').reduce((n, s) => n + s.documents, 0);
    expect(top).toBe(50);
    const cats = view.index.categories();
    expect(cats.reduce((n, c) => n + c.products, 0)).toBe(2000);
  });

  it('a category filter queries only that category’s shards', () => {
    const cat = catalog[0]!.category;
    const page = searchIndex(view, { categories: [cat], limit: 5 });
    const shardsOfCat = view.index.shards().filter((s) => s.category === cat).length;
    expect(page.shardsQueried).toBe(shardsOfCat);
    expect(page.total).toBe(catalog.filter((p) => p.category === cat).length);
  });
  it('routes a query only to the shards that hold all its words (exact and prefix), missing no match', () => {
    const bands = new BandAssigner(ranking);
    const words = (p: Product): string[] =>
      [p.title, p.category, ...Object.values(p.attributes).filter((v) => typeof v === 'string')]
        .flatMap((t) => tokenize(String(t)))
        .map((t) => t.toLowerCase());
    const title = tokenize(catalog[0]!.title.toLowerCase());
    const cases: Array<{ q: string; match: (ws: string[]) => boolean }> = [
      { q: title[title.length - 1]!, match: (ws) => ws.includes(title[title.length - 1]!) },
      {
        q: `${title[0]} ${title[title.length - 1]!.slice(0, 3)}`,
        match: (ws) =>
          ws.includes(title[0]!) && ws.some((w) => w.startsWith(title[title.length - 1]!.slice(0, 3))),
      },
      { q: 'zzqx nothing', match: () => false },
    ];
    for (const { q, match } of cases) {
      const expected = catalog.filter((p) => match(words(p)));
      const page = searchIndex(view, { q, limit: 100 });
      expect(page.correctedQuery, q).toBeUndefined();
      expect(new Set(allPages(view, { q, limit: 100 }).map((h) => h.id)), q).toEqual(
        new Set(expected.map((p) => p.id)),
      );
      // Every shard with a match is searched; a shard is skipped when it lacks one of the words
      // (a shard may hold each word in a different product, so this is a superset, not exact).
      const withMatch = new Set(expected.map((p) => shardKey(p.category, bands.band(p.id)))).size;
      const first = tokenize(q)[0]!;
      const withFirst = new Set(
        catalog.filter((p) => words(p).includes(first)).map((p) => shardKey(p.category, bands.band(p.id))),
      ).size;
      expect(page.shardsQueried, q).toBeGreaterThanOrEqual(withMatch);
      expect(page.shardsQueried, q).toBeLessThanOrEqual(withFirst);
    }
  });
});

describe('relevance', () => {
  it('ranks a title match above an attribute-only match, and results carry the mini description', () => {
    const v = build([
      product('attr-only', {
        title: 'Plain Mug',
        attributes: { brand: 'Acme', material: 'espresso machine glaze' },
      }),
      product('title-hit', { title: 'Espresso Machine Deluxe', description: 'Makes coffee' }),
      product('other', { title: 'Garden Hose', description: 'Waters plants espresso machine' }),
    ]);
    const page = searchIndex(v, { q: 'espresso machine' });
    // The description is stored (snippet), not indexed: 'other' is not a hit.
    expect(page.items.map((h) => h.id)).toEqual(['title-hit', 'attr-only']);
    const hit = page.items[0]!;
    expect(hit).toMatchObject({
      title: 'Espresso Machine Deluxe',
      priceMinor: 1999,
      currency: 'EUR',
      category: 'books',
    });
    expect(hit.snippet).toBe('Makes coffee');
    expect(hit.image).toMatch(/^\/v1\/images\//);
    expect(searchIndex(v, { q: 'acme' }).total).toBe(3); // brand attribute
    expect(searchIndex(v, { q: 'books' }).total).toBe(3); // category words
  });

  it('finds generated products by title words, prefix and small typos', () => {
    const target = catalog.find((p) => p.title.includes('Headphones'))!;
    const brand = String(target.attributes.brand);
    const byBrand = searchIndex(view, { q: `${brand} headphones`, limit: 50 });
    expect(byBrand.items.map((h) => h.id)).toContain(target.id);
    expect(byBrand.items.every((h) => /headphones/i.test(h.title))).toBe(true);
    expect(searchIndex(view, { q: 'headpho' }).total).toBeGreaterThan(0); // prefix
    const typo = searchIndex(view, { q: `${brand.toLowerCase()} headphnes` }); // corrected once, not per shard
    expect(typo.correctedQuery).toBe(`${brand.toLowerCase()} headphones`);
    expect(typo.items.map((h) => h.id)).toContain(target.id);
    expect(typo.items.every((h) => /headphones/i.test(h.title))).toBe(true);
    expect(searchIndex(view, { q: 'headphones' }).correctedQuery).toBeUndefined();
    expect(searchIndex(view, { q: 'zzqxv' }).total).toBe(0);
  });

  it('popularity lifts an equally relevant product', () => {
    const a = product('a-plain', { title: 'Walnut Desk' });
    const b = product('b-popular', { title: 'Walnut Desk' });
    const v = build([a, b], { computedAt: 1, topK: 1, top: ['b-popular'], scores: { 'b-popular': 1 } });
    const page = searchIndex(v, { q: 'walnut desk' });
    expect(page.items.map((h) => h.id)).toEqual(['b-popular', 'a-plain']);
    expect(page.items[0]!.popularity).toBe(1);
  });

  it('an empty query browses by popularity', () => {
    const page = searchIndex(view, { limit: 10 });
    expect(page.items.map((h) => h.id)).toEqual(ranking.top.slice(0, 10));
    expect(page.total).toBe(2000);
  });
});

describe('filters', () => {
  it('category and price range filters hold on every page', () => {
    const cats = [catalog[0]!.category, catalog[1]!.category];
    const q: SearchQuery = { categories: cats, minPrice: 2000, maxPrice: 9000, limit: 13 };
    const hits = allPages(view, q);
    const expected = catalog.filter(
      (p) => cats.includes(p.category) && p.priceMinor >= 2000 && p.priceMinor <= 9000,
    );
    expect(hits.map((h) => h.id).sort()).toEqual(expected.map((p) => p.id).sort());
  });

  it('rejects bad filters with typed errors', () => {
    expect(() => searchIndex(view, { minPrice: 10, maxPrice: 5 })).toThrow(
      expect.objectContaining({ code: 'INVALID_SEARCH_QUERY' }),
    );
    expect(() => searchIndex(view, { categories: ['Not A Slug'] })).toThrow(
      expect.objectContaining({ code: 'INVALID_SEARCH_QUERY' }),
    );
    expect(() => searchIndex(view, { cursor: 'garbage!!' })).toThrow(
      expect.objectContaining({ code: 'INVALID_CURSOR' }),
    );
    const page = searchIndex(view, { q: 'shoes', limit: 2 });
    expect(() => searchIndex(view, { q: 'boots', limit: 2, cursor: page.nextCursor! })).toThrow(
      expect.objectContaining({ code: 'INVALID_CURSOR' }),
    );
  });
});

describe('pagination', () => {
  it('pages concatenate to the one-shot ranking: deterministic, no duplicates, no gaps', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('', 'black', 'steel', 'wireless', 'classic shoes', 'pro', 'organic', 'headphnes'),
        fc.integer({ min: 1, max: 40 }),
        (q, limit) => {
          const paged = allPages(view, { q, limit });
          const oneShot = searchIndex(view, { q, limit: 100 });
          const ids = paged.map((h) => h.id);
          expect(new Set(ids).size).toBe(ids.length);
          expect(ids.length).toBe(oneShot.total);
          expect(ids.slice(0, Math.min(100, ids.length))).toEqual(oneShot.items.map((h) => h.id));
          for (let i = 1; i < paged.length; i++) {
            const a = paged[i - 1]!;
            const b = paged[i]!;
            expect(a.score > b.score || (a.score === b.score && a.id < b.id)).toBe(true);
          }
        },
      ),
      { numRuns: 12 },
    );
  });
});
