import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  deriveOrderId,
  EmlFileSink,
  type Fence,
  type LogRecord,
  type OrderPlaced,
  type OrderView,
  type OutboxMessage,
  PartitionLeases,
  type PartitionState,
  PartitionTask,
  partitionForKey,
  preferredOwner,
  RedisPartitionStore,
} from '../../src/orders/index.js';
import { type RedisProcess, startRedis } from '../support/redis.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

let redis: RedisProcess;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const PARTITIONS = 4;
const PRODUCTS = ['mug', 'tea', 'pen', 'lamp', 'book', 'cup'];
const partitionFor = (key: string): number => partitionForKey(key, PARTITIONS);

function order(n: number, userId: string, lines: readonly (readonly [string, number])[]): OrderPlaced {
  return {
    type: 'order.placed',
    v: 1,
    orderId: deriveOrderId(userId, `k${n}`, partitionFor(userId)),
    userId,
    cartId: 'default',
    email: `${userId}@example.com`,
    createdAt: 1,
    lines: lines.map(([productId, quantity]) => ({
      productId,
      quantity,
      unitPriceMinor: 100,
      currency: 'EUR',
      title: `Title of ${productId}`,
    })),
    totalMinor: lines.reduce((s, [, q]) => s + 100 * q, 0),
    currency: 'EUR',
    cartContext: '',
  };
}

const stockUpdate = (id: string, productId: string, quantity: number, mode: 'set' | 'adjust' | 'init') =>
  JSON.stringify({
    type: 'inventory.update',
    v: 1,
    eventId: id,
    sellerId: 's',
    productId,
    mode,
    quantity,
    at: 1,
  });

/**
 * The partitions of a cluster in memory: a deduplicating log, each partition's committed
 * checkpoint and its live task. A "crash" throws the live task away (and with it whatever it
 * computed but did not commit) and restores the checkpoint, as a new owner would.
 */
class Sim {
  readonly log: LogRecord[][] = Array.from({ length: PARTITIONS }, () => []);
  readonly #dedupe = new Set<string>();
  readonly committed: PartitionState[] = Array.from({ length: PARTITIONS }, () => ({
    offset: 0,
    stock: new Map(),
    sagas: new Map(),
  }));
  readonly orders = new Map<string, OrderView>();
  readonly outbox = new Map<string, OutboxMessage>();
  tasks: PartitionTask[] = Array.from({ length: PARTITIONS }, (_, p) => this.#task(p));

  #task(p: number): PartitionTask {
    const options = { partition: p, partitions: PARTITIONS, partitionFor, now: () => 1 };
    return new PartitionTask(options, this.committed[p]!);
  }

  append(partition: number, key: string, value: string, dedupeId?: string): void {
    if (dedupeId !== undefined) {
      if (this.#dedupe.has(`${partition}:${dedupeId}`)) return;
      this.#dedupe.add(`${partition}:${dedupeId}`);
    }
    const records = this.log[partition]!;
    records.push({
      partition,
      offset: records.length,
      key,
      value,
      ...(dedupeId === undefined ? {} : { dedupeId }),
    });
  }

  /** Processes up to `max` records of `p`; `crash` loses the result after its messages left. */
  step(p: number, max: number, crash: boolean): boolean {
    const task = this.tasks[p]!;
    const records = this.log[p]!.slice(task.offset, task.offset + max);
    if (records.length === 0) return false;
    const result = task.process(records);
    for (const m of result.emits) this.append(m.partition!, m.key, m.value, m.dedupeId);
    if (crash) {
      this.tasks[p] = this.#task(p);
      return true;
    }
    const before = this.committed[p]!;
    const stock = new Map(before.stock);
    for (const [id, level] of result.commit.stock) stock.set(id, level);
    const sagas = new Map(before.sagas);
    for (const [id, saga] of result.commit.sagas) {
      if (saga === null) sagas.delete(id);
      else sagas.set(id, saga);
    }
    this.committed[p] = { offset: result.commit.offset, stock, sagas };
    for (const [id, view] of result.commit.orders) {
      expect(this.orders.has(id), `order ${id} decided twice`).toBe(false);
      this.orders.set(id, view);
    }
    for (const m of result.commit.outbox) {
      expect(this.outbox.has(m.key), `message ${m.key} emitted twice`).toBe(false);
      this.outbox.set(m.key, m);
    }
    task.apply(result);
    return true;
  }

  drain(): void {
    for (let progress = true; progress; ) {
      progress = false;
      for (let p = 0; p < PARTITIONS; p++) progress = this.step(p, 1000, false) || progress;
    }
  }

  stock(productId: string): number | undefined {
    return this.committed[partitionFor(productId)]!.stock.get(productId);
  }
}

type Action =
  | { kind: 'order'; user: number; lines: [number, number][] }
  | { kind: 'restock'; product: number; quantity: number }
  | { kind: 'step'; partition: number; max: number; crash: boolean };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    kind: fc.constant('order' as const),
    user: fc.integer({ min: 0, max: 9 }),
    lines: fc.uniqueArray(
      fc.tuple(fc.integer({ min: 0, max: PRODUCTS.length - 1 }), fc.integer({ min: 1, max: 4 })),
      {
        minLength: 1,
        maxLength: 4,
        selector: ([p]) => p,
      },
    ),
  }),
  fc.record({
    kind: fc.constant('restock' as const),
    product: fc.integer({ min: 0, max: PRODUCTS.length - 1 }),
    quantity: fc.integer({ min: 1, max: 5 }),
  }),
  fc.record({
    kind: fc.constant('step' as const),
    partition: fc.integer({ min: 0, max: PARTITIONS - 1 }),
    max: fc.integer({ min: 1, max: 6 }),
    crash: fc.boolean(),
  }),
);

