import { MemoryStorage } from './memory-storage.js';
import { MemoryNetwork } from './memory-transport.js';
import { SeededRandom } from './seeded-random.js';
import { storageConformance } from './storage-conformance.js';
import { transportConformance } from './transport-conformance.js';

storageConformance('MemoryStorage', () => new MemoryStorage());

transportConformance('MemoryNetwork (no faults)', async () => {
  const net = new MemoryNetwork({ random: new SeededRandom(7) });
  return { a: net.transport('a'), b: net.transport('b'), close: () => {} };
});
