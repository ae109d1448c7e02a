/**
 * The order processor of one node (the stream-processor role Flink plays in the source design):
 * it runs a PartitionTask for every partition its ownership holds, polls those partitions from
 * their checkpointed offsets, and for each polled run of records
 *   1. computes the task's result (pure),
 *   2. appends the messages it emits to other partitions (deterministic dedupe ids),
 *   3. commits the checkpoint — state changes, outbox, next offset — atomically under the
 *      partition's fence,
 *   4. only then makes the result the task's state.
 * A crash anywhere replays from the last checkpoint: step 2 re-emits the same ids (no-ops) and
 * nothing after the checkpoint was ever visible. A refused commit (fenced off) drops the task;
 * any other failure reloads it from the checkpoint.
 */
import { OrderLogError } from '../errors.js';
import type { LogRecord, OrderLog } from '../log/order-log.js';
import { noopOrderMetrics, type OrderMetrics } from '../metrics.js';
import type { Fence, PartitionStore } from '../state/partition-store.js';
import type { PartitionOwnership } from './ownership.js';
import { type PartitionCommit, PartitionTask } from './partition-task.js';

export interface OrderProcessorOptions {
  readonly log: OrderLog;
  readonly store: PartitionStore;
  readonly ownership: PartitionOwnership;
  /** Records per poll at most (default 1000). */
  readonly maxBatch?: number;
  readonly blockMs?: number;
  readonly metrics?: OrderMetrics;
  readonly now?: () => number;
  /** Called after each durable checkpoint of a partition (the outbox sender listens). */
  readonly onCommitted?: (partition: number, commit: PartitionCommit) => void;
  readonly onError?: (err: unknown) => void;
}

interface Running {
  readonly task: PartitionTask;
  readonly fence: Fence;
}

export class OrderProcessor {
  readonly #o: OrderProcessorOptions;
  readonly #metrics: OrderMetrics;
  readonly #tasks = new Map<number, Running>();
  /** Partitions being handed over: dropped at the next round, then their waiters resolve. */
  readonly #releasing = new Map<number, (() => void)[]>();
  #loop: Promise<void> | undefined;
  #stopping = false;
  readonly #waiters: (() => void)[] = [];

