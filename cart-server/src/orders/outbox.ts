/**
 * The transactional outbox's sender. Messages enter the outbox in the same atomic batch as the
 * order's status (ProcessorStore.commit), so a confirmed order always has its message and a
 * rejected one never does. The sender delivers each message to a sink with the message's
 * idempotency key and only then removes it from the outbox; a crash between the two delivers the
 * message again, and the sink — which must deduplicate by key — turns that into a no-op. The
 * net effect is exactly one confirmation per confirmed order.
 */
import type { OutboxMessage } from './events.js';
import { noopOrderMetrics, type OrderMetrics } from './metrics.js';
import type { ProcessorStore } from './processor-store.js';

export interface MessageSink {
  /** Delivers `message` unless a message with the same key was delivered before. */
  deliver(message: OutboxMessage): Promise<'sent' | 'deduplicated'>;
}

export interface OutboxSenderOptions {
  readonly store: ProcessorStore;
  readonly sink: MessageSink;
  readonly metrics?: OrderMetrics;
  /** Messages delivered concurrently (default 32). */
  readonly concurrency?: number;
  /** Poll interval when not notified (default 500 ms). */
  readonly idleMs?: number;
  readonly onError?: (err: unknown) => void;
}

export class OutboxSender {
  readonly #store: ProcessorStore;
  readonly #sink: MessageSink;
  readonly #metrics: OrderMetrics;
  readonly #concurrency: number;
  readonly #idleMs: number;
  readonly #onError: (err: unknown) => void;
  #backlog = 0;
  #loop: Promise<void> | undefined;
  #stopping = false;
  #wake: (() => void) | undefined;
  #pending = false;

  constructor(options: OutboxSenderOptions) {
    this.#store = options.store;
    this.#sink = options.sink;
    this.#metrics = options.metrics ?? noopOrderMetrics;
    this.#concurrency = options.concurrency ?? 32;
    this.#idleMs = options.idleMs ?? 500;
    this.#onError = options.onError ?? (() => undefined);
  }

  /** Messages waiting (as of the last scan / notification). */
  get backlog(): number {
    return this.#backlog;
  }

  async start(): Promise<void> {
    if (this.#loop !== undefined) throw new TypeError('outbox sender already started');
    this.#backlog = await this.#store.outboxSize();
    this.#metrics.setBacklogSource(() => this.#backlog);
    this.#stopping = false;
    this.#loop = this.#run();
  }

  /** New messages were committed (the processor calls this after each checkpoint). */
  notify(added = 0): void {
    this.#backlog += added;
    this.#pending = true;
    this.#wake?.();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#loop;
    this.#loop = undefined;
  }

  /** Resolves when the outbox is empty. */
  async drained(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.#store.outboxSize()) > 0) {
      if (Date.now() > deadline) throw new Error('outbox did not drain in time');
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      this.#pending = false;
      let sentAny = false;
      try {
        sentAny = await this.#sendBatch();
      } catch (err) {
        this.#onError(err);
      }
      if (sentAny || this.#pending || this.#stopping) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#idleMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  async #sendBatch(): Promise<boolean> {
    const batch = await this.#store.outboxBatch(this.#concurrency * 4);
    if (batch.length === 0) {
      this.#backlog = 0;
      return false;
    }
    const acked: string[] = [];
    for (let i = 0; i < batch.length; i += this.#concurrency) {
      const chunk = batch.slice(i, i + this.#concurrency);
      const results = await Promise.allSettled(chunk.map((m) => this.#sink.deliver(m)));
      results.forEach((r, j) => {
        if (r.status === 'fulfilled') {
          acked.push(chunk[j]!.key);
          this.#metrics.confirmationSent(r.value);
        } else {
          this.#onError(r.reason);
        }
      });
    }
    await this.#store.ackOutbox(acked);
    this.#backlog = Math.max(0, this.#backlog - acked.length);
    if (acked.length === 0) await new Promise((r) => setTimeout(r, 200)); // sink failing: back off
    return acked.length > 0;
  }
}
