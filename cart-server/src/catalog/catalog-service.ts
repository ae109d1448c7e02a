/**
 * CatalogService: product reads through the cache, writes to the store with cache
 * invalidation and search-index upkeep. `getProduct` is also the orders helper's `CatalogPort`.
 */
import type { CachedProductReader } from './cache/cached-reader.js';
import { ProductNotFoundError } from './errors.js';
import { assertProductId, type Product, parseProduct } from './product.js';
import type { CategoryPage, ListOptions, ProductStore } from './store/product-store.js';

/** The port the orders helper depends on (SPEC §3). */
export interface CatalogPort {
  /** The current product document; throws ProductNotFoundError (code PRODUCT_NOT_FOUND). */
  getProduct(id: string): Promise<Product>;
}

export interface CatalogService extends CatalogPort {
  /** Like getProduct but resolves undefined for a missing product. */
  findProduct(id: string): Promise<Product | undefined>;
  /** The product's JSON as cached (what GET /v1/products/:id sends). */
  getProductJson(id: string): Promise<string>;
  putProduct(input: unknown): Promise<Product>;
  /** Bulk write (imports); search sees these products after the next rebuild + promote. */
  putProducts(products: readonly Product[]): Promise<void>;
  deleteProduct(id: string): Promise<boolean>;
  listByCategory(category: string, options: ListOptions): Promise<CategoryPage>;
}

export interface CatalogHooks {
  readonly onChanged?: (product: Product) => void;
  readonly onRemoved?: (id: string) => void;
}

export class DefaultCatalogService implements CatalogService {
  readonly #store: ProductStore;
  readonly #reader: CachedProductReader;
  readonly #hooks: CatalogHooks;

  constructor(store: ProductStore, reader: CachedProductReader, hooks: CatalogHooks = {}) {
    this.#store = store;
    this.#reader = reader;
    this.#hooks = hooks;
  }

  async getProductJson(id: string): Promise<string> {
    assertProductId(id);
    const json = await this.#reader.getJson(id);
    if (json === undefined) throw new ProductNotFoundError(id);
    return json;
  }

  async getProduct(id: string): Promise<Product> {
    return JSON.parse(await this.getProductJson(id)) as Product;
  }

  async findProduct(id: string): Promise<Product | undefined> {
    assertProductId(id);
    const json = await this.#reader.getJson(id);
    return json === undefined ? undefined : (JSON.parse(json) as Product);
  }

  async putProduct(input: unknown): Promise<Product> {
    const product = parseProduct(input);
    await this.#store.put(product);
    // Invalidate after the store write (cache-aside): the next read loads the new document.
    await this.#reader.invalidate(product.id);
    this.#hooks.onChanged?.(product);
    return product;
  }

  /**
   * Bulk write (imports): store + cache invalidation only. The products reach search with the
   * next rebuild → promote, as the standby design intends (no half-imported live index).
   */
  async putProducts(products: readonly Product[]): Promise<void> {
    await this.#store.putMany(products);
    for (let i = 0; i < products.length; i += 256) {
      await Promise.all(products.slice(i, i + 256).map((p) => this.#reader.invalidate(p.id)));
    }
  }

  async deleteProduct(id: string): Promise<boolean> {
    assertProductId(id);
    const deleted = await this.#store.delete(id);
    await this.#reader.invalidate(id);
    if (deleted) this.#hooks.onRemoved?.(id);
    return deleted;
  }

  listByCategory(category: string, options: ListOptions): Promise<CategoryPage> {
    return this.#store.listByCategory(category, options);
  }
}