  constructor(options: OrderProcessorOptions) {
    this.#o = options;
    this.#metrics = options.metrics ?? noopOrderMetrics;
    options.ownership.setBeforeRelease((p) => this.#release(p));
  }

  async start(): Promise<void> {
    if (this.#loop !== undefined) throw new TypeError('processor already started');
    this.#metrics.setLagSource(() => this.lag());
    this.#stopping = false;
    this.#loop = this.#run();
    await this.#o.ownership.start();
  }

  /** Finishes the round in hand (its checkpoints included), stops, and gives the partitions back. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#loop;
    this.#loop = undefined;
    this.#tasks.clear();
    await this.#o.ownership.stop();
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Partitions processed here now, with their checkpointed next offsets. */
  offsets(): ReadonlyMap<number, number> {
    return new Map([...this.#tasks].map(([p, r]) => [p, r.task.offset]));
  }

  /** Records in the log not yet checkpointed, over all partitions (whoever owns them). */
  async lag(): Promise<number> {
    const [ends, done] = await Promise.all([this.#o.log.endOffsets(), this.#o.store.offsets()]);
    return ends.reduce((sum, end, p) => sum + Math.max(0, end - (done[p] ?? 0)), 0);
  }

  /** Checkpointed stock of a product this node processes (tests, benchmarks). */
  stockOf(productId: string): number | undefined {
    return this.#tasks.get(this.#o.log.partitionFor(productId))?.task.stockOf(productId);
  }

  /**
   * Resolves once every record appended before the call — and every message those records cause —
   * is checkpointed by this processor (an embedded node; a cluster asks the store's offsets).
   */
  async caughtUp(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ends = await this.#o.log.endOffsets();
      const done = this.offsets();
      const behind = ends.some((end, p) => (done.get(p) ?? -1) < end);
      const open = [...this.#tasks.values()].some((r) => r.task.openSagas > 0);
      if (!behind && !open && (await this.#o.log.endOffsets()).every((e, p) => e === ends[p])) return;
      if (Date.now() > deadline) throw new Error('order processor did not catch up in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  #release(p: number): Promise<void> {
    if (!this.#tasks.has(p) || this.#loop === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.#releasing.get(p) ?? [];
      list.push(resolve);
      this.#releasing.set(p, list);
    });
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      try {
        await this.#round();
      } catch (err) {
        this.#o.onError?.(err);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    for (const [, list] of this.#releasing) for (const wake of list) wake();
    this.#releasing.clear();
  }

  /** Syncs the tasks with the ownership, then polls and processes one batch. */
  async #round(): Promise<void> {
    await this.#syncTasks();
    const from = new Map([...this.#tasks].map(([p, r]) => [p, r.task.offset]));
    const records = await this.#o.log.poll(from, {
      maxRecords: this.#o.maxBatch ?? 1000,
      blockMs: this.#o.blockMs ?? 100,
    });
    if (records.length === 0) return;
    const byPartition = new Map<number, LogRecord[]>();
    for (const r of records) {
      const list = byPartition.get(r.partition) ?? [];
      list.push(r);
      byPartition.set(r.partition, list);
    }
    await Promise.all([...byPartition].map(([p, list]) => this.#processPartition(p, list)));
    for (const wake of this.#waiters.splice(0)) wake();
  }

  async #syncTasks(): Promise<void> {
    const owned = this.#o.ownership.owned();
    for (const [p, running] of this.#tasks) {
      if (owned.get(p)?.token !== running.fence.token) this.#drop(p);
    }
    for (const [p, list] of this.#releasing) {
      if (!this.#tasks.has(p)) {
        this.#releasing.delete(p);
        for (const wake of list) wake();
      }
    }
    const missing = [...owned].filter(([p]) => !this.#tasks.has(p));
    await Promise.all(
      missing.map(async ([p, fence]) => {
        const state = await this.#o.store.load(p);
        if (this.#o.ownership.owned().get(p)?.token !== fence.token) return;
        const task = new PartitionTask(
          {
            partition: p,
            partitions: this.#o.log.partitions,
            partitionFor: (id) => this.#o.log.partitionFor(id),
            now: this.#o.now ?? Date.now,
          },
          state,
        );
        this.#tasks.set(p, { task, fence });
      }),
    );
  }

  #drop(p: number): void {
    this.#tasks.delete(p);
    const list = this.#releasing.get(p);
    this.#releasing.delete(p);
    for (const wake of list ?? []) wake();
  }

  async #processPartition(p: number, records: readonly LogRecord[]): Promise<void> {
    const running = this.#tasks.get(p);
    if (running === undefined) return;
    try {
      const result = running.task.process(records);
      await Promise.all(result.emits.map((m) => this.#o.log.append(m)));
      await this.#o.store.commit(p, running.fence, result.commit);
      running.task.apply(result);
      for (const outcome of result.outcomes) {
        if (outcome === 'inventory-applied') this.#metrics.inventoryUpdate('applied');
        else if (outcome === 'inventory-refused') this.#metrics.inventoryUpdate('refused');
        else this.#metrics.processed(outcome);
      }
      for (const view of result.commit.orders.values()) {
        if (view.rejection !== undefined) this.#metrics.rejection(view.rejection.reason);
      }
      this.#o.onCommitted?.(p, result.commit);
    } catch (err) {
      // Fenced off: the partition is someone else's. Anything else: reload from the checkpoint.
      if (err instanceof OrderLogError && err.code === 'FENCED') {
        this.#metrics.fencedCommit();
        this.#o.ownership.lost(p, running.fence);
      }
      this.#drop(p);
      this.#o.onError?.(err);
    }
    if (this.#releasing.has(p)) this.#drop(p);
  }
}
