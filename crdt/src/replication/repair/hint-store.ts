/**
 * Hints without a fallback: the (vnode, key) pairs whose replica did not acknowledge a write this
 * node coordinated. Riak's hinted handoff keeps a missed write only when a fallback vnode took it
 * (handoff.ts); with as many nodes as replicas there is no fallback, and a put in flight when its
 * replica died is never resent, so the replica waited for anti-entropy. Here the coordinator
 * remembers the pair instead (after riak_kv's "hinted handoff" and Cassandra's hint store) and,
 * once the vnode's owner is up, sends it this node's whole local state of the key through the
 * handoff path (a full state: no causal past to miss), deleting the hint after the owner
 * acknowledged storing it durably.
 *
 * A hint names no data: delivery reads the freshest local state (or, on a node holding no replica
 * of the key, a quorum read). Hints are persisted in the `hints` namespace (partition = vnode,
 * key = key, empty value) so they survive a restart of this node, and bounded by `maxHints`. A
 * hint is only a shortcut — an acknowledged write already sits on W replicas — so past the bound
 * it is dropped and the owner is compared with by anti-entropy (catch-up) instead.
 */
import type { NodeId, ReplicatedType, Storage, StorageBatchOp } from '../interfaces.js';
import type { VnodeStore } from '../node/vnode.js';
import { type PreflistEntry, replicaPartitions } from '../ring/preference-list.js';
import type { Ring } from '../ring/ring.js';
import type { Item } from '../wire/messages.js';
import { HANDOFF_BATCH } from './handoff.js';

export const HINTS_NS = 'hints';
const EMPTY = new Uint8Array(0);

export interface HintStoreDeps<S, Op> {
  readonly self: NodeId;
  readonly n: number;
  readonly maxHints: number;
  readonly type: ReplicatedType<S, Op>;
  readonly storage: Storage;
  readonly vnodes: VnodeStore<S, Op>;
  ring(): Ring;
  isUp(node: NodeId): boolean;
  /** Sends a batch to vnode `partition` on `to`; true once stored durably there. */
  sendItems(to: NodeId, partition: number, items: Item[]): Promise<boolean>;
  /** A quorum read of `key` (for a key this node holds no replica of). */
  read(key: string): Promise<S>;
  /** Hints for `node` were dropped (bound reached): compare everything with it instead. */
  onOverflow(node: NodeId): void;
  onRecorded(count: number): void;
  onDelivered(count: number): void;
  onDropped(count: number): void;
}

interface Hint {
  readonly q: number;
  readonly key: string;
  /** Bumped when the key misses the vnode again, so a delivery in flight does not clear it. */
  gen: number;
}

