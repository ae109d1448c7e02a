import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { LevelOrderLog } from '../../src/orders/log/level-order-log.js';
import type { OrderLog } from '../../src/orders/log/order-log.js';
import { RedisOrderLog } from '../../src/orders/log/redis-order-log.js';
import { describeOrderLogConformance } from '../../src/orders/testing.js';
import { type RedisProcess, startRedis } from '../support/redis.js';

let dir: string;
let redis: RedisProcess;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cw-order-log-'));
  redis = await startRedis();
});

afterAll(async () => {
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

const levelLocations = new WeakMap<OrderLog, { location: string; partitions: number }>();
describeOrderLogConformance('LevelOrderLog', {
  async open(partitions) {
    const location = join(dir, randomUUID());
    const log = await LevelOrderLog.open({ location, partitions, sync: false });
    levelLocations.set(log, { location, partitions });
    return log;
  },
  async reopen(log) {
    const where = levelLocations.get(log)!;
    await log.close();
    const again = await LevelOrderLog.open({ ...where, sync: false });
    levelLocations.set(again, where);
    return again;
  },
});

const redisPrefixes = new WeakMap<OrderLog, { prefix: string; partitions: number }>();
describeOrderLogConformance('RedisOrderLog', {
  async open(partitions) {
    const prefix = `t:${randomUUID()}`;
    const log = await RedisOrderLog.open({ url: redis.url, partitions, prefix });
    redisPrefixes.set(log, { prefix, partitions });
    return log;
  },
  async reopen(log) {
    const where = redisPrefixes.get(log)!;
    await log.close();
    const again = await RedisOrderLog.open({ url: redis.url, ...where });
    redisPrefixes.set(again, where);
    return again;
  },
});
