/**
 * The order processor (the stream-processor role Flink plays in the source design). It consumes
 * the order log from the offsets in its own checkpoint, splits each order into per-product lines,
 * routes the lines to the inventory shard of each product's partition, reserves all-or-nothing
 * (commit, or compensate and reject naming the failing line), and writes a checkpoint after each
 * polled run of records: stock levels, order outcomes, outbox messages and the next offsets in one
 * atomic LevelDB batch (ProcessorStore.commit). After a crash it restores that checkpoint and
 * replays the log from the saved offsets; nothing after the checkpoint was ever visible, so the
 * replay has exactly-once effect. Order ids are also deduplicated, so an order appended twice by
 * a buggy producer is still applied once.
 */
import {
  confirmationKey,
  decodeLogEvent,
  type InventoryUpdate,
  type OrderPlaced,
  type OrderView,
  type OutboxMessage,
} from './events.js';
import { InventoryRouter } from './inventory.js';
import type { LogConsumer, LogRecord, OrderLog } from './log/order-log.js';
import { noopOrderMetrics, type OrderMetrics } from './metrics.js';
import type { Checkpoint, ProcessorStore } from './processor-store.js';

export interface OrderProcessorOptions {
  readonly log: OrderLog;
  readonly store: ProcessorStore;
  /** Consumer group / checkpoint namespace (default 'order-processor'). */
  readonly group?: string;
  /** Stable consumer name (default 'processor-1'). */
  readonly consumer?: string;
  /** Records per checkpoint at most (default 1000). */
  readonly maxBatch?: number;
  readonly blockMs?: number;
  readonly metrics?: OrderMetrics;
  readonly now?: () => number;
  /** Called after each durable checkpoint (the outbox sender listens). */
  readonly onCheckpoint?: (checkpoint: Checkpoint) => void;
  readonly onError?: (err: unknown) => void;
}

export class OrderProcessor {
  readonly #log: OrderLog;
  readonly #store: ProcessorStore;
  readonly #group: string;
  readonly #consumerName: string;
  readonly #maxBatch: number;
  readonly #blockMs: number;
  readonly #metrics: OrderMetrics;
  readonly #now: () => number;
  readonly #onCheckpoint: ((c: Checkpoint) => void) | undefined;
  readonly #onError: (err: unknown) => void;
  #router: InventoryRouter;
  #next = new Map<number, number>();
  #consumer: LogConsumer | undefined;
  #loop: Promise<void> | undefined;
  #stopping = false;
  readonly #waiters: (() => void)[] = [];

  constructor(options: OrderProcessorOptions) {
    this.#log = options.log;
    this.#store = options.store;
    this.#group = options.group ?? 'order-processor';
    this.#consumerName = options.consumer ?? 'processor-1';
    this.#maxBatch = options.maxBatch ?? 1000;
    this.#blockMs = options.blockMs ?? 200;
    this.#metrics = options.metrics ?? noopOrderMetrics;
    this.#now = options.now ?? Date.now;
    this.#onCheckpoint = options.onCheckpoint;
    this.#onError = options.onError ?? (() => undefined);
    this.#router = new InventoryRouter((id) => this.#log.partitionFor(id));
  }

