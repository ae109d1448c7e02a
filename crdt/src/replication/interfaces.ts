/**
 * The replication core's contract with the outside world. The core itself does no I/O: the cart
 * server passes real sockets, LevelDB and the system clock; the simulator passes a simulated
 * network, in-memory storage and virtual time. Nothing here may branch on which one it got.
 */

/** Stable node identifier (e.g. "n1" or a host:port). */
export type NodeId = string;

/**
 * A state-based CRDT as the replication core sees it: a join-semilattice with a codec and an
 * operation applier. The core stores encoded states and never looks inside them.
 *
 * `apply` turns a client operation into a delta stamped with `actor` (a vnode actor for
 * stateless clients, so the number of actors per key stays bounded as in Riak).
 */
export interface ReplicatedType<State, Op> {
  readonly name: string;
  empty(): State;
  /** Join of two states; must be commutative, associative and idempotent. Must not mutate inputs. */
  join(a: State, b: State): State;
  equals(a: State, b: State): boolean;
  encode(state: State): Uint8Array;
  /** Decodes untrusted bytes; throws only the package's typed decode error. */
  decode(bytes: Uint8Array): State;
  /** Applies `op` to `state` as `actor` at hybrid-logical time `now`; returns the delta (a state). */
  apply(state: State, op: Op, actor: string, now: number): State;
  encodeOp(op: Op): Uint8Array;
  decodeOp(bytes: Uint8Array): Op;
}

/** Addressed, unreliable, unordered message delivery. Messages may be lost, duplicated or reordered. */
export interface Transport {
  readonly self: NodeId;
  send(to: NodeId, message: Uint8Array): void;
  /** Registers the single receive handler. */
  onMessage(handler: (from: NodeId, message: Uint8Array) => void): void;
}

export interface TimerHandle {
  cancel(): void;
}

/** Wall clock and timers. `now()` is milliseconds; it may jump backwards (the HLC copes). */
export interface Clock {
  now(): number;
  setTimeout(ms: number, fn: () => void): TimerHandle;
}

/** Seeded randomness; `next()` returns a float in [0, 1). */
export interface Random {
  next(): number;
}

/**
 * Durable key-value storage of one node, split into namespaces (`data`, `hints`, `meta`, ...)
 * and partitions. A resolved `put`/`delete`/`batch` promise (or a `put` that returned) means the
 * write is durable.
 */
export interface Storage {
  get(ns: string, partition: number, key: string): Promise<Uint8Array | undefined>;
  /**
   * Stores a value. A store that completes at once (memory) may return nothing: the write is then
   * durable on return, and the core's write path continues synchronously (no promise per write).
   */
  put(ns: string, partition: number, key: string, value: Uint8Array): Promise<void> | void;
  delete(ns: string, partition: number, key: string): Promise<void>;
  batch(ops: readonly StorageBatchOp[]): Promise<void>;
  /** Entries of one partition of a namespace in ascending key order. */
  entries(ns: string, partition: number): AsyncIterable<readonly [string, Uint8Array]>;
  /** Partitions that hold at least one key in `ns`. */
  partitions(ns: string): Promise<number[]>;
}

export type StorageBatchOp =
  | {
      readonly type: 'put';
      readonly ns: string;
      readonly partition: number;
      readonly key: string;
      readonly value: Uint8Array;
    }
  | { readonly type: 'delete'; readonly ns: string; readonly partition: number; readonly key: string };
