/**
 * Per-partition replica storage of one node: the vnodes. Every vnode's keys live in the `data`
 * namespace of the node's Storage under the vnode's partition index. All changes to one
 * (partition, key) are serialised (read, join, write) so concurrent deltas never overwrite each
 * other; a change is reported only after the storage promise resolved (durable).
 *
 * Also maintains the anti-entropy hash trees (one per vnode and preference list, as Riak keeps
 * one per index_n) and fires `onChange` for every local replica change.
 *
 * The handoff half follows riak_core_vnode's contract: handoffStarting, encodeHandoffItem,
 * handleHandoffData, isEmpty.
 */
import { ReplicationError } from '../../errors.js';
import type { ReplicatedType, Storage } from '../interfaces.js';
import { SegmentTree } from '../repair/merkle-tree.js';
import { bytesEqual, digestBytes } from '../ring/hash.js';
import type { Item, Message, PutMessage } from '../wire/messages.js';
import { PartitionedMap } from './partitioned-map.js';

export const DATA_NS = 'data';
const CACHE_LIMIT = 20_000;
/** Pending tree updates folded in at once when this many keys are dirty. */
const DIRTY_LIMIT = 4_096;

interface Cached<S> {
  readonly state: S;
  readonly bytes: Uint8Array;
}

/** A node-style callback: `(error)` or `(undefined, value)`. */
export type Done<T> = (error: unknown, value?: T) => void;

export interface MergeResult<S> {
  readonly state: S;
  readonly bytes: Uint8Array;
  readonly changed: boolean;
}

export class VnodeStore<S, Op> {
  private readonly cache = new PartitionedMap<Cached<S>>();
  /** Locked (partition, key) pairs and the tasks waiting for each, in arrival order. */
  private readonly locks = new PartitionedMap<(() => void)[]>();
  /** trees.get(vnode).get(preflist partition) */
  private readonly trees = new Map<number, Map<number, SegmentTree>>();
  /**
   * Writes not yet folded into the trees (undefined bytes: deleted). The trees are only read by
   * anti-entropy, handoff and status, so a write just marks its key; the digest and tree update
   * happen once per key when a reader needs the trees, not once per write.
   */
  private readonly dirty = new PartitionedMap<Uint8Array | undefined>();

  constructor(
    private readonly type: ReplicatedType<S, Op>,
    private readonly storage: Storage,
    private readonly partitionOf: (key: string) => number,
    private readonly onChange: (key: string, state: S, delta: S) => void,
  ) {}

  /** Rebuilds the hash trees from storage (on start: the trees are a cache of the data). */
  async init(): Promise<void> {
    for (const q of await this.storage.partitions(DATA_NS)) {
      for await (const [key, bytes] of this.storage.entries(DATA_NS, q)) {
        this.treeOf(q, this.partitionOf(key)).update(key, digestBytes(bytes));
      }
    }
  }

  private markDirty(q: number, key: string, bytes: Uint8Array | undefined): void {
    this.dirty.set(q, key, bytes);
    if (this.dirty.size >= DIRTY_LIMIT) this.flush();
  }

  /** Folds pending writes into the hash trees. */
  private flush(): void {
    if (this.dirty.size === 0) return;
    for (const [q, key, bytes] of this.dirty.entries())
      this.treeOf(q, this.partitionOf(key)).update(key, bytes === undefined ? undefined : digestBytes(bytes));
    this.dirty.clear();
  }

  /** The hash tree of vnode q over the keys of preference list p (up to date). */
  tree(q: number, p: number): SegmentTree {
    this.flush();
    return this.treeOf(q, p);
  }

  private treeOf(q: number, p: number): SegmentTree {
    let byP = this.trees.get(q);
    if (byP === undefined) {
      byP = new Map();
      this.trees.set(q, byP);
    }
    let t = byP.get(p);
    if (t === undefined) {
      t = new SegmentTree();
      byP.set(p, t);
    }
    return t;
  }

  /** Vnodes holding at least one key. */
  partitionsWithData(): number[] {
    this.flush();
    const out: number[] = [];
    for (const [q, byP] of this.trees) {
      for (const t of byP.values()) {
        if (t.size > 0) {
          out.push(q);
          break;
        }
      }
    }
    return out.sort((a, b) => a - b);
  }

  keyCount(q: number): number {
    this.flush();
    let n = 0;
    for (const t of this.trees.get(q)?.values() ?? []) n += t.size;
    return n;
  }

