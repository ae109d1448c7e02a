import type { Product } from '../product.js';
import { type CategoryPage, checkListOptions, type ListOptions, type ProductStore } from './product-store.js';

/** In-memory reference ProductStore: the behaviour every other store must match. */
export class MemoryProductStore implements ProductStore {
  readonly kind = 'memory';
  readonly #products = new Map<string, Product>();

  async get(id: string): Promise<Product | undefined> {
    return this.#products.get(id);
  }

  async getMany(ids: readonly string[]): Promise<(Product | undefined)[]> {
    return ids.map((id) => this.#products.get(id));
  }

  async put(product: Product): Promise<Product | undefined> {
    const previous = this.#products.get(product.id);
    this.#products.set(product.id, product);
    return previous;
  }

  async putMany(products: readonly Product[]): Promise<void> {
    for (const p of products) this.#products.set(p.id, p);
  }

  async delete(id: string): Promise<boolean> {
    return this.#products.delete(id);
  }

  async listByCategory(category: string, options: ListOptions): Promise<CategoryPage> {
    checkListOptions(options);
    const ids = [...this.#products.values()]
      .filter((p) => p.category === category && (options.after === undefined || p.id > options.after))
      .map((p) => p.id)
      .sort();
    const page = ids.slice(0, options.limit);
    const items = page.map((id) => this.#products.get(id)!);
    const last = page[page.length - 1];
    return ids.length > options.limit && last !== undefined ? { items, next: last } : { items };
  }

  async *scan(): AsyncIterable<Product> {
    for (const id of [...this.#products.keys()].sort()) {
      const p = this.#products.get(id);
      if (p !== undefined) yield p;
    }
  }

  async count(): Promise<number> {
    return this.#products.size;
  }

  async close(): Promise<void> {}
}