export class HintStore<S, Op> {
  /** Hints by vnode, then key: a delivery batch is one vnode's hints (one handoff message). */
  private readonly byVnode = new Map<number, Map<string, Hint>>();
  private count = 0;
  /** Owners some of whose hints were dropped; they get a full anti-entropy catch-up when up. */
  private readonly overflowed = new Set<NodeId>();
  private readonly delivering = new Set<NodeId>();
  private writes: StorageBatchOp[] = [];
  private writing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly d: HintStoreDeps<S, Op>) {}

  /** Hints waiting for delivery. */
  get size(): number {
    return this.count;
  }

  private get(q: number, key: string): Hint | undefined {
    return this.byVnode.get(q)?.get(key);
  }

  private add(q: number, key: string): void {
    let m = this.byVnode.get(q);
    if (m === undefined) {
      m = new Map();
      this.byVnode.set(q, m);
    }
    m.set(key, { q, key, gen: 0 });
    this.count++;
  }

  /** Forgets a hint here and in storage. */
  private remove(h: Hint): void {
    const m = this.byVnode.get(h.q);
    if (m?.get(h.key) !== h) return;
    m.delete(h.key);
    if (m.size === 0) this.byVnode.delete(h.q);
    this.count--;
    this.writes.push({ type: 'delete', ns: HINTS_NS, partition: h.q, key: h.key });
  }

  /** Restores the persisted hints (those past the bound are dropped and fall back to AAE). */
  async load(): Promise<void> {
    const ring = this.d.ring();
    for (const q of await this.d.storage.partitions(HINTS_NS)) {
      for await (const [key] of this.d.storage.entries(HINTS_NS, q)) {
        if (q >= ring.size) {
          this.writes.push({ type: 'delete', ns: HINTS_NS, partition: q, key });
          continue;
        }
        if (this.count >= this.d.maxHints) {
          this.drop(q, key);
          continue;
        }
        this.add(q, key);
      }
    }
    this.flush();
  }

  /**
   * After a write of `key` to `entries`: remembers each replica vnode of the key, owned by
   * another node, that no entry acknowledged — its owner was down with no fallback in its place,
   * or it never answered. A fallback that acknowledged hands the key over itself (handoff.ts).
   */
  record(key: string, entries: readonly PreflistEntry[], unacked: ReadonlySet<number>): void {
    if (this.stopped) return;
    const ring = this.d.ring();
    let recorded = 0;
    for (const q of replicaPartitions(ring.size, ring.partitionOf(key), this.d.n)) {
      const owner = ring.ownerOf(q);
      if (owner === this.d.self) continue;
      const i = entries.findIndex((e) => e.partition === q);
      if (i >= 0 && !unacked.has(i)) continue;
      const known = this.get(q, key);
      if (known !== undefined) {
        known.gen++;
        continue;
      }
      if (this.count >= this.d.maxHints) {
        this.overflowed.add(owner);
        this.d.onDropped(1);
        continue;
      }
      this.add(q, key);
      this.writes.push({ type: 'put', ns: HINTS_NS, partition: q, key, value: EMPTY });
      recorded++;
    }
    if (recorded > 0) {
      this.d.onRecorded(recorded);
      this.flush();
    }
  }

  /** Delivers the hints of every owner that is up (or of `only`), one batch at a time per owner. */
  deliver(only?: NodeId): void {
    if (this.stopped) return;
    const ring = this.d.ring();
    const owners = new Set<NodeId>();
    for (const q of this.byVnode.keys()) owners.add(ring.ownerOf(q));
    for (const node of this.overflowed) owners.add(node);
    for (const owner of owners) {
      if (only !== undefined && owner !== only) continue;
      if (owner === this.d.self || !this.d.isUp(owner)) continue;
      if (this.overflowed.delete(owner)) this.d.onOverflow(owner);
      if (this.delivering.has(owner)) continue;
      this.delivering.add(owner);
      // A failed batch (timeout, storage error there) is retried at a later tick.
      void this.deliverTo(owner)
        .catch(() => {})
        .finally(() => this.delivering.delete(owner));
    }
  }

  private async deliverTo(owner: NodeId): Promise<void> {
    for (;;) {
      if (this.stopped || !this.d.isUp(owner)) return;
      const batch = this.nextBatch(owner);
      if (batch.length === 0) return;
      const q = batch[0]!.q;
      const items: Item[] = [];
      const sent: { hint: Hint; gen: number }[] = [];
      let unreadable = false;
      for (const hint of batch) {
        const gen = hint.gen;
        const state = await this.localState(hint.key);
        if (state === undefined) {
          unreadable = true; // kept for a later round
          continue;
        }
        items.push({ key: hint.key, state });
        sent.push({ hint, gen });
      }
      if (items.length > 0 && !(await this.d.sendItems(owner, q, items))) return;
      let delivered = 0;
      for (const { hint, gen } of sent) {
        if (this.get(hint.q, hint.key) !== hint || hint.gen !== gen) continue;
        this.remove(hint);
        delivered++;
      }
      this.flush();
      if (delivered > 0) this.d.onDelivered(delivered);
      if (unreadable || delivered === 0) return;
    }
  }

  /** Up to one handoff batch of hints for one vnode currently owned by `owner`. */
  private nextBatch(owner: NodeId): Hint[] {
    const ring = this.d.ring();
    for (const [q, hints] of this.byVnode) {
      const o = ring.ownerOf(q);
      if (o === this.d.self) {
        // This node owns the vnode now: ownership handoff brings the data, not a hint.
        for (const h of [...hints.values()]) this.remove(h);
        continue;
      }
      if (o !== owner) continue;
      const out: Hint[] = [];
      for (const h of hints.values()) {
        out.push(h);
        if (out.length >= HANDOFF_BATCH) break;
      }
      return out;
    }
    return [];
  }

  /** The key as this node knows it: its local replicas joined, else a quorum read. */
  private async localState(key: string): Promise<Uint8Array | undefined> {
    const ring = this.d.ring();
    let state: S | undefined;
    for (const q of replicaPartitions(ring.size, ring.partitionOf(key), this.d.n)) {
      const cur = await this.d.vnodes.get(q, key);
      if (cur !== undefined) state = state === undefined ? cur.state : this.d.type.join(state, cur.state);
    }
    if (state === undefined) {
      try {
        state = await this.d.read(key);
      } catch {
        return undefined; // not readable now: AAE or a later delivery
      }
    }
    return this.d.type.encode(state);
  }

  private drop(q: number, key: string): void {
    this.overflowed.add(this.d.ring().ownerOf(q));
    this.writes.push({ type: 'delete', ns: HINTS_NS, partition: q, key });
    this.d.onDropped(1);
  }

  /** Writes queued hint changes in order, one batch at a time (best effort: a hint is a shortcut). */
  private flush(): void {
    if (this.writes.length === 0) return;
    const ops = this.writes;
    this.writes = [];
    this.writing = this.writing
      .then(() => (this.stopped ? undefined : this.d.storage.batch(ops)))
      .catch(() => {});
  }

  stop(): void {
    this.stopped = true;
  }
}
