import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { sign } from 'hono/jwt';
import { Registry } from 'prom-client';
import { TokenVerifier } from '../../src/auth/tokens.js';
import {
  createOrderRoutes,
  type OrderPlaced,
  type OrderSystem,
  openOrderSystem,
} from '../../src/orders/index.js';
import { InMemoryCartPort, InMemoryCatalogPort } from '../../src/orders/testing.js';

export const SECRET = 'test-secret-of-sufficient-length';

export interface TestOrders {
  readonly dir: string;
  readonly system: OrderSystem;
  readonly cart: InMemoryCartPort;
  readonly catalog: InMemoryCatalogPort;
  readonly registry: Registry;
  readonly app: Hono;
  /** Every order reported by `onPlaced` (the popularity hook): once per order, replays excluded. */
  readonly placed: OrderPlaced[];
  token(sub: string, role?: 'user' | 'seller' | 'admin'): Promise<string>;
  request(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; json: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function openTestOrders(
  options: { redisUrl?: string; partitions?: number } = {},
): Promise<TestOrders> {
  const dir = await mkdtemp(join(tmpdir(), 'cw-orders-'));
  const cart = new InMemoryCartPort();
  const catalog = new InMemoryCatalogPort();
  const registry = new Registry();
  const placed: OrderPlaced[] = [];
  const system = await openOrderSystem({
    onPlaced: (order) => placed.push(order),
    dataDir: dir,
    cart,
    catalog,
    registry,
    sync: false,
    partitions: options.partitions ?? 8,
    ...(options.redisUrl === undefined
      ? {}
      : { redisUrl: options.redisUrl, redisPrefix: `t:${dir.slice(-8)}` }),
  });
  await system.start();
  const app = new Hono();
  app.route(
    '/v1',
    createOrderRoutes({
      checkout: system.checkout,
      query: system.query,
      inventory: system.inventory,
      verifier: new TokenVerifier(SECRET),
    }).app,
  );
  return {
    dir,
    system,
    cart,
    catalog,
    registry,
    app,
    placed,
    token: (sub, role = 'user') =>
      sign({ sub, role, exp: Math.floor(Date.now() / 1000) + 3600 }, SECRET, 'HS256'),
    async request(method, path, opts = {}) {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
      if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
      const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
      const res = await app.request(path, { method, headers, ...(body === undefined ? {} : { body }) });
      const text = await res.text();
      return { status: res.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
    },
    async close() {
      await system.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value (not undefined) or the deadline passes. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