  /** Restores the checkpoint and starts consuming. */
  async start(): Promise<void> {
    if (this.#loop !== undefined) throw new TypeError('processor already started');
    this.#consumer = await this.#log.openConsumer({ group: this.#group, consumer: this.#consumerName });
    await this.#restore();
    this.#metrics.setLagSource(() => this.lag());
    this.#stopping = false;
    this.#loop = this.#run();
  }

  /** Finishes the run of records in hand (its checkpoint included) and stops. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#loop;
    this.#loop = undefined;
    await this.#consumer?.close();
    this.#consumer = undefined;
  }

  /** Checkpointed next offsets per partition. */
  offsets(): ReadonlyMap<number, number> {
    return new Map(this.#next);
  }

  /** Records in the log this processor has not checkpointed yet. */
  async lag(): Promise<number> {
    const ends = await this.#log.endOffsets();
    let lag = 0;
    for (const [p, o] of this.#next) lag += Math.max(0, (ends[p] ?? 0) - o);
    return lag;
  }

  /** Resolves once every record appended before the call is checkpointed. */
  async caughtUp(timeoutMs = 30_000): Promise<void> {
    const ends = await this.#log.endOffsets();
    const deadline = Date.now() + timeoutMs;
    while ([...this.#next].some(([p, o]) => o < (ends[p] ?? 0))) {
      if (Date.now() > deadline) throw new Error('order processor did not catch up in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** In-memory stock (includes effects not yet checkpointed; use the store for durable reads). */
  stockOf(productId: string): number | undefined {
    return this.#router.stockOf(productId);
  }

  async #restore(): Promise<void> {
    const partitions = this.#consumer!.partitions;
    const mine = new Set(partitions);
    this.#router = new InventoryRouter((id) => this.#log.partitionFor(id));
    for await (const [productId, level] of this.#store.stockLevels()) {
      if (mine.has(this.#log.partitionFor(productId)))
        this.#router.shardFor(productId).load(productId, level);
    }
    this.#next = await this.#store.offsets(this.#group, partitions);
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      let records: LogRecord[];
      try {
        records = await this.#consumer!.poll(this.#next, {
          maxRecords: this.#maxBatch,
          blockMs: this.#blockMs,
        });
      } catch (err) {
        this.#onError(err);
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      if (records.length === 0) continue;
      try {
        await this.#process(records);
      } catch (err) {
        // The in-memory state may be ahead of the durable one: go back to the checkpoint.
        this.#onError(err);
        await this.#restore().catch((e: unknown) => this.#onError(e));
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  async #process(records: readonly LogRecord[]): Promise<void> {
    const decoded = records.map((r) => ({ record: r, event: decodeLogEvent(r.value) }));
    const orderIds = decoded.flatMap((d) => (d.event?.type === 'order.placed' ? [d.event.orderId] : []));
    const known = await this.#store.hasOrders(orderIds);
    const done = new Set(orderIds.filter((_, i) => known[i]));
    const checkpoint = {
      stock: new Map<string, number>(),
      orders: new Map<string, OrderView>(),
      outbox: [] as OutboxMessage[],
      offsets: new Map<number, number>(),
    };
    for (const { record, event } of decoded) {
      const expected = this.#next.get(record.partition);
      if (expected === undefined || record.offset < expected) continue; // not ours, or already applied
      if (event === undefined) this.#metrics.processed('malformed');
      else if (event.type === 'order.placed') this.#applyOrder(event, record, done, checkpoint);
      else this.#applyInventory(event, checkpoint);
      this.#next.set(record.partition, record.offset + 1);
    }
    for (const [p, o] of this.#next) checkpoint.offsets.set(p, o);
    await this.#store.commit(this.#group, checkpoint);
    await this.#consumer!.commit(this.#next).catch((err: unknown) => this.#onError(err));
    this.#onCheckpoint?.(checkpoint);
    for (const wake of this.#waiters.splice(0)) wake();
  }

  #applyOrder(
    order: OrderPlaced,
    record: LogRecord,
    done: Set<string>,
    checkpoint: { stock: Map<string, number>; orders: Map<string, OrderView>; outbox: OutboxMessage[] },
  ): void {
    if (done.has(order.orderId)) {
      this.#metrics.processed('duplicate');
      return;
    }
    done.add(order.orderId);
    const result = this.#router.reserveAll(order.orderId, order.lines);
    const base = {
      orderId: order.orderId,
      userId: order.userId,
      cartId: order.cartId,
      lines: order.lines,
      totalMinor: order.totalMinor,
      currency: order.currency,
      createdAt: order.createdAt,
      processedAt: this.#now(),
      partition: record.partition,
      offset: record.offset,
    };
    if ('rejection' in result) {
      checkpoint.orders.set(order.orderId, { ...base, status: 'rejected', rejection: result.rejection });
      this.#metrics.processed('rejected');
      this.#metrics.rejection(result.rejection.reason);
      return;
    }
    for (const productId of result.changed) checkpoint.stock.set(productId, this.#router.stockOf(productId)!);
    checkpoint.orders.set(order.orderId, { ...base, status: 'confirmed' });
    checkpoint.outbox.push(confirmationMessage(order, this.#now()));
    this.#metrics.processed('confirmed');
  }

  #applyInventory(update: InventoryUpdate, checkpoint: { stock: Map<string, number> }): void {
    const shard = this.#router.shardFor(update.productId);
    const result = shard.applyUpdate(update.productId, update.mode, update.quantity);
    if (result.ok) checkpoint.stock.set(update.productId, result.stock);
    this.#metrics.inventoryUpdate(result.ok ? 'applied' : 'refused');
  }
}

const money = (minor: number, currency: string): string => `${(minor / 100).toFixed(2)} ${currency}`;

export function confirmationMessage(order: OrderPlaced, now: number): OutboxMessage {
  const lines = order.lines.map(
    (l) =>
      `  ${l.quantity} x ${l.title || l.productId} (${l.productId}) @ ${money(l.unitPriceMinor, l.currency)}`,
  );
  return {
    key: confirmationKey(order.orderId),
    orderId: order.orderId,
    to: order.email,
    subject: `Your order ${order.orderId} is confirmed`,
    text: [
      `Thank you for your order ${order.orderId}.`,
      '',
      ...lines,
      '',
      `Total: ${money(order.totalMinor, order.currency)}`,
    ].join('\n'),
    createdAt: now,
  };
}
