/**
 * What the read and write coordinators need from their node: messaging, the open-request table,
 * the vnodes, the minting actor and clocks. The node (node/replica-node.ts) supplies them.
 */
import { type QuorumError, ReplicationError } from '../../errors.js';
import type { ReplicationConfig } from '../config.js';
import type { NodeId, ReplicatedType } from '../interfaces.js';
import type { ReplicaCounters } from '../node/node-types.js';
import type { VnodeStore } from '../node/vnode.js';
import type { PreflistEntry } from '../ring/preference-list.js';
import type { Message } from '../wire/messages.js';
import type { RequestTable } from './request-table.js';

export interface CoordinatorDeps<S, Op> {
  readonly self: NodeId;
  readonly type: ReplicatedType<S, Op>;
  readonly vnodes: VnodeStore<S, Op>;
  readonly config: ReplicationConfig;
  readonly counters: ReplicaCounters;
  readonly requests: RequestTable;
  preferenceList(key: string): readonly PreflistEntry[];
  send(to: NodeId, m: Message): void;
  isStarted(): boolean;
  /** The current vnode actor. */
  actor(): string;
  /** Undefined when the actor is ready; else a promise that settles once a pending epoch bump is stored. */
  actorPending(): Promise<void> | undefined;
  /** Hybrid logical time for minting. */
  now(): number;
  /** Wall-clock milliseconds (the injected Clock), for the dedup window. */
  wallNow(): number;
  /** A fresh random request id (53 bits, from the injected Random). */
  requestId(): number;
  /**
   * After a write: `entries` were sent `key`, and those in `unacked` (remote ones) did not
   * acknowledge it by the deadline; called too when the list is short of N (a primary down with
   * no fallback). The node keeps hints for them (repair/hint-store.ts).
   */
  missed?(key: string, entries: readonly PreflistEntry[], unacked: ReadonlySet<number>): void;
}

export function ensureStarted<S, Op>(d: CoordinatorDeps<S, Op>): void {
  if (!d.isStarted()) throw new ReplicationError('REPLICATION_STOPPED', `node ${d.self} is not running`);
}

/** Counts a failed quorum and returns the error to throw. */
export function quorumFailed<S, Op>(d: CoordinatorDeps<S, Op>, e: QuorumError): QuorumError {
  d.counters.quorumErrors++;
  return e;
}

export function stoppedError(self: NodeId): ReplicationError {
  return new ReplicationError('REPLICATION_STOPPED', `node ${self} stopped`);
}
