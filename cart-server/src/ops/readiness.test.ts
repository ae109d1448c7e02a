import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type RedisProcess, startRedis } from '../../test/support/redis.js';
import { postgresCheck, redisCheck } from './dependency-checks.js';
import { type DependencyCheck, ReadinessProbe } from './readiness.js';

/** A dependency whose answer the test sets, counting pings. */
function fakeDependency(name: string): DependencyCheck & { healthy: boolean; pings: number } {
  const dep = {
    name,
    healthy: true,
    pings: 0,
    ping: async () => {
      dep.pings++;
      if (!dep.healthy) throw new Error(`${name} down`);
    },
    close: async () => undefined,
  };
  return dep;
}

describe('ReadinessProbe', () => {
  it('is ready when every local check and dependency is, and names the one that is not', async () => {
    let storageOpen = true;
    const redis = fakeDependency('redis');
    let now = 0;
    const probe = new ReadinessProbe({
      local: { storage: () => storageOpen, replica: () => true },
      dependencies: [redis],
      cacheMs: 1_000,
      now: () => now,
    });
    expect(await probe.read()).toEqual({
      ready: true,
      checks: { storage: true, replica: true, redis: true, draining: false },
    });
    storageOpen = false;
    expect(await probe.read()).toMatchObject({ ready: false, checks: { storage: false } });
    storageOpen = true;

    // Pings are cached: a burst of probes costs one ping per period, and concurrent probes share it.
    redis.healthy = false;
    expect((await probe.read()).ready).toBe(true);
    expect(redis.pings).toBe(1);
    now = 1_000;
    const [a, b] = await Promise.all([probe.read(), probe.read()]);
    expect(a).toMatchObject({ ready: false, checks: { redis: false } });
    expect(b.ready).toBe(false);
    expect(redis.pings).toBe(2);
  });

  it('counts a ping that does not answer in time as a failure', async () => {
    const stuck: DependencyCheck = {
      name: 'postgres',
      ping: () => new Promise(() => undefined),
      close: async () => undefined,
    };
    const probe = new ReadinessProbe({ local: {}, dependencies: [stuck], timeoutMs: 50 });
    expect(await probe.read()).toEqual({ ready: false, checks: { postgres: false, draining: false } });
  });

  it('turns not ready for good once draining starts', async () => {
    const probe = new ReadinessProbe({ local: { storage: () => true } });
    probe.drain();
    expect(await probe.read()).toEqual({ ready: false, checks: { storage: true, draining: true } });
  });
});

describe('dependency checks against the real services', () => {
  let redis: RedisProcess;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());

  it('redis: answers while redis-server runs, fails once it is gone and recovers after', async () => {
    const check = redisCheck(redis.url);
    try {
      await check.ping();
      await redis.kill();
      await expect(check.ping()).rejects.toThrow();
      await redis.start();
      // The client reconnects in the background: poll (bounded) until a ping answers.
      const deadline = Date.now() + 20_000;
      for (;;) {
        try {
          await check.ping();
          break;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    } finally {
      await check.close();
    }
  });

  it('redis and postgres: an address where nothing listens fails', async () => {
    const port = await freePort();
    const r = redisCheck(`redis://127.0.0.1:${port}`);
    const p = postgresCheck(`postgres://postgres@127.0.0.1:${port}/postgres`);
    await expect(r.ping()).rejects.toThrow();
    await expect(p.ping()).rejects.toThrow();
    await Promise.all([r.close(), p.close()]);
  });

  it('postgres: answers SELECT 1 on the test server', async () => {
    const check = postgresCheck(process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
    try {
      await check.ping();
    } finally {
      await check.close();
    }
  });
});
