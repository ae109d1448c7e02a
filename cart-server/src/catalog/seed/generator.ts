/**
 * Seeded synthetic catalog: realistic titles ("Norvik Wireless Headphones, Graphite"), category
 * price bands, attributes and stock. The same seed always yields the same products, so tests and
 * benchmarks can regenerate a catalog instead of committing one.
 */

import type { AvailabilityStatus, Product } from '../product.js';
import {
  ADJECTIVES,
  BRAND_SYLLABLES,
  CATEGORIES,
  type CategorySpec,
  COLORS,
  FEATURES,
  NOUN_PRICE_BANDS,
  SIZES,
} from './generator-data.js';
import { PLACEHOLDER_VARIANTS, placeholderUrl } from './placeholder-images.js';

/** mulberry32: a tiny, well-distributed 32-bit PRNG (seedable, unlike Math.random). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GeneratorOptions {
  readonly seed?: number;
  /** Index of the first product (ids are `p-<index>`), to generate a catalog in chunks. */
  readonly startIndex?: number;
  readonly currency?: string;
}

export function productId(index: number): string {
  return `p-${String(index).padStart(7, '0')}`;
}

export class CatalogGenerator {
  readonly #seed: number;
  readonly #currency: string;
  readonly #brands: Map<string, string[]> = new Map();

  constructor(options: GeneratorOptions = {}) {
    this.#seed = options.seed ?? 1;
    this.#currency = options.currency ?? 'EUR';
    const rnd = mulberry32(this.#seed ^ 0x9e3779b9);
    for (const c of CATEGORIES) {
      const brands: string[] = [];
      for (let i = 0; i < 8; i++) brands.push(brandName(rnd));
      this.#brands.set(c.slug, brands);
    }
  }

  /** Product number `index`; independent of the others, so chunks can be generated in any order. */
  product(index: number): Product {
    const rnd = mulberry32((this.#seed * 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35));
    const cat = pickCategory(rnd);
    const brand = pick(rnd, this.#brands.get(cat.slug) ?? ['Generic']);
    const adjective = pick(rnd, ADJECTIVES);
    const noun = pick(rnd, cat.nouns);
    const color = pick(rnd, COLORS);
    const material = pick(rnd, cat.materials);
    const model =
      rnd() < 0.4 ? ` ${String.fromCharCode(65 + Math.floor(rnd() * 26))}${1 + Math.floor(rnd() * 9)}` : '';
    const title = `${brand} ${adjective} ${noun}${model}, ${color}`;
    const f1 = pick(rnd, FEATURES);
    let f2 = pick(rnd, FEATURES);
    if (f2 === f1) f2 = FEATURES[(FEATURES.indexOf(f1) + 1) % FEATURES.length]!;
    const description =
      `The ${brand} ${noun.toLowerCase()} in ${color.toLowerCase()} is made of ${material}, ${f1}. ` +
      `${adjective} by design and ${f2}. Part of our ${cat.name.toLowerCase()} range.`;
    // Prices cluster at the low end of the noun's band (log-uniform), as real catalogs do, and
    // end in 9; a noun without a band of its own uses its category's.
    const band = NOUN_PRICE_BANDS[noun];
    const logMin = Math.log(band === undefined ? cat.minPrice : band[0] * 100);
    const logMax = Math.log(band === undefined ? cat.maxPrice : band[1] * 100);
    const raw = Math.exp(logMin + (logMax - logMin) * rnd() ** 1.6);
    const priceMinor = Math.max(99, Math.round(raw / 100) * 100 - 1);
    const attributes: Record<string, string | number | boolean> = {
      brand,
      color,
      material,
      rating: Math.round((3 + rnd() * 2) * 10) / 10,
      reviews: Math.floor(rnd() ** 3 * 5000),
    };
    if (cat.sized === true) attributes.size = pick(rnd, SIZES);
    if (rnd() < 0.3) attributes.freeShipping = true;
    const images = [placeholderUrl(cat.name, Math.floor(rnd() * PLACEHOLDER_VARIANTS))];
    const roll = rnd();
    const status: AvailabilityStatus =
      roll < 0.85 ? 'in_stock' : roll < 0.95 ? 'out_of_stock' : roll < 0.98 ? 'preorder' : 'discontinued';
    const stock = status === 'in_stock' ? 1 + Math.floor(rnd() ** 2 * 500) : 0;
    return {
      id: productId(index),
      title,
      description,
      priceMinor,
      currency: this.#currency,
      category: cat.slug,
      images,
      attributes,
      availability: { status, stock },
    };
  }

  *products(count: number, startIndex = 0): Generator<Product> {
    if (!Number.isInteger(count) || count < 0) throw new TypeError('count must be a non-negative integer');
    for (let i = startIndex; i < startIndex + count; i++) yield this.product(i);
  }
}

// Categories are not equally popular in real shops: weight the first ones more (Zipf-like).
const CATEGORY_WEIGHTS = CATEGORIES.map((_, i) => 1 / (1 + i * 0.08));
const WEIGHT_SUM = CATEGORY_WEIGHTS.reduce((a, b) => a + b, 0);

function pickCategory(rnd: () => number): CategorySpec {
  let x = rnd() * WEIGHT_SUM;
  for (let i = 0; i < CATEGORIES.length; i++) {
    x -= CATEGORY_WEIGHTS[i]!;
    if (x <= 0) return CATEGORIES[i]!;
  }
  return CATEGORIES[CATEGORIES.length - 1]!;
}

function pick<T>(rnd: () => number, items: readonly T[]): T {
  const item = items[Math.floor(rnd() * items.length)];
  if (item === undefined) throw new TypeError('empty vocabulary');
  return item;
}

function brandName(rnd: () => number): string {
  const n = 2 + (rnd() < 0.3 ? 1 : 0);
  let s = '';
  for (let i = 0; i < n; i++) s += pick(rnd, BRAND_SYLLABLES);
  return s.charAt(0).toUpperCase() + s.slice(1);
}
