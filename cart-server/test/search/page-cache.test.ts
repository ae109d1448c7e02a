import { describe, expect, it } from 'vitest';
import { BandAssigner, EMPTY_RANKING } from '../../src/popularity/ranking.js';
import { PageCache } from '../../src/search/page-cache.js';
import { searchIndex } from '../../src/search/search-engine.js';
import type { SearchPage } from '../../src/search/search-query.js';
import { ShardedIndex } from '../../src/search/sharded-index.js';
import { generated, product } from '../catalog/helpers.js';

function page(generation: string): SearchPage {
  return { items: [], total: 0, generation, shardsQueried: 0 };
}

describe('search page cache', () => {
  it('evicts the least recently used page beyond its bound', () => {
    const cache = new PageCache(2);
    cache.set('a', page('a'));
    cache.set('b', page('b'));
    expect(cache.get('a')?.generation).toBe('a'); // a is now the most recent
    cache.set('c', page('c'));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.generation).toBe('a');
    expect(cache.get('c')?.generation).toBe('c');
    expect(cache.size).toBe(2);
    expect(() => new PageCache(-1)).toThrow(TypeError);
  });

  it('serves a repeated query (any case, any category order) from the cache, frozen', () => {
    const index = new ShardedIndex(new BandAssigner(EMPTY_RANKING));
    for (const p of generated(300, 3)) index.upsert(p);
    const view = { id: 'g1', index };
    const word = generated(300, 3)[0]!.title.split(' ')[0]!;
    const first = searchIndex(view, { q: word, limit: 5 });
    expect(searchIndex(view, { q: `  ${word.toUpperCase()} `, limit: 5 })).toBe(first);
    expect(searchIndex(view, { q: word, limit: 6 })).not.toBe(first); // another page size
    expect(Object.isFrozen(first) && Object.isFrozen(first.items)).toBe(true);
    const cats = [...new Set(generated(300, 3).map((p) => p.category))].slice(0, 2);
    const byCats = searchIndex(view, { categories: cats, limit: 3 });
    expect(searchIndex(view, { categories: [...cats].reverse(), limit: 3 })).toBe(byCats);
    expect(index.pages.stats().hits).toBe(2);
  });

  it('a product write clears the cache: the next page reflects the write', () => {
    const index = new ShardedIndex(new BandAssigner(EMPTY_RANKING));
    for (const p of generated(200, 4)) index.upsert(p);
    const view = { id: 'g1', index };
    const before = searchIndex(view, { q: 'zeppelin' });
    expect(before.total).toBe(0);
    index.upsert(product('zep-1', { title: 'Zeppelin Lamp' }));
    const after = searchIndex(view, { q: 'zeppelin' });
    expect(after.items.map((h) => h.id)).toEqual(['zep-1']);
    index.remove('zep-1');
    expect(searchIndex(view, { q: 'zeppelin' }).total).toBe(0);
  });
});
