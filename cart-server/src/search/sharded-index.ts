/**
 * One generation of the search index: MiniSearch shards keyed by category × popularity band
 * (the source design partitions its search cluster by category and popularity-score range).
 * Each entry stores the product's mini description, so a result page needs no catalog read.
 */
import MiniSearch, { type SearchOptions } from 'minisearch';
import SearchableMap from 'minisearch/SearchableMap';
import { type Product, type ProductSummary, summarize } from '../catalog/product.js';
import type { Band, BandAssigner } from '../popularity/ranking.js';
import { PageCache } from './page-cache.js';

export type ShardKey = `${string}/${Band}`;

export function shardKey(category: string, band: Band): ShardKey {
  return `${category}/${band}`;
}

interface IndexDoc extends ProductSummary {
  readonly extra: string;
  readonly popularity: number;
}

/** The stored fields of a hit (the mini description plus the popularity used for ranking). */
export interface StoredHit extends ProductSummary {
  readonly popularity: number;
}

/**
 * Indexed fields: the title, and `extra` = brand, category words and attribute words that are
 * not already in the title. A query term's cost in MiniSearch grows with the documents that
 * hold it in each field, so each word is indexed once per product (a colour used to be in the
 * title, the attributes and the description: three postings for one fact). The description's
 * mini form is stored for result pages, not indexed. MiniSearch stores no fields: every hit
 * would copy them into its result object (for every match, not just the page), so the shard's
 * own id → StoredHit map serves them, and only for hits that are looked at.
 */
const FIELDS = ['title', 'extra'] as const;

