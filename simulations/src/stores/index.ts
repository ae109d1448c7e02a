import { LwwStore } from '../control/lww-store.js';
import type { SimConfig, StoreName } from '../run/config.js';
import type { StoreFactory } from '../run/run-seed.js';
import { CartwheelStore, simReplicationConfig } from './cartwheel-store.js';
import type { SimStore, StoreNode } from './store.js';

// Devices are typed to their own store's node; the runner only pairs them with that store.
export const controlStore: StoreFactory = (config: SimConfig): SimStore<StoreNode> =>
  new LwwStore(config.n) as unknown as SimStore<StoreNode>;

export const cartwheelStore: StoreFactory = (config: SimConfig): SimStore<StoreNode> =>
  new CartwheelStore(config.n, simReplicationConfig(config.core)) as unknown as SimStore<StoreNode>;

export function storeFactory(name: StoreName): StoreFactory {
  return name === 'control' ? controlStore : cartwheelStore;
}
