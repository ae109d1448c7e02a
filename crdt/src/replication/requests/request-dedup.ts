/**
 * Exactly-once coordination of forwarded updates. An update that reaches a non-primary node is
 * forwarded to a primary in a `coord` message; the network may deliver that message twice, and
 * coordinating it twice would mint two dots for one client operation (an add counting twice, a
 * set-quantity removing its own first register). The forwarding node therefore gives every
 * request a random id (`rid`), and the coordinator remembers the ids it coordinated recently:
 *
 * - a duplicate of a request still in flight attaches to it (its reply goes to every waiter);
 * - a duplicate of a finished request gets the stored reply again, never a second apply.
 *
 * Memory is bounded by count, by reply bytes and by time (entries expire `ttlMs` after they
 * finished, measured with the injected Clock), like the idempotency windows of Kafka's producer
 * ids or Stripe's idempotency keys. A duplicate delayed past the window, or one that arrives after
 * the coordinator restarted (the table is not persisted), is coordinated again; the window is
 * sized far beyond the forwarder's own deadline, after which the caller already treats the
 * outcome as unknown.
 */
import type { NodeId } from '../interfaces.js';
import type { Message } from '../wire/messages.js';

type CoordReply = Extract<Message, { t: 'coord-reply' }>;

export const DEDUP_MAX_ENTRIES = 16_384;
export const DEDUP_MAX_REPLY_BYTES = 32 * 1024 * 1024;

interface Entry {
  /** Message ids on the requesting node waiting for the reply (usually one). */
  readonly waiters: number[];
  reply: CoordReply | undefined;
  bytes: number;
  expiresAt: number;
}

export type DedupVerdict =
  | { readonly kind: 'new' }
  | { readonly kind: 'in-flight' }
  | { readonly kind: 'done'; readonly reply: CoordReply };

export class RequestDedup {
  private readonly entries = new Map<string, Entry>();
  private replyBytes = 0;

  constructor(
    private readonly now: () => number,
    private readonly ttlMs: number,
    private readonly maxEntries = DEDUP_MAX_ENTRIES,
    private readonly maxReplyBytes = DEDUP_MAX_REPLY_BYTES,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Registers request (from, rid) answering message `id`; says whether it is new. */
  begin(from: NodeId, rid: number, id: number): DedupVerdict {
    this.expire();
    const k = `${from}\u0000${rid}`;
    const e = this.entries.get(k);
    if (e !== undefined) {
      if (e.reply !== undefined) return { kind: 'done', reply: { ...e.reply, id } };
      if (!e.waiters.includes(id)) e.waiters.push(id);
      return { kind: 'in-flight' };
    }
    this.entries.set(k, { waiters: [id], reply: undefined, bytes: 0, expiresAt: Number.POSITIVE_INFINITY });
    this.evict();
    return { kind: 'new' };
  }

  /** Records the reply of (from, rid) and returns the message ids to send it to. */
  finish(from: NodeId, rid: number, reply: CoordReply): number[] {
    const k = `${from}\u0000${rid}`;
    const e = this.entries.get(k);
    if (e === undefined) return [reply.id]; // evicted while in flight: answer the original only
    const bytes = (reply.state?.length ?? 0) + (reply.delta?.length ?? 0);
    e.reply = reply;
    e.bytes = bytes;
    e.expiresAt = this.now() + this.ttlMs;
    this.replyBytes += bytes;
    // Re-insert so Map order is (roughly) finish order, which expire() relies on.
    this.entries.delete(k);
    this.entries.set(k, e);
    this.evict();
    return e.waiters;
  }

  private drop(k: string, e: Entry): void {
    this.entries.delete(k);
    this.replyBytes -= e.bytes;
  }

  private expire(): void {
    const now = this.now();
    for (const [k, e] of this.entries) {
      if (e.reply === undefined) continue; // in flight: kept until finished (or evicted)
      if (e.expiresAt > now) break;
      this.drop(k, e);
    }
  }

  private evict(): void {
    for (const [k, e] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.replyBytes <= this.maxReplyBytes) return;
      this.drop(k, e);
    }
  }
}
