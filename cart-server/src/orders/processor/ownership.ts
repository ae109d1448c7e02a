/**
 * Which log partitions this process may process, each with the fence its checkpoints are written
 * under. One embedded node owns every partition for good (LocalOwnership); a cluster node owns the
 * partitions whose leases it holds in Redis (PartitionLeases).
 */
import type { Fence } from '../state/partition-store.js';

export interface PartitionOwnership {
  /** The partitions owned right now. */
  owned(): ReadonlyMap<number, Fence>;
  /** A commit under `fence` was refused: the partition is not ours any more. */
  lost(partition: number, fence: Fence): void;
  /**
   * Called before a partition is handed to another node: resolves once this process no longer
   * processes it (its last checkpoint is written). The processor sets it.
   */
  setBeforeRelease(hook: (partition: number) => Promise<void>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Every partition, always: one process and its own LevelDB state. */
export class LocalOwnership implements PartitionOwnership {
  readonly #owned: ReadonlyMap<number, Fence>;

  constructor(partitions: number, owner = 'local') {
    this.#owned = new Map(Array.from({ length: partitions }, (_, p) => [p, { owner, token: 0 }]));
  }

  owned(): ReadonlyMap<number, Fence> {
    return this.#owned;
  }

  lost(): void {
    // nobody else can take a partition of an embedded node
  }

  setBeforeRelease(): void {
    // partitions are never handed over
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}
}
