/**
 * The transactional outbox's sender. Messages enter a partition's outbox in the same atomic
 * checkpoint as the order's outcome, so a confirmed order always has its confirmation and its
 * cart removal, and a rejected one never has either. The node owning a partition delivers its
 * outbox — e-mails to the sink, cart removals to the cart service — and only then removes the
 * messages; a crash (or a hand-over) between the two delivers them again, which both targets
 * turn into no-ops: the sink deduplicates by key, and the cart removal is an observed-remove of
 * the same snapshot. Exactly one confirmation per confirmed order, in effect.
 */
import type { CartRemoval, EmailMessage, OutboxMessage } from '../events.js';
import { noopOrderMetrics, type OrderMetrics } from '../metrics.js';
import type { PartitionOwnership } from '../processor/ownership.js';
import type { PartitionStore } from '../state/partition-store.js';

export interface MessageSink {
  /** Delivers `message` unless a message with the same key was delivered before. */
  deliver(message: EmailMessage): Promise<'sent' | 'deduplicated'>;
}

/** Applies a confirmed order's cart removal (CartPort.removePurchased over the recorded snapshot). */
export type CartRemover = (removal: CartRemoval) => Promise<void>;

export interface OutboxSenderOptions {
  readonly store: PartitionStore;
  readonly ownership: PartitionOwnership;
  readonly sink: MessageSink;
  readonly removeFromCart: CartRemover;
  readonly metrics?: OrderMetrics;
  /** Messages delivered concurrently (default 32). */
  readonly concurrency?: number;
  /** Poll interval when not notified (default 500 ms). */
  readonly idleMs?: number;
  readonly onError?: (err: unknown) => void;
}

export class OutboxSender {
  readonly #o: OutboxSenderOptions;
  readonly #metrics: OrderMetrics;
  readonly #concurrency: number;
  #backlog = 0;
  #loop: Promise<void> | undefined;
  #stopping = false;
  #wake: (() => void) | undefined;
  /** Partitions committed messages since their last read; all of them at the next full scan. */
  readonly #dirty = new Set<number>();
  #everything = true;
  #lastFullScan = 0;

  constructor(options: OutboxSenderOptions) {
    this.#o = options;
    this.#metrics = options.metrics ?? noopOrderMetrics;
    this.#concurrency = options.concurrency ?? 32;
  }

  /** Messages waiting in the owned partitions (as of the last scan / notification). */
  get backlog(): number {
    return this.#backlog;
  }

  async start(): Promise<void> {
    if (this.#loop !== undefined) throw new TypeError('outbox sender already started');
    this.#metrics.setBacklogSource(() => this.#backlog);
    this.#stopping = false;
    this.#loop = this.#run();
  }

  /**
   * New messages were committed to `partition`'s outbox (the processor calls this after each
   * checkpoint that has some); without a partition, every owned outbox is read again.
   */
  notify(added = 0, partition?: number): void {
    this.#backlog += added;
    if (partition === undefined) this.#everything = true;
    else this.#dirty.add(partition);
    this.#wake?.();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#loop;
    this.#loop = undefined;
  }

  /** Resolves when the outboxes of the owned partitions are empty. */
  async drained(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const sizes = await Promise.all(
        [...this.#o.ownership.owned().keys()].map((p) => this.#o.store.outboxSize(p)),
      );
      if (sizes.every((n) => n === 0)) return;
      if (Date.now() > deadline) throw new Error('outbox did not drain in time');
      this.notify();
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async #run(): Promise<void> {
    const idleMs = this.#o.idleMs ?? 500;
    while (!this.#stopping) {
      // Only the outboxes that got messages; every owned one at least every idleMs (a partition
      // taken over from a dead node arrives with the backlog it left).
      if (Date.now() - this.#lastFullScan >= idleMs) this.#everything = true;
      let sentAny = false;
      try {
        sentAny = await this.#sendRound(this.#take());
      } catch (err) {
        this.#o.onError?.(err);
      }
      if (sentAny || this.#dirty.size > 0 || this.#everything || this.#stopping) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, idleMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  /** The owned partitions to read this round (and forgets them as to-do). */
  #take(): { partitions: number[]; full: boolean } {
    const owned = this.#o.ownership.owned();
    const full = this.#everything;
    const partitions = full ? [...owned.keys()] : [...this.#dirty].filter((p) => owned.has(p));
    this.#everything = false;
    this.#dirty.clear();
    if (full) this.#lastFullScan = Date.now();
    return { partitions, full };
  }

  async #sendRound({ partitions, full }: { partitions: number[]; full: boolean }): Promise<boolean> {
    let sent = 0;
    let waiting = 0;
    for (const p of partitions) {
      const batch = await this.#o.store.outbox(p, this.#concurrency * 4);
      waiting += batch.length;
      if (batch.length === 0) continue;
      this.#dirty.add(p); // read it again next round: more may wait, or a delivery failed
      const acked: string[] = [];
      for (let i = 0; i < batch.length; i += this.#concurrency) {
        const chunk = batch.slice(i, i + this.#concurrency);
        const results = await Promise.allSettled(chunk.map((m) => this.#deliver(m)));
        results.forEach((r, j) => {
          if (r.status === 'fulfilled') acked.push(chunk[j]!.key);
          else this.#o.onError?.(r.reason);
        });
      }
      await this.#o.store.ackOutbox(p, acked);
      sent += acked.length;
    }
    this.#backlog = Math.max(0, (full ? waiting : this.#backlog) - sent);
    if (waiting > 0 && sent === 0) await new Promise((r) => setTimeout(r, 200)); // targets failing: back off
    return sent > 0;
  }

  async #deliver(message: OutboxMessage): Promise<void> {
    if (message.kind === 'cart-removal') {
      await this.#o.removeFromCart(message);
      return;
    }
    this.#metrics.confirmationSent(await this.#o.sink.deliver(message));
  }
}
