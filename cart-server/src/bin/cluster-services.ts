/**
 * The shared engines `npm run cluster` runs the shop on: Redis (product cache, order log,
 * search generations, popularity) and PostgreSQL (the catalog). Each check answers within a few
 * seconds with a message an operator can act on; the catalog database is created when the
 * server answers but the database does not exist yet.
 */
import { Redis } from 'ioredis';
import pg from 'pg';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/cartwheel';

/** Resolves once Redis answers PING; rejects with the reason otherwise. */
export async function reachRedis(url: string, timeoutMs = 3000): Promise<void> {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // The socket's error says why ("connect ECONNREFUSED …"); connect() only that it closed.
  let cause: Error | undefined;
  redis.on('error', (err: Error) => {
    cause ??= err;
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw cause ?? err;
  } finally {
    redis.disconnect();
  }
}

/**
 * SQLSTATEs: the database does not exist; it already exists; and the unique violation on
 * pg_database that two CREATE DATABASE of one name racing each other end with.
 */
const INVALID_CATALOG_NAME = '3D000';
const CREATED_MEANWHILE = new Set(['42P04', '23505']);

/**
 * Connects to the database of `url`, creating it first (from the server's `postgres` database)
 * when the server answers that it does not exist. Resolves with what it did.
 */
export async function ensureDatabase(url: string, timeoutMs = 3000): Promise<'existed' | 'created'> {
  try {
    await query(url, 'SELECT 1', timeoutMs);
    return 'existed';
  } catch (err) {
    if ((err as { code?: unknown }).code !== INVALID_CATALOG_NAME) throw err;
  }
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!/^[A-Za-z0-9_]{1,63}$/.test(name)) {
    throw new Error(
      `database ${JSON.stringify(name)} does not exist; create it yourself (a name of [A-Za-z0-9_] is created for you)`,
    );
  }
  const admin = new URL(url);
  admin.pathname = '/postgres';
  try {
    await query(admin.toString(), `CREATE DATABASE "${name}"`, timeoutMs);
  } catch (err) {
    // Another launcher created it meanwhile: fine.
    if (!CREATED_MEANWHILE.has(String((err as { code?: unknown }).code))) throw err;
  }
  return 'created';
}

async function query(url: string, sql: string, timeoutMs: number): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
