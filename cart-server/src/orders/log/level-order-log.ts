/**
 * Embedded order log on LevelDB (classic-level): the default backend. One key space:
 *   r!<partition:4>!<offset:15>  → { k, v, d? }   the records, dense offsets per partition
 *   d!<dedupeId>                 → [partition, offset]
 *   c!<group>!<partition:4>      → committed next offset of a consumer group
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
  type ConsumerOptions,
  checkAppendRequest,
  checkOffset,
  checkPartition,
  checkPartitionCount,
  type LogConsumer,
  type LogPosition,
  type LogRecord,
  MAX_LOG_VALUE_BYTES,
  type OrderLog,
  type PollOptions,
  partitionForKey,
  resolveConsumerPartitions,
} from './order-log.js';

interface StoredRecord {
  readonly k: string;
  readonly v: string;
  readonly d?: string;
}

type Stored = StoredRecord | readonly [number, number] | number;

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
const dedupeKey = (id: string): string => `d!${id}`;
const committedKey = (group: string, p: number): string => `c!${group}!${pad(p, 4)}`;

export class LevelOrderLog implements OrderLog {
  readonly kind = 'level';
  readonly partitions: number;
  readonly #db: Level<string, Stored>;
  readonly #sync: boolean;
  readonly #next: number[];
  readonly #events = new EventEmitter();
  #queue: PendingAppend[] = [];
  #flushing = false;
  /** dedupeId → first append's promise, while that append is in flight. */
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
    checkAppendRequest(request);
    if (this.#closed) return Promise.reject(new OrderLogError('ORDER_LOG_CLOSED', 'order log is closed'));
    if (Buffer.byteLength(request.value) > MAX_LOG_VALUE_BYTES) {
      return Promise.reject(
        new OrderLogError('LOG_RECORD_TOO_LARGE', `record exceeds ${MAX_LOG_VALUE_BYTES} bytes`),
      );
    }
    const id = request.dedupeId;
    if (id !== undefined) {
      const first = this.#inflight.get(id);
      if (first !== undefined) return first.then((r) => ({ ...r, duplicate: true }));
    }
    const promise = new Promise<AppendResult>((resolve, reject) => {
      this.#queue.push({ request, partition: this.partitionFor(request.key), resolve, reject });
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
    const ids = batch.flatMap((a) =>
      a.request.dedupeId === undefined ? [] : [dedupeKey(a.request.dedupeId)],
    );
    const before = [...this.#next];
    const results: AppendResult[] = [];
    try {
      const found = new Map<string, Stored | undefined>();
      if (ids.length > 0) {
        const values = await this.#db.getMany(ids);
        ids.forEach((k, i) => {
          found.set(k, values[i]);
        });
      }
      const ops: { type: 'put'; key: string; value: Stored }[] = [];
      for (const a of batch) {
        const id = a.request.dedupeId;
        const existing = id === undefined ? undefined : found.get(dedupeKey(id));
        if (Array.isArray(existing)) {
          const [partition, offset] = existing as readonly [number, number];
          results.push({ partition, offset, duplicate: true });
          continue;
        }
        const offset = this.#next[a.partition]!;
        this.#next[a.partition] = offset + 1;
        const stored: StoredRecord =
          id === undefined
            ? { k: a.request.key, v: a.request.value }
            : { k: a.request.key, v: a.request.value, d: id };
        ops.push({ type: 'put', key: recordKey(a.partition, offset), value: stored });
        if (id !== undefined) ops.push({ type: 'put', key: dedupeKey(id), value: [a.partition, offset] });
        results.push({ partition: a.partition, offset, duplicate: false });
      }
      if (ops.length > 0) await this.#db.batch(ops, { sync: this.#sync });
    } catch (err) {
      for (let p = 0; p < before.length; p++) this.#next[p] = before[p]!;
      const error = new OrderLogError('ORDER_LOG_UNAVAILABLE', 'order log append failed', { cause: err });
      for (const a of batch) a.reject(error);
      return;
    }
    batch.forEach((a, i) => {
      a.resolve(results[i]!);
    });
    this.#events.emit('append');
  }

  async find(key: string, dedupeId: string): Promise<LogPosition | undefined> {
    void key; // LevelDB keeps one dedupe index for all partitions
    const value = await this.#db.get(dedupeKey(dedupeId));
    if (!Array.isArray(value)) return undefined;
    const [partition, offset] = value as readonly [number, number];
    return { partition, offset };
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

  async committedOffsets(group: string): Promise<number[]> {
    const keys = Array.from({ length: this.partitions }, (_, p) => committedKey(group, p));
    const values = await this.#db.getMany(keys);
    return values.map((v) => (typeof v === 'number' ? v : 0));
  }

  async commitOffsets(group: string, next: ReadonlyMap<number, number>): Promise<void> {
    const ops = [...next].map(([p, o]) => ({ type: 'put' as const, key: committedKey(group, p), value: o }));
    await this.#db.batch(ops);
  }

  /** Resolves on the next append or after `ms`, whichever comes first. */
  waitForAppend(ms: number): Promise<void> {
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

  async openConsumer(options: ConsumerOptions): Promise<LogConsumer> {
    return new LevelLogConsumer(this, options.group, resolveConsumerPartitions(options, this.partitions));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#flushing) await new Promise((r) => setImmediate(r));
    this.#events.emit('close');
    await this.#db.close();
  }
}

class LevelLogConsumer implements LogConsumer {
  readonly partitions: readonly number[];
  readonly #log: LevelOrderLog;
  readonly #group: string;
  #closed = false;

  constructor(log: LevelOrderLog, group: string, partitions: number[]) {
    this.#log = log;
    this.#group = group;
    this.partitions = partitions;
  }

  async poll(from: ReadonlyMap<number, number>, options: PollOptions): Promise<LogRecord[]> {
    const first = await this.#readAll(from, options.maxRecords);
    if (first.length > 0 || this.#closed) return first;
    await this.#log.waitForAppend(options.blockMs);
    return this.#closed ? [] : this.#readAll(from, options.maxRecords);
  }

  async #readAll(from: ReadonlyMap<number, number>, max: number): Promise<LogRecord[]> {
    const ends = await this.#log.endOffsets();
    const out: LogRecord[] = [];
    // Share the budget fairly so one hot partition cannot starve the others.
    const busy = this.partitions.filter((p) => (from.get(p) ?? 0) < ends[p]!);
    if (busy.length === 0) return out;
    const share = Math.max(1, Math.floor(max / busy.length));
    for (const p of busy) {
      if (out.length >= max) break;
      const records = await this.#log.read(p, from.get(p) ?? 0, Math.min(share, max - out.length));
      out.push(...records);
    }
    return out;
  }

  async commit(next: ReadonlyMap<number, number>): Promise<void> {
    await this.#log.commitOffsets(this.#group, next);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
