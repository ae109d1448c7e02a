import { LwwStore } from '../control/lww-store.js';
import type { SimConfig, StoreName } from '../run/config.js';
import type { StoreFactory } from '../run/run-seed.js';
import type { SimStore, StoreNode } from './store.js';

export const controlStore: StoreFactory = (config: SimConfig): SimStore<StoreNode> =>
  new LwwStore(config.n) as unknown as SimStore<StoreNode>;

export function storeFactory(name: StoreName): StoreFactory {
  if (name === 'control') return controlStore;
  // TODO(cartwheel adapter) — replaced when the replication core lands.
  return controlStore;
}
