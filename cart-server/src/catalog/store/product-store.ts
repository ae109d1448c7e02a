/**
 * Where product documents live. Implementations: `MemoryProductStore` (reference, tests) and
 * `LevelProductStore` (LevelDB, the default). Both run the same conformance suite
 * (cart-server/test/catalog/product-store.conformance.ts), after abstract-level's model of one
 * interface with one shared test suite.
 */
import type { Product } from '../product.js';

export interface CategoryPage {
  readonly items: Product[];
  /** Opaque: pass as `after` for the next page; absent on the last page. */
  readonly next?: string;
}

export interface ListOptions {
  /** 1..1000 */
  readonly limit: number;
  /** The `next` of the previous page (the last product id seen). */
  readonly after?: string;
}

export interface ProductStore {
  readonly kind: string;
  get(id: string): Promise<Product | undefined>;
  getMany(ids: readonly string[]): Promise<(Product | undefined)[]>;
  /** Inserts or replaces; returns the previous document. Keeps the category index in step. */
  put(product: Product): Promise<Product | undefined>;
  /** Bulk insert/replace (the importer's path); same index guarantees as `put`. */
  putMany(products: readonly Product[]): Promise<void>;
  delete(id: string): Promise<boolean>;
  /** Products of one category in ascending id order (the category index). */
  listByCategory(category: string, options: ListOptions): Promise<CategoryPage>;
  /** Every product in id order (index builds, ranking). */
  scan(): AsyncIterable<Product>;
  count(): Promise<number>;
  close(): Promise<void>;
}

export const MAX_LIST_LIMIT = 1000;

export function checkListOptions(options: ListOptions): void {
  if (!Number.isInteger(options.limit) || options.limit < 1 || options.limit > MAX_LIST_LIMIT) {
    throw new TypeError(`limit must be an integer in 1..${MAX_LIST_LIMIT}`);
  }
}
