/**
 * Embedded order log on LevelDB (classic-level): the default backend. One key space:
 *   r!<partition:4>!<offset:15>  → { k, v, d? }   the records, dense offsets per partition
 *   d!<partition:4>!<dedupeId>   → offset
 *   k!<partition:4>!<claim>      → holder (the dedupe id that took the claim)
 * Appends are group-committed: concurrent appends share one LevelDB batch (one write, one fsync
 * when `sync` is on), which is how the log keeps up with thousands of orders per second while
 * every acknowledged append is durable. Only this process writes the database (LevelDB holds a
 * lock), so the next offsets live in memory and are recovered from the last key at open.
 */
import { EventEmitter } from 'node:events';
import { Level } from 'level';
import { OrderLogError } from '../errors.js';
import {
  type AppendRequest,
  type AppendResult,
  ClaimConflictError,
  checkAppendRequest,
  checkClaims,
  checkOffset,
  checkPartition,
  checkPartitionCount,
  type LogPosition,
  type LogRecord,
  MAX_LOG_VALUE_BYTES,
  type OrderLog,
  type PollOptions,
  partitionForKey,
  targetPartition,
} from './order-log.js';

interface StoredRecord {
  readonly k: string;
  readonly v: string;
  readonly d?: string;
}

type Stored = StoredRecord | number | string;

export interface LevelOrderLogOptions {
  /** Directory of the LevelDB database. */
  readonly location: string;
  readonly partitions: number;
  /** fsync every append batch (default true): an acknowledged order survives power loss. */
  readonly sync?: boolean;
}

interface PendingAppend {
  readonly request: AppendRequest;
  readonly partition: number;
  resolve(result: AppendResult): void;
  reject(err: unknown): void;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const recordKey = (p: number, o: number): string => `r!${pad(p, 4)}!${pad(o, 15)}`;
const recordPrefix = (p: number): string => `r!${pad(p, 4)}!`;
const dedupeKey = (p: number, id: string): string => `d!${pad(p, 4)}!${id}`;
const claimKey = (p: number, claim: string): string => `k!${pad(p, 4)}!${claim}`;

export class LevelOrderLog implements OrderLog {
  readonly kind = 'level';
  readonly partitions: number;
  readonly #db: Level<string, Stored>;
  readonly #sync: boolean;
  readonly #next: number[];
  readonly #events = new EventEmitter();
  #queue: PendingAppend[] = [];
  #flushing = false;
  /** partition + dedupeId → first append's promise, while that append is in flight. */
  readonly #inflight = new Map<string, Promise<AppendResult>>();
  #closed = false;

  private constructor(db: Level<string, Stored>, partitions: number, next: number[], sync: boolean) {
    this.#db = db;
    this.partitions = partitions;
    this.#next = next;
    this.#sync = sync;
    this.#events.setMaxListeners(0);
  }

  static async open(options: LevelOrderLogOptions): Promise<LevelOrderLog> {
    checkPartitionCount(options.partitions);
    const db = new Level<string, Stored>(options.location, { valueEncoding: 'json' });
    try {
      await db.open();
    } catch (err) {
      throw new OrderLogError('ORDER_LOG_UNAVAILABLE', `cannot open order log at ${options.location}`, {
        cause: err,
      });
    }
    const next: number[] = [];
    for (let p = 0; p < options.partitions; p++) {
      const prefix = recordPrefix(p);
      const last = await db.keys({ gte: prefix, lt: `${prefix}~`, reverse: true, limit: 1 }).all();
      const key = last[0];
      next.push(key === undefined ? 0 : Number(key.slice(prefix.length)) + 1);
    }
    return new LevelOrderLog(db, options.partitions, next, options.sync ?? true);
  }

  partitionFor(key: string): number {
    return partitionForKey(key, this.partitions);
  }

  append(request: AppendRequest): Promise<AppendResult> {
    try {
      checkAppendRequest(request);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#closed) return Promise.reject(new OrderLogError('ORDER_LOG_CLOSED', 'order log is closed'));
    if (Buffer.byteLength(request.value) > MAX_LOG_VALUE_BYTES) {
      return Promise.reject(
        new OrderLogError('LOG_RECORD_TOO_LARGE', `record exceeds ${MAX_LOG_VALUE_BYTES} bytes`),
      );
    }
    let partition: number;
    try {
      partition = targetPartition(request, this.partitions);
    } catch (err) {
      return Promise.reject(err);
    }
    const id = request.dedupeId === undefined ? undefined : `${partition}:${request.dedupeId}`;
    if (id !== undefined) {
      const first = this.#inflight.get(id);
      if (first !== undefined) return first.then((r) => ({ ...r, duplicate: true }));
    }
    const promise = new Promise<AppendResult>((resolve, reject) => {
      this.#queue.push({ request, partition, resolve, reject });
    });
    if (id !== undefined) {
      this.#inflight.set(id, promise);
      const forget = (): void => {
        this.#inflight.delete(id);
      };
      promise.then(forget, forget);
    }
    if (!this.#flushing) {
      this.#flushing = true;
      setImmediate(() => void this.#flush());
    }
    return promise;
  }

  /** Writes queued appends in batches until the queue is empty (group commit). */
  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        await this.#writeBatch(batch);
      }
    } finally {
      this.#flushing = false;
    }
  }

