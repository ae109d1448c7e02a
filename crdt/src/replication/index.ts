// Public API of the replication core (re-exported by @cartwheel/crdt).
export { claim, countViolations, stripeClaim } from './claim.js';
export { DEFAULT_REPLICATION_CONFIG, type ReplicationConfig, resolveConfig } from './config.js';
export {
  type QuorumDetails,
  QuorumError,
  ReplicationDecodeError,
  ReplicationError,
  type ReplicationErrorCode,
} from './errors.js';
export type {
  Clock,
  NodeId,
  Random,
  ReplicatedType,
  Storage,
  StorageBatchOp,
  TimerHandle,
  Transport,
} from './interfaces.js';
export {
  completeTransfer,
  type MembershipChange,
  planChanges,
  type RingPlan,
  type Transfer,
} from './membership.js';
export { decodeMessage, encodeMessage, type Message, WIRE_VERSION } from './messages.js';
export type { ReadOptions, ReplicaCounters, WriteOptions } from './node-types.js';
export { type PreflistEntry, replicaPartitions } from './preference-list.js';
export { ReplicaNode, type ReplicaNodeOptions, type ReplicaStatus } from './replica-node.js';
export { type MemberEntry, type MemberStatus, type PartitionEntry, Ring } from './ring.js';
