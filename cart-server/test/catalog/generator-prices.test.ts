import { describe, expect, it } from 'vitest';
import { CATEGORIES, NOUN_PRICE_BANDS } from '../../src/catalog/seed/generator-data.js';
import { generated } from './helpers.js';

describe('generated prices', () => {
  it('every product noun has a price band of its own, inside its category', () => {
    for (const c of CATEGORIES) {
      for (const noun of c.nouns) {
        const band = NOUN_PRICE_BANDS[noun];
        expect(band, noun).toBeDefined();
        expect(band![0], noun).toBeLessThan(band![1]);
      }
    }
  });

  it('prices follow what the product is: phones cost phone prices, screen protectors a few euros', () => {
    const catalog = generated(3000, 3);
    const prices = (noun: string) =>
      catalog.filter((p) => p.title.includes(` ${noun}`)).map((p) => p.priceMinor / 100);
    const phones = prices('Smartphone');
    const protectors = prices('Screen Protector');
    expect(phones.length).toBeGreaterThan(10);
    expect(protectors.length).toBeGreaterThan(10);
    expect(Math.min(...phones)).toBeGreaterThanOrEqual(148);
    expect(Math.max(...protectors)).toBeLessThan(30);
    const longestFirst = Object.keys(NOUN_PRICE_BANDS).sort((a, b) => b.length - a.length);
    for (const p of catalog) {
      const noun = longestFirst.find((n) => p.title.includes(` ${n}`));
      if (noun === undefined) continue;
      const [min, max] = NOUN_PRICE_BANDS[noun]!;
      expect(p.priceMinor, p.title).toBeGreaterThanOrEqual(min * 100 - 100);
      expect(p.priceMinor, p.title).toBeLessThanOrEqual(max * 100);
      expect(p.priceMinor % 100).toBe(99);
    }
  });
});
