// Public API of the replication core (re-exported by @cartwheel/crdt).

export {
  DEFAULT_REPLICATION_CONFIG,
  type ReplicationConfig,
  type ReplicationConfigInput,
  resolveConfig,
} from './config.js';
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
export type { ReadOptions, ReplicaCounters, WriteOptions } from './node/node-types.js';
export { ReplicaNode, type ReplicaNodeOptions, type ReplicaStatus } from './node/replica-node.js';
export type { AaeVnodeStatus } from './repair/anti-entropy.js';
export type { ActiveHandoff, HandoffProgress } from './repair/handoff.js';
export { claim, countViolations, stripeClaim } from './ring/claim.js';
export {
  completeTransfer,
  type MembershipChange,
  planChanges,
  type RingPlan,
  type Transfer,
} from './ring/membership.js';
export { type PreflistEntry, replicaPartitions } from './ring/preference-list.js';
export { type MemberEntry, type MemberStatus, type PartitionEntry, Ring } from './ring/ring.js';
export { decodeMessage, encodeMessage, type Message, WIRE_VERSION } from './wire/messages.js';
