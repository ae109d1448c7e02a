/**
 * Order status from any node: the order's home partition is in its id, its outcome in that
 * partition's state (shared through Redis in a cluster), and an order that is in the log but not
 * decided yet is `pending`.
 */
import { decodeLogEvent, homePartitionOf, type OrderPlaced, type OrderView } from '../events.js';
import type { LogPosition, OrderLog } from '../log/order-log.js';
import type { PartitionStore } from '../state/partition-store.js';

export class OrderQuery {
  readonly #log: OrderLog;
  readonly #store: PartitionStore;

  constructor(log: OrderLog, store: PartitionStore) {
    this.#log = log;
    this.#store = store;
  }

  async get(orderId: string): Promise<OrderView | undefined> {
    const home = homePartitionOf(orderId, this.#log.partitions);
    if (home === undefined) return undefined;
    const decided = await this.#store.order(home, orderId);
    if (decided !== undefined) return decided;
    const position = await this.#log.find(home, orderId);
    if (position === undefined) return undefined;
    const placed = await this.#read(position);
    if (placed === undefined) return undefined;
    return {
      orderId,
      userId: placed.userId,
      cartId: placed.cartId,
      status: 'pending',
      lines: placed.lines,
      totalMinor: placed.totalMinor,
      currency: placed.currency,
      createdAt: placed.createdAt,
      partition: position.partition,
      offset: position.offset,
    };
  }

  /** The order event as appended. */
  async placed(orderId: string): Promise<OrderPlaced | undefined> {
    const home = homePartitionOf(orderId, this.#log.partitions);
    if (home === undefined) return undefined;
    const position = await this.#log.find(home, orderId);
    return position === undefined ? undefined : this.#read(position);
  }

  async #read(position: LogPosition): Promise<OrderPlaced | undefined> {
    const [record] = await this.#log.read(position.partition, position.offset, 1);
    const event = record === undefined ? undefined : decodeLogEvent(record.value);
    return event?.type === 'order.placed' ? event : undefined;
  }
}
