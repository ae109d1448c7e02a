// Test harnesses and conformance suites of the replication core (re-exported by @cartwheel/crdt/testing).
export { type DotSet, type DotSetOp, dotSetDelta, dotSetType, dotSetValues } from './dot-set-type.js';
export { ClockScope, ManualClock, settle } from './manual-clock.js';
export { CrashableStorage, MemoryStorage } from './memory-storage.js';
export { MemoryNetwork, type MemoryNetworkOptions, type NetworkStats } from './memory-transport.js';
export { SeededRandom } from './seeded-random.js';
export { storageConformance } from './storage-conformance.js';
export { TestCluster, type TestClusterOptions } from './test-cluster.js';
export { type TransportPair, transportConformance } from './transport-conformance.js';
