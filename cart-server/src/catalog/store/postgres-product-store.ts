/**
 * PostgreSQL ProductStore: the catalog every node of a cluster shares. One JSONB document per
 * product in `catalog_products`, hash-partitioned by product id, with B-tree indexes on
 * (category, id) and (category, price_minor, id) — the source design's product DB (see
 * postgres-migrations.ts, and ARCHITECTURE.md for the same table on Citus).
 *
 * - `put` is one statement in the common case (the row exists): an UPDATE that locks the row in
 *   a sub-select and returns the document it replaced, so concurrent puts of one id queue on the
 *   row lock and each returns its predecessor's document (READ COMMITTED re-reads the locked row).
 *   A new id takes an INSERT … ON CONFLICT DO NOTHING; losing that race retries the UPDATE.
 * - `putMany` sends documents as one JSON array per statement (`jsonb_array_elements`), at most
 *   `batchSize` per statement, sorted by id so concurrent batches lock rows in one order (no
 *   deadlock), all statements of one call in one transaction.
 * - Every write notifies `channel` (pg_notify, delivered on commit) with the ids it wrote; other
 *   nodes' `watch` listeners drop their cached copies. A listener connection that drops and
 *   comes back reports `reset` (notifications may have been missed meanwhile).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { ProductStoreUnavailableError } from '../errors.js';
import { type EncodedProduct, MAX_PRICE_MINOR, type Product } from '../product.js';
import { PostgresChangeFeed } from './postgres-change-feed.js';
import { redactUrl, toStoreError } from './postgres-errors.js';
import { migrateCatalog } from './postgres-migrations.js';
import {
  AbstractProductStore,
  type CategoryPage,
  type ListOptions,
  type ProductChange,
  type ProductStoreFeatures,
} from './product-store.js';

export interface PostgresProductStoreOptions {
  /** postgres://user@host:port/database */
  readonly url: string;
  /** Pool size (default 10). */
  readonly maxConnections?: number;
  /** Documents per INSERT statement in putMany (default 1000). */
  readonly batchSize?: number;
  /** NOTIFY channel for the change feed (default cartwheel_catalog). */
  readonly channel?: string;
  /** Run the migrations on open (default true). */
  readonly migrate?: boolean;
  readonly connectTimeoutMs?: number;
  /** Server-side bound on one statement (default 30 s; 0 = none). */
  readonly statementTimeoutMs?: number;
  /** Called for connection errors that were handled (logging). */
  readonly onError?: (err: Error) => void;
}

/** ids per notification: NOTIFY payloads are limited to 8000 bytes and an id to 64 characters. */
const IDS_PER_NOTIFICATION = 100;
const FIRST_SCAN_PAGE = 16;
const SCAN_PAGE = 1000;
const PUT_ATTEMPTS = 10;
/** Most ids one batched read sends. */
const GET_BATCH = 256;

const SQL = {
  get: 'SELECT doc FROM catalog_products WHERE id = $1',
  getMany: 'SELECT id, doc FROM catalog_products WHERE id = ANY($1::text[])',
  update: `
    WITH old AS (SELECT id, doc FROM catalog_products WHERE id = $1 FOR UPDATE),
    w AS (
      UPDATE catalog_products AS t
         SET doc = $2::jsonb, category = $3, price_minor = $4, updated_at = now()
        FROM old
       WHERE t.id = $1 AND t.id = old.id
      RETURNING old.doc AS previous
    )
    SELECT w.previous, pg_notify($5, $6) FROM w`,
  insert: `
    WITH w AS (
      INSERT INTO catalog_products (id, doc, category, price_minor)
      VALUES ($1, $2::jsonb, $3, $4)
      ON CONFLICT (id) DO NOTHING
      RETURNING id
    )
    SELECT pg_notify($5, $6) FROM w`,
  putMany: `
    WITH w AS (
      INSERT INTO catalog_products (id, doc, category, price_minor)
      SELECT d->>'id', d, d->>'category', (d->>'priceMinor')::bigint
        FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(d, n)
       ORDER BY n
      ON CONFLICT (id) DO UPDATE
        SET doc = EXCLUDED.doc, category = EXCLUDED.category,
            price_minor = EXCLUDED.price_minor, updated_at = now()
      RETURNING 1
    )
    SELECT count(*)::int AS n, (SELECT count(pg_notify($2, p)) FROM unnest($3::text[]) AS p) AS notified FROM w`,
  delete: `
    WITH w AS (DELETE FROM catalog_products WHERE id = $1 RETURNING id)
    SELECT pg_notify($2, $3) FROM w`,
  list: `
    SELECT doc FROM catalog_products
     WHERE category = $1 AND id > $2 AND price_minor BETWEEN $3 AND $4
     ORDER BY id LIMIT $5`,
  scan: 'SELECT id, doc FROM catalog_products WHERE id > $1 ORDER BY id LIMIT $2',
  count: 'SELECT count(*) AS n FROM catalog_products',
} as const;

