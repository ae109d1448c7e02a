import { BrowserLevel } from 'browser-level';
import { LevelReplicaStore } from './level-replica-store.js';

/** A replica store in IndexedDB; `name` is the IndexedDB database name (default "cartwheel"). */
export function createBrowserReplicaStore(name = 'cartwheel'): LevelReplicaStore {
  return new LevelReplicaStore(
    new BrowserLevel<string, Uint8Array>(name, { keyEncoding: 'utf8', valueEncoding: 'view' }),
    'indexeddb',
  );
}
