/**
 * Readiness pings of the external services a node is configured with: one small long-lived
 * connection each (a Redis client, a PostgreSQL pool of one), so a probe costs a round trip and
 * never a TCP + auth handshake. Both reconnect on their own after an outage.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import type { DependencyCheck } from './readiness.js';

export function redisCheck(url: string): DependencyCheck {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    connectTimeout: 1_000,
    commandTimeout: 1_000,
    maxRetriesPerRequest: 0,
    // Reconnect quietly in the background; readiness reports false meanwhile.
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  redis.on('error', () => undefined);
  return {
    name: 'redis',
    ping: async () => {
      if (redis.status === 'wait') await redis.connect();
      await redis.ping();
    },
    close: async () => {
      redis.disconnect();
    },
  };
}

export function postgresCheck(url: string): DependencyCheck {
  const pool = new pg.Pool({
    connectionString: url,
    max: 1,
    connectionTimeoutMillis: 1_000,
    idleTimeoutMillis: 30_000,
    allowExitOnIdle: true,
  });
  pool.on('error', () => undefined);
  return {
    name: 'postgres',
    ping: async () => {
      await pool.query('SELECT 1');
    },
    close: () => pool.end(),
  };
}
