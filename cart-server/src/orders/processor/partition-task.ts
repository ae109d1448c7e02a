/**
 * The keyed state and logic of ONE log partition — the role a Flink task plays for its key group
 * in the source design. A partition owns the inventory of the products that hash to it (keyBy
 * product) and decides the orders whose home it is (the ordering user's partition). An order is a
 * saga across partitions:
 *
 *   home:    order.placed      → reserve its lines, per product partition (inline when that is
 *                                the home itself, else a reserve.request to that partition)
 *   product: reserve.request   → all-or-nothing deduction, answered with reserve.reply
 *   home:    reserve.reply     → when every partition answered: confirmed (confirmation e-mail +
 *                                cart removal into the outbox), or rejected naming the failing
 *                                line, with a reserve.release to each partition that deducted
 *   product: reserve.release   → the units come back (compensation)
 *   product: inventory.update  → seller set / adjust, or the catalog's initial stock
 *
 * `process` is pure over (checkpointed state, records): it computes the partition's next state
 * and the messages to emit, and changes nothing until `apply` is called with its result — compute
 * then mutate. Replaying the same records from the same checkpoint therefore computes the same
 * messages with the same ids, which the log deduplicates: exactly-once effect after a crash.
 */
import {
  cartRemovalKey,
  confirmationKey,
  decodeLogEvent,
  homePartitionOf,
  type InventoryUpdate,
  MAX_STOCK,
  type OrderPlaced,
  type OrderRejection,
  type OrderView,
  type OutboxMessage,
  type ReservedLine,
  type ReserveReply,
  type ReserveRequest,
  type Saga,
} from '../events.js';
import type { AppendRequest, LogRecord } from '../log/order-log.js';

/** What a partition restores from its checkpoint. */
export interface PartitionState {
  /** Next log offset of this partition to process. */
  readonly offset: number;
  readonly stock: ReadonlyMap<string, number>;
  readonly sagas: ReadonlyMap<string, Saga>;
}

/** One checkpoint's worth of changes: written atomically with the next offset. */
export interface PartitionCommit {
  readonly offset: number;
  readonly stock: ReadonlyMap<string, number>;
  readonly orders: ReadonlyMap<string, OrderView>;
  /** Sagas started or advanced (a value) or finished (null). */
  readonly sagas: ReadonlyMap<string, Saga | null>;
  readonly outbox: readonly OutboxMessage[];
}

export type RecordOutcome =
  | 'confirmed'
  | 'rejected'
  | 'malformed'
  | 'duplicate'
  | 'reserve'
  | 'reply'
  | 'release'
  | 'inventory-applied'
  | 'inventory-refused';

export interface TaskResult {
  readonly commit: PartitionCommit;
  /** Messages to other partitions, each with a deterministic dedupe id. */
  readonly emits: readonly AppendRequest[];
  readonly outcomes: readonly RecordOutcome[];
}

export interface PartitionTaskOptions {
  readonly partition: number;
  readonly partitions: number;
  readonly partitionFor: (productId: string) => number;
  readonly now: () => number;
}

export class PartitionTask {
  readonly partition: number;
  readonly #o: PartitionTaskOptions;
  #state: PartitionState;

  constructor(options: PartitionTaskOptions, state: PartitionState) {
    this.partition = options.partition;
    this.#o = options;
    this.#state = state;
  }

  get offset(): number {
    return this.#state.offset;
  }

  /** Orders waiting for other partitions' answers. */
  get openSagas(): number {
    return this.#state.sagas.size;
  }

  stockOf(productId: string): number | undefined {
    return this.#state.stock.get(productId);
  }

