import { describe, expect, it } from 'vitest';
import { BandAssigner, EMPTY_RANKING } from '../../src/popularity/ranking.js';
import { headNoun, namesHead } from '../../src/search/head-noun.js';
import { type IndexGenerationView, searchIndex } from '../../src/search/search-engine.js';
import { ShardedIndex } from '../../src/search/sharded-index.js';
import { generated, product } from '../catalog/helpers.js';

function build(products: ReturnType<typeof product>[]): IndexGenerationView {
  const index = new ShardedIndex(new BandAssigner(EMPTY_RANKING));
  for (const p of products) index.upsert(p);
  return { id: 'g1', index };
}

describe('head nouns', () => {
  it('is the last word before the variant, skipping model codes', () => {
    expect(headNoun('Norvik Compact Phone Case A3, Black')).toBe('case');
    expect(headNoun('Norvik Pro Smartphone, Red')).toBe('smartphone');
    expect(headNoun('Walnut Desk')).toBe('desk');
    expect(headNoun('X100')).toBe('');
  });

  it('a query word names a head as itself, its plural or the end of a compound', () => {
    expect(namesHead('phone', 'smartphone')).toBe(true);
    expect(namesHead('phones', 'phone')).toBe(true);
    expect(namesHead('case', 'cases')).toBe(true);
    expect(namesHead('phone', 'case')).toBe(false);
    expect(namesHead('pen', 'open')).toBe(false); // a compound needs a word of 4 letters or more
  });
});

describe('relevance of what a product is over what it mentions', () => {
  it('"phone" lists smartphones before phone cases and screen protectors', () => {
    const phones = (id: string, title: string) => product(id, { title, category: 'phones' });
    const v = build([
      phones('case-1', 'Norvik Slim Phone Case, Black'),
      phones('case-2', 'Alabre Rugged Phone Case A3, Navy'),
      phones('mount-1', 'Corval Phone Car Mount, Black'),
      phones('phone-1', 'Norvik Pro Smartphone, Red'),
      phones('phone-2', 'Dunel Compact Smartphone X2, White'),
      phones('glass-1', 'Elifro Screen Protector, Clear'),
    ]);
    const ids = searchIndex(v, { q: 'phone' }).items.map((h) => h.id);
    expect(ids.slice(0, 2).sort()).toEqual(['phone-1', 'phone-2']);
    expect(ids).toContain('case-1');
    // "phone case" is still a case first.
    expect(searchIndex(v, { q: 'phone case' }).items[0]?.id).toMatch(/^case-/);
  });

  it('on the generated catalog, every smartphone ranks above every phone case for "phone"', () => {
    const v = build(generated(3000, 11));
    const titles = searchIndex(v, { q: 'phone', limit: 100 }).items.map((h) => h.title);
    const lastPhone = titles.findLastIndex((t) => /Smartphone/.test(t));
    const firstCase = titles.findIndex((t) => /Phone Case/.test(t));
    expect(lastPhone).toBeGreaterThanOrEqual(0);
    expect(firstCase).toBeGreaterThan(lastPhone);
  });
});
