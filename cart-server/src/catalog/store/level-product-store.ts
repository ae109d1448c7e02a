/**
 * LevelDB ProductStore. Two sublevels: `products` (id → JSON document) and `by-category`
 * (`category \0 id` → '') — a secondary index in the style of the source design's B-tree
 * category index. A put rewrites document and index entries in one atomic batch; writes are
 * serialized in-process so a concurrent re-categorisation never leaves a stale index entry.
 */
import { type LevelBatchOp, type LevelLike, prefixEnd } from '../../storage/level-types.js';
import type { Product } from '../product.js';
import { type CategoryPage, checkListOptions, type ListOptions, type ProductStore } from './product-store.js';

const SEP = '\u0000';

export class LevelProductStore implements ProductStore {
  readonly kind = 'level';
  readonly #products: LevelLike;
  readonly #byCategory: LevelLike;
  #writes: Promise<unknown> = Promise.resolve();

  constructor(db: LevelLike) {
    this.#products = db.sublevel('products', { valueEncoding: 'utf8' });
    this.#byCategory = db.sublevel('by-category', { valueEncoding: 'utf8' });
  }

  async get(id: string): Promise<Product | undefined> {
    const raw = await this.#products.get(id);
    return raw === undefined ? undefined : decode(raw);
  }

  async getMany(ids: readonly string[]): Promise<(Product | undefined)[]> {
    if (ids.length === 0) return [];
    const raws = await this.#products.getMany([...ids]);
    return raws.map((raw) => (raw === undefined ? undefined : decode(raw)));
  }

  put(product: Product): Promise<Product | undefined> {
    return this.#serialize(async () => {
      const previous = await this.get(product.id);
      const ops = this.#ops(product, previous);
      await this.#batchAll(ops);
      return previous;
    });
  }

  putMany(products: readonly Product[]): Promise<void> {
    return this.#serialize(async () => {
      // Last write wins inside one batch, as it would for sequential puts.
      const latest = new Map<string, Product>();
      for (const p of products) latest.set(p.id, p);
      const ids = [...latest.keys()];
      const previous = await this.getMany(ids);
      const products2 = ids.map((id, i) => ({ next: latest.get(id)!, prev: previous[i] }));
      await this.#batchAll(products2.flatMap(({ next, prev }) => this.#ops(next, prev)));
    });
  }

  delete(id: string): Promise<boolean> {
    return this.#serialize(async () => {
      const previous = await this.get(id);
      if (previous === undefined) return false;
      await this.#products.del(id);
      await this.#byCategory.del(previous.category + SEP + id);
      return true;
    });
  }

  async listByCategory(category: string, options: ListOptions): Promise<CategoryPage> {
    checkListOptions(options);
    const prefix = category + SEP;
    const ids: string[] = [];
    const range =
      options.after === undefined
        ? { gte: prefix, lt: prefixEnd(prefix), limit: options.limit + 1 }
        : { gt: prefix + options.after, lt: prefixEnd(prefix), limit: options.limit + 1 };
    for await (const key of this.#byCategory.keys(range)) ids.push(key.slice(prefix.length));
    const more = ids.length > options.limit;
    const pageIds = ids.slice(0, options.limit);
    const docs = await this.getMany(pageIds);
    // Defensive: an index entry whose document moved category is skipped, never shown.
    const items = docs.filter((p): p is Product => p !== undefined && p.category === category);
    const last = pageIds[pageIds.length - 1];
    return more && last !== undefined ? { items, next: last } : { items };
  }

  async *scan(): AsyncIterable<Product> {
    for await (const [, raw] of this.#products.iterator({})) yield decode(raw);
  }

  async count(): Promise<number> {
    let n = 0;
    for await (const _ of this.#products.keys({})) n++;
    return n;
  }

  async close(): Promise<void> {
    await this.#writes.catch(() => undefined);
  }

  #ops(next: Product, prev: Product | undefined) {
    const ops: LevelBatchOp[] = [];
    if (prev !== undefined && prev.category !== next.category) {
      ops.push({ type: 'del', key: prev.category + SEP + prev.id });
    }
    ops.push({ type: 'put', key: next.id, value: JSON.stringify(next) });
    ops.push({ type: 'put', key: next.category + SEP + next.id, value: '' });
    return ops;
  }

  async #batchAll(ops: LevelBatchOp[]): Promise<void> {
    // Document and index ops go to two sublevels; abstract-level lets one batch on the
    // root span sublevels, but our LevelLike is already a sublevel, so group per sublevel in
    // a fixed order: documents first, then index (a crash between leaves an index entry
    // missing at worst, which the next put of that id repairs; never a dangling document).
    const docOps: LevelBatchOp[] = [];
    const idxOps: LevelBatchOp[] = [];
    for (const op of ops) (op.key.includes(SEP) ? idxOps : docOps).push(op);
    if (docOps.length > 0) await this.#products.batch(docOps);
    if (idxOps.length > 0) await this.#byCategory.batch(idxOps);
  }

  #serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#writes.then(fn, fn);
    this.#writes = run.catch(() => undefined);
    return run;
  }
}

/** Documents were validated on the way in; re-validating every read would cost more than the read. */
function decode(raw: string): Product {
  return JSON.parse(raw) as Product;
}