  async #writeBatch(batch: PendingAppend[]): Promise<void> {
    const lookups = new Set<string>();
    for (const a of batch) {
      if (a.request.dedupeId !== undefined) lookups.add(dedupeKey(a.partition, a.request.dedupeId));
      for (const c of a.request.claims ?? []) lookups.add(claimKey(a.partition, c));
    }
    const before = [...this.#next];
    const outcomes: (AppendResult | Error)[] = [];
    try {
      // What the database holds, updated as the batch takes ids and claims in queue order.
      const found = new Map<string, Stored | undefined>();
      if (lookups.size > 0) {
        const keys = [...lookups];
        const values = await this.#db.getMany(keys);
        keys.forEach((k, i) => {
          found.set(k, values[i]);
        });
      }
      const ops: { type: 'put'; key: string; value: Stored }[] = [];
      for (const a of batch) {
        const { partition, request } = a;
        const id = request.dedupeId;
        const existing = id === undefined ? undefined : found.get(dedupeKey(partition, id));
        if (typeof existing === 'number') {
          outcomes.push({ partition, offset: existing, duplicate: true });
          continue;
        }
        const conflict = (request.claims ?? []).find((c) => {
          const holder = found.get(claimKey(partition, c));
          return typeof holder === 'string' && holder !== id;
        });
        if (conflict !== undefined) {
          outcomes.push(new ClaimConflictError(conflict, found.get(claimKey(partition, conflict)) as string));
          continue;
        }
        const offset = this.#next[partition]!;
        this.#next[partition] = offset + 1;
        const stored: StoredRecord =
          id === undefined
            ? { k: request.key, v: request.value }
            : { k: request.key, v: request.value, d: id };
        ops.push({ type: 'put', key: recordKey(partition, offset), value: stored });
        if (id !== undefined) {
          ops.push({ type: 'put', key: dedupeKey(partition, id), value: offset });
          found.set(dedupeKey(partition, id), offset);
          for (const c of request.claims ?? []) {
            ops.push({ type: 'put', key: claimKey(partition, c), value: id });
            found.set(claimKey(partition, c), id);
          }
        }
        outcomes.push({ partition, offset, duplicate: false });
      }
      if (ops.length > 0) await this.#db.batch(ops, { sync: this.#sync });
    } catch (err) {
      for (let p = 0; p < before.length; p++) this.#next[p] = before[p]!;
      const error = new OrderLogError('ORDER_LOG_UNAVAILABLE', 'order log append failed', { cause: err });
      for (const a of batch) a.reject(error);
      return;
    }
    batch.forEach((a, i) => {
      const outcome = outcomes[i]!;
      if (outcome instanceof Error) a.reject(outcome);
      else a.resolve(outcome);
    });
    this.#events.emit('append');
  }

  async find(partition: number, dedupeId: string): Promise<LogPosition | undefined> {
    checkPartition(partition, this.partitions);
    const value = await this.#db.get(dedupeKey(partition, dedupeId));
    return typeof value === 'number' ? { partition, offset: value } : undefined;
  }

  async releaseClaims(partition: number, claims: readonly string[], holder: string): Promise<void> {
    checkPartition(partition, this.partitions);
    checkClaims(claims);
    if (claims.length === 0) return;
    // Through the append queue's order: a release never races an append's claim check.
    await this.#whenIdle();
    const keys = claims.map((c) => claimKey(partition, c));
    const values = await this.#db.getMany(keys);
    const ops = keys.flatMap((key, i) => (values[i] === holder ? [{ type: 'del' as const, key }] : []));
    if (ops.length > 0) await this.#db.batch(ops, { sync: this.#sync });
  }

  async #whenIdle(): Promise<void> {
    while (this.#flushing) await new Promise((r) => setImmediate(r));
  }

  async read(partition: number, offset: number, limit: number): Promise<LogRecord[]> {
    checkPartition(partition, this.partitions);
    checkOffset(offset);
    if (!Number.isInteger(limit) || limit < 1) throw new TypeError('limit must be a positive integer');
    const prefix = recordPrefix(partition);
    const entries = await this.#db
      .iterator({ gte: recordKey(partition, offset), lt: `${prefix}~`, limit })
      .all();
    return entries.map(([k, v]) => {
      const stored = v as StoredRecord;
      const base = { partition, offset: Number(k.slice(prefix.length)), key: stored.k, value: stored.v };
      return stored.d === undefined ? base : { ...base, dedupeId: stored.d };
    });
  }

  async endOffsets(): Promise<number[]> {
    return [...this.#next];
  }

  async poll(from: ReadonlyMap<number, number>, options: PollOptions): Promise<LogRecord[]> {
    for (const p of from.keys()) checkPartition(p, this.partitions);
    const first = await this.#readAll(from, options.maxRecords);
    if (first.length > 0 || this.#closed) return first;
    await this.#waitForAppend(options.blockMs);
    return this.#closed ? [] : this.#readAll(from, options.maxRecords);
  }

  async #readAll(from: ReadonlyMap<number, number>, max: number): Promise<LogRecord[]> {
    const out: LogRecord[] = [];
    // Share the budget fairly so one hot partition cannot starve the others.
    const busy = [...from].filter(([p, o]) => o < this.#next[p]!);
    if (busy.length === 0) return out;
    const share = Math.max(1, Math.floor(max / busy.length));
    for (const [p, o] of busy) {
      if (out.length >= max) break;
      out.push(...(await this.read(p, o, Math.min(share, max - out.length))));
    }
    return out;
  }

  /** Resolves on the next append or after `ms`, whichever comes first. */
  #waitForAppend(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#events.off('append', done);
        this.#events.off('close', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#events.once('append', done);
      this.#events.once('close', done);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#whenIdle();
    this.#events.emit('close');
    await this.#db.close();
  }
}
