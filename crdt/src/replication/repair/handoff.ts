/**
 * Handoff: moving a vnode's data to the node that should hold it (riak_core_handoff_*).
 * One mechanism covers both kinds Riak distinguishes:
 * - hinted handoff: a fallback holds data for partition q on behalf of owner(q); when the owner is
 *   reachable the fallback sends it, and deletes each key only after the owner acknowledged that
 *   it durably stored the batch (and only if the key did not change meanwhile);
 * - ownership handoff: the ring names a `next` owner for q; the current owner sends everything,
 *   then commits the ring change (owner := next), after which any remainder is sent and deleted
 *   as for hinted handoff.
 * Batches and a concurrency limit bound the cost (riak_core's transfer limit).
 */
import type { NodeId } from '../interfaces.js';
import type { VnodeStore } from '../node/vnode.js';
import type { Ring } from '../ring/ring.js';
import type { Item, Message } from '../wire/messages.js';

export const HANDOFF_BATCH = 64;
export const MAX_CONCURRENT_HANDOFFS = 2;

export interface HandoffDeps<S, Op> {
  readonly self: NodeId;
  readonly vnodes: VnodeStore<S, Op>;
  ring(): Ring;
  isUp(node: NodeId): boolean;
  send(to: NodeId, m: Message): void;
  nextId(): number;
  setTimeout(ms: number, fn: () => void): { cancel(): void };
  timeoutMs: number;
  /** Ownership handoff of q finished: commit owner := next in the ring. */
  commitTransfer(q: number, to: NodeId): Promise<void>;
  onItemsSent(count: number): void;
  onCompleted(kind: 'hinted' | 'ownership', q: number, to: NodeId): void;
}

export interface ActiveHandoff {
  readonly partition: number;
  readonly to: NodeId;
  readonly kind: 'hinted' | 'ownership';
}

/** A handoff in progress (for status): the keys of the vnode when it started, and those sent. */
export interface HandoffProgress extends ActiveHandoff {
  readonly keys: number;
  readonly sent: number;
}

export class HandoffManager<S, Op> {
  private readonly active = new Map<number, ActiveHandoff>();
  private readonly progress = new Map<number, { keys: number; sent: number }>();
  private readonly waiting = new Map<number, (ok: boolean) => void>();

  constructor(private readonly d: HandoffDeps<S, Op>) {}

  activeHandoffs(): HandoffProgress[] {
    return [...this.active.values()].map((h) => ({
      ...h,
      keys: this.progress.get(h.partition)?.keys ?? 0,
      sent: this.progress.get(h.partition)?.sent ?? 0,
    }));
  }

  /** Where the data of vnode q on this node should go, if anywhere. */
  targetOf(q: number): ActiveHandoff | undefined {
    const entry = this.d.ring().partition(q);
    if (entry.owner === this.d.self) {
      if (entry.next !== undefined && entry.next !== this.d.self)
        return { partition: q, to: entry.next, kind: 'ownership' };
      return undefined;
    }
    if (entry.next === this.d.self) return undefined; // we are receiving q: keep what we have
    return { partition: q, to: entry.owner, kind: 'hinted' };
  }

  /** Keys held in vnodes this node does not own (the hinted-handoff backlog). */
  backlog(): number {
    let n = 0;
    for (const q of this.d.vnodes.partitionsWithData())
      if (this.targetOf(q)?.kind === 'hinted') n += this.d.vnodes.keyCount(q);
    return n;
  }

  /** Periodic: start handoffs whose target is up, within the concurrency limit. */
  tick(): void {
    const candidates = new Set<number>(this.d.vnodes.partitionsWithData());
    for (const t of this.d.ring().pendingTransfers()) if (t.from === this.d.self) candidates.add(t.partition);
    for (const q of [...candidates].sort((a, b) => a - b)) {
      if (this.active.size >= MAX_CONCURRENT_HANDOFFS) return;
      if (this.active.has(q)) continue;
      const target = this.targetOf(q);
      if (target === undefined || !this.d.isUp(target.to)) continue;
      this.active.set(q, target);
      // A failed transfer (storage error, timeout) is simply retried on a later tick.
      void this.run(target)
        .catch(() => {})
        .finally(() => {
          this.active.delete(q);
          this.progress.delete(q);
        });
    }
  }

  private async run(h: ActiveHandoff): Promise<void> {
    const { vnodes } = this.d;
    const keys = vnodes.keys(h.partition).sort();
    const progress = { keys: keys.length, sent: 0 };
    // A copy may go only while this vnode is still someone else's to hold: after a ring change
    // that made this node its owner (or next owner), the acknowledged copy elsewhere may be on
    // its way back here, and deleting ours could leave none (a stale peer bouncing a handoff).
    const stillForeign = (): boolean => this.targetOf(h.partition) !== undefined;
    this.progress.set(h.partition, progress);
    const sent: Item[] = [];
    for (let i = 0; i < keys.length; i += HANDOFF_BATCH) {
      const items: Item[] = [];
      for (const key of keys.slice(i, i + HANDOFF_BATCH)) {
        const cur = await vnodes.get(h.partition, key);
        if (cur !== undefined) items.push(vnodes.encodeHandoffItem(key, cur.bytes));
      }
      if (items.length === 0) continue;
      if (!(await this.sendItems(h.to, h.partition, items))) return;
      this.d.onItemsSent(items.length);
      progress.sent += items.length;
      if (h.kind === 'hinted') {
        for (const it of items) await vnodes.deleteIfUnchanged(h.partition, it.key, it.state, stillForeign);
      } else sent.push(...items);
      // The ring may have moved on while we were sending.
      const now = this.targetOf(h.partition);
      if (now === undefined || now.to !== h.to || now.kind !== h.kind) return;
    }
    if (h.kind === 'ownership') {
      await this.d.commitTransfer(h.partition, h.to);
      // The new owner durably holds these; drop our copies unless they changed since.
      for (const it of sent) await vnodes.deleteIfUnchanged(h.partition, it.key, it.state, stillForeign);
    }
    this.d.onCompleted(h.kind, h.partition, h.to);
  }

  /** Sends one batch for vnode `partition` to `to`; true once `to` acknowledged storing it durably. */
  sendItems(to: NodeId, partition: number, items: Item[]): Promise<boolean> {
    return new Promise((resolve) => {
      const id = this.d.nextId();
      const timer = this.d.setTimeout(this.d.timeoutMs, () => {
        this.waiting.delete(id);
        resolve(false);
      });
      this.waiting.set(id, (ok) => {
        timer.cancel();
        this.waiting.delete(id);
        resolve(ok);
      });
      this.d.send(to, { t: 'handoff', id, partition, items });
    });
  }

  onAck(id: number, ok: boolean): void {
    this.waiting.get(id)?.(ok);
  }

  /** Receiving side: merge a batch durably, then acknowledge. */
  async onData(from: NodeId, m: Extract<Message, { t: 'handoff' }>): Promise<void> {
    let ok = true;
    try {
      for (const it of m.items) await this.d.vnodes.handleHandoffData(m.partition, it);
    } catch {
      ok = false;
    }
    this.d.send(from, { t: 'handoff-ack', id: m.id, partition: m.partition, ok });
  }

  cancelAll(): void {
    for (const w of this.waiting.values()) w(false);
    this.waiting.clear();
  }
}
