/**
 * The replication core's `Storage` on one LevelDB database per node (classic-level via `level`).
 *
 * Key layout (binary, so that LevelDB's bytewise order is the order the interface promises):
 *   ns (UTF-8, no NUL) · 0x00 · partition (uint32 big-endian) · key (UTF-16 big-endian)
 * UTF-16BE makes LevelDB's byte order equal JavaScript's string order (`<` compares UTF-16 code
 * units), so `entries()` is "ascending key order" in the sense every caller in JS expects. All keys
 * of one (ns, partition) are contiguous, so a partition is one range scan, and `partitions(ns)`
 * skips from partition to partition with iterator seeks instead of reading every key.
 *
 * Durability (the fsync policy, see README): a write's promise resolves only after LevelDB has
 * written it to its log. With `fsync: 'always'` (default) that write is a synchronous one
 * (`sync: true` → fsync/fdatasync), so it survives power loss; `'never'` leaves it in the OS page
 * cache, which survives a process crash (SIGKILL) but not a machine crash. Writes issued while a
 * flush is in progress are grouped into the next single `batch` — group commit as in LevelDB's own
 * writer queue and PostgreSQL's commit_delay — so one fsync acknowledges many concurrent updates.
 */
import type { Storage, StorageBatchOp } from '@cartwheel/crdt';
import { Level } from 'level';

type Db = Level<Uint8Array, Uint8Array>;
/** `ck`: the read cache's key for the op (see LevelStorage.cache). */
type LevelOp =
  | { type: 'put'; key: Uint8Array; value: Uint8Array; ck: string }
  | { type: 'del'; key: Uint8Array; ck: string };

export interface LevelStorageOptions {
  /** Directory of the LevelDB database (created if missing). */
  readonly location: string;
  /** 'always' (default): fsync before a write resolves; 'never': OS-buffered writes. */
  readonly fsync?: 'always' | 'never';
  /** Bytes of recently written or read values kept in memory for get() (default 32 MiB; 0 = off). */
  readonly cacheBytes?: number;
}

export class StorageError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
    this.code = code;
  }
}

const MAX_PARTITION = 0xffff_ffff;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-16be');

function checkNs(ns: string): void {
  if (typeof ns !== 'string' || ns.length === 0 || ns.includes('\0')) {
    throw new TypeError(
      `storage namespace must be a non-empty string without NUL, got ${JSON.stringify(ns)}`,
    );
  }
}

function checkPartition(partition: number): void {
  if (!Number.isInteger(partition) || partition < 0 || partition > MAX_PARTITION) {
    throw new TypeError(`storage partition must be an integer in [0, 2^32), got ${partition}`);
  }
}

function checkKey(key: string): void {
  if (typeof key !== 'string') throw new TypeError('storage key must be a string');
}

function checkValue(value: Uint8Array): void {
  if (!(value instanceof Uint8Array)) throw new TypeError('storage value must be a Uint8Array');
}

/** ns · 0x00 · partition(4 bytes BE); `partition` may be MAX_PARTITION + 1 for an end bound. */
function prefix(ns: string, partition: number): Uint8Array {
  const nsBytes = encoder.encode(ns);
  const out = new Uint8Array(nsBytes.length + 5);
  out.set(nsBytes, 0);
  if (partition > MAX_PARTITION) {
    out[nsBytes.length] = 1; // ns·0x01 sorts after every ns·0x00·… key
    return out.subarray(0, nsBytes.length + 1);
  }
  new DataView(out.buffer).setUint32(nsBytes.length + 1, partition, false);
  return out;
}

function encodeKey(ns: string, partition: number, key: string): Uint8Array {
  const head = prefix(ns, partition);
  const out = new Uint8Array(head.length + key.length * 2);
  out.set(head, 0);
  for (let i = 0; i < key.length; i++) {
    const unit = key.charCodeAt(i);
    out[head.length + 2 * i] = unit >> 8;
    out[head.length + 2 * i + 1] = unit & 0xff;
  }
  return out;
}

function cacheKey(ns: string, partition: number, key: string): string {
  return `${ns}\0${partition}\0${key}`;
}

/** A cached "LevelDB holds no value here". */
const ABSENT = null;

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

