import { Redis } from 'ioredis';
import { afterAll, expect, test } from 'vitest';
import { type RedisProcess, startRedis } from './redis.js';

let redis: RedisProcess | undefined;
afterAll(async () => redis?.stop());

test('startRedis gives a real server that can be killed and restarted', async () => {
  redis = await startRedis();
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1, lazyConnect: true });
  await client.connect();
  await client.set('k', 'v');
  expect(await client.get('k')).toBe('v');
  client.disconnect();
  await redis.kill();
  await redis.start();
  const again = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  expect(await again.get('k')).toBeNull(); // a fresh server keeps nothing
  again.disconnect();
});
