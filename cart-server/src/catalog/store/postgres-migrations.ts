/**
 * The catalog's PostgreSQL schema as numbered migrations, applied by every server at start.
 * Idempotent and safe when several nodes start at once: one transaction takes a
 * transaction-scoped advisory lock, reads `schema_migrations`, applies what is missing in order
 * and records it (PostgreSQL DDL is transactional, so a failed migration leaves nothing behind).
 * A database migrated by a newer server (an unknown version) is refused rather than guessed at.
 */
import type { Pool } from 'pg';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Hash partitions of `catalog_products`; fixed by migration 1 (changing it is a data move). */
export const PRODUCT_PARTITIONS = 8;

const partitions = Array.from(
  { length: PRODUCT_PARTITIONS },
  (_, i) =>
    `CREATE TABLE catalog_products_p${i} PARTITION OF catalog_products
       FOR VALUES WITH (MODULUS ${PRODUCT_PARTITIONS}, REMAINDER ${i});`,
).join('\n');

export const CATALOG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'catalog_products',
    // One JSONB document per product, hash-partitioned by product id (the source design's
    // product DB). category and price_minor are copied out of the document by the writes, the
    // CHECK keeps them equal to it, and B-tree indexes serve the category listing (in id order)
    // and its price filter. "C" collation: byte order, the order every store lists ids in.
    sql: `
      CREATE TABLE catalog_products (
        id          text COLLATE "C" NOT NULL,
        doc         jsonb NOT NULL,
        category    text COLLATE "C" NOT NULL,
        price_minor bigint NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (id),
        CONSTRAINT catalog_products_doc_in_step CHECK (
          doc->>'id' = id AND doc->>'category' = category AND (doc->>'priceMinor')::bigint = price_minor
        )
      ) PARTITION BY HASH (id);
      ${partitions}
      CREATE INDEX catalog_products_by_category ON catalog_products (category, id);
      CREATE INDEX catalog_products_by_category_price ON catalog_products (category, price_minor, id);
    `,
  },
];

const LOCK_KEY = "hashtext('cartwheel.catalog.migrations')";

export interface MigrationReport {
  /** Versions applied by this call (empty when the schema was already current). */
  readonly applied: readonly number[];
  readonly version: number;
}

export async function migrateCatalog(
  pool: Pool,
  migrations: readonly Migration[] = CATALOG_MIGRATIONS,
): Promise<MigrationReport> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(${LOCK_KEY})`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        scope      text NOT NULL,
        version    integer NOT NULL,
        name       text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, version)
      )`);
    const { rows } = await client.query<{ version: number }>(
      `SELECT version FROM schema_migrations WHERE scope = 'catalog'`,
    );
    const done = new Set(rows.map((r) => r.version));
    const known = new Set(migrations.map((m) => m.version));
    const unknown = [...done].filter((v) => !known.has(v));
    if (unknown.length > 0) {
      throw new Error(
        `the catalog database has schema version ${Math.max(...unknown)}, newer than this server knows (${Math.max(0, ...known)}); upgrade the server`,
      );
    }
    const applied: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      await client.query(m.sql);
      await client.query(`INSERT INTO schema_migrations (scope, version, name) VALUES ('catalog', $1, $2)`, [
        m.version,
        m.name,
      ]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
    return { applied, version: Math.max(0, ...done, ...applied) };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