export class PostgresProductStore extends AbstractProductStore {
  readonly kind = 'postgres';
  readonly supports: ProductStoreFeatures = { shared: true, changeFeed: true };
  readonly pool: pg.Pool;
  readonly #options: PostgresProductStoreOptions;
  readonly #batchSize: number;
  readonly #channel: string;
  /** Tags this handle's notifications so its own writes are not reported back to it. */
  readonly #origin = randomBytes(6).toString('base64url');
  readonly #listeners = new Set<(change: ProductChange) => void>();
  #feed: PostgresChangeFeed | undefined;
  #gets = new Map<
    string,
    Array<{ resolve: (p: Product | undefined) => void; reject: (e: unknown) => void }>
  >();
  #getsScheduled = false;
  #closed = false;

  private constructor(options: PostgresProductStoreOptions) {
    super();
    this.#options = options;
    this.#batchSize = options.batchSize ?? 1000;
    this.#channel = options.channel ?? 'cartwheel_catalog';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(this.#channel))
      throw new TypeError('channel must be a lower-case identifier');
    if (!Number.isInteger(this.#batchSize) || this.#batchSize < 1)
      throw new TypeError('batchSize must be ≥ 1');
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      statement_timeout: options.statementTimeoutMs ?? 30_000,
      application_name: 'cartwheel-catalog',
    });
    // An idle client's error (server restart) is reported here; without a listener it would
    // be an unhandled 'error' event. The pool discards that client and opens a new one later.
    this.pool.on('error', (err) => options.onError?.(err));
  }

