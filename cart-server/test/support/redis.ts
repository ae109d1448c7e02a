import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { createCatalogRedis, waitReady } from '../../src/catalog/cache/redis-client.js';
import { freePort } from '../../src/testing/server-process.js';

export { freePort };

/** A redis-server child process on a free loopback port, private to one test file. */
export interface RedisProcess {
  readonly url: string;
  readonly port: number;
  /** SIGKILLs the server (to test failure handling); `start()` brings it back on the same port. */
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts `redis-server` (from PATH; CI installs it with apt when missing). A missing binary is a
 * test failure, never a skip.
 */
export async function startRedis(): Promise<RedisProcess> {
  const port = await freePort();
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const proc = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--loglevel',
        'warning',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    const ready = new Promise<void>((resolve, reject) => {
      proc.once('error', (err) =>
        reject(new Error(`cannot start redis-server: ${err.message}`, { cause: err })),
      );
      proc.once('exit', (code) => reject(new Error(`redis-server exited early with code ${code}`)));
      // Poll with a TCP connect: redis prints nothing at loglevel warning.
      const probe = (): void => {
        const socket = createConnectionSafe(port);
        socket.then(
          () => resolve(),
          () => setTimeout(probe, 25),
        );
      };
      probe();
    });
    await ready;
  };

  const kill = async (): Promise<void> => {
    const proc = child;
    if (proc === undefined || proc.exitCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill('SIGKILL');
    await exited;
    child = undefined;
  };

  await start();
  return { url: `redis://127.0.0.1:${port}`, port, kill, start, stop: kill };
}

async function createConnectionSafe(port: number): Promise<void> {
  const { createConnection } = await import('node:net');
  await new Promise<void>((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

/**
 * A redis-server for the calling test file (started before its tests, stopped after) and a
 * `client()` factory whose connections are closed with it.
 */
export function redisForFile(): { client(): Promise<Redis>; server(): RedisProcess } {
  let redis: RedisProcess | undefined;
  const clients: Redis[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await redis?.stop();
  });
  const server = (): RedisProcess => {
    if (redis === undefined) throw new Error('redisForFile: Redis is not started yet (use it inside a test)');
    return redis;
  };
  return {
    server,
    async client() {
      const c = createCatalogRedis(server().url, { commandTimeoutMs: 5000 });
      clients.push(c);
      await waitReady(c, 10_000);
      return c;
    },
  };
}
