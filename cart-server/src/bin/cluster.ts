#!/usr/bin/env node
/**
 * `npm run cluster`: one shop on three cart-server nodes on loopback (N=3, R=2, W=2), each with
 * its own data directory under ./data (n1, n2, n3) for carts, sharing the local Redis (product
 * cache, order log, search generations, popularity) and PostgreSQL (the catalog; the database is
 * created if missing). When either is unreachable it says so and exits with 2: a single node
 * without external services is `npm start`. Ctrl-C (or SIGTERM) stops every node cleanly.
 * Options: --base-port 8081 (nodes on 8081..8083), --data-dir ./data, --redis-url (REDIS_URL,
 * default redis://127.0.0.1:6379), --database-url (DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/cartwheel); any other flag is passed on to every node.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_DATABASE_URL,
  DEFAULT_REDIS_URL,
  ensureDatabase,
  reachRedis,
  redactUrl,
} from './cluster-services.js';

const OURS = ['base-port', 'data-dir', 'redis-url', 'database-url'];
// Our options; every other argument goes to each node unchanged (e.g. --log-level warn).
const values: Record<string, string> = {
  'base-port': '8081',
  'data-dir': './data',
  'redis-url': process.env.REDIS_URL || DEFAULT_REDIS_URL,
  'database-url': process.env.DATABASE_URL || DEFAULT_DATABASE_URL,
};
const passthrough: string[] = [];
const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(
    [
      'Usage: cartwheel-cluster [--base-port 8081] [--data-dir ./data] [--redis-url URL] [--database-url URL] [node flags...]',
      '',
      'One shop on three cart-server nodes on loopback (N=3, R=2, W=2), sharing Redis (product cache,',
      'order log and state, search generations, popularity) and PostgreSQL (the catalog). Every other',
      'flag is passed to each node (see cartwheel-server --help). Ctrl-C stops every node cleanly.',
      '',
    ].join('\n'),
  );
  process.exit(0);
}
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i]!;
  const eq = arg.indexOf('=');
  const name = eq > 0 ? arg.slice(0, eq) : arg;
  const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
  if (name.startsWith('--') && OURS.includes(name.slice(2)))
    values[name.slice(2)] = inline ?? argv[++i] ?? '';
  else passthrough.push(arg);
}
const base = Number(values['base-port']);
if (!Number.isInteger(base) || base < 1 || base > 65_533) {
  process.stderr.write('cluster: --base-port must be a port number\n');
  process.exit(2);
}
const redisUrl = values['redis-url']!;
const databaseUrl = values['database-url']!;

async function checkServices(): Promise<void> {
  const [redis, database] = await Promise.allSettled([reachRedis(redisUrl), ensureDatabase(databaseUrl)]);
  const problems: string[] = [];
  if (redis.status === 'rejected') {
    problems.push(
      `Redis is not reachable at ${redactUrl(redisUrl)} (${reason(redis.reason)}).\n` +
        '    Start it (redis-server; on Debian/Ubuntu: apt-get install redis-server) or pass --redis-url / REDIS_URL.',
    );
  }
  if (database.status === 'rejected') {
    problems.push(
      `PostgreSQL is not reachable at ${redactUrl(databaseUrl)} (${reason(database.reason)}).\n` +
        '    Start it (on Debian/Ubuntu: apt-get install postgresql; pg_ctlcluster <version> main start)\n' +
        '    or pass --database-url / DATABASE_URL (the database is created if the server answers).',
    );
  } else if (database.value === 'created') {
    process.stdout.write(`cluster: created the catalog database ${redactUrl(databaseUrl)}\n`);
  }
  if (problems.length > 0) {
    process.stderr.write(
      `cluster: a cluster is one shop, and its nodes share Redis and PostgreSQL:\n  - ${problems.join('\n  - ')}\n` +
        'One node without any external service: npm start\n',
    );
    process.exit(2);
  }
}

function reason(err: unknown): string {
  const e = err as { message?: string; code?: string; errors?: Array<{ message?: string }> };
  // A refused connection to "localhost" is an AggregateError of one attempt per address.
  const message = e.message || e.errors?.map((x) => x.message).join('; ') || e.code || String(err);
  return message.split('\n')[0]!;
}

const nodes = [1, 2, 3].map((i) => ({ id: `n${i}`, port: base + i - 1 }));
const entry = fileURLToPath(
  new URL(`./cart-server.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url),
);
const children: ChildProcess[] = [];
let stopping = false;

function startNodes(): void {
  for (const n of nodes) {
    const peers = nodes
      .filter((p) => p !== n)
      .map((p) => `${p.id}=http://127.0.0.1:${p.port}`)
      .join(',');
    const args = [
      ...process.execArgv,
      entry,
      '--node-id',
      n.id,
      '--port',
      String(n.port),
      '--data-dir',
      String(values['data-dir']),
      '--peers',
      peers,
      '--n',
      '3',
      '--r',
      '2',
      '--w',
      '2',
      '--redis-url',
      redisUrl,
      '--database-url',
      databaseUrl,
      ...passthrough,
    ];
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: process.env,
    });
    child.on('exit', (code, signal) => {
      process.stderr.write(`cluster: ${n.id} exited (${signal ?? code})\n`);
      if (!stopping) stop();
    });
    children.push(child);
  }
  process.stdout.write(
    `Cartwheel cluster (N=3, R=2, W=2), one shop on Redis ${redactUrl(redisUrl)} and PostgreSQL ${redactUrl(databaseUrl)}:\n` +
      `${nodes.map((n) => `  ${n.id}  http://127.0.0.1:${n.port}`).join('\n')}\nCtrl-C stops all nodes.\n`,
  );
}

function stop(): void {
  if (stopping) return;
  stopping = true;
  // SIGINT: a local cluster has no load balancer to wait for (SIGTERM would add --shutdown-grace-ms).
  for (const c of children) if (c.exitCode === null) c.kill('SIGINT');
  let left = children.filter((c) => c.exitCode === null).length;
  if (left === 0) process.exit(0);
  for (const c of children) {
    c.once('exit', () => {
      left--;
      if (left === 0) process.exit(0);
    });
  }
  setTimeout(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    process.exit(1);
  }, 15_000).unref();
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

checkServices().then(
  () => {
    if (!stopping) startNodes();
  },
  (err: unknown) => {
    process.stderr.write(`cluster: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
