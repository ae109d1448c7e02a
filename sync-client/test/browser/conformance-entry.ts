// Bundled into an IIFE and run inside Chromium: the ReplicaStore conformance suite on IndexedDB.
import { createBrowserReplicaStore } from '../../src/index.js';
import { replicaStoreConformance } from '../../src/testing.js';

interface CaseResult {
  readonly name: string;
  readonly error?: string;
}

let db = 0;
const names = new WeakMap<object, string>();

async function runConformance(): Promise<CaseResult[]> {
  const cases = replicaStoreConformance({
    create() {
      const name = `conformance-${Date.now()}-${db++}`;
      const store = createBrowserReplicaStore(name);
      names.set(store, name);
      return store;
    },
    reopen(previous) {
      return createBrowserReplicaStore(names.get(previous)!);
    },
  });
  const results: CaseResult[] = [];
  for (const c of cases) {
    try {
      await c.run();
      results.push({ name: c.name });
    } catch (error) {
      results.push({
        name: c.name,
        error: error instanceof Error ? `${error.message}\n${error.stack}` : String(error),
      });
    }
  }
  return results;
}

(globalThis as { runConformance?: () => Promise<CaseResult[]> }).runConformance = runConformance;
