import { MemoryLevel } from 'memory-level';
import { LevelReplicaStore } from './level-replica-store.js';

/** A replica store that lives as long as the process (Node tests, server-side clients). */
export function createMemoryReplicaStore(): LevelReplicaStore {
  return new LevelReplicaStore(
    new MemoryLevel<string, Uint8Array>({ keyEncoding: 'utf8', valueEncoding: 'view' }),
    'memory',
  );
}