/** The tokenizer of every shard (and of the query corrector): category slugs split into words. */
export function tokenize(text: string): string[] {
  return text.split(/[\s\-.,;:!?()"'/]+/u).filter((t) => t.length > 0);
}

/**
 * What the generation knows about one indexed word: its document frequency (typo correction
 * picks the most frequent candidate) and the shards that hold it (query routing: with AND
 * matching, a shard lacking any query word cannot contribute, so it is not searched at all —
 * term-partitioned routing in the manner of a global term → shard directory).
 */
export interface TermStats {
  count: number;
  readonly shards: Set<ShardKey>;
}

/** The indexed words of a document, with their document frequency and shard. */
function addTerms(vocabulary: SearchableMap<TermStats>, doc: IndexDoc, key: ShardKey): void {
  for (const text of [doc.title, doc.extra]) {
    for (const t of tokenize(text)) {
      const stats = vocabulary.fetch(t.toLowerCase(), () => ({ count: 0, shards: new Set<ShardKey>() }));
      stats.count++;
      stats.shards.add(key);
    }
  }
}

/** Type-ahead on the last word only, from 3 letters (see search-engine.ts). */
export function isPrefixTerm(term: string, i: number, terms: readonly string[]): boolean {
  return i === terms.length - 1 && term.length >= 3;
}

function newShard(): MiniSearch<IndexDoc> {
  return new MiniSearch<IndexDoc>({
    fields: [...FIELDS],
    // Category slugs are indexed as words ("home-kitchen" → "home", "kitchen").
    tokenize,
  });
}

function toDoc(p: Product, popularity: number): IndexDoc {
  const summary = summarize(p);
  const inTitle = new Set(tokenize(p.title.toLowerCase()));
  const extra: string[] = [];
  const addWords = (text: string): void => {
    for (const t of tokenize(text)) {
      const k = t.toLowerCase();
      if (!inTitle.has(k)) {
        inTitle.add(k);
        extra.push(t);
      }
    }
  };
  addWords(p.category);
  for (const v of Object.values(p.attributes)) if (typeof v === 'string') addWords(v);
  return { ...summary, extra: extra.join(' '), popularity };
}

function hitOf(d: IndexDoc): StoredHit {
  return {
    id: d.id,
    title: d.title,
    snippet: d.snippet,
    priceMinor: d.priceMinor,
    currency: d.currency,
    category: d.category,
    image: d.image,
    availability: d.availability,
    popularity: d.popularity,
  };
}

/** Browse order: popularity desc, then id asc. */
function browseOrder(a: StoredHit, b: StoredHit): number {
  return b.popularity - a.popularity || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export interface ShardInfo {
  readonly key: ShardKey;
  readonly category: string;
  readonly band: Band;
  readonly documents: number;
}

export class ShardedIndex {
  readonly #shards = new Map<ShardKey, MiniSearch<IndexDoc>>();
  readonly #where = new Map<string, ShardKey>();
  /** Per shard: its hits in browse order, rebuilt lazily after writes (empty-query browsing). */
  readonly #hits = new Map<ShardKey, Map<string, StoredHit>>();
  readonly #sorted = new Map<ShardKey, StoredHit[]>();
  readonly #bands: BandAssigner;
  /** Every indexed term with its frequency: typo correction walks this once instead of every shard. */
  readonly #vocabulary = new SearchableMap<TermStats>();

  /** Result pages of this index; cleared by every write, so a cached page is never stale. */
  readonly pages: PageCache;

  constructor(bands: BandAssigner, options: { pageCacheEntries?: number } = {}) {
    this.#bands = bands;
    this.pages = new PageCache(options.pageCacheEntries);
  }

  get size(): number {
    return this.#where.size;
  }

  /** Inserts or replaces a product (moving it if its category changed). */
  upsert(p: Product): void {
    this.pages.clear();
    const band = this.#bands.band(p.id);
    const key = shardKey(p.category, band);
    const old = this.#where.get(p.id);
    if (old !== undefined) this.#shards.get(old)?.discard(p.id);
    if (old !== undefined) {
      this.#hits.get(old)?.delete(p.id);
      this.#sorted.delete(old);
    }
    let shard = this.#shards.get(key);
    let hits = this.#hits.get(key);
    if (shard === undefined || hits === undefined) {
      shard = newShard();
      hits = new Map();
      this.#shards.set(key, shard);
      this.#hits.set(key, hits);
    }
    const doc = toDoc(p, this.#bands.score(p.id));
    shard.add(doc);
    const hit = hitOf(doc);
    hits.set(p.id, hit);
    // Removals keep their terms: a stale suggestion finds nothing and a stale route searches
    // one shard too many, both harmlessly.
    addTerms(this.#vocabulary, doc, key);
    this.#sorted.delete(key);
    this.#where.set(p.id, key);
  }

  remove(id: string): boolean {
    const key = this.#where.get(id);
    if (key === undefined) return false;
    this.pages.clear();
    this.#shards.get(key)?.discard(id);
    this.#hits.get(key)?.delete(id);
    this.#sorted.delete(key);
    this.#where.delete(id);
    return true;
  }

  vocabulary(): SearchableMap<TermStats> {
    return this.#vocabulary;
  }

  /** Each selected shard's hits in browse order (popularity desc, id asc). */
  browseLists(categories: ReadonlySet<string> | undefined): StoredHit[][] {
    const lists: StoredHit[][] = [];
    for (const [key, hits] of this.#hits) {
      if (hits.size === 0) continue;
      if (categories !== undefined && !categories.has(key.slice(0, key.lastIndexOf('/')))) continue;
      let sorted = this.#sorted.get(key);
      if (sorted === undefined) {
        sorted = [...hits.values()].sort(browseOrder);
        this.#sorted.set(key, sorted);
      }
      lists.push(sorted);
    }
    return lists;
  }

  has(id: string): boolean {
    return this.#where.has(id);
  }

  shards(): ShardInfo[] {
    return [...this.#shards]
      .map(([key, ms]) => {
        const slash = key.lastIndexOf('/');
        return {
          key,
          category: key.slice(0, slash),
          band: key.slice(slash + 1) as Band,
          documents: ms.documentCount,
        };
      })
      .filter((s) => s.documents > 0)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Category → product count, from the shard sizes (no store scan). */
  categories(): Array<{ category: string; products: number }> {
    const counts = new Map<string, number>();
    for (const s of this.shards()) counts.set(s.category, (counts.get(s.category) ?? 0) + s.documents);
    return [...counts]
      .map(([category, products]) => ({ category, products }))
      .sort((a, b) => (a.category < b.category ? -1 : 1));
  }

  /**
   * The shards that can hold an AND match of `query`: those holding every word (for the last
   * word, when it is a prefix term, any word it prefixes). Tokenised exactly as MiniSearch
   * tokenises the query (same tokenizer, lower-cased), so no shard with a match is skipped.
   */
  route(query: string): Set<ShardKey> {
    const terms = tokenize(query).map((t) => t.toLowerCase());
    let result: Set<ShardKey> | undefined;
    for (let i = 0; i < terms.length; i++) {
      const term = terms[i]!;
      let shards: Set<ShardKey>;
      if (isPrefixTerm(term, i, terms)) {
        shards = new Set();
        for (const [, stats] of this.#vocabulary.atPrefix(term)) for (const k of stats.shards) shards.add(k);
      } else {
        shards = this.#vocabulary.get(term)?.shards ?? new Set();
      }
      if (result === undefined) result = new Set(shards);
      else for (const k of result) if (!shards.has(k)) result.delete(k);
      if (result.size === 0) break;
    }
    return result ?? new Set();
  }

  /** Runs one query on the shards of the given categories (all when undefined) that hold its words. */
  searchShards(
    query: string,
    categories: ReadonlySet<string> | undefined,
    options: SearchOptions,
    visit: (hit: StoredHit, relevance: number) => void,
  ): number {
    let queried = 0;
    for (const key of this.route(query)) {
      if (categories !== undefined && !categories.has(key.slice(0, key.lastIndexOf('/')))) continue;
      const shard = this.#shards.get(key);
      const hits = this.#hits.get(key);
      if (shard === undefined || hits === undefined || shard.documentCount === 0) continue;
      queried++;
      for (const r of shard.search(query, options)) {
        const hit = hits.get(r.id as string);
        if (hit !== undefined) visit(hit, r.score);
      }
    }
    return queried;
  }
}
