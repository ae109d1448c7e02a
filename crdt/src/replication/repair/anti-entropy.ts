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
 *
 * Catch-up: the periodic round-robin needs a full pass (every shared tree once) to find what a
 * node missed while it was down — minutes at one exchange per interval. So when a peer comes up
 * (or this node starts and first hears from it), the node sends it the root hash of every tree
 * they share in one message (aae-roots); the peer answers which differ (aae-roots-reply), and
 * only those are queued for exchanges, up to maxConcurrentExchanges in flight and
 * catchUpExchangesPerSecond started. Equal trees cost nothing more; a tree that still differs
 * after a batch-limited exchange goes back to the front of the queue. Without an answer in time,
 * every shared tree is queued (each exchange then starts with its own cheap branch step).
 */
import type { NodeId } from '../interfaces.js';
import type { VnodeStore } from '../node/vnode.js';
import { replicaPartitions } from '../ring/preference-list.js';
import type { Ring } from '../ring/ring.js';
import type { Item, KeyDigest, Message, TreeRoot } from '../wire/messages.js';
import { differingBranches } from './merkle-tree.js';

export interface AaeDeps<S, Op> {
  readonly self: NodeId;
  readonly vnodes: VnodeStore<S, Op>;
  ring(): Ring;
  readonly n: number;
  readonly maxKeys: number;
  /** Catch-up exchanges in flight at once. */
  readonly maxConcurrent: number;
  /** Catch-up exchanges started per second at most (0: no catch-up). */
  readonly catchUpPerSecond: number;
  now(): number;
  isUp(node: NodeId): boolean;
  send(to: NodeId, m: Message): void;
  nextId(): number;
  setTimeout(ms: number, fn: () => void): { cancel(): void };
  timeoutMs: number;
  onRepaired(keys: number): void;
  onExchange(): void;
}

type AaeMsg<T extends Message['t']> = Extract<Message, { t: T }>;

/** One tree comparison: my vnode `from` and `peer`'s vnode `to`, over the keys of preflist `p`. */
interface Exchange {
  readonly from: number;
  readonly p: number;
  readonly to: number;
  readonly peer: NodeId;
}

interface Session extends Exchange {
  readonly xid: number;
  readonly timer: { cancel(): void };
  readonly catchUp: boolean;
  /** More keys differed than one batch carried: the tree still differs. */
  truncated: boolean;
}

const exchangeKey = (x: Exchange): string => `${x.from}/${x.p}/${x.to}`;

/** What anti-entropy did for one vnode of this node (riak-admin aae-status), since start. */
export interface AaeVnodeStatus {
  readonly partition: number;
  /** When an exchange involving this vnode last completed (either side), if ever. */
  readonly lastExchangeAt: number | undefined;
  /** The peer of that exchange. */
  readonly lastPeer: NodeId | undefined;
  readonly exchanges: number;
  /** Keys this vnode took from a peer's replica because they differed. */
  readonly keysRepaired: number;
}

type VnodeStats = { -readonly [K in keyof AaeVnodeStatus]: AaeVnodeStatus[K] };

export class AntiEntropy<S, Op> {
  private cursor = 0;
  private readonly sessions = new Map<number, Session>();
  /** The xid of the periodic exchange in flight, if any. */
  private periodic: number | undefined;
  /**
   * Catch-up exchanges waiting to start, by key (a tree is queued once); an entry left in `queue`
   * whose key no longer maps to it was covered meanwhile and is skipped.
   */
  private readonly queue: Exchange[] = [];
  private readonly queued = new Map<string, Exchange>();
  private catchUpRunning = 0;
  private nextStartAt = Number.NEGATIVE_INFINITY;
  private wake: { cancel(): void } | undefined;
  /** Roots summaries sent and not yet answered, by xid. */
  private readonly rootsSent = new Map<
    number,
    { readonly peer: NodeId; readonly trees: Exchange[]; readonly timer: { cancel(): void } }
  >();
  private readonly stats = new Map<number, VnodeStats>();

  constructor(private readonly d: AaeDeps<S, Op>) {}

  /** Per vnode this node owns: its last completed exchange and the keys repaired into it. */
  vnodeStatus(): AaeVnodeStatus[] {
    return this.d
      .ring()
      .ownedBy(this.d.self)
      .map((q) => ({ ...this.statsOf(q) }));
  }

  private statsOf(q: number): VnodeStats {
    let s = this.stats.get(q);
    if (s === undefined) {
      s = { partition: q, lastExchangeAt: undefined, lastPeer: undefined, exchanges: 0, keysRepaired: 0 };
      this.stats.set(q, s);
    }
    return s;
  }

  private completed(q: number, peer: NodeId): void {
    const s = this.statsOf(q);
    s.lastExchangeAt = this.d.now();
    s.lastPeer = peer;
    s.exchanges++;
  }