  /** Computes the effect of `records` (this partition's, in offset order) without applying it. */
  process(records: readonly LogRecord[]): TaskResult {
    const run = new Run(this.#o, this.#state);
    for (const record of records) {
      if (record.partition !== this.partition || record.offset < run.offset) continue; // already applied
      if (record.offset > run.offset) throw new Error(`log gap in partition ${this.partition}`);
      run.record(record);
    }
    return run.result();
  }

  /** Makes a computed result the task's state (after its checkpoint is durable). */
  apply(result: TaskResult): void {
    const stock = new Map(this.#state.stock);
    for (const [id, level] of result.commit.stock) stock.set(id, level);
    const sagas = new Map(this.#state.sagas);
    for (const [id, saga] of result.commit.sagas) {
      if (saga === null) sagas.delete(id);
      else sagas.set(id, saga);
    }
    this.#state = { offset: result.commit.offset, stock, sagas };
  }
}

/** One batch's computation: reads through its own changes to the state it started from. */
class Run {
  offset: number;
  readonly #o: PartitionTaskOptions;
  readonly #base: PartitionState;
  readonly #stock = new Map<string, number>();
  readonly #sagas = new Map<string, Saga | null>();
  readonly #orders = new Map<string, OrderView>();
  readonly #outbox: OutboxMessage[] = [];
  readonly #emits: AppendRequest[] = [];
  readonly #outcomes: RecordOutcome[] = [];

  constructor(options: PartitionTaskOptions, base: PartitionState) {
    this.#o = options;
    this.#base = base;
    this.offset = base.offset;
  }

  get #p(): number {
    return this.#o.partition;
  }

  result(): TaskResult {
    return {
      commit: {
        offset: this.offset,
        stock: this.#stock,
        orders: this.#orders,
        sagas: this.#sagas,
        outbox: this.#outbox,
      },
      emits: this.#emits,
      outcomes: this.#outcomes,
    };
  }

  record(record: LogRecord): void {
    this.#outcomes.push(this.#dispatch(record));
    this.offset = record.offset + 1;
  }

  #dispatch(record: LogRecord): RecordOutcome {
    const event = decodeLogEvent(record.value);
    if (event === undefined) return 'malformed';
    switch (event.type) {
      case 'order.placed':
        return this.#placed(event, record);
      case 'reserve.request':
        return this.#reserveRequest(event);
      case 'reserve.reply':
        return this.#reply(event);
      case 'reserve.release':
        for (const line of event.lines) {
          if (this.#o.partitionFor(line.productId) !== this.#p) return 'malformed';
        }
        this.#release(event.lines);
        return 'release';
      case 'inventory.update':
        return this.#inventory(event);
    }
  }

  #stockOf(productId: string): number | undefined {
    return this.#stock.get(productId) ?? this.#base.stock.get(productId);
  }

  #saga(orderId: string): Saga | undefined {
    const changed = this.#sagas.get(orderId);
    return changed === null ? undefined : (changed ?? this.#base.sagas.get(orderId));
  }

  #placed(order: OrderPlaced, record: LogRecord): RecordOutcome {
    // Checkout appends an order to its home partition with the order id as dedupe id: anything
    // else did not come from checkout.
    if (record.dedupeId !== order.orderId) return 'malformed';
    if (homePartitionOf(order.orderId, this.#o.partitions) !== this.#p) return 'malformed';
    if (this.#saga(order.orderId) !== undefined) return 'duplicate';
    const byPartition = this.#linesByPartition(order);
    let saga: Saga = { order, offset: record.offset, waiting: [...byPartition.keys()], reserved: [] };
    for (const [target, lines] of byPartition) {
      if (target === this.#p) {
        saga = answered(saga, target, this.#reserve(lines));
      } else {
        const request: ReserveRequest = {
          type: 'reserve.request',
          v: 1,
          orderId: order.orderId,
          home: this.#p,
          lines,
        };
        this.#emit(target, `rq.${order.orderId}.${target}`, order.orderId, request);
      }
    }
    return this.#advance(saga);
  }

  #linesByPartition(order: OrderPlaced): Map<number, ReservedLine[]> {
    const byPartition = new Map<number, ReservedLine[]>();
    for (const line of order.lines) {
      const target = this.#o.partitionFor(line.productId);
      const list = byPartition.get(target) ?? [];
      list.push({ productId: line.productId, quantity: line.quantity, title: line.title });
      byPartition.set(target, list);
    }
    return byPartition;
  }

  #reserveRequest(request: ReserveRequest): RecordOutcome {
    for (const line of request.lines) {
      if (this.#o.partitionFor(line.productId) !== this.#p) return 'malformed';
    }
    const rejection = this.#reserve(request.lines);
    const reply: ReserveReply = {
      type: 'reserve.reply',
      v: 1,
      orderId: request.orderId,
      from: this.#p,
      ...(rejection === undefined ? {} : { rejection }),
    };
    this.#emit(request.home, `rp.${request.orderId}.${this.#p}`, request.orderId, reply);
    return 'reserve';
  }

  #reply(reply: ReserveReply): RecordOutcome {
    const saga = this.#saga(reply.orderId);
    if (saga === undefined || !saga.waiting.includes(reply.from)) return 'duplicate';
    return this.#advance(answered(saga, reply.from, reply.rejection));
  }

  /** Records the saga, or decides the order once every partition answered. */
  #advance(saga: Saga): RecordOutcome {
    if (saga.waiting.length > 0) {
      this.#sagas.set(saga.order.orderId, saga);
      return 'reserve';
    }
    this.#sagas.set(saga.order.orderId, null);
    const { order } = saga;
    const base = {
      orderId: order.orderId,
      userId: order.userId,
      cartId: order.cartId,
      lines: order.lines,
      totalMinor: order.totalMinor,
      currency: order.currency,
      createdAt: order.createdAt,
      processedAt: this.#o.now(),
      partition: this.#p,
      offset: saga.offset,
    };
    if (saga.rejection !== undefined) {
      const byPartition = this.#linesByPartition(order);
      for (const target of saga.reserved) {
        const lines = byPartition.get(target)!;
        if (target === this.#p) this.#release(lines);
        else {
          const release = { type: 'reserve.release' as const, v: 1 as const, orderId: order.orderId, lines };
          this.#emit(target, `rl.${order.orderId}.${target}`, order.orderId, release);
        }
      }
      this.#orders.set(order.orderId, { ...base, status: 'rejected', rejection: saga.rejection });
      return 'rejected';
    }
    this.#orders.set(order.orderId, { ...base, status: 'confirmed' });
    this.#outbox.push(confirmationMessage(order, this.#o.now()), {
      kind: 'cart-removal',
      key: cartRemovalKey(order.orderId),
      orderId: order.orderId,
      userId: order.userId,
      cartId: order.cartId,
      productIds: order.lines.map((l) => l.productId),
      context: order.cartContext,
    });
    return 'confirmed';
  }

