import { InMemoryLevel } from './in-memory-level.js';
import { LevelReplicaStore } from './level-replica-store.js';

/** A replica store that lives as long as the process (Node tests, server-side clients). */
export function createMemoryReplicaStore(): LevelReplicaStore {
  return new LevelReplicaStore(new InMemoryLevel(), 'memory');
}
