/**
 * Where a partition's processor state lives between checkpoints: stock levels, open sagas, order
 * outcomes, the outbox and the partition's next offset. `commit` writes one PartitionCommit
 * atomically, so the effects of a run of records and the offset after them are durable together
 * or not at all — the guarantee Flink gets by snapshotting keyed state with the source offsets.
 *
 * Two backends: LevelDB for one embedded node (one process owns every partition), Redis for a
 * cluster (any node can resume any partition from its last checkpoint; each commit is fenced by
 * the partition's lease, so a processor that lost its lease can no longer write).
 */
import type { OrderView, OutboxMessage } from '../events.js';
import type { PartitionCommit, PartitionState } from '../processor/partition-task.js';

/** The lease a commit is made under: the holder's name and its fencing token. */
export interface Fence {
  readonly owner: string;
  readonly token: number;
}

export interface PartitionStore {
  readonly kind: string;
  load(partition: number): Promise<PartitionState>;
  /** Atomic; throws OrderLogError FENCED when `fence` no longer holds the partition's lease. */
  commit(partition: number, fence: Fence, commit: PartitionCommit): Promise<void>;
  order(partition: number, orderId: string): Promise<OrderView | undefined>;
  stock(partition: number, productId: string): Promise<number | undefined>;
  /** Checkpointed next offset per partition (lag = log end − this). */
  offsets(): Promise<number[]>;
  outbox(partition: number, limit: number): Promise<OutboxMessage[]>;
  outboxSize(partition: number): Promise<number>;
  /** Removes delivered messages. */
  ackOutbox(partition: number, keys: readonly string[]): Promise<void>;
  close(): Promise<void>;
}
