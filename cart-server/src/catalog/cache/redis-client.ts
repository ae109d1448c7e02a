/**
 * ioredis settings for a cache that must never hold a request hostage: no offline queue (a
 * command while disconnected fails at once instead of waiting), a short command timeout (a hung
 * server costs at most `commandTimeoutMs`), one attempt per request, and endless background
 * reconnects with capped back-off so the cache comes back by itself when Redis returns.
 */
import { Redis, type RedisOptions } from 'ioredis';

export interface CatalogRedisOptions {
  readonly commandTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  /** Called for connection errors (already handled; for logging). */
  readonly onError?: (err: Error) => void;
}

export function createCatalogRedis(url: string, options: CatalogRedisOptions = {}): Redis {
  const redisOptions: RedisOptions = {
    enableOfflineQueue: false,
    commandTimeout: options.commandTimeoutMs ?? 250,
    connectTimeout: options.connectTimeoutMs ?? 1000,
    maxRetriesPerRequest: 0,
    enableAutoPipelining: true,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 5), 1000),
    reconnectOnError: () => false,
  };
  const redis = new Redis(url, redisOptions);
  // Without a listener ioredis reports every failed reconnect as an unhandled 'error' event.
  redis.on('error', (err: Error) => options.onError?.(err));
  return redis;
}

/** Resolves once the client is ready, or rejects after `timeoutMs`. */
export async function waitReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error(`redis not ready after ${timeoutMs} ms (status ${redis.status})`));
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}
