/**
 * Active anti-entropy between the replicas of each preference list (Riak AAE, riak_core
 * hashtree.erl / Tictac AAE). Each node keeps, per vnode and preference list, an incremental
 * segment tree over (key, state digest). Every interval a node runs at most ONE exchange (rate
 * limit) for the next (vnode, preference list, peer vnode) in round-robin order:
 *
 *   initiator                      responder
 *   aae-branches (branch hashes) →
 *                                ← aae-segments (its segment hashes of differing branches)
 *   aae-keys (its keys+digests
 *     of differing segments,
 *     at most maxKeys)           →
 *                                ← aae-repair (its states of differing keys, and which it wants)
 *   aae-repair (wanted states)   →
 *
 * Both sides merge what they receive through the normal write path, so after one exchange the
 * compared keys are equal on both. At most maxKeysPerExchange keys travel per exchange (batch
 * limit); the rest is found by later exchanges.
 */
import type { NodeId } from '../interfaces.js';
import type { VnodeStore } from '../node/vnode.js';
import { replicaPartitions } from '../ring/preference-list.js';
import type { Ring } from '../ring/ring.js';
import type { Item, KeyDigest, Message } from '../wire/messages.js';
import { differingBranches } from './merkle-tree.js';

export interface AaeDeps<S, Op> {
  readonly self: NodeId;
  readonly vnodes: VnodeStore<S, Op>;
  ring(): Ring;
  readonly n: number;
  readonly maxKeys: number;
  isUp(node: NodeId): boolean;
  send(to: NodeId, m: Message): void;
  nextId(): number;
  setTimeout(ms: number, fn: () => void): { cancel(): void };
  timeoutMs: number;
  onRepaired(keys: number): void;
  onExchange(): void;
}

type AaeMsg<T extends Message['t']> = Extract<Message, { t: T }>;

interface Session {
  readonly xid: number;
  readonly peer: NodeId;
  readonly p: number;
  readonly from: number;
  readonly to: number;
  readonly timer: { cancel(): void };
}

export class AntiEntropy<S, Op> {
  private cursor = 0;
  private session: Session | undefined;

  constructor(private readonly d: AaeDeps<S, Op>) {}

  /** All (my vnode, preflist, peer vnode) exchanges this node is responsible for starting. */
  private exchanges(): { from: number; p: number; to: number; peer: NodeId }[] {
    const ring = this.d.ring();
    const out: { from: number; p: number; to: number; peer: NodeId }[] = [];
    for (const q of ring.ownedBy(this.d.self)) {
      for (let j = 0; j < Math.min(this.d.n, ring.size); j++) {
        const p = (q - j + ring.size) % ring.size;
        for (const to of replicaPartitions(ring.size, p, this.d.n)) {
          const peer = ring.ownerOf(to);
          if (to === q || peer === this.d.self) continue;
          // Each pair is exchanged from one side only: the lower vnode index starts it.
          if (q < to) out.push({ from: q, p, to, peer });
        }
      }
    }
    return out;
  }

  /** Periodic: start the next exchange unless one is running. */
  tick(): void {
    if (this.session !== undefined) return;
    const all = this.exchanges();
    for (let tries = 0; tries < all.length; tries++) {
      const x = all[this.cursor++ % all.length]!;
      if (!this.d.isUp(x.peer)) continue;
      const xid = this.d.nextId();
      const timer = this.d.setTimeout(this.d.timeoutMs, () => {
        if (this.session?.xid === xid) this.session = undefined;
      });
      this.session = { xid, peer: x.peer, p: x.p, from: x.from, to: x.to, timer };
      this.d.onExchange();
      const hashes = this.d.vnodes.tree(x.from, x.p).branchHashes();
      this.d.send(x.peer, { t: 'aae-branches', xid, p: x.p, from: x.from, to: x.to, hashes });
      return;
    }
  }

  private valid(m: { p: number; from: number; to: number }): boolean {
    const ring = this.d.ring();
    if (m.p >= ring.size || m.from >= ring.size || m.to >= ring.size) return false;
    const parts = replicaPartitions(ring.size, m.p, this.d.n);
    return parts.includes(m.from) && parts.includes(m.to);
  }

