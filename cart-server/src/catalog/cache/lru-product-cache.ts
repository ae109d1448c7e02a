/**
 * In-process LRU with TTL: a Map keeps insertion order, so re-inserting on a hit moves the entry
 * to the young end and the oldest entry is the first key (O(1) eviction).
 */
import { type CacheStats, DEFAULT_CACHE_TTL_MS, type ProductCache } from './product-cache.js';

export interface LruOptions {
  /** Maximum number of entries (default 10,000). */
  readonly maxEntries?: number;
  readonly ttlMs?: number;
  readonly now?: () => number;
}

export class LruProductCache implements ProductCache {
  readonly kind = 'lru';
  readonly #entries = new Map<string, { json: string; expires: number }>();
  readonly #max: number;
  readonly #ttl: number;
  readonly #now: () => number;
  #hits = 0;
  #misses = 0;

  constructor(options: LruOptions = {}) {
    this.#max = options.maxEntries ?? 10_000;
    this.#ttl = options.ttlMs ?? DEFAULT_CACHE_TTL_MS;
    this.#now = options.now ?? Date.now;
    if (!Number.isInteger(this.#max) || this.#max < 1) throw new TypeError('maxEntries must be ≥ 1');
    if (!(this.#ttl > 0)) throw new TypeError('ttlMs must be > 0');
  }

  /** Synchronous lookup for the near-cache fast path. */
  peek(id: string): string | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) {
      this.#misses++;
      return undefined;
    }
    if (entry.expires <= this.#now()) {
      this.#entries.delete(id);
      this.#misses++;
      return undefined;
    }
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    this.#hits++;
    return entry.json;
  }

  async get(id: string): Promise<string | undefined> {
    return this.peek(id);
  }

  put(id: string, json: string): void {
    this.#entries.delete(id);
    this.#entries.set(id, { json, expires: this.#now() + this.#ttl });
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
  }

  async set(id: string, json: string): Promise<void> {
    this.put(id, json);
  }

  async setMany(entries: ReadonlyArray<readonly [string, string]>): Promise<void> {
    for (const [id, json] of entries) this.put(id, json);
  }

  remove(id: string): void {
    this.#entries.delete(id);
  }

  async delete(id: string): Promise<void> {
    this.remove(id);
  }

  dropLocal(id: string): void {
    this.remove(id);
  }

  clear(): void {
    this.#entries.clear();
  }

  clearLocal(): void {
    this.clear();
  }

  get size(): number {
    return this.#entries.size;
  }

  available(): boolean {
    return true;
  }

  stats(): CacheStats {
    return { hits: this.#hits, misses: this.#misses, errors: 0 };
  }

  async close(): Promise<void> {
    this.#entries.clear();
  }
}