  /** Connects, runs the migrations (unless `migrate: false`) and returns the store. */
  static async open(options: PostgresProductStoreOptions): Promise<PostgresProductStore> {
    const store = new PostgresProductStore(options);
    try {
      if (options.migrate ?? true) await migrateCatalog(store.pool);
      else await store.pool.query('SELECT 1');
    } catch (err) {
      await store.pool.end().catch(() => undefined);
      throw new ProductStoreUnavailableError(
        `cannot open the PostgreSQL catalog at ${redactUrl(options.url)}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    return store;
  }

  /**
   * Reads of one event-loop turn are sent as one query (DataLoader's batching): under load the
   * uncached GETs of many requests cost one round trip and one statement instead of one each.
   */
  protected _get(id: string): Promise<Product | undefined> {
    return new Promise((resolve, reject) => {
      const waiting = this.#gets.get(id);
      if (waiting !== undefined) waiting.push({ resolve, reject });
      else this.#gets.set(id, [{ resolve, reject }]);
      if (!this.#getsScheduled) {
        this.#getsScheduled = true;
        setImmediate(() => this.#flushGets());
      }
    });
  }

  #flushGets(): void {
    this.#getsScheduled = false;
    const batch = this.#gets;
    this.#gets = new Map();
    const ids = [...batch.keys()];
    for (let i = 0; i < ids.length; i += GET_BATCH) {
      const chunk = ids.slice(i, i + GET_BATCH);
      const settle = (docs: Map<string, unknown>): void => {
        for (const cid of chunk) {
          const doc = docs.get(cid);
          const value = doc === undefined ? undefined : decode(doc);
          for (const w of batch.get(cid)!) w.resolve(value);
        }
      };
      const fail = (err: unknown): void => {
        for (const cid of chunk) for (const w of batch.get(cid)!) w.reject(err);
      };
      const read =
        chunk.length === 1
          ? this.#query<{ doc: unknown }>('cw_catalog_get', SQL.get, chunk).then(
              ({ rows }) => new Map(rows.map((r) => [chunk[0]!, r.doc])),
            )
          : this.#query<{ id: string; doc: unknown }>('cw_catalog_get_many', SQL.getMany, [chunk]).then(
              ({ rows }) => new Map(rows.map((r) => [r.id, r.doc])),
            );
      read.then(settle, fail);
    }
  }

  protected async _getMany(ids: readonly string[]): Promise<(Product | undefined)[]> {
    const { rows } = await this.#query<{ id: string; doc: unknown }>('cw_catalog_get_many', SQL.getMany, [
      [...new Set(ids)],
    ]);
    const byId = new Map(rows.map((r) => [r.id, r.doc]));
    return ids.map((id) => {
      const doc = byId.get(id);
      return doc === undefined ? undefined : decode(doc);
    });
  }

  protected async _put({ product, json }: EncodedProduct): Promise<Product | undefined> {
    const note = this.#note('put', [product.id]);
    const values = [product.id, json, product.category, product.priceMinor, this.#channel, note];
    for (let attempt = 0; attempt < PUT_ATTEMPTS; attempt++) {
      const updated = await this.#query<{ previous: unknown }>('cw_catalog_update', SQL.update, values);
      const row = updated.rows[0];
      if (row !== undefined) return decode(row.previous);
      const inserted = await this.#query('cw_catalog_insert', SQL.insert, values);
      if (inserted.rowCount === 1) return undefined;
      // Another writer inserted the id between the two statements: update its row instead.
    }
    throw new ProductStoreUnavailableError(
      `put of ${JSON.stringify(product.id)} kept racing concurrent writers (${PUT_ATTEMPTS} attempts)`,
    );
  }

  protected async _putMany(docs: readonly EncodedProduct[]): Promise<void> {
    const sorted = [...docs].sort((a, b) => compare(a.product.id, b.product.id));
    const batches: EncodedProduct[][] = [];
    for (let i = 0; i < sorted.length; i += this.#batchSize)
      batches.push(sorted.slice(i, i + this.#batchSize));
    const statement = (batch: EncodedProduct[]) => {
      const notes: string[] = [];
      for (let i = 0; i < batch.length; i += IDS_PER_NOTIFICATION) {
        notes.push(
          this.#note(
            'import',
            batch.slice(i, i + IDS_PER_NOTIFICATION).map((d) => d.product.id),
          ),
        );
      }
      // The documents are already JSON text: join them instead of serialising again.
      return { values: [`[${batch.map((d) => d.json).join(',')}]`, this.#channel, notes] };
    };
    if (batches.length === 1) {
      await this.#query('cw_catalog_put_many', SQL.putMany, statement(batches[0]!).values);
      return;
    }
    await this.#transaction(async (client) => {
      for (const batch of batches) {
        await client.query({
          name: 'cw_catalog_put_many',
          text: SQL.putMany,
          values: statement(batch).values,
        });
      }
    });
  }

  protected async _delete(id: string): Promise<boolean> {
    const { rowCount } = await this.#query('cw_catalog_delete', SQL.delete, [
      id,
      this.#channel,
      this.#note('delete', [id]),
    ]);
    return rowCount === 1;
  }

  protected async _listByCategory(category: string, options: ListOptions): Promise<CategoryPage> {
    const { rows } = await this.#query<{ doc: unknown }>('cw_catalog_list', SQL.list, [
      category,
      options.after ?? '',
      options.minPrice ?? 0,
      options.maxPrice ?? MAX_PRICE_MINOR,
      options.limit + 1,
    ]);
    const items = rows.slice(0, options.limit).map((r) => decode(r.doc));
    const last = items[items.length - 1];
    return rows.length > options.limit && last !== undefined ? { items, next: last.id } : { items };
  }

  /**
   * Keyset pages in id order: no long transaction, no server-side cursor held across awaits.
   * The first page is small: a caller that stops early (an emptiness check) reads little.
   */
  protected async *_scan(): AsyncIterable<Product> {
    let after = '';
    let page = FIRST_SCAN_PAGE;
    for (;;) {
      const { rows } = await this.#query<{ id: string; doc: unknown }>('cw_catalog_scan', SQL.scan, [
        after,
        page,
      ]);
      for (const r of rows) yield decode(r.doc);
      const last = rows[rows.length - 1];
      if (rows.length < page || last === undefined) return;
      after = last.id;
      page = SCAN_PAGE;
    }
  }

  protected async _count(): Promise<number> {
    const { rows } = await this.#query<{ n: string }>('cw_catalog_count', SQL.count, []);
    return Number(rows[0]?.n ?? 0);
  }

  override watch(listener: (change: ProductChange) => void): () => void {
    if (this.#closed) throw new TypeError('the store is closed');
    this.#listeners.add(listener);
    this.#feed ??= new PostgresChangeFeed(this.#options, this.#channel, (payload) =>
      this.#onNotification(payload),
    );
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Resolves once the change feed is listening (tests; a feed is started by `watch`). */
  async listening(): Promise<void> {
    await this.#feed?.ready;
  }

  override async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    await this.#feed?.close();
    await this.pool.end();
  }

  #note(kind: ProductChange['kind'], ids: readonly string[]): string {
    return `v1 ${this.#origin} ${kind} ${ids.join(',')}`;
  }

  #onNotification(payload: string | null): void {
    if (payload === null) {
      this.#emit({ kind: 'reset', ids: [] });
      return;
    }
    const [version, origin, kind, ids] = payload.split(' ');
    if (version !== 'v1' || origin === this.#origin) return;
    if (kind !== 'put' && kind !== 'delete' && kind !== 'import') return;
    this.#emit({ kind, ids: ids === undefined || ids === '' ? [] : ids.split(',') });
  }

  #emit(change: ProductChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (err) {
        this.#options.onError?.(err as Error);
      }
    }
  }

  async #query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    name: string,
    text: string,
    values: unknown[],
  ): Promise<pg.QueryResult<R>> {
    if (this.#closed) throw new ProductStoreUnavailableError('the product store is closed');
    try {
      return await this.pool.query<R>({ name, text, values });
    } catch (err) {
      throw toStoreError(err);
    }
  }

  async #transaction(fn: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    if (this.#closed) throw new ProductStoreUnavailableError('the product store is closed');
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw toStoreError(err);
    }
    try {
      await client.query('BEGIN');
      await fn(client);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw toStoreError(err);
    } finally {
      client.release();
    }
  }
}

/** jsonb keeps keys sorted by length; answers keep the schema's order, as the other stores do. */
function decode(raw: unknown): Product {
  const d = raw as Product;
  return {
    id: d.id,
    title: d.title,
    description: d.description,
    priceMinor: d.priceMinor,
    currency: d.currency,
    category: d.category,
    images: d.images,
    attributes: d.attributes,
    availability: { status: d.availability.status, stock: d.availability.stock },
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
