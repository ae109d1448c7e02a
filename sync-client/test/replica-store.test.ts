import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { afterAll, describe, it } from 'vitest';
import { createMemoryReplicaStore, LevelReplicaStore } from '../src/index.js';
import { replicaStoreConformance } from '../src/testing.js';

describe('ReplicaStore conformance: in memory', () => {
  for (const c of replicaStoreConformance({ create: () => createMemoryReplicaStore() }))
    it(c.name, () => c.run());
});

describe('ReplicaStore conformance: classic-level (disk)', () => {
  const dirs: string[] = [];
  const open = (dir: string) =>
    new LevelReplicaStore(
      new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' }),
    );
  const paths = new WeakMap<object, string>();
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const cases = replicaStoreConformance({
    create() {
      const dir = mkdtempSync(join(tmpdir(), 'cw-store-'));
      dirs.push(dir);
      const store = open(dir);
      paths.set(store, dir);
      return store;
    },
    reopen(previous) {
      return open(paths.get(previous)!);
    },
  });
  for (const c of cases) it(c.name, () => c.run());
});
