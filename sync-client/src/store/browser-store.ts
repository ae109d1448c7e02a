import { IndexedDbLevel } from './indexeddb-level.js';
import { LevelReplicaStore } from './level-replica-store.js';

/**
 * A replica store in IndexedDB; `name` names the database (`level-js-<name>`, the layout
 * browser-level used, so replicas stored by earlier versions load unchanged; default "cartwheel").
 */
export function createBrowserReplicaStore(name = 'cartwheel'): LevelReplicaStore {
  return new LevelReplicaStore(new IndexedDbLevel(name), 'indexeddb');
}
