/**
 * The crash test: thousands of orders while the processor process is SIGKILLed at random points
 * and restarted. Afterwards every order has exactly one outcome, stock is conserved
 * (initial + seller adjustments − confirmed quantities, never negative) and every confirmed
 * order — and no other — has exactly one confirmation file.
 * Size: CRASH_ORDERS env (default 5,000). Seed: CRASH_SEED env (printed on failure).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 as prng } from '../../src/catalog/seed/generator.js';
import { deriveOrderId } from '../../src/orders/checkout.js';
import type { OrderPlaced } from '../../src/orders/events.js';
import { LevelOrderLog } from '../../src/orders/log/level-order-log.js';
import type { OrderLog } from '../../src/orders/log/order-log.js';
import { RedisOrderLog } from '../../src/orders/log/redis-order-log.js';
import { ProcessorStore } from '../../src/orders/processor-store.js';
import { type RedisProcess, startRedis } from '../support/redis.js';
import { bundleProcessorMain, ProcessorChild } from './crash-harness.js';

const ORDERS = Number(process.env.CRASH_ORDERS ?? 5000);
const SEED = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
const PARTITIONS = 8;
const PRODUCTS = 40;
const KILLS = 3;

let redis: RedisProcess;
let bundleDir: string;
let entry: string;
beforeAll(async () => {
  redis = await startRedis();
  bundleDir = await mkdtemp(join(tmpdir(), 'cw-crash-bundle-'));
  entry = await bundleProcessorMain(bundleDir);
});
afterAll(async () => {
  await redis?.stop();
  await rm(bundleDir, { recursive: true, force: true });
});

interface Workload {
  readonly events: {
    key: string;
    value: string;
    dedupeId: string;
    order?: OrderPlaced;
    adjust?: [string, number];
  }[];
  readonly initial: Map<string, number>;
}

function workload(seed: number): Workload {
  const rand = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const initial = new Map<string, number>();
  const events: Workload['events'] = [];
  for (let i = 0; i < PRODUCTS; i++) {
    const productId = `sku-${i}`;
    const quantity = int(100, 400);
    initial.set(productId, quantity);
    const value = {
      type: 'inventory.update',
      v: 1,
      eventId: `init-${i}`,
      sellerId: 's',
      productId,
      mode: 'set',
      quantity,
      at: 0,
    };
    events.push({ key: productId, value: JSON.stringify(value), dedupeId: `init-${i}` });
  }
  for (let n = 0; n < ORDERS; n++) {
    if (n % 250 === 249) {
      const productId = `sku-${int(0, PRODUCTS - 1)}`;
      const quantity = int(1, 30);
      const eventId = `adj-${n}`;
      const value = {
        type: 'inventory.update',
        v: 1,
        eventId,
        sellerId: 's',
        productId,
        mode: 'adjust',
        quantity,
        at: 0,
      };
      events.push({
        key: productId,
        value: JSON.stringify(value),
        dedupeId: eventId,
        adjust: [productId, quantity],
      });
    }
    const count = int(1, 3);
    const lines = new Map<string, number>();
    for (let l = 0; l < count; l++) lines.set(`sku-${int(0, PRODUCTS - 1)}`, int(1, 3));
    const orderId = deriveOrderId(`user-${n % 97}`, `crash-${seed}-${n}`);
    const order: OrderPlaced = {
      type: 'order.placed',
      v: 1,
      orderId,
      userId: `user-${n % 97}`,
      cartId: 'default',
      email: `user-${n % 97}@example.com`,
      createdAt: n,
      lines: [...lines].map(([productId, quantity]) => ({
        productId,
        quantity,
        unitPriceMinor: 100,
        currency: 'EUR',
        title: productId,
      })),
      totalMinor: [...lines.values()].reduce((a, q) => a + 100 * q, 0),
      currency: 'EUR',
      cartContext: '',
    };
    events.push({ key: orderId, value: JSON.stringify(order), dedupeId: orderId, order });
  }
  return { events, initial };
}

async function pool<T>(items: readonly T[], width: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await run(items[next++]!);
    }),
  );
}

for (const backend of ['level', 'redis'] as const) {
  describe(`processor crash test (${backend} log)`, () => {
    it(`processes ${ORDERS} orders exactly once while being SIGKILLed (seed ${SEED})`, {
      timeout: 240_000,
    }, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'cw-crash-'));
      const prefix = `crash:${randomUUID()}`;
      const mail = join(dir, 'mail');
      const args = [
        '--data',
        dir,
        '--eml',
        mail,
        '--partitions',
        String(PARTITIONS),
        '--no-sync',
        '--max-batch',
        '200',
      ];
      if (backend === 'redis') args.push('--redis-url', redis.url, '--redis-prefix', prefix);
      const child = new ProcessorChild(args, entry);
      const { events, initial } = workload(SEED);
      const rand = prng(SEED ^ 0x5eed);
      let appendLog: OrderLog | undefined;
      try {
        const started = Date.now();
        await child.start();
        if (backend === 'redis')
          appendLog = await RedisOrderLog.open({ url: redis.url, partitions: PARTITIONS, prefix });
        const append = async (e: Workload['events'][number]): Promise<void> => {
          if (appendLog !== undefined) {
            for (;;) {
              try {
                await appendLog.append({ key: e.key, value: e.value, dedupeId: e.dedupeId });
                return;
              } catch {
                await new Promise((r) => setTimeout(r, 20));
              }
            }
          }
          const reply = await child.request({
            t: 'append',
            key: e.key,
            value: e.value,
            dedupeId: e.dedupeId,
          });
          if (reply.t !== 'appended') throw new Error(`append failed: ${JSON.stringify(reply)}`);
        };
        const drain = async (): Promise<void> => {
          const deadline = Date.now() + 120_000;
          for (;;) {
            const s = await child.request({ t: 'status' });
            if (s.t === 'status' && s.lag === 0 && s.backlog === 0) return;
            if (Date.now() > deadline) throw new Error(`did not drain: ${JSON.stringify(s)}`);
            await new Promise((r) => setTimeout(r, 25));
          }
        };
        // Stock first (and processed), so every rejection below is about quantities.
        await pool(events.slice(0, PRODUCTS), 8, append);
        await drain();
        let appending = true;
        // The nemesis: SIGKILL at random points (appends, checkpoints, outbox sends), then restart.
        const nemesis = (async () => {
          while (child.kills < KILLS) {
            // Mostly while orders stream in; the last kill may land in the drain phase.
            await new Promise((r) => setTimeout(r, (appending ? 50 : 0) + rand() * 500));
            await child.kill();
            await child.start();
          }
        })();
        await pool(events.slice(PRODUCTS), 32, append);
        appending = false;
        await nemesis;
        await drain(); // everything processed and every confirmation sent
        await child.stop();
        console.log(
          `crash test (${backend}): ${events.length} events, ${child.kills} kills, ${Date.now() - started} ms`,
        );
      } finally {
        await child.kill();
        await appendLog?.close();
      }
      expect(child.kills).toBeGreaterThanOrEqual(3);

      // --- verification, reading the databases directly ---
      const log: OrderLog =
        backend === 'level'
          ? await LevelOrderLog.open({
              location: join(dir, 'order-log'),
              partitions: PARTITIONS,
              sync: false,
            })
          : await RedisOrderLog.open({ url: redis.url, partitions: PARTITIONS, prefix });
      const store = await ProcessorStore.open(join(dir, 'order-state'), { sync: false });
      try {
        const seen = new Map<string, number>();
        for (let p = 0; p < PARTITIONS; p++) {
          for (let o = 0; ; ) {
            const page = await log.read(p, o, 1000);
            if (page.length === 0) break;
            for (const r of page) seen.set(r.dedupeId!, (seen.get(r.dedupeId!) ?? 0) + 1);
            o = page.at(-1)!.offset + 1;
          }
        }
        expect(seen.size).toBe(events.length);
        expect([...seen.values()].every((n) => n === 1)).toBe(true);

        const expected = new Map(initial);
        const confirmed = new Set<string>();
        let rejected = 0;
        for (const e of events) {
          if (e.adjust !== undefined) expected.set(e.adjust[0], expected.get(e.adjust[0])! + e.adjust[1]);
          if (e.order === undefined) continue;
          const view = await store.order(e.order.orderId);
          expect(view?.status, `order ${e.order.orderId}`).toMatch(/^(confirmed|rejected)$/);
          if (view?.status === 'confirmed') {
            confirmed.add(e.order.orderId);
            for (const l of e.order.lines) expected.set(l.productId, expected.get(l.productId)! - l.quantity);
          } else {
            rejected++;
            expect(view?.rejection?.reason).toBe('INSUFFICIENT_STOCK');
          }
        }
        for (const [productId, level] of expected) {
          expect(level, `stock of ${productId}`).toBeGreaterThanOrEqual(0);
          expect(await store.stock(productId), `stock of ${productId}`).toBe(level);
        }
        expect(confirmed.size).toBeGreaterThan(0);
        expect(rejected).toBeGreaterThan(0);

        const files = await readdir(mail);
        expect(files.filter((f) => f.startsWith('.tmp-'))).toEqual([]);
        expect(files.sort()).toEqual([...confirmed].map((id) => `${id}-confirmation.eml`).sort());
        const sample = [...confirmed].slice(0, 20);
        for (const id of sample) {
          expect(await readFile(join(mail, `${id}-confirmation.eml`), 'utf8')).toContain(
            `X-Order-Id: ${id}\r\n`,
          );
        }
        expect(await store.outboxSize()).toBe(0);
      } finally {
        await log.close();
        await store.close();
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
}
