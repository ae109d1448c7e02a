/**
 * The order log: a durable, partitioned, append-only log in the role Kafka plays in the source
 * design. Records are routed to a partition by a key hash (inventory updates by product id,
 * orders by order id); offsets are dense per partition, starting at 0. A consumer reads from
 * offsets the *reader* chooses — the processor keeps its offsets in its own checkpoint, as Flink's
 * Kafka source does — and `commit` only tells the log what may be acknowledged (for lag metrics
 * and, with Redis Streams, the consumer group's pending list).
 *
 * Appends may carry a `dedupeId` (Kafka's idempotent producer, in spirit): a second append with
 * the same id appends nothing and returns the first record's position with `duplicate: true`.
 * Checkout uses the order id, so a retried request can never put an order in the log twice.
 */

export interface LogPosition {
  readonly partition: number;
  readonly offset: number;
}

export interface AppendRequest {
  /** Routing key: picks the partition. */
  readonly key: string;
  /** Opaque payload (the orders code stores JSON). Bounded by MAX_LOG_VALUE_BYTES. */
  readonly value: string;
  /** Optional idempotency id: at most one record per id per log. */
  readonly dedupeId?: string;
}

export interface AppendResult extends LogPosition {
  /** True when an earlier append with the same dedupeId already put the record in the log. */
  readonly duplicate: boolean;
}

export interface LogRecord extends LogPosition {
  readonly key: string;
  readonly value: string;
  readonly dedupeId?: string;
}

export interface PollOptions {
  /** Upper bound on records returned by one poll (over all partitions). */
  readonly maxRecords: number;
  /** How long to wait for new records when none are available. */
  readonly blockMs: number;
}

/** A reader of some partitions, positioned by the caller. */
export interface LogConsumer {
  readonly partitions: readonly number[];
  /**
   * Records at or after `from[p]` (the next offset the caller wants) for each assigned
   * partition, in offset order per partition; waits up to `blockMs` when there is nothing.
   * Calling it with offsets earlier than before replays (seek), as after a crash.
   */
  poll(from: ReadonlyMap<number, number>, options: PollOptions): Promise<LogRecord[]>;
  /** Everything below `next[p]` is durably processed (checkpointed) by this consumer's group. */
  commit(next: ReadonlyMap<number, number>): Promise<void>;
  close(): Promise<void>;
}

export interface ConsumerOptions {
  /** Consumer group (Redis Streams consumer group; a committed-offsets namespace in LevelDB). */
  readonly group: string;
  /** Stable consumer name within the group (the processor id). */
  readonly consumer: string;
  /** Partitions this consumer owns; all partitions when omitted. */
  readonly partitions?: readonly number[];
}

export interface OrderLog {
  /** Backend name for logs and metrics: 'level' | 'redis'. */
  readonly kind: string;
  readonly partitions: number;
  partitionFor(key: string): number;
  append(request: AppendRequest): Promise<AppendResult>;
  /** Position of the record appended with `dedupeId` (and routed by `key`), if any. */
  find(key: string, dedupeId: string): Promise<LogPosition | undefined>;
  /** Up to `limit` records of `partition` starting at `offset`. */
  read(partition: number, offset: number, limit: number): Promise<LogRecord[]>;
  /** Next offset (= record count) per partition. */
  endOffsets(): Promise<number[]>;
  /** Offsets last committed by `group` per partition (0 when never committed). */
  committedOffsets(group: string): Promise<number[]>;
  openConsumer(options: ConsumerOptions): Promise<LogConsumer>;
  close(): Promise<void>;
}

/** Bounds shared by every backend. */
export const MAX_LOG_VALUE_BYTES = 64 * 1024;
export const MAX_LOG_KEY_LENGTH = 256;
export const MAX_PARTITIONS = 1024;
export const DEDUPE_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,200}$/;

/**
 * FNV-1a 32-bit hash of the key modulo the partition count: stable across processes and
 * backends, like Kafka's default partitioner (which uses murmur2) maps a key to a partition.
 */
export function partitionForKey(key: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}

export function checkPartitionCount(partitions: number): void {
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
    throw new TypeError(`partitions must be an integer in 1..${MAX_PARTITIONS}, got ${partitions}`);
  }
}

export function checkAppendRequest(request: AppendRequest): void {
  if (
    typeof request.key !== 'string' ||
    request.key.length === 0 ||
    request.key.length > MAX_LOG_KEY_LENGTH
  ) {
    throw new TypeError(`append key must be a non-empty string of at most ${MAX_LOG_KEY_LENGTH} chars`);
  }
  if (typeof request.value !== 'string') throw new TypeError('append value must be a string');
  if (request.dedupeId !== undefined && !DEDUPE_ID_PATTERN.test(request.dedupeId)) {
    throw new TypeError('dedupeId must match ' + DEDUPE_ID_PATTERN.source);
  }
}

export function checkPartition(partition: number, partitions: number): void {
  if (!Number.isInteger(partition) || partition < 0 || partition >= partitions) {
    throw new TypeError(`partition must be an integer in 0..${partitions - 1}, got ${partition}`);
  }
}

export function checkOffset(offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new TypeError(`bad offset ${offset}`);
}

export function resolveConsumerPartitions(options: ConsumerOptions, partitions: number): number[] {
  const list = options.partitions ?? Array.from({ length: partitions }, (_, i) => i);
  for (const p of list) checkPartition(p, partitions);
  if (new Set(list).size !== list.length) throw new TypeError('duplicate partition in consumer options');
  if (list.length === 0) throw new TypeError('a consumer needs at least one partition');
  return [...list].sort((a, b) => a - b);
}