  private mySession(from: NodeId, m: { xid: number }): Session | undefined {
    const s = this.session;
    return s !== undefined && s.xid === m.xid && s.peer === from ? s : undefined;
  }

  private end(): void {
    this.session?.timer.cancel();
    this.session = undefined;
  }

  async handle(
    from: NodeId,
    m: AaeMsg<'aae-branches' | 'aae-segments' | 'aae-keys' | 'aae-repair'>,
  ): Promise<void> {
    if (!this.valid(m)) return;
    const head = { xid: m.xid, p: m.p, from: m.from, to: m.to };
    switch (m.t) {
      case 'aae-branches': {
        // Responder: only for a vnode we own.
        if (this.d.ring().ownerOf(m.to) !== this.d.self || m.hashes.length !== 32) return;
        const tree = this.d.vnodes.tree(m.to, m.p);
        const diff = differingBranches(m.hashes, tree.branchHashes());
        this.d.send(from, { t: 'aae-segments', ...head, segments: tree.segmentsOf(diff) });
        return;
      }
      case 'aae-segments': {
        const s = this.mySession(from, m);
        if (s === undefined) return;
        const tree = this.d.vnodes.tree(s.from, s.p);
        const differing: number[] = [];
        for (const seg of m.segments) {
          const mine = tree.segmentHash(seg.index % 256);
          if (mine.hi !== seg.hi || mine.lo !== seg.lo) differing.push(seg.index % 256);
        }
        if (differing.length === 0) return this.end();
        // Whole segments only, up to the batch limit (at least one segment).
        const segments: number[] = [];
        const keys: KeyDigest[] = [];
        for (const seg of differing) {
          const ks = tree.keysIn([seg]);
          if (segments.length > 0 && keys.length + ks.length > this.d.maxKeys) break;
          segments.push(seg);
          keys.push(...ks.slice(0, this.d.maxKeys));
        }
        this.d.send(from, { t: 'aae-keys', ...head, segments, keys });
        return;
      }
      case 'aae-keys': {
        if (this.d.ring().ownerOf(m.to) !== this.d.self) return;
        const tree = this.d.vnodes.tree(m.to, m.p);
        const theirs = new Map(m.keys.map((k) => [k.key, k]));
        const differ = new Set<string>();
        for (const k of m.keys) {
          const mine = tree.get(k.key);
          if (mine === undefined || mine.hi !== k.hi || mine.lo !== k.lo) differ.add(k.key);
        }
        for (const k of tree.keysIn(m.segments)) if (!theirs.has(k.key)) differ.add(k.key);
        const keys = [...differ].sort().slice(0, this.d.maxKeys);
        const items: Item[] = [];
        for (const key of keys) {
          const cur = await this.d.vnodes.get(m.to, key);
          if (cur !== undefined) items.push({ key, state: cur.bytes });
        }
        const want = keys.filter((k) => theirs.has(k));
        this.d.send(from, { t: 'aae-repair', ...head, toInitiator: true, items, want });
        return;
      }
      case 'aae-repair': {
        if (m.toInitiator) {
          const s = this.mySession(from, m);
          if (s === undefined) return;
          await this.mergeItems(s.from, m.items);
          const items: Item[] = [];
          for (const key of m.want.slice(0, this.d.maxKeys)) {
            const cur = await this.d.vnodes.get(s.from, key);
            if (cur !== undefined) items.push({ key, state: cur.bytes });
          }
          this.end();
          if (items.length > 0)
            this.d.send(from, { t: 'aae-repair', ...head, toInitiator: false, items, want: [] });
        } else {
          if (this.d.ring().ownerOf(m.to) !== this.d.self) return;
          await this.mergeItems(m.to, m.items);
        }
        return;
      }
    }
  }

  private async mergeItems(q: number, items: readonly Item[]): Promise<void> {
    let repaired = 0;
    for (const it of items.slice(0, this.d.maxKeys)) {
      if (await this.d.vnodes.handleHandoffData(q, it)) repaired++;
    }
    if (repaired > 0) this.d.onRepaired(repaired);
  }

  cancel(): void {
    this.end();
  }
}