  /** riak_core_vnode is_empty/1. */
  isEmpty(q: number): boolean {
    return this.keyCount(q) === 0;
  }

  /** Keys of a vnode, in no particular order (from the in-memory index). */
  keys(q: number): string[] {
    this.flush();
    const out: string[] = [];
    for (const t of this.trees.get(q)?.values() ?? []) for (const k of t.keys()) out.push(k);
    return out;
  }

  /**
   * Runs `task` with (q, key) locked against concurrent changes; it calls `release` when done.
   * Uncontended, the task runs at once (no promise); waiting tasks run in arrival order.
   */
  withLock(q: number, key: string, task: (release: () => void) => void): void {
    const waiting = this.locks.get(q, key);
    const release = (): void => {
      const queue = this.locks.get(q, key)!;
      const next = queue.shift();
      if (next === undefined) this.locks.delete(q, key);
      else queueMicrotask(next); // a fresh stack: a long queue of synchronous tasks cannot overflow it
    };
    if (waiting !== undefined) waiting.push(() => task(release));
    else {
      this.locks.set(q, key, []);
      task(release);
    }
  }

  /** Runs `fn` with (q, key) locked against concurrent changes. */
  locked<T>(q: number, key: string, fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) =>
      this.withLock(q, key, (release) => {
        fn().then(
          (v) => {
            release();
            resolve(v);
          },
          (e: unknown) => {
            release();
            reject(e);
          },
        );
      }),
    );
  }

  /** Caches a state; written keys move to the end of the eviction order (reads do not). */
  private remember(q: number, key: string, c: Cached<S>): void {
    this.cache.set(q, key, c, true);
    if (this.cache.size > CACHE_LIMIT) this.cache.evictOne();
  }

  /** The cached state of `key` in vnode `q`, if cached (no storage read). */
  cached(q: number, key: string): Cached<S> | undefined {
    return this.cache.get(q, key);
  }

  /** The stored state of `key` in vnode `q` (unlocked read). */
  async get(q: number, key: string, fill = false): Promise<Cached<S> | undefined> {
    const hit = this.cached(q, key);
    if (hit !== undefined) return hit;
    return this.load(q, key, fill);
  }

  /** As get, calling back synchronously on a cache hit. */
  read(q: number, key: string, fill: boolean, done: Done<Cached<S> | undefined>): void {
    const hit = this.cached(q, key);
    if (hit !== undefined) done(undefined, hit);
    else this.load(q, key, fill).then((c) => done(undefined, c), done);
  }

  private async load(q: number, key: string, fill: boolean): Promise<Cached<S> | undefined> {
    let bytes: Uint8Array | undefined;
    try {
      bytes = await this.storage.get(DATA_NS, q, key);
    } catch (cause) {
      throw new ReplicationError('REPLICATION_STORAGE_ERROR', `storage get failed for ${key}`, { cause });
    }
    if (bytes === undefined) return undefined;
    const c = { state: this.type.decode(bytes), bytes };
    // Only lock holders fill the cache: an unlocked read racing a delete must not cache a ghost.
    if (fill) this.remember(q, key, c);
    return c;
  }

  /** Joins `delta` into the stored state; durable when the promise resolves. Caller holds no lock. */
  merge(q: number, key: string, delta: S): Promise<MergeResult<S>> {
    return new Promise((resolve, reject) =>
      this.mergeWith(q, key, delta, (err, res) => (res === undefined ? reject(err) : resolve(res))),
    );
  }

  /**
   * As merge, with a callback: called once the join is durable (synchronously when the state is
   * cached and storage completes at once), or with the error. The hot path of every write.
   */
  mergeWith(q: number, key: string, delta: S, done: Done<MergeResult<S>>): void {
    this.withLock(q, key, (release) =>
      this.mergeHeld(q, key, delta, (err, res) => {
        release();
        done(err, res);
      }),
    );
  }

  /** As merge, for a caller already holding the (q, key) lock. */
  mergeLocked(q: number, key: string, delta: S): Promise<MergeResult<S>> {
    return new Promise((resolve, reject) =>
      this.mergeHeld(q, key, delta, (err, res) => (res === undefined ? reject(err) : resolve(res))),
    );
  }

  /** As mergeWith, for a caller already holding the (q, key) lock. */
  mergeHeld(q: number, key: string, delta: S, done: Done<MergeResult<S>>): void {
    this.read(q, key, true, (err, old) => {
      if (err !== undefined) done(err);
      else this.joinAndStore(q, key, old, delta, done);
    });
  }

  private joinAndStore(
    q: number,
    key: string,
    old: Cached<S> | undefined,
    delta: S,
    done: Done<MergeResult<S>>,
  ): void {
    let next: S;
    let bytes: Uint8Array | undefined;
    try {
      // joined even into nothing: a delta becomes a full state, and its causal past is checked
      next = this.type.join(old === undefined ? this.type.empty() : old.state, delta);
      if (old === undefined || !this.type.equals(next, old.state)) bytes = this.type.encode(next);
    } catch (e) {
      done(e);
      return;
    }
    if (bytes === undefined) {
      done(undefined, { state: old!.state, bytes: old!.bytes, changed: false });
      return;
    }
    const encoded = bytes;
    const stored = (): void => {
      this.remember(q, key, { state: next, bytes: encoded });
      this.markDirty(q, key, encoded);
      try {
        this.onChange(key, next, delta);
      } catch {
        // a listener's failure does not undo a durable write
      }
      done(undefined, { state: next, bytes: encoded, changed: true });
    };
    const failed = (cause: unknown): void =>
      done(new ReplicationError('REPLICATION_STORAGE_ERROR', `storage put failed for ${key}`, { cause }));
    let pending: Promise<void> | void;
    try {
      pending = this.storage.put(DATA_NS, q, key, bytes);
    } catch (cause) {
      failed(cause);
      return;
    }
    if (pending === undefined) stored();
    else pending.then(stored, failed);
  }

  /** A replica's answer to a coordinator's `get`: its stored bytes (or none). */
  serveGet(m: Extract<Message, { t: 'get' }>, reply: (r: Message) => void): void {
    this.read(m.partition, m.key, false, (err, cur) => {
      if (err === undefined) reply({ t: 'get-reply', id: m.id, partition: m.partition, state: cur?.bytes });
    });
  }

  /**
   * A replica's answer to a `put`: join it, store durably, then acknowledge — with its state when
   * asked, or only when that differs from the coordinator's (`unless`); refuse what it cannot join.
   */
  servePut(m: PutMessage, reply: (r: Message) => void): void {
    const answer = (ok: boolean, state: Uint8Array | undefined): void => {
      if (m.id !== 0) reply({ t: 'put-reply', id: m.id, partition: m.partition, ok, state });
    };
    let delta: S;
    try {
      delta = this.type.decode(m.state);
    } catch {
      answer(false, undefined);
      return;
    }
    this.mergeWith(m.partition, m.key, delta, (_err, res) => {
      if (res === undefined) return answer(false, undefined);
      let state: Uint8Array | undefined;
      if (m.returnState && m.id !== 0) {
        const d = m.unless === undefined ? undefined : digestBytes(res.bytes);
        if (d === undefined || d.hi !== m.unless!.hi || d.lo !== m.unless!.lo) state = res.bytes;
      }
      answer(true, state);
    });
  }

  /**
   * Deletes `key` from vnode `q` if its stored bytes still equal `bytes` (it was handed off) and
   * `mayDrop()` still holds when the delete is decided (under the key's lock): the ring can move
   * while a handoff waits for its acknowledgement, and a copy in a vnode this node has meanwhile
   * come to own (or is receiving) may be the only one left.
   */
  deleteIfUnchanged(q: number, key: string, bytes: Uint8Array, mayDrop: () => boolean): Promise<boolean> {
    return this.locked(q, key, async () => {
      const cur = await this.get(q, key, true);
      if (cur === undefined) return true;
      if (!bytesEqual(cur.bytes, bytes) || !mayDrop()) return false;
      await this.storage.delete(DATA_NS, q, key);
      this.cache.delete(q, key);
      this.markDirty(q, key, undefined);
      return true;
    });
  }

  /** riak_core_vnode handoff_starting/2: may this vnode start handing off now? */
  handoffStarting(q: number): boolean {
    return !this.isEmpty(q);
  }

  /** riak_core_vnode encode_handoff_item/2. */
  encodeHandoffItem(key: string, bytes: Uint8Array): Item {
    return { key, state: bytes };
  }

  /** riak_core_vnode handle_handoff_data/2: merge a received item (idempotent). */
  async handleHandoffData(q: number, item: Item): Promise<boolean> {
    const delta = this.type.decode(item.state);
    return (await this.merge(q, item.key, delta)).changed;
  }
}
