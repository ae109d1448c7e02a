/**
 * LevelDB ProductStore. Two sublevels: `products` (id → JSON document) and `by-category`
 * (`category \0 id` → '') — a secondary index in the style of the source design's B-tree
 * category index. A put rewrites document and index entries in one atomic batch; writes are
 * serialized in-process so a concurrent re-categorisation never leaves a stale index entry.
 */
import { type LevelBatchOp, type LevelLike, prefixEnd } from '../../storage/level-types.js';
import type { EncodedProduct, Product } from '../product.js';
import {
  AbstractProductStore,
  type CategoryPage,
  inPriceRange,
  type ListOptions,
  type ProductStoreFeatures,
} from './product-store.js';

const SEP = '\u0000';

export class LevelProductStore extends AbstractProductStore {
  readonly kind = 'level';
  /** One process holds a LevelDB's lock: each node has its own copy. */
  readonly supports: ProductStoreFeatures = { shared: false, changeFeed: false };
  readonly #products: LevelLike;
  readonly #byCategory: LevelLike;
  #writes: Promise<unknown> = Promise.resolve();

  constructor(db: LevelLike) {
    super();
    this.#products = db.sublevel('products', { valueEncoding: 'utf8' });
    this.#byCategory = db.sublevel('by-category', { valueEncoding: 'utf8' });
  }

  protected async _get(id: string): Promise<Product | undefined> {
    const raw = await this.#products.get(id);
    return raw === undefined ? undefined : decode(raw);
  }

  protected async _getMany(ids: readonly string[]): Promise<(Product | undefined)[]> {
    if (ids.length === 0) return [];
    const raws = await this.#products.getMany([...ids]);
    return raws.map((raw) => (raw === undefined ? undefined : decode(raw)));
  }

  protected _put(doc: EncodedProduct): Promise<Product | undefined> {
    return this.#serialize(async () => {
      const previous = await this._get(doc.product.id);
      await this.#batchAll(this.#ops(doc, previous));
      return previous;
    });
  }

  protected _putMany(docs: readonly EncodedProduct[]): Promise<void> {
    return this.#serialize(async () => {
      const previous = await this._getMany(docs.map((d) => d.product.id));
      await this.#batchAll(docs.flatMap((doc, i) => this.#ops(doc, previous[i])));
    });
  }

  protected _delete(id: string): Promise<boolean> {
    return this.#serialize(async () => {
      const previous = await this._get(id);
      if (previous === undefined) return false;
      await this.#products.del(id);
      await this.#byCategory.del(previous.category + SEP + id);
      return true;
    });
  }

  protected async _listByCategory(category: string, options: ListOptions): Promise<CategoryPage> {
    const prefix = category + SEP;
    const filtered = options.minPrice !== undefined || options.maxPrice !== undefined;
    // Without a price filter one read of limit + 1 index entries answers; with one, the index
    // is walked in chunks until limit + 1 documents pass (the embedded store has no price index).
    const chunk = filtered ? Math.max(64, options.limit * 4) : options.limit + 1;
    const matched: Product[] = [];
    let from = options.after === undefined ? undefined : prefix + options.after;
    for (;;) {
      const range =
        from === undefined
          ? { gte: prefix, lt: prefixEnd(prefix), limit: chunk }
          : { gt: from, lt: prefixEnd(prefix), limit: chunk };
      const ids: string[] = [];
      for await (const key of this.#byCategory.keys(range)) ids.push(key.slice(prefix.length));
      const docs = await this._getMany(ids);
      // Defensive: an index entry whose document moved category is skipped, never shown.
      for (const p of docs) {
        if (p !== undefined && p.category === category && inPriceRange(p, options)) matched.push(p);
      }
      const last = ids[ids.length - 1];
      if (matched.length > options.limit || ids.length < chunk || last === undefined) break;
      from = prefix + last;
    }
    const items = matched.slice(0, options.limit);
    const last = items[items.length - 1];
    return matched.length > options.limit && last !== undefined ? { items, next: last.id } : { items };
  }

  protected async *_scan(): AsyncIterable<Product> {
    for await (const [, raw] of this.#products.iterator({})) yield decode(raw);
  }

  protected async _count(): Promise<number> {
    let n = 0;
    for await (const _ of this.#products.keys({})) n++;
    return n;
  }

  override async close(): Promise<void> {
    await this.#writes.catch(() => undefined);
  }

  #ops({ product: next, json }: EncodedProduct, prev: Product | undefined) {
    const ops: LevelBatchOp[] = [];
    if (prev !== undefined && prev.category !== next.category) {
      ops.push({ type: 'del', key: prev.category + SEP + prev.id });
    }
    ops.push({ type: 'put', key: next.id, value: json });
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