  /** Deducts every line or none; on failure says which line and why. */
  #reserve(lines: readonly ReservedLine[]): OrderRejection | undefined {
    const wanted = new Map<string, number>();
    for (const line of lines) wanted.set(line.productId, (wanted.get(line.productId) ?? 0) + line.quantity);
    for (const line of lines) {
      const stock = this.#stockOf(line.productId);
      const requested = wanted.get(line.productId)!;
      if (stock === undefined) {
        return {
          productId: line.productId,
          title: line.title,
          reason: 'UNKNOWN_PRODUCT',
          requested,
          available: 0,
          message: `${quoted(line)} is not stocked`,
        };
      }
      if (stock < requested) {
        return {
          productId: line.productId,
          title: line.title,
          reason: 'INSUFFICIENT_STOCK',
          requested,
          available: stock,
          message:
            stock === 0
              ? `${quoted(line)} is out of stock`
              : `only ${stock} of ${quoted(line)} left, ${requested} requested`,
        };
      }
    }
    for (const [productId, quantity] of wanted)
      this.#stock.set(productId, this.#stockOf(productId)! - quantity);
    return undefined;
  }

  #release(lines: readonly ReservedLine[]): void {
    for (const line of lines) {
      const stock = this.#stockOf(line.productId) ?? 0;
      this.#stock.set(line.productId, Math.min(MAX_STOCK, stock + line.quantity));
    }
  }

  #inventory(update: InventoryUpdate): RecordOutcome {
    if (this.#o.partitionFor(update.productId) !== this.#p) return 'malformed';
    const current = this.#stockOf(update.productId);
    let next: number;
    if (update.mode === 'init') {
      if (current !== undefined) return 'inventory-refused';
      next = update.quantity;
    } else if (update.mode === 'set') next = update.quantity;
    else next = (current ?? 0) + update.quantity;
    if (!Number.isSafeInteger(next) || next < 0 || next > MAX_STOCK) return 'inventory-refused';
    this.#stock.set(update.productId, next);
    return 'inventory-applied';
  }

  #emit(partition: number, dedupeId: string, key: string, event: object): void {
    this.#emits.push({ key, partition, dedupeId, value: JSON.stringify(event) });
  }
}

function answered(saga: Saga, from: number, rejection: OrderRejection | undefined): Saga {
  const waiting = saga.waiting.filter((p) => p !== from);
  if (rejection === undefined) return { ...saga, waiting, reserved: [...saga.reserved, from] };
  return { ...saga, waiting, rejection: saga.rejection ?? rejection };
}

const quoted = (line: ReservedLine): string => (line.title === '' ? line.productId : `“${line.title}”`);

const money = (minor: number, currency: string): string => `${(minor / 100).toFixed(2)} ${currency}`;

export function confirmationMessage(order: OrderPlaced, now: number): OutboxMessage {
  const lines = order.lines.map(
    (l) =>
      `  ${l.quantity} x ${l.title || l.productId} (${l.productId}) @ ${money(l.unitPriceMinor, l.currency)}`,
  );
  return {
    kind: 'email',
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