export class LevelStorage implements Storage {
  readonly location: string;
  readonly fsync: 'always' | 'never';
  private readonly db: Db;
  private pending: LevelOp[] = [];
  private waiters: Waiter[] = [];
  private flushing = false;
  private closed = false;
  /** Number of LevelDB batches written (for metrics/tests: < writes when group commit works). */
  flushes = 0;
  /** get() answers served from memory (for tests and metrics). */
  cacheHits = 0;
  /**
   * A read cache (LRU by bytes) of values as they are *in LevelDB*: filled only after a batch has
   * been written (so it never shows a write before it is durable, exactly like LevelDB itself) or by
   * a read during which no batch completed (so a slow read can never overwrite a newer value).
   * A cart update reads its key then writes it; on the hot path the read becomes a map lookup
   * instead of a round trip through the libuv thread pool, which the fsync also occupies.
   * `ABSENT` records a key LevelDB does not hold (under the same rule), so the first writes of a
   * new cart do not each go to LevelDB to learn that.
   */
  private readonly cache = new Map<string, Uint8Array | typeof ABSENT>();
  private cachedBytes = 0;
  private readonly maxCacheBytes: number;
  /** Incremented after every written batch. */
  private writeEpoch = 0;

  private constructor(options: LevelStorageOptions) {
    this.location = options.location;
    this.fsync = options.fsync ?? 'always';
    this.maxCacheBytes = options.cacheBytes ?? 32 * 1024 * 1024;
    this.db = new Level<Uint8Array, Uint8Array>(options.location, {
      keyEncoding: 'view',
      valueEncoding: 'view',
    });
  }

  /** Opens (creating if needed) the database at `location`. */
  static async open(options: LevelStorageOptions): Promise<LevelStorage> {
    const storage = new LevelStorage(options);
    try {
      await storage.db.open({ createIfMissing: true });
    } catch (err) {
      // LevelDB allows one process per directory (its LOCK file); say so rather than "cannot open".
      if (hasCode(err, 'LEVEL_LOCKED')) {
        throw new StorageError(
          'STORAGE_LOCKED',
          `LevelDB at ${options.location} is locked: another process holds it (is another cart-server running on this data directory?)`,
          { cause: err },
        );
      }
      throw new StorageError('STORAGE_UNAVAILABLE', `cannot open LevelDB at ${options.location}`, {
        cause: err,
      });
    }
    return storage;
  }

  /** Whether the database is open (readiness: false once closed or after a failed open). */
  get isOpen(): boolean {
    return !this.closed && this.db.status === 'open';
  }

  async get(ns: string, partition: number, key: string): Promise<Uint8Array | undefined> {
    checkNs(ns);
    checkPartition(partition);
    checkKey(key);
    this.assertOpen();
    const ck = cacheKey(ns, partition, key);
    const hit = this.cache.get(ck);
    if (hit !== undefined) {
      this.cacheHits++;
      this.cache.delete(ck); // LRU: most recently used last
      this.cache.set(ck, hit);
      return hit === ABSENT ? undefined : hit.slice(); // callers own what they get, as with LevelDB
    }
    const epoch = this.writeEpoch;
    const value = await this.db.get(encodeKey(ns, partition, key));
    if (epoch === this.writeEpoch) this.cacheSet(ck, value === undefined ? ABSENT : value.slice());
    return value;
  }

  put(ns: string, partition: number, key: string, value: Uint8Array): Promise<void> {
    checkNs(ns);
    checkPartition(partition);
    checkKey(key);
    checkValue(value);
    // Copy: the caller may reuse its buffer after we return, before the batch is written.
    return this.enqueue([
      {
        type: 'put',
        key: encodeKey(ns, partition, key),
        value: value.slice(),
        ck: cacheKey(ns, partition, key),
      },
    ]);
  }

  delete(ns: string, partition: number, key: string): Promise<void> {
    checkNs(ns);
    checkPartition(partition);
    checkKey(key);
    return this.enqueue([
      { type: 'del', key: encodeKey(ns, partition, key), ck: cacheKey(ns, partition, key) },
    ]);
  }

  /** Atomic: all operations land in one LevelDB batch (group commit never splits a call). */
  batch(ops: readonly StorageBatchOp[]): Promise<void> {
    const mapped: LevelOp[] = ops.map((op) => {
      checkNs(op.ns);
      checkPartition(op.partition);
      checkKey(op.key);
      if (op.type === 'put') {
        checkValue(op.value);
        return {
          type: 'put',
          key: encodeKey(op.ns, op.partition, op.key),
          value: op.value.slice(),
          ck: cacheKey(op.ns, op.partition, op.key),
        };
      }
      if (op.type === 'delete') {
        return {
          type: 'del',
          key: encodeKey(op.ns, op.partition, op.key),
          ck: cacheKey(op.ns, op.partition, op.key),
        };
      }
      throw new TypeError(`unknown storage batch op ${(op as { type: unknown }).type}`);
    });
    if (mapped.length === 0) return Promise.resolve();
    return this.enqueue(mapped);
  }

