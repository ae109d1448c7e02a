/**
 * The processor's state backend on LevelDB: inventory levels, order outcomes, the outbox and the
 * log offsets, all in one database so that a checkpoint is ONE atomic batch — the same guarantee
 * Flink gets by snapshotting operator state together with the Kafka source offsets. Either the
 * effects of a run of records and the offsets after them are durable together, or neither is;
 * replay after a crash therefore has exactly-once effect.
 *   i!<productId>        → stock level
 *   o!<orderId>          → OrderView (confirmed / rejected)
 *   x!<messageKey>       → OutboxMessage waiting to be sent
 *   f!<group>!<p:4>      → next log offset to process
 */
import { Level } from 'level';
import type { OrderView, OutboxMessage } from './events.js';

type Value = number | OrderView | OutboxMessage;

export interface Checkpoint {
  readonly stock: ReadonlyMap<string, number>;
  readonly orders: ReadonlyMap<string, OrderView>;
  readonly outbox: readonly OutboxMessage[];
  readonly offsets: ReadonlyMap<number, number>;
}

const pad4 = (p: number): string => String(p).padStart(4, '0');

export class ProcessorStore {
  readonly #db: Level<string, Value>;
  readonly #sync: boolean;

  private constructor(db: Level<string, Value>, sync: boolean) {
    this.#db = db;
    this.#sync = sync;
  }

  /** `sync` (default true) fsyncs every checkpoint. */
  static async open(location: string, options: { sync?: boolean } = {}): Promise<ProcessorStore> {
    const db = new Level<string, Value>(location, { valueEncoding: 'json' });
    await db.open();
    return new ProcessorStore(db, options.sync ?? true);
  }

  async offsets(group: string, partitions: readonly number[]): Promise<Map<number, number>> {
    const values = await this.#db.getMany(partitions.map((p) => `f!${group}!${pad4(p)}`));
    return new Map(partitions.map((p, i) => [p, typeof values[i] === 'number' ? (values[i] as number) : 0]));
  }

  async *stockLevels(): AsyncGenerator<[string, number]> {
    for await (const [k, v] of this.#db.iterator({ gte: 'i!', lt: 'i!~' })) {
      yield [k.slice(2), v as number];
    }
  }

  async stock(productId: string): Promise<number | undefined> {
    const v = await this.#db.get(`i!${productId}`);
    return typeof v === 'number' ? v : undefined;
  }

  async order(orderId: string): Promise<OrderView | undefined> {
    const v = await this.#db.get(`o!${orderId}`);
    return v === undefined ? undefined : (v as OrderView);
  }

  async hasOrders(orderIds: readonly string[]): Promise<boolean[]> {
    if (orderIds.length === 0) return [];
    const values = await this.#db.getMany(orderIds.map((id) => `o!${id}`));
    return values.map((v) => v !== undefined);
  }

  /** One atomic batch: effects + offsets. */
  async commit(group: string, checkpoint: Checkpoint): Promise<void> {
    const ops: { type: 'put'; key: string; value: Value }[] = [];
    for (const [id, level] of checkpoint.stock) ops.push({ type: 'put', key: `i!${id}`, value: level });
    for (const [id, view] of checkpoint.orders) ops.push({ type: 'put', key: `o!${id}`, value: view });
    for (const m of checkpoint.outbox) ops.push({ type: 'put', key: `x!${m.key}`, value: m });
    for (const [p, o] of checkpoint.offsets)
      ops.push({ type: 'put', key: `f!${group}!${pad4(p)}`, value: o });
    await this.#db.batch(ops, { sync: this.#sync });
  }

  async outboxBatch(limit: number): Promise<OutboxMessage[]> {
    const values = await this.#db.values({ gte: 'x!', lt: 'x!~', limit }).all();
    return values as OutboxMessage[];
  }

  async outboxSize(): Promise<number> {
    let n = 0;
    for await (const _ of this.#db.keys({ gte: 'x!', lt: 'x!~' })) n++;
    return n;
  }

  /** Marks messages sent (removes them from the outbox). */
  async ackOutbox(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.#db.batch(keys.map((k) => ({ type: 'del' as const, key: `x!${k}` })));
  }

  async close(): Promise<void> {
    await this.#db.close();
  }
}
