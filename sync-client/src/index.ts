// Public entry of @cartwheel/sync-client. Everything exported here is API.

// The sync frames' codec is @cartwheel/crdt's (`encodeClientFrame`, `parseServerFrame`, ...):
// one codec, imported by this client and by the cart server.
export { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
export { type DeviceCredentials, registerDevice } from './device.js';
export { SyncClientError, type SyncClientErrorCode } from './errors.js';
export type { SocketFactory, SocketLike } from './socket.js';
export { createBrowserReplicaStore } from './store/browser-store.js';
export { LevelReplicaStore, type ReplicaLevel } from './store/level-replica-store.js';
export { createMemoryReplicaStore } from './store/memory-store.js';
export type { LogEntry, ReplicaMeta, ReplicaStore, StoredReplica } from './store/replica-store.js';
export {
  type ClientRole,
  type ClientSnapshot,
  SyncClient,
  type SyncClientOptions,
  type SyncStatus,
  type TokenReason,
} from './sync-client.js';
export type { TabCoordinator, TabMessage } from './tab-coordinator.js';
