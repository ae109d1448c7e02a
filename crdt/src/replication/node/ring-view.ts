/**
 * A node's view of the ring, after riak_core_ring_manager: the current ring (persisted in the
 * `meta` namespace, merged with gossiped rings, changed by staged membership plans) and what it
 * implies for routing — the peers to gossip with and the preference list of each partition,
 * cached until the ring or the up/down view changes.
 */

import type { NodeId, Storage } from '../interfaces.js';
import {
  completeTransfer,
  type MembershipChange,
  MembershipStaging,
  type RingPlan,
} from '../ring/membership.js';
import type { PreflistEntry } from '../ring/preference-list.js';
import { Ring } from '../ring/ring.js';
import type { Message } from '../wire/messages.js';
import { META_NS } from './epoch.js';
import { validateKey } from './node-types.js';

const RING_KEY = 'ring';

export interface RingViewDeps {
  readonly self: NodeId;
  readonly n: number;
  readonly ringSize: number;
  readonly storage: Storage;
  /** Initial members (used when storage holds no ring yet; always gossiped with unless removed). */
  readonly initialMembers: readonly NodeId[];
  isUp(node: NodeId): boolean;
  now(): number;
  send(to: NodeId, m: Message): void;
  onDecodeError(): void;
  /** A new ring was installed (before it is durable). */
  onInstalled(prev: Ring, next: Ring): void;
}

export class RingView {
  private current: Ring;
  private readonly staging = new MembershipStaging();
  private readonly preflists = new Map<number, readonly PreflistEntry[]>();
  private preflistRing: Ring | undefined;
  private upSignature = '';
  private upCheckedAt = Number.NaN;
  private targetsRing: Ring | undefined;
  private targetList: readonly NodeId[] = [];

  constructor(private readonly d: RingViewDeps) {
    this.current = Ring.initial(d.initialMembers, d.ringSize, d.n);
  }

  get ring(): Ring {
    return this.current;
  }

  /** Restores the persisted ring, if any (of the configured size). */
  async load(): Promise<void> {
    const bytes = await this.d.storage.get(META_NS, 0, RING_KEY);
    if (bytes === undefined) return;
    const saved = Ring.decode(bytes);
    if (saved.size === this.d.ringSize) this.current = saved;
  }

  /** Peers to heartbeat and gossip with (sorted, cached per ring). */
  targets(): readonly NodeId[] {
    if (this.targetsRing !== this.current) {
      const ring = this.current;
      const set = new Set<NodeId>(ring.activeMembers());
      for (const m of this.d.initialMembers) if (ring.member(m)?.status !== 'removed') set.add(m);
      set.delete(this.d.self);
      this.targetsRing = ring;
      this.targetList = Object.freeze([...set].sort());
    }
    return this.targetList;
  }

  preferenceList(key: string): readonly PreflistEntry[] {
    validateKey(key);
    const ring = this.current;
    const p = ring.partitionOf(key);
    // Preference lists only change with the ring or the up/down view: cache them per partition
    // and recheck the view at most once per clock tick (a millisecond).
    const now = this.d.now();
    if (now !== this.upCheckedAt || this.preflistRing !== ring) {
      this.upCheckedAt = now;
      let sig = '';
      for (const m of this.targets()) sig += this.d.isUp(m) ? '1' : '0';
      if (sig !== this.upSignature || this.preflistRing !== ring) {
        this.upSignature = sig;
        this.preflistRing = ring;
        this.preflists.clear();
      }
    }
    let pl = this.preflists.get(p);
    if (pl === undefined) {
      pl = Object.freeze(ring.preferenceList(p, this.d.n, (n) => this.d.isUp(n)));
      this.preflists.set(p, pl);
    }
    return pl;
  }

  /** A gossiped ring: merge, install if it taught us something, answer if we know more. */
  async onRing(from: NodeId, bytes: Uint8Array): Promise<void> {
    let theirs: Ring;
    try {
      theirs = Ring.decode(bytes);
    } catch {
      this.d.onDecodeError();
      return;
    }
    if (theirs.size !== this.current.size) return;
    const merged = this.current.merge(theirs);
    if (!merged.equals(this.current)) await this.install(merged);
    if (!merged.equals(theirs)) this.d.send(from, { t: 'ring', ring: this.current.encode() });
  }

  private async install(next: Ring): Promise<void> {
    const prev = this.current;
    this.current = next;
    const persist = this.d.storage.put(META_NS, 0, RING_KEY, next.encode());
    this.d.onInstalled(prev, next);
    await persist;
  }

  /** Installs `ring` merged into ours and gossips the result to every peer. */
  async commit(ring: Ring): Promise<void> {
    await this.install(this.current.merge(ring));
    const bytes = this.current.encode();
    for (const peer of this.targets()) this.d.send(peer, { t: 'ring', ring: bytes });
  }

  /** True while this node's ring holds no member but itself (a fresh or standalone node). */
  isAlone(): boolean {
    const members = this.current.members();
    return members.size === 1 && members.has(this.d.self);
  }

  /**
   * Joining a cluster, as riak_core's join: a node alone in its ring *replaces* it with the
   * cluster's ring instead of merging, since its own claim (stamp 0) would otherwise win
   * partitions of the cluster's ring that were never reassigned. The cluster then stages and
   * commits the join, which gossip brings here like any ring change.
   */
  async adopt(ring: Ring): Promise<void> {
    if (!this.isAlone()) throw new TypeError('only a node alone in its ring can adopt a cluster ring');
    if (ring.size !== this.current.size)
      throw new TypeError(`ring size ${ring.size} differs from this node's ${this.current.size}`);
    this.staging.clear();
    await this.install(ring);
  }

  /** The staged changes, in staging order. */
  staged(): readonly MembershipChange[] {
    return this.staging.changes();
  }

  clearStaged(): void {
    this.staging.clear();
  }

  /** Ownership handoff of q to `to` finished: owner := next. */
  async commitTransfer(q: number, to: NodeId): Promise<void> {
    const next = completeTransfer(this.current, q, to, this.d.self);
    if (next !== undefined) await this.commit(next);
  }

  stage(change: MembershipChange): void {
    this.staging.stage(change);
  }

  plan(): RingPlan {
    return this.staging.plan(this.current, this.d.n, this.d.self);
  }

  async commitPlan(): Promise<RingPlan> {
    const plan = this.plan();
    this.staging.clear();
    await this.commit(plan.ring);
    return plan;
  }
}
