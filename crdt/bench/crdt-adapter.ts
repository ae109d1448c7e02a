import type { WorkloadOp } from './crdt-workload.js';

export type LibName = 'cartwheel' | 'automerge' | 'yjs';

/**
 * One replica of a cart in one library. Everything that would cross a network is bytes, so
 * each library pays for its own encoding in the timed sections.
 */
export interface CartReplica {
  /** Applies one op as one change/transaction. */
  apply(op: WorkloadOp): void;
  /** Applies one op and returns the encoded delta/update/change that op produced alone. */
  applyWithDelta(op: WorkloadOp): Uint8Array;
  /** A new replica (new actor/client id) holding this replica's current state. */
  fork(actorSeed: number): CartReplica;
  /** What this replica has seen (causal context / state vector / heads), encoded. */
  version(): Uint8Array;
  /** Encoded delta holding what a peer at `peerVersion` lacks. */
  deltaSince(peerVersion: Uint8Array): Uint8Array;
  applyDelta(delta: Uint8Array): void;
  encodeState(): Uint8Array;
  /** The cart as productId → quantity (present products only). */
  read(): Map<string, number>;
}

export interface CartAdapter {
  readonly lib: LibName;
  create(actorSeed: number): CartReplica;
  load(state: Uint8Array, actorSeed: number): CartReplica;
}