  /** Every (my vnode, preflist, peer vnode) triple this node holds in common with another node. */
  private shared(): Exchange[] {
    const ring = this.d.ring();
    const out: Exchange[] = [];
    for (const q of ring.ownedBy(this.d.self)) {
      for (let j = 0; j < Math.min(this.d.n, ring.size); j++) {
        const p = (q - j + ring.size) % ring.size;
        for (const to of replicaPartitions(ring.size, p, this.d.n)) {
          const peer = ring.ownerOf(to);
          if (to === q || peer === this.d.self) continue;
          out.push({ from: q, p, to, peer });
        }
      }
    }
    return out;
  }

  /** All exchanges this node is responsible for starting periodically. */
  private exchanges(): Exchange[] {
    // Each pair is exchanged from one side only: the lower vnode index starts it.
    return this.shared().filter((x) => x.from < x.to);
  }

  /** Periodic: start the next exchange unless the previous periodic one is still running. */
  tick(): void {
    if (this.periodic !== undefined) return;
    const all = this.exchanges();
    for (let tries = 0; tries < all.length; tries++) {
      const x = all[this.cursor++ % all.length]!;
      if (!this.d.isUp(x.peer)) continue;
      this.periodic = this.begin(x, false);
      return;
    }
  }

  /**
   * `peer` came up (or this node just started and first heard from it): compare every tree this
   * node shares with it now, not over the next full round-robin pass. Both directions are
   * queued, since the peer may not have seen this node go down and come back.
   */
  peerUp(peer: NodeId): void {
    if (this.d.catchUpPerSecond <= 0) return;
    const trees = this.shared().filter((x) => x.peer === peer);
    if (trees.length === 0) return;
    const xid = this.d.nextId();
    const timer = this.d.setTimeout(this.d.timeoutMs, () => {
      // No answer: compare every shared tree, one exchange each.
      if (!this.rootsSent.delete(xid)) return;
      for (const x of trees) this.enqueue(x, false);
      this.pump();
    });
    this.rootsSent.set(xid, { peer, trees, timer });
    const roots: TreeRoot[] = trees.map((x) => ({
      p: x.p,
      from: x.from,
      to: x.to,
      ...this.d.vnodes.tree(x.from, x.p).rootHash(),
    }));
    this.d.send(peer, { t: 'aae-roots', xid, trees: roots });
  }

  /** Exchanges queued or running for catch-up, and roots summaries unanswered (status, tests). */
  get catchUpBacklog(): number {
    return this.queued.size + this.catchUpRunning + this.rootsSent.size;
  }

  /** Answers a roots summary with the trees that differ here (only ones both sides hold). */
  private answerRoots(from: NodeId, m: Extract<Message, { t: 'aae-roots' }>): void {
    const ring = this.d.ring();
    const differ: number[] = [];
    m.trees.forEach((x, i) => {
      if (!this.valid(x) || ring.ownerOf(x.to) !== this.d.self || ring.ownerOf(x.from) !== from) return;
      const mine = this.d.vnodes.tree(x.to, x.p).rootHash();
      if (mine.hi !== x.hi || mine.lo !== x.lo) differ.push(i);
    });
    this.d.send(from, { t: 'aae-roots-reply', xid: m.xid, differ });
  }

  private onRootsReply(from: NodeId, m: Extract<Message, { t: 'aae-roots-reply' }>): void {
    const sent = this.rootsSent.get(m.xid);
    if (sent === undefined || sent.peer !== from) return;
    this.rootsSent.delete(m.xid);
    sent.timer.cancel();
    for (const i of m.differ) {
      const x = sent.trees[i];
      if (x !== undefined) this.enqueue(x, false);
    }
    this.pump();
  }

  private enqueue(x: Exchange, front: boolean): void {
    const k = exchangeKey(x);
    if (this.queued.has(k)) return;
    this.queued.set(k, x);
    if (front) this.queue.unshift(x);
    else this.queue.push(x);
  }

  /** Starts queued catch-up exchanges within the concurrency and rate limits. */
  private pump(): void {
    while (this.queue.length > 0 && this.catchUpRunning < this.d.maxConcurrent) {
      const now = this.d.now();
      if (now < this.nextStartAt) {
        this.wake ??= this.d.setTimeout(Math.ceil(this.nextStartAt - now), () => {
          this.wake = undefined;
          this.pump();
        });
        return;
      }
      const x = this.queue.shift()!;
      const k = exchangeKey(x);
      if (this.queued.get(k) !== x) continue; // the peer compared this tree with us meanwhile
      this.queued.delete(k);
      // The ring or the peer may have changed while it waited.
      const ring = this.d.ring();
      if (ring.ownerOf(x.from) !== this.d.self || ring.ownerOf(x.to) !== x.peer || !this.d.isUp(x.peer))
        continue;
      this.nextStartAt = Math.max(now, this.nextStartAt) + 1000 / this.d.catchUpPerSecond;
      this.catchUpRunning++;
      this.begin(x, true);
    }
  }