describe('PartitionTask: the order saga across partitions', () => {
  it('decides every order exactly once and conserves stock under any interleaving and crashes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 6 }), { minLength: PRODUCTS.length, maxLength: PRODUCTS.length }),
        fc.array(actionArb, { maxLength: 120 }),
        (initial, actions) => {
          const sim = new Sim();
          PRODUCTS.forEach((id, i) => {
            sim.append(
              partitionFor(id),
              id,
              stockUpdate(`init.${id}`, id, initial[i]!, 'init'),
              `init.${id}`,
            );
            // A second seeding (another node, a re-import) changes nothing.
            sim.append(partitionFor(id), id, stockUpdate(`init2.${id}`, id, 99, 'init'), `init2.${id}`);
          });
          const placed: OrderPlaced[] = [];
          const restocked = new Map<string, number>();
          actions.forEach((a, n) => {
            if (a.kind === 'order') {
              const o = order(
                n,
                `user-${a.user}`,
                a.lines.map(([p, q]) => [PRODUCTS[p]!, q]),
              );
              placed.push(o);
              // The same order appended twice (a retried checkout) is one record.
              for (let i = 0; i < 2; i++)
                sim.append(partitionFor(o.userId), o.userId, JSON.stringify(o), o.orderId);
            } else if (a.kind === 'restock') {
              const id = PRODUCTS[a.product]!;
              restocked.set(id, (restocked.get(id) ?? 0) + a.quantity);
              sim.append(partitionFor(id), id, stockUpdate(`adj-${n}`, id, a.quantity, 'adjust'), `adj-${n}`);
            } else sim.step(a.partition, a.max, a.crash);
          });
          sim.drain();
          expect(sim.committed.every((s) => s.sagas.size === 0)).toBe(true);
          expect([...sim.orders.keys()].sort()).toEqual(placed.map((o) => o.orderId).sort());
          const confirmed = [...sim.orders.values()].filter((v) => v.status === 'confirmed');
          PRODUCTS.forEach((id, i) => {
            const sold = confirmed.flatMap((v) => v.lines).filter((l) => l.productId === id);
            const expected =
              initial[i]! + (restocked.get(id) ?? 0) - sold.reduce((s, l) => s + l.quantity, 0);
            expect(sim.stock(id), `stock of ${id}`).toBe(expected);
            expect(expected).toBeGreaterThanOrEqual(0);
          });
          // One confirmation and one cart removal per confirmed order, nothing for the others.
          expect([...sim.outbox.keys()].sort()).toEqual(
            confirmed.flatMap((v) => [`${v.orderId}-cart`, `${v.orderId}-confirmation`]).sort(),
          );
          for (const v of sim.orders.values()) {
            if (v.status !== 'rejected') continue;
            const line = v.lines.find((l) => l.productId === v.rejection?.productId);
            expect(line, 'the rejection names a line of the order').toBeDefined();
            expect(v.rejection?.message).toContain(line!.title);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('computes without changing anything until the result is applied', () => {
    const task = new PartitionTask(
      { partition: partitionFor('mug'), partitions: PARTITIONS, partitionFor, now: () => 1 },
      { offset: 0, stock: new Map([['mug', 5]]), sagas: new Map() },
    );
    const records: LogRecord[] = [
      { partition: partitionFor('mug'), offset: 0, key: 'mug', value: stockUpdate('a', 'mug', -2, 'adjust') },
    ];
    const first = task.process(records);
    expect(task.stockOf('mug')).toBe(5);
    expect(task.offset).toBe(0);
    expect(task.process(records)).toEqual(first);
    task.apply(first);
    expect([task.stockOf('mug'), task.offset]).toEqual([3, 1]);
    // Records already applied are skipped; a gap is an error, not a silent skip.
    expect(task.process(records).commit.offset).toBe(1);
    expect(() => task.process([{ ...records[0]!, offset: 5 }])).toThrow(/gap/);
  });

  it('refuses records that do not belong to the partition or did not come from checkout', () => {
    const home = partitionFor('user-1');
    const task = new PartitionTask(
      { partition: home, partitions: PARTITIONS, partitionFor, now: () => 1 },
      { offset: 0, stock: new Map(), sagas: new Map() },
    );
    const o = order(1, 'user-1', [['mug', 1]]);
    const foreign = PRODUCTS.find((id) => partitionFor(id) !== home)!;
    const result = task.process([
      { partition: home, offset: 0, key: 'x', value: JSON.stringify(o) }, // no dedupe id
      { partition: home, offset: 1, key: 'x', value: '{"type":"order.placed"' },
      { partition: home, offset: 2, key: foreign, value: stockUpdate('f', foreign, 5, 'set') },
    ]);
    expect(result.outcomes).toEqual(['malformed', 'malformed', 'malformed']);
    expect(result.emits).toEqual([]);
    expect(result.commit.offset).toBe(3);
  });
});

describe('PartitionLeases and fenced checkpoints (Redis)', () => {
  it('gives each partition one owner, takes over a stopped node, and fences the old owner out', async () => {
    const prefix = `t:leases:${randomUUID()}`;
    const clients = [new Redis(redis.url), new Redis(redis.url), new Redis(redis.url)];
    const leases = (i: number) =>
      new PartitionLeases({
        redis: clients[i]!,
        prefix,
        partitions: 8,
        node: `n${i}`,
        leaseMs: 600,
        tickMs: 50,
      });
    const a = leases(0);
    const b = leases(1);
    try {
      await a.start();
      await b.start();
      const owners = async () => {
        const deadline = Date.now() + 10_000;
        for (;;) {
          const members = b.members();
          const settled =
            members.length === 2 &&
            Array.from({ length: 8 }, (_, p) => {
              const preferred = preferredOwner(p, members);
              const holder = preferred === a.owner ? a : b;
              return holder.owned().has(p) && !(holder === a ? b : a).owned().has(p);
            }).every(Boolean);
          if (settled) return;
          if (Date.now() > deadline) throw new Error('leases did not settle');
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      await owners();
      expect(a.owned().size + b.owned().size).toBe(8);
      const store = new RedisPartitionStore(clients[2]!, { prefix, partitions: 8 });
      const [p, fence] = [...a.owned()][0]!;
      const commit = {
        offset: 1,
        stock: new Map([['mug', 3]]),
        orders: new Map(),
        sagas: new Map(),
        outbox: [],
      };
      await store.commit(p, fence, commit);
      // a loses Redis without giving its leases back (a partition, a pause): b takes over.
      const stale: Fence = { ...fence };
      clients[0]!.disconnect();
      const deadline = Date.now() + 10_000;
      while (b.owned().size < 8) {
        if (Date.now() > deadline) throw new Error('b did not take over');
        await new Promise((r) => setTimeout(r, 20));
      }
      const taken = b.owned().get(p)!;
      expect(taken.token).toBeGreaterThan(stale.token);
      await expect(store.commit(p, stale, { ...commit, offset: 2 })).rejects.toMatchObject({
        code: 'FENCED',
      });
      await store.commit(p, taken, { ...commit, offset: 2, stock: new Map([['mug', 2]]) });
      expect(await store.stock(p, 'mug')).toBe(2);
      // A checkpoint never goes backwards, even under the current lease.
      await expect(store.commit(p, taken, { ...commit, offset: 1 })).rejects.toMatchObject({
        code: 'FENCED',
      });
    } finally {
      await a.stop();
      await b.stop();
      for (const c of clients) c.disconnect();
    }
  });
});

describe('EmlFileSink', () => {
  it('writes one file per idempotency key and deduplicates redelivery', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cw-eml-'));
    dirs.push(dir);
    const sink = await EmlFileSink.open(dir);
    const m = {
      kind: 'email' as const,
      key: 'ord_1-confirmation',
      orderId: 'ord_1',
      to: 'a@b.c\r\nBcc: x@y.z',
      subject: 's',
      text: 't',
      createdAt: 0,
    };
    const results = await Promise.all([sink.deliver(m), sink.deliver(m)]);
    expect(results).toContain('sent');
    expect(await sink.deliver(m)).toBe('deduplicated');
    expect(await readdir(dir)).toEqual(['ord_1-confirmation.eml']);
    const text = await readFile(join(dir, 'ord_1-confirmation.eml'), 'utf8');
    expect(text).toContain('To: a@b.c Bcc: x@y.z\r\n');
    expect(text).not.toMatch(/^Bcc:/m);
  });

  it("opening removes a crashed writer's temporary files, not another node's write in progress", async () => {
    // The nodes of a cluster share the folder: a node starting while another one writes must not
    // pull the file from under that node's rename.
    const dir = await mkdtemp(join(tmpdir(), 'cw-eml-'));
    dirs.push(dir);
    const leftover = join(dir, '.tmp-ord_1-confirmation-crashed');
    const inProgress = join(dir, '.tmp-ord_2-confirmation-writing');
    await writeFile(leftover, 'half a message');
    await writeFile(inProgress, 'a message being written');
    const anHourAgo = new Date(Date.now() - 3_600_000);
    await utimes(leftover, anHourAgo, anHourAgo);
    await EmlFileSink.open(dir);
    expect(await readdir(dir)).toEqual(['.tmp-ord_2-confirmation-writing']);
  });
});
