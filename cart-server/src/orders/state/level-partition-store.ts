/**
 * Processor state of an embedded node on LevelDB: one database for every partition, so a
 * checkpoint is ONE atomic batch. Only this process opens it (LevelDB's lock), so fences are not
 * checked: the one processor owns every partition.
 *   i!<p:4>!<productId>   → stock level
 *   s!<p:4>!<orderId>     → Saga (order waiting for reservations)
 *   o!<p:4>!<orderId>     → OrderView (confirmed / rejected)
 *   x!<p:4>!<messageKey>  → OutboxMessage waiting to be sent
 *   f!<p:4>               → next log offset of the partition
 */
import { Level } from 'level';
import { OrderLogError } from '../errors.js';
import type { OrderView, OutboxMessage, Saga } from '../events.js';
import type { PartitionCommit, PartitionState } from '../processor/partition-task.js';
import type { Fence, PartitionStore } from './partition-store.js';

type Value = number | Saga | OrderView | OutboxMessage;

const pad4 = (p: number): string => String(p).padStart(4, '0');
const key = (kind: string, p: number, id = ''): string => `${kind}!${pad4(p)}!${id}`;

export class LevelPartitionStore implements PartitionStore {
  readonly kind = 'level';
  readonly #db: Level<string, Value>;
  readonly #partitions: number;
  readonly #sync: boolean;

  private constructor(db: Level<string, Value>, partitions: number, sync: boolean) {
    this.#db = db;
    this.#partitions = partitions;
    this.#sync = sync;
  }

  /** `sync` (default true) fsyncs every checkpoint. */
  static async open(
    location: string,
    options: { partitions: number; sync?: boolean },
  ): Promise<LevelPartitionStore> {
    const db = new Level<string, Value>(location, { valueEncoding: 'json' });
    try {
      await db.open();
    } catch (err) {
      throw new OrderLogError('ORDER_LOG_UNAVAILABLE', `cannot open order state at ${location}`, {
        cause: err,
      });
    }
    return new LevelPartitionStore(db, options.partitions, options.sync ?? true);
  }

  async load(p: number): Promise<PartitionState> {
    const stock = new Map<string, number>();
    const sagas = new Map<string, Saga>();
    const prefix = key('i', p);
    for await (const [k, v] of this.#db.iterator({ gte: prefix, lt: `${prefix}~` })) {
      stock.set(k.slice(prefix.length), v as number);
    }
    const sagaPrefix = key('s', p);
    for await (const [k, v] of this.#db.iterator({ gte: sagaPrefix, lt: `${sagaPrefix}~` })) {
      sagas.set(k.slice(sagaPrefix.length), v as Saga);
    }
    const offset = await this.#db.get(key('f', p));
    return { offset: typeof offset === 'number' ? offset : 0, stock, sagas };
  }

  async commit(p: number, _fence: Fence, c: PartitionCommit): Promise<void> {
    const ops: ({ type: 'put'; key: string; value: Value } | { type: 'del'; key: string })[] = [];
    for (const [id, level] of c.stock) ops.push({ type: 'put', key: key('i', p, id), value: level });
    for (const [id, saga] of c.sagas) {
      ops.push(
        saga === null
          ? { type: 'del', key: key('s', p, id) }
          : { type: 'put', key: key('s', p, id), value: saga },
      );
    }
    for (const [id, view] of c.orders) ops.push({ type: 'put', key: key('o', p, id), value: view });
    for (const m of c.outbox) ops.push({ type: 'put', key: key('x', p, m.key), value: m });
    ops.push({ type: 'put', key: key('f', p), value: c.offset });
    await this.#db.batch(ops, { sync: this.#sync });
  }

  async order(p: number, orderId: string): Promise<OrderView | undefined> {
    return (await this.#db.get(key('o', p, orderId))) as OrderView | undefined;
  }

  async stock(p: number, productId: string): Promise<number | undefined> {
    const v = await this.#db.get(key('i', p, productId));
    return typeof v === 'number' ? v : undefined;
  }

  async offsets(): Promise<number[]> {
    const keys = Array.from({ length: this.#partitions }, (_, p) => key('f', p));
    const values = await this.#db.getMany(keys);
    return values.map((v) => (typeof v === 'number' ? v : 0));
  }

  async outbox(p: number, limit: number): Promise<OutboxMessage[]> {
    const prefix = key('x', p);
    return (await this.#db.values({ gte: prefix, lt: `${prefix}~`, limit }).all()) as OutboxMessage[];
  }

  async outboxSize(p: number): Promise<number> {
    const prefix = key('x', p);
    let n = 0;
    for await (const _ of this.#db.keys({ gte: prefix, lt: `${prefix}~` })) n++;
    return n;
  }

  async ackOutbox(p: number, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.#db.batch(keys.map((k) => ({ type: 'del' as const, key: key('x', p, k) })));
  }

  async close(): Promise<void> {
    await this.#db.close();
  }
}