  /** Sends the first message of an exchange (its branch hashes); returns its xid. */
  private begin(x: Exchange, catchUp: boolean): number {
    const xid = this.d.nextId();
    const timer = this.d.setTimeout(this.d.timeoutMs, () => {
      const s = this.sessions.get(xid);
      if (s !== undefined) this.finish(s, false);
    });
    this.sessions.set(xid, { ...x, xid, timer, catchUp, truncated: false });
    this.d.onExchange();
    const hashes = this.d.vnodes.tree(x.from, x.p).branchHashes();
    this.d.send(x.peer, { t: 'aae-branches', xid, p: x.p, from: x.from, to: x.to, hashes });
    return xid;
  }

  private valid(m: { p: number; from: number; to: number }): boolean {
    const ring = this.d.ring();
    if (m.p >= ring.size || m.from >= ring.size || m.to >= ring.size) return false;
    const parts = replicaPartitions(ring.size, m.p, this.d.n);
    return parts.includes(m.from) && parts.includes(m.to);
  }

  private mySession(from: NodeId, m: { xid: number }): Session | undefined {
    const s = this.sessions.get(m.xid);
    return s !== undefined && s.peer === from ? s : undefined;
  }

  /** Ends an exchange (done, or timed out); a tree that still differs is compared again first. */
  private finish(s: Session, done = true): void {
    if (!this.sessions.delete(s.xid)) return;
    s.timer.cancel();
    if (done) this.completed(s.from, s.peer);
    if (this.periodic === s.xid) this.periodic = undefined;
    if (s.catchUp) this.catchUpRunning--;
    if (s.truncated && this.d.catchUpPerSecond > 0)
      this.enqueue({ from: s.from, p: s.p, to: s.to, peer: s.peer }, true);
    this.pump();
  }

  async handle(
    from: NodeId,
    m: AaeMsg<'aae-branches' | 'aae-segments' | 'aae-keys' | 'aae-repair' | 'aae-roots' | 'aae-roots-reply'>,
  ): Promise<void> {
    if (m.t === 'aae-roots') return this.answerRoots(from, m);
    if (m.t === 'aae-roots-reply') return this.onRootsReply(from, m);
    if (!this.valid(m)) return;
    const head = { xid: m.xid, p: m.p, from: m.from, to: m.to };
    switch (m.t) {
      case 'aae-branches': {
        // Responder: only for a vnode we own.
        const ring = this.d.ring();
        if (ring.ownerOf(m.to) !== this.d.self || m.hashes.length !== 32) return;
        // When both sides saw the other come up, both queue this tree: the peer's exchange covers
        // ours, so ours is dropped (it compares and repairs both ways).
        if (ring.ownerOf(m.from) === from) this.queued.delete(`${m.to}/${m.p}/${m.from}`);
        const tree = this.d.vnodes.tree(m.to, m.p);
        const diff = differingBranches(m.hashes, tree.branchHashes());
        this.d.send(from, { t: 'aae-segments', ...head, segments: tree.segmentsOf(diff) });
        if (diff.length === 0) this.completed(m.to, from); // equal trees: the exchange ends here
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
        if (differing.length === 0) return this.finish(s);
        // Whole segments only, up to the batch limit (at least one segment).
        const segments: number[] = [];
        const keys: KeyDigest[] = [];
        for (const seg of differing) {
          const ks = tree.keysIn([seg]);
          if (segments.length > 0 && keys.length + ks.length > this.d.maxKeys) break;
          segments.push(seg);
          keys.push(...ks.slice(0, this.d.maxKeys));
          if (ks.length > this.d.maxKeys) s.truncated = true;
        }
        if (segments.length < differing.length) s.truncated = true;
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
        this.completed(m.to, from);
        return;
      }
      case 'aae-repair': {
        if (m.toInitiator) {
          const s = this.mySession(from, m);
          if (s === undefined) return;
          // The vnode may have been handed off while the exchange ran: repair only one we own
          // (else the items would land on a node that no longer hands them anywhere).
          if (this.d.ring().ownerOf(s.from) !== this.d.self) return this.finish(s);
          await this.mergeItems(s.from, m.items);
          const items: Item[] = [];
          for (const key of m.want.slice(0, this.d.maxKeys)) {
            const cur = await this.d.vnodes.get(s.from, key);
            if (cur !== undefined) items.push({ key, state: cur.bytes });
          }
          // The responder repairs at most maxKeys of what differs in these segments: if it sent a
          // full batch, more may be left.
          const repaired = new Set(m.want);
          for (const it of m.items) repaired.add(it.key);
          if (repaired.size >= this.d.maxKeys) s.truncated = true;
          this.finish(s);
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
    if (repaired > 0) {
      this.statsOf(q).keysRepaired += repaired;
      this.d.onRepaired(repaired);
    }
  }

  cancel(): void {
    for (const s of this.sessions.values()) s.timer.cancel();
    this.sessions.clear();
    this.periodic = undefined;
    this.catchUpRunning = 0;
    this.queue.length = 0;
    this.queued.clear();
    for (const r of this.rootsSent.values()) r.timer.cancel();
    this.rootsSent.clear();
    this.wake?.cancel();
    this.wake = undefined;
  }
}
