/**
 * Where product documents live. Implementations: `MemoryProductStore` (reference, tests),
 * `LevelProductStore` (LevelDB, the embedded default) and `PostgresProductStore` (PostgreSQL,
 * shared by every node of a cluster). All run one conformance suite
 * (cart-server/test/catalog/product-store.conformance.ts), after abstract-level's model: the
 * public methods of `AbstractProductStore` validate their arguments and then call the
 * protected `_get`/`_put`/… a backend overrides, so every backend refuses the same bad input
 * with the same typed error and never sees it.
 */
import { InvalidProductError } from '../errors.js';
import {
  CATEGORY_PATTERN,
  type EncodedProduct,
  encodeProduct,
  isProductId,
  MAX_PRICE_MINOR,
  type Product,
} from '../product.js';

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
  /** Only products priced at least this (minor units, inclusive). */
  readonly minPrice?: number;
  /** Only products priced at most this (minor units, inclusive). */
  readonly maxPrice?: number;
}

/**
 * Writes made through another handle of a shared store (another node): `put` and `delete` are
 * single-document writes, `import` a `putMany` batch; `reset` (no ids) means the feed was
 * interrupted and any document may have changed meanwhile.
 */
export interface ProductChange {
  readonly kind: 'put' | 'delete' | 'import' | 'reset';
  readonly ids: readonly string[];
}

export interface ProductStoreFeatures {
  /** Several processes may open the same data at once (a cluster shares one catalog). */
  readonly shared: boolean;
  /** `watch` reports writes made by the other processes. */
  readonly changeFeed: boolean;
}

export interface ProductStore {
  readonly kind: string;
  readonly supports: ProductStoreFeatures;
  get(id: string): Promise<Product | undefined>;
  getMany(ids: readonly string[]): Promise<(Product | undefined)[]>;
  /**
   * Inserts or replaces; returns the previous document. Concurrent puts of one id are
   * linearizable: each returns the document the one before it wrote.
   * InvalidProductError (INVALID_PRODUCT) / ProductTooLargeError (PRODUCT_TOO_LARGE) for a bad
   * document, which is never written.
   */
  put(product: Product): Promise<Product | undefined>;
  /**
   * Bulk insert/replace (the importer's path); the last of duplicate ids wins. Every document is
   * checked before any is written: one bad document refuses the whole batch, naming its index.
   */
  putMany(products: readonly Product[]): Promise<void>;
  delete(id: string): Promise<boolean>;
  /** Products of one category (optionally within a price range) in ascending id order. */
  listByCategory(category: string, options: ListOptions): Promise<CategoryPage>;
  /** Every product in id order (index builds, ranking). */
  scan(): AsyncIterable<Product>;
  count(): Promise<number>;
  /**
   * Subscribes to writes made through other handles (`supports.changeFeed`); returns the
   * unsubscribe function. Stores without a change feed never call the listener.
   */
  watch(listener: (change: ProductChange) => void): () => void;
  close(): Promise<void>;
}

export const MAX_LIST_LIMIT = 1000;

/** Programmer misuse (the HTTP layer validates first): TypeError. */
export function checkListOptions(options: ListOptions): void {
  if (!Number.isInteger(options.limit) || options.limit < 1 || options.limit > MAX_LIST_LIMIT) {
    throw new TypeError(`limit must be an integer in 1..${MAX_LIST_LIMIT}`);
  }
  if (options.after !== undefined && !isProductId(options.after)) {
    throw new TypeError('after must be a product id');
  }
  for (const bound of [options.minPrice, options.maxPrice]) {
    if (bound !== undefined && (!Number.isInteger(bound) || bound < 0 || bound > MAX_PRICE_MINOR)) {
      throw new TypeError(`price bounds must be integers in 0..${MAX_PRICE_MINOR}`);
    }
  }
}

/** True when `p` passes the price bounds of `options`. */
export function inPriceRange(p: Product, options: ListOptions): boolean {
  return (
    (options.minPrice === undefined || p.priceMinor >= options.minPrice) &&
    (options.maxPrice === undefined || p.priceMinor <= options.maxPrice)
  );
}

function checkId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || !isProductId(id)) {
    throw new InvalidProductError(`invalid product id ${JSON.stringify(String(id).slice(0, 80))}`);
  }
}

/**
 * Validation in front of every backend. Documents are checked and encoded (schema, storable
 * strings, size) before a backend sees them; `putMany` checks the whole batch first and keeps
 * the last document of a repeated id, so a backend gets distinct ids.
 */
export abstract class AbstractProductStore implements ProductStore {
  abstract readonly kind: string;
  abstract readonly supports: ProductStoreFeatures;

  async get(id: string): Promise<Product | undefined> {
    checkId(id);
    return this._get(id);
  }

  async getMany(ids: readonly string[]): Promise<(Product | undefined)[]> {
    if (!Array.isArray(ids)) throw new TypeError('ids must be an array');
    for (const id of ids) checkId(id);
    if (ids.length === 0) return [];
    return this._getMany(ids);
  }

  async put(product: Product): Promise<Product | undefined> {
    return this._put(encodeProduct(product));
  }

  async putMany(products: readonly Product[]): Promise<void> {
    if (!Array.isArray(products)) throw new TypeError('products must be an array');
    const latest = new Map<string, EncodedProduct>();
    products.forEach((p, i) => {
      const encoded = encodeProduct(p, `products[${i}]`);
      latest.delete(encoded.product.id); // keeps the position of the last write
      latest.set(encoded.product.id, encoded);
    });
    if (latest.size === 0) return;
    await this._putMany([...latest.values()]);
  }

  async delete(id: string): Promise<boolean> {
    checkId(id);
    return this._delete(id);
  }

  async listByCategory(category: string, options: ListOptions): Promise<CategoryPage> {
    if (typeof category !== 'string' || !CATEGORY_PATTERN.test(category)) {
      throw new TypeError('category must be a category slug');
    }
    checkListOptions(options);
    if (
      options.minPrice !== undefined &&
      options.maxPrice !== undefined &&
      options.minPrice > options.maxPrice
    ) {
      return { items: [] };
    }
    return this._listByCategory(category, options);
  }

  scan(): AsyncIterable<Product> {
    return this._scan();
  }

  count(): Promise<number> {
    return this._count();
  }

  watch(_listener: (change: ProductChange) => void): () => void {
    return () => undefined;
  }

  async close(): Promise<void> {}

  protected abstract _get(id: string): Promise<Product | undefined>;
  protected abstract _getMany(ids: readonly string[]): Promise<(Product | undefined)[]>;
  protected abstract _put(doc: EncodedProduct): Promise<Product | undefined>;
  /** Distinct ids, already checked. */
  protected abstract _putMany(docs: readonly EncodedProduct[]): Promise<void>;
  protected abstract _delete(id: string): Promise<boolean>;
  protected abstract _listByCategory(category: string, options: ListOptions): Promise<CategoryPage>;
  protected abstract _scan(): AsyncIterable<Product>;
  protected abstract _count(): Promise<number>;
}
