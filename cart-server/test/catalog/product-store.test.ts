import { LevelProductStore } from '../../src/catalog/store/level-product-store.js';
import { MemoryProductStore } from '../../src/catalog/store/memory-product-store.js';
import { diskDb } from './helpers.js';
import { productStoreConformance } from './product-store.conformance.js';

productStoreConformance('memory', async () => ({ store: new MemoryProductStore(), cleanup: async () => {} }));

productStoreConformance('level (classic-level on disk)', async () => {
  const d = await diskDb();
  return { store: new LevelProductStore(d.db), cleanup: d.close };
});
