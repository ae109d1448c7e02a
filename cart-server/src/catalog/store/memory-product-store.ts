import type { EncodedProduct, Product } from '../product.js';
import {
  AbstractProductStore,
  type CategoryPage,
  inPriceRange,
  type ListOptions,
  type ProductStoreFeatures,
} from './product-store.js';

/** In-memory reference ProductStore: the behaviour every other store must match. */
export class MemoryProductStore extends AbstractProductStore {
  readonly kind = 'memory';
  readonly supports: ProductStoreFeatures = { shared: false, changeFeed: false };
  readonly #products = new Map<string, Product>();

  protected async _get(id: string): Promise<Product | undefined> {
    return this.#products.get(id);
  }

  protected async _getMany(ids: readonly string[]): Promise<(Product | undefined)[]> {
    return ids.map((id) => this.#products.get(id));
  }

  protected async _put({ product }: EncodedProduct): Promise<Product | undefined> {
    const previous = this.#products.get(product.id);
    this.#products.set(product.id, product);
    return previous;
  }

  protected async _putMany(docs: readonly EncodedProduct[]): Promise<void> {
    for (const { product } of docs) this.#products.set(product.id, product);
  }

  protected async _delete(id: string): Promise<boolean> {
    return this.#products.delete(id);
  }

  protected async _listByCategory(category: string, options: ListOptions): Promise<CategoryPage> {
    const ids = [...this.#products.values()]
      .filter(
        (p) =>
          p.category === category &&
          (options.after === undefined || p.id > options.after) &&
          inPriceRange(p, options),
      )
      .map((p) => p.id)
      .sort();
    const page = ids.slice(0, options.limit);
    const items = page.map((id) => this.#products.get(id)!);
    const last = page[page.length - 1];
    return ids.length > options.limit && last !== undefined ? { items, next: last } : { items };
  }

  protected async *_scan(): AsyncIterable<Product> {
    for (const id of [...this.#products.keys()].sort()) {
      const p = this.#products.get(id);
      if (p !== undefined) yield p;
    }
  }

  protected async _count(): Promise<number> {
    return this.#products.size;
  }
}
