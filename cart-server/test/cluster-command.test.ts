/**
 * `npm run cluster`'s checks of the shared engines: Redis must answer, the catalog database is
 * created when PostgreSQL answers without it, and the launcher exits with 2 and says what to do
 * when either is unreachable (real Redis and PostgreSQL; a missing service fails, never skips).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDatabase, reachRedis } from '../src/bin/cluster-services.js';
import { reachPostgres } from './support/postgres.js';
import { freePort, type RedisProcess, startRedis } from './support/redis.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let redis: RedisProcess;
beforeAll(async () => {
  redis = await startRedis();
  await reachPostgres();
});
afterAll(async () => redis?.stop());

async function dropDatabase(name: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await c.end();
  }
}

describe('the cluster command checks Redis and PostgreSQL first', () => {
  it('reaches Redis, and says why not when nothing listens', async () => {
    await reachRedis(redis.url);
    await expect(reachRedis(`redis://127.0.0.1:${await freePort()}`, 1000)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('creates the catalog database once, and finds it the next time', async () => {
    const name = `cartwheel_cmd_${randomBytes(4).toString('hex')}`;
    const url = new URL(ADMIN_URL);
    url.pathname = `/${name}`;
    try {
      const [a, b] = await Promise.all([ensureDatabase(url.toString()), ensureDatabase(url.toString())]);
      expect([a, b]).toContain('created');
      expect(await ensureDatabase(url.toString())).toBe('existed');
    } finally {
      await dropDatabase(name);
    }
  });

  it('exits with 2 and a clear message when the services are unreachable', async () => {
    const closed = await freePort();
    const child = spawn(
      process.execPath,
      [
        '--conditions=@cartwheel/source',
        '--import',
        'tsx',
        join(ROOT, 'cart-server/src/bin/cluster.ts'),
        '--redis-url',
        `redis://127.0.0.1:${closed}`,
        '--database-url',
        `postgres://postgres@127.0.0.1:${closed}/cartwheel`,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let err = '';
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    const code = await new Promise<number | null>((res) => child.once('exit', res));
    expect(code).toBe(2);
    expect(err).toContain(`Redis is not reachable at redis://127.0.0.1:${closed}`);
    expect(err).toContain(`PostgreSQL is not reachable at postgres://postgres@127.0.0.1:${closed}/cartwheel`);
    expect(err).toContain('npm start');
  }, 60_000);
});
