/**
 * A small LRU of result pages for one search generation (a query-result cache in the manner of
 * a search engine's request cache, e.g. Elasticsearch's shard request cache): keyed by the
 * normalised query, filters, page size and cursor, and cleared whenever the index it belongs to
 * changes, so a cached page is always exactly what the index would answer now. A promotion
 * switches to another index with its own cache; a pinned cursor keeps hitting its generation's.
 */
import type { SearchPage } from './search-query.js';

export const DEFAULT_PAGE_CACHE_ENTRIES = 512;

export class PageCache {
  readonly #max: number;
  /** Map iteration order is insertion order: the first key is the least recently used. */
  readonly #pages = new Map<string, SearchPage>();
  #hits = 0;
  #misses = 0;

  constructor(maxEntries = DEFAULT_PAGE_CACHE_ENTRIES) {
    if (!Number.isInteger(maxEntries) || maxEntries < 0)
      throw new TypeError('maxEntries must be an integer ≥ 0');
    this.#max = maxEntries;
  }

  get(key: string): SearchPage | undefined {
    const page = this.#pages.get(key);
    if (page === undefined) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    this.#pages.delete(key);
    this.#pages.set(key, page);
    return page;
  }

  /** Stores a page, frozen: it is handed to every later caller of the same query. */
  set(key: string, page: SearchPage): SearchPage {
    if (this.#max === 0) return page;
    Object.freeze(page.items);
    const frozen = Object.freeze(page);
    this.#pages.delete(key);
    this.#pages.set(key, frozen);
    if (this.#pages.size > this.#max) {
      const oldest = this.#pages.keys().next();
      if (oldest.done !== true) this.#pages.delete(oldest.value);
    }
    return frozen;
  }

  clear(): void {
    if (this.#pages.size > 0) this.#pages.clear();
  }

  get size(): number {
    return this.#pages.size;
  }

  stats(): { hits: number; misses: number; entries: number } {
    return { hits: this.#hits, misses: this.#misses, entries: this.#pages.size };
  }
}
