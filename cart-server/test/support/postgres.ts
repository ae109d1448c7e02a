import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import pg from 'pg';

/**
 * A private PostgreSQL database for one test file: `cartwheel_test_<random>` on the server at
 * TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres, trust auth), dropped by
 * `drop()`. When nothing answers, the local cluster is started with pg_ctlcluster (CI installs
 * PostgreSQL with apt when it is missing). An unreachable server is a test failure, never a skip.
 */
export interface TestDatabase {
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

const ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function createTestDatabase(): Promise<TestDatabase> {
  await reachPostgres();
  const name = `cartwheel_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () =>
      withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

let reached: Promise<void> | undefined;

/** Connects once per process; starts the local cluster if nothing listens. */
export function reachPostgres(): Promise<void> {
  reached ??= (async () => {
    if (await canConnect()) return;
    const started = await startLocalCluster();
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (await canConnect()) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(
      `PostgreSQL is not reachable at ${ADMIN_URL} (${started}). Install and start it ` +
        '(apt-get install postgresql; pg_ctlcluster <version> main start) or set TEST_PG_URL.',
    );
  })();
  return reached;
}

async function canConnect(): Promise<boolean> {
  try {
    await withAdmin((c) => c.query('SELECT 1'));
    return true;
  } catch {
    return false;
  }
}

async function startLocalCluster(): Promise<string> {
  const versions = await readdir('/etc/postgresql').catch(() => [] as string[]);
  if (versions.length === 0) return 'no cluster under /etc/postgresql';
  const run = promisify(execFile);
  const outcomes: string[] = [];
  for (const version of versions) {
    try {
      await run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], {
        timeout: 30_000,
      });
      outcomes.push(`started cluster ${version}/main`);
    } catch (err) {
      // "already running" is fine: several test files may try at once.
      outcomes.push(`pg_ctlcluster ${version} main start: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return outcomes.join('; ');
}
