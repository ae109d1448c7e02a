import type { Storage, StorageBatchOp } from '@cartwheel/crdt';
import type { SimHost } from './host.js';
import type { Simulator } from './simulator.js';

type Partitions = Map<number, Map<string, Uint8Array>>;

interface UnsyncedWrite {
  readonly undo: Array<{ ns: string; partition: number; key: string; previous: Uint8Array | undefined }>;
}

/**
 * A node's disk: survives process crashes. Writes are visible at once (page cache) and become
 * durable after a simulated fsync delay; only then does the write's promise resolve, so the
 * `Storage` contract ("resolved = durable") holds. A crash with `loseUnsynced` rolls back the
 * writes whose fsync had not finished, as a power cut does.
 */
export class SimDisk {
  private readonly spaces = new Map<string, Partitions>();
  private unsynced: UnsyncedWrite[] = [];
  /** Virtual ms from write to durable. */
  syncDelayMs = 0.2;
  writes = 0;
  bytesWritten = 0;

  constructor(
    private readonly sim: Simulator,
    private readonly host: SimHost,
  ) {}

  /** A `Storage` bound to one process incarnation: a dead process's calls never complete. */
  open(incarnation: number): Storage {
    const host = this.host;
    const whenAlive = <T>(value: () => T): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        if (!host.alive(incarnation)) return; // never settles: the caller is gone
        try {
          resolve(value());
        } catch (err) {
          reject(err);
        }
      });
    const durable = (ops: readonly StorageBatchOp[]): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        if (!host.alive(incarnation)) return;
        let write: UnsyncedWrite;
        try {
          write = this.apply(ops);
        } catch (err) {
          reject(err);
          return;
        }
        this.sim.schedule(this.syncDelayMs, () => {
          this.unsynced = this.unsynced.filter((w) => w !== write);
          host.run(incarnation, () => resolve());
        });
      });
    return {
      get: (ns, partition, key) => whenAlive(() => copy(this.read(ns, partition, key))),
      put: (ns, partition, key, value) => durable([{ type: 'put', ns, partition, key, value }]),
      delete: (ns, partition, key) => durable([{ type: 'delete', ns, partition, key }]),
      batch: (ops) => durable(ops),
      entries: (ns, partition) => this.iterate(incarnation, ns, partition),
      partitions: (ns) =>
        whenAlive(() => {
          const parts = this.spaces.get(ns);
          if (parts === undefined) return [];
          return [...parts.entries()]
            .filter(([, keys]) => keys.size > 0)
            .map(([p]) => p)
            .sort((a, b) => a - b);
        }),
    };
  }

  /** Synchronous read for checkers (bypasses the process). */
  read(ns: string, partition: number, key: string): Uint8Array | undefined {
    return this.spaces.get(ns)?.get(partition)?.get(key);
  }

  /**
   * Every (partition, value) of `key` in a namespace, for checkers (bypasses the process): one
   * map lookup per partition, in partition creation order.
   */
  copies(ns: string, key: string): Array<readonly [number, Uint8Array]> {
    const out: Array<readonly [number, Uint8Array]> = [];
    const parts = this.spaces.get(ns);
    if (parts === undefined) return out;
    for (const [partition, keys] of parts) {
      const value = keys.get(key);
      if (value !== undefined) out.push([partition, value]);
    }
    return out;
  }

  crash(loseUnsynced: boolean): void {
    if (loseUnsynced) {
      for (let i = this.unsynced.length - 1; i >= 0; i--) {
        const write = this.unsynced[i] as UnsyncedWrite;
        for (let j = write.undo.length - 1; j >= 0; j--) {
          const u = write.undo[j];
          if (u === undefined) continue;
          if (u.previous === undefined) this.keys(u.ns, u.partition).delete(u.key);
          else this.keys(u.ns, u.partition).set(u.key, u.previous);
        }
      }
    }
    this.unsynced = [];
  }

  private apply(ops: readonly StorageBatchOp[]): UnsyncedWrite {
    for (const op of ops) validate(op);
    const write: UnsyncedWrite = { undo: [] };
    for (const op of ops) {
      const keys = this.keys(op.ns, op.partition);
      write.undo.push({ ns: op.ns, partition: op.partition, key: op.key, previous: keys.get(op.key) });
      if (op.type === 'put') {
        const value = copy(op.value) as Uint8Array;
        keys.set(op.key, value);
        this.bytesWritten += value.byteLength + op.key.length;
      } else keys.delete(op.key);
    }
    this.writes++;
    this.unsynced.push(write);
    return write;
  }

  private keys(ns: string, partition: number): Map<string, Uint8Array> {
    let parts = this.spaces.get(ns);
    if (parts === undefined) {
      parts = new Map();
      this.spaces.set(ns, parts);
    }
    let keys = parts.get(partition);
    if (keys === undefined) {
      keys = new Map();
      parts.set(partition, keys);
    }
    return keys;
  }

  private async *iterate(
    incarnation: number,
    ns: string,
    partition: number,
  ): AsyncGenerator<readonly [string, Uint8Array]> {
    const snapshot = [...(this.spaces.get(ns)?.get(partition)?.entries() ?? [])].sort((a, b) =>
      a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0,
    );
    for (const [key, value] of snapshot) {
      if (!this.host.alive(incarnation)) return;
      yield [key, copy(value) as Uint8Array] as const;
    }
  }
}

function copy(value: Uint8Array | undefined): Uint8Array | undefined {
  return value === undefined ? undefined : value.slice();
}

function validate(op: StorageBatchOp): void {
  if (typeof op.ns !== 'string' || op.ns.length === 0) throw new TypeError('storage: bad namespace');
  if (!Number.isInteger(op.partition) || op.partition < 0) throw new TypeError('storage: bad partition');
  if (typeof op.key !== 'string') throw new TypeError('storage: bad key');
  if (op.type === 'put' && !(op.value instanceof Uint8Array))
    throw new TypeError('storage: value must be bytes');
}
