/**
 * The order log: a durable, partitioned, append-only log in the role Kafka plays in the source
 * design. Records are routed to a partition by a key hash (inventory updates by product id)
 * or name it (orders go to their user's partition); offsets are dense per partition, starting at 0. A consumer reads from
 * offsets the *reader* chooses — the processor keeps its offsets in its own checkpoint, as Flink's
 * Kafka source does — so the log has no consumer groups. A record may also name its partition
 * (the processors' messages to the partition that owns a product).
 *
 * Appends may carry a `dedupeId` (Kafka's idempotent producer, in spirit): a second append with
 * the same id appends nothing and returns the first record's position with `duplicate: true`.
 * Checkout uses the order id, so a retried request can never put an order in the log twice, and
 * every message a processor emits carries a deterministic id, so re-emission after a crash is a
 * no-op (exactly-once effect without distributed transactions).
 */
import { OrderLogError } from '../errors.js';

export interface LogPosition {
  readonly partition: number;
  readonly offset: number;
}

export interface AppendRequest {
  /** Routing key: picks the partition by hash unless `partition` is given. */
  readonly key: string;
  /** Explicit target partition (a processor's messages to the partition owning a product). */
  readonly partition?: number;
  /** Opaque payload (the orders code stores JSON). Bounded by MAX_LOG_VALUE_BYTES. */
  readonly value: string;
  /** Optional idempotency id: at most one record per id per partition. */
  readonly dedupeId?: string;
  /**
   * Claims the record takes, atomically with the append (needs `dedupeId`, the holder): if any is
   * held by another dedupe id the append is refused with ClaimConflictError and nothing is
   * written. Checkout claims the cart dots it buys, so two orders cannot buy the same add.
   * Claims live in the record's partition; at most MAX_CLAIMS per append.
   */
  readonly claims?: readonly string[];
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

export interface OrderLog {
  /** Backend name for logs and metrics: 'level' | 'redis'. */
  readonly kind: string;
  readonly partitions: number;
  partitionFor(key: string): number;
  append(request: AppendRequest): Promise<AppendResult>;
  /** Position of the record appended to `partition` with `dedupeId`, if any. */
  find(partition: number, dedupeId: string): Promise<LogPosition | undefined>;
  /** Drops the claims of `partition` that `holder` holds (a rejected order frees its lines). */
  releaseClaims(partition: number, claims: readonly string[], holder: string): Promise<void>;
  /** Up to `limit` records of `partition` starting at `offset`. */
  read(partition: number, offset: number, limit: number): Promise<LogRecord[]>;
  /** Next offset (= record count) per partition. */
  endOffsets(): Promise<number[]>;
  /**
   * Records at or after `from.get(p)` for each partition in `from`, in offset order per
   * partition; waits up to `blockMs` when there is none. The reader owns its offsets (they live
   * in its checkpoint, as Flink's Kafka source keeps them): asking for earlier offsets replays.
   * One poll at a time per log instance.
   */
  poll(from: ReadonlyMap<number, number>, options: PollOptions): Promise<LogRecord[]>;
  close(): Promise<void>;
}

/** An append refused because one of its claims is held by another record. */
export class ClaimConflictError extends OrderLogError {
  readonly claim: string;
  /** The dedupe id (order id) holding the claim. */
  readonly holder: string;
  constructor(claim: string, holder: string) {
    super('CLAIM_CONFLICT', `claim ${claim.slice(0, 80)} is held by ${holder}`);
    this.name = 'ClaimConflictError';
    this.claim = claim;
    this.holder = holder;
  }
}

/** Bounds shared by every backend. */
export const MAX_LOG_VALUE_BYTES = 64 * 1024;
export const MAX_LOG_KEY_LENGTH = 256;
export const MAX_PARTITIONS = 1024;
export const MAX_CLAIMS = 2_000;
export const MAX_CLAIM_LENGTH = 600;
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
  if (request.claims !== undefined) {
    if (request.dedupeId === undefined) throw new TypeError('claims need a dedupeId (their holder)');
    checkClaims(request.claims);
  }
}

export function checkClaims(claims: readonly string[]): void {
  if (!Array.isArray(claims) || claims.length > MAX_CLAIMS) {
    throw new TypeError(`claims must be an array of at most ${MAX_CLAIMS} strings`);
  }
  for (const c of claims) {
    if (typeof c !== 'string' || c.length === 0 || c.length > MAX_CLAIM_LENGTH) {
      throw new TypeError(`a claim must be a non-empty string of at most ${MAX_CLAIM_LENGTH} chars`);
    }
  }
}

/** The partition an append goes to: explicit, or by key hash. */
export function targetPartition(request: AppendRequest, partitions: number): number {
  if (request.partition === undefined) return partitionForKey(request.key, partitions);
  checkPartition(request.partition, partitions);
  return request.partition;
}

export function checkPartition(partition: number, partitions: number): void {
  if (!Number.isInteger(partition) || partition < 0 || partition >= partitions) {
    throw new TypeError(`partition must be an integer in 0..${partitions - 1}, got ${partition}`);
  }
}

export function checkOffset(offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new TypeError(`bad offset ${offset}`);
}
