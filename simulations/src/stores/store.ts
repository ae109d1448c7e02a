import type { Clock, NodeId, Random, Storage, Transport } from '@cartwheel/crdt';
import type { SimDisk } from '../sim/storage.js';

/** A cart operation as the workload issues it (the shape of `CartOp` in @cartwheel/crdt). */
export type SimCartOp =
  | { readonly type: 'add'; readonly productId: string; readonly quantity: number }
  | { readonly type: 'setQuantity'; readonly productId: string; readonly quantity: number }
  | { readonly type: 'remove'; readonly productId: string }
  | { readonly type: 'clear' };

export interface QuorumOptions {
  readonly r: number;
  readonly w: number;
  readonly pr: number;
  readonly pw: number;
  readonly timeoutMs: number;
}

/** What the process of one node incarnation is given; the real core gets exactly these. */
export interface NodeEnv {
  readonly id: NodeId;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly random: Random;
  readonly storage: Storage;
  readonly members: readonly NodeId[];
}

/**
 * Actor → highest counter. A causal store numbers each actor's operations 1, 2, 3… and an actor
 * has seen its own earlier ones, so a vector stands for every dot at or below it: a causal past.
 */
export type VersionVector = Readonly<Record<string, number>>;

/** Where an operation of a causal store sits in the causal order (Lamport's happened-before). */
export interface CausalStamp {
  /** The dot ("actor@counter", see dot-id.ts) the operation minted, when the store can tell. */
  readonly dot: string | undefined;
  /**
   * Highest counter per actor in the state the operation was minted against, its own dot
   * included: a lower bound of everything the operation causally follows.
   */
  readonly context: VersionVector;
}

/**
 * What a store tells the checkers about a write: the id of the write it minted (a dot for
 * Cartwheel) and, for removes/clears/set-quantities, the ids of the writes it observed and so
 * removed. This is what makes the checkers exact instead of guessing from real-time order.
 * Causal stores add a stamp, so the checkers can tell which writes happened before a remove
 * even when the remover never held them (stores without causal order leave it undefined).
 */
export interface WriteOutcome {
  readonly writeId: string | undefined;
  readonly observed: readonly string[];
  readonly causal: CausalStamp | undefined;
}

export interface ObservedLine {
  readonly productId: string;
  readonly quantity: number;
  /** Ids of the writes still live in this line (surviving dots / provenance). */
  readonly ids: readonly string[];
}

export interface ReadOutcome {
  readonly lines: readonly ObservedLine[];
  /** Whether the state read had seen (causally includes) the write with this id. */
  readonly seen: (writeId: string) => boolean;
  /** Distinct versions among the replies (the Dynamo paper's "versions per read"). */
  readonly versions: number;
}

export interface StoreNode {
  start(): Promise<void>;
  update(cart: string, op: SimCartOp, quorum: QuorumOptions): Promise<WriteOutcome>;
  read(cart: string, quorum: QuorumOptions): Promise<ReadOutcome>;
  /**
   * Whether an `update` that failed with `error` had already read its state by the time the
   * error came back (true), or may still act later (false: e.g. a forwarded request in flight).
   */
  settledBy(error: unknown): boolean;
}

/** An offline-capable client replica (a phone in a tunnel): local ops now, sync later. */
export interface DeviceReplica<N extends StoreNode> {
  readonly actor: string;
  apply(op: SimCartOp): WriteOutcome;
  /** Pull what the cluster has, push what it lacks; resolves once the push is acknowledged. */
  sync(node: N, quorum: QuorumOptions): Promise<void>;
}

/** One replica of one cart, read straight off a node's disk. */
export interface ReplicaSnapshot {
  readonly node: NodeId;
  /** Equal digests ⇔ equal replica states. */
  readonly digest: string;
}

export interface CartInspection {
  /** The replicas that should hold the cart (primaries), present or missing. */
  readonly replicas: readonly ReplicaSnapshot[];
  /** The join / winner of all replicas: what a full read would return. */
  readonly lines: readonly ObservedLine[];
}

export interface SimStore<N extends StoreNode = StoreNode> {
  readonly name: string;
  createNode(env: NodeEnv): N;
  createDevice(cart: string, actor: string, wallClock: () => number): DeviceReplica<N>;
  inspect(cart: string, disks: ReadonlyMap<NodeId, SimDisk>): CartInspection;
  /** Cheap convergence test for polling (same verdict as `inspect`'s replicas agreeing). */
  converged(cart: string, disks: ReadonlyMap<NodeId, SimDisk>): boolean;
}
