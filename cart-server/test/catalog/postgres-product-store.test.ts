/**
 * PostgresProductStore on a real PostgreSQL: the conformance suite (with a second handle as a
 * second node), migrations, and the server's own failure answers. One database per file run.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG_MIGRATIONS, migrateCatalog } from '../../src/catalog/store/postgres-migrations.js';
import { PostgresProductStore } from '../../src/catalog/store/postgres-product-store.js';
import type { ProductChange } from '../../src/catalog/store/product-store.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { product, waitFor } from './helpers.js';
import { productStoreConformance } from './product-store.conformance.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

async function truncate(): Promise<void> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query('TRUNCATE catalog_products');
  await client.end();
}

productStoreConformance(
  'postgres',
  async () => {
    const store = await PostgresProductStore.open({ url: db.url });
    await truncate();
    const peers: PostgresProductStore[] = [];
    return {
      store,
      peer: async () => {
        const peer = await PostgresProductStore.open({ url: db.url });
        peers.push(peer);
        return peer;
      },
      cleanup: async () => {
        for (const p of peers) await p.close();
      },
    };
  },
  { changeFeed: true },
);

describe('PostgreSQL catalog schema', () => {
  it('migrations are idempotent and safe when several nodes start at once', async () => {
    const pools = Array.from({ length: 4 }, () => new pg.Pool({ connectionString: db.url, max: 2 }));
    try {
      const reports = await Promise.all(pools.map((p) => migrateCatalog(p)));
      const latest = Math.max(...CATALOG_MIGRATIONS.map((m) => m.version));
      for (const r of reports) expect(r.version).toBe(latest);
      const { rows } = await pools[0]!.query(
        `SELECT version, name FROM schema_migrations WHERE scope = 'catalog' ORDER BY version`,
      );
      expect(rows.map((r) => r.version)).toEqual(CATALOG_MIGRATIONS.map((m) => m.version));
    } finally {
      for (const p of pools) await p.end();
    }
  });

  it('hash-partitions catalog_products by id into 8 partitions with category and price indexes', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const parts = await client.query(
        `SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'catalog_products'::regclass`,
      );
      expect(parts.rows[0].n).toBe(8);
      const key = await client.query(`SELECT pg_get_partkeydef('catalog_products'::regclass) AS def`);
      expect(key.rows[0].def).toBe('HASH (id)');
      const idx = await client.query(
        `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'catalog_products' ORDER BY indexname`,
      );
      const defs = idx.rows.map((r) => r.indexdef as string).join('\n');
      expect(defs).toContain('btree (category, id)');
      expect(defs).toContain('btree (category, price_minor, id)');
      // The category listing reads the index, not every row.
      await client.query('ANALYZE catalog_products');
      const plan = await client.query(
        `EXPLAIN SELECT doc FROM catalog_products WHERE category = 'books' AND id > '' ORDER BY id LIMIT 21`,
      );
      expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Index/);
    } finally {
      await client.end();
    }
  });

  it('refuses a database migrated by a newer server', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      await migrateCatalog(pool);
      await pool.query(
        `INSERT INTO schema_migrations (scope, version, name) VALUES ('catalog', 999, 'future')`,
      );
      await expect(migrateCatalog(pool)).rejects.toThrow(/newer than this server knows/);
      await pool.query(`DELETE FROM schema_migrations WHERE scope = 'catalog' AND version = 999`);
    } finally {
      await pool.end();
    }
  });

  it('an unreachable database is PRODUCT_STORE_UNAVAILABLE at open, naming the URL without its password', async () => {
    const err = await PostgresProductStore.open({
      url: 'postgres://postgres:secret@127.0.0.1:1/nowhere',
      connectTimeoutMs: 1000,
    }).then(
      () => undefined,
      (e: unknown) => e as Error & { code: string },
    );
    expect(err?.code).toBe('PRODUCT_STORE_UNAVAILABLE');
    expect(err?.message).toContain('127.0.0.1:1');
    expect(err?.message).not.toContain('secret');
  });

  it('a query after the database went away is PRODUCT_STORE_UNAVAILABLE (503), not a crash', async () => {
    const store = await PostgresProductStore.open({ url: db.url });
    await store.put(product('gone'));
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'cartwheel-catalog' AND pid <> pg_backend_pid()`,
      );
      // The pool replaces terminated connections: the next reads succeed again (one may fail).
      let ok = false;
      for (let i = 0; i < 5 && !ok; i++) {
        try {
          ok = (await store.get('gone'))?.id === 'gone';
        } catch (err) {
          expect(err).toMatchObject({ code: 'PRODUCT_STORE_UNAVAILABLE' });
        }
      }
      expect(ok).toBe(true);
    } finally {
      await admin.end();
      await store.close();
    }
  });

  it('a dropped change feed comes back by itself and reports reset (writes meanwhile may be missed)', async () => {
    const store = await PostgresProductStore.open({ url: db.url });
    const peer = await PostgresProductStore.open({ url: db.url });
    const changes: ProductChange[] = [];
    store.watch((c) => changes.push(c));
    await store.listening();
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'cartwheel-catalog-feed'`,
      );
      await waitFor(() => changes.some((c) => c.kind === 'reset'), 15_000, 'the reset after reconnecting');
      await peer.put(product('after-reconnect'));
      await waitFor(
        () => changes.some((c) => c.kind === 'put' && c.ids.includes('after-reconnect')),
        10_000,
        'a write reported after the reconnect',
      );
    } finally {
      await admin.end();
      await peer.close();
      await store.close();
    }
  });
});