  async *entries(ns: string, partition: number): AsyncIterable<readonly [string, Uint8Array]> {
    checkNs(ns);
    checkPartition(partition);
    this.assertOpen();
    const gte = prefix(ns, partition);
    const lt = prefix(ns, partition + 1);
    for await (const [k, v] of this.db.iterator({ gte, lt })) {
      yield [decoder.decode(k.subarray(gte.length)), v] as const;
    }
  }

  async partitions(ns: string): Promise<number[]> {
    checkNs(ns);
    this.assertOpen();
    const start = prefix(ns, 0);
    const end = prefix(ns, MAX_PARTITION + 1);
    const found: number[] = [];
    const it = this.db.keys({ gte: start, lt: end });
    try {
      for (;;) {
        const key = await it.next();
        if (key === undefined) break;
        const p = new DataView(key.buffer, key.byteOffset, key.byteLength).getUint32(start.length - 4, false);
        found.push(p);
        if (p === MAX_PARTITION) break;
        it.seek(prefix(ns, p + 1));
      }
    } finally {
      await it.close();
    }
    return found;
  }

  /** Waits for pending writes, then closes the database. Later calls throw STORAGE_CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    while (this.flushing || this.pending.length > 0) await this.flushOnce();
    this.closed = true;
    await this.db.close();
  }

  private cacheSet(ck: string, value: Uint8Array | typeof ABSENT): void {
    this.cacheDelete(ck);
    const size = value === ABSENT ? 0 : value.byteLength;
    if (size > this.maxCacheBytes / 16) return; // big values would evict everything
    this.cache.set(ck, value);
    this.cachedBytes += size + ck.length * 2;
    while (this.cachedBytes > this.maxCacheBytes) {
      const oldest = this.cache.keys().next();
      if (oldest.done === true) break;
      this.cacheDelete(oldest.value);
    }
  }

  private cacheDelete(ck: string): void {
    const old = this.cache.get(ck);
    if (old === undefined) return;
    this.cache.delete(ck);
    this.cachedBytes -= (old === ABSENT ? 0 : old.byteLength) + ck.length * 2;
  }

  private assertOpen(): void {
    if (this.closed) throw new StorageError('STORAGE_CLOSED', 'storage is closed');
  }

  private enqueue(ops: LevelOp[]): Promise<void> {
    if (this.closed) return Promise.reject(new StorageError('STORAGE_CLOSED', 'storage is closed'));
    for (const op of ops) this.pending.push(op);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.flushing) void this.flushOnce();
    return done;
  }

  /** Writes everything queued so far as one batch; re-arms itself while writes keep arriving. */
  private flushing$: Promise<void> = Promise.resolve();
  private flushOnce(): Promise<void> {
    if (this.flushing) return this.flushing$;
    this.flushing = true;
    this.flushing$ = (async () => {
      while (this.pending.length > 0) {
        const ops = this.pending;
        const waiters = this.waiters;
        this.pending = [];
        this.waiters = [];
        try {
          await this.db.batch(
            ops.map((op) =>
              op.type === 'put'
                ? { type: 'put', key: op.key, value: op.value }
                : { type: 'del', key: op.key },
            ),
            { sync: this.fsync === 'always' },
          );
          this.flushes++;
          this.writeEpoch++;
          for (const op of ops) {
            if (op.type === 'put') this.cacheSet(op.ck, op.value);
            else this.cacheDelete(op.ck);
          }
          for (const w of waiters) w.resolve();
        } catch (err) {
          const error = new StorageError('STORAGE_UNAVAILABLE', 'LevelDB write failed', { cause: err });
          for (const w of waiters) w.reject(error);
        }
      }
      this.flushing = false;
    })();
    return this.flushing$;
  }
}

/** Whether `err` or one of its causes carries `code` (abstract-level wraps the LevelDB error). */
function hasCode(err: unknown, code: string): boolean {
  for (let e = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if ((e as { code?: unknown }).code === code) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
