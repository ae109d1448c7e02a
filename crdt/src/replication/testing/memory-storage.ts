/**
 * In-memory Storage: the reference implementation the conformance suite is written against.
 * Values are copied on the way in and out, as a real store would. `CrashableStorage` wraps any
 * Storage so a test can "kill the process": afterwards no call ever settles.
 */
import type { Storage, StorageBatchOp } from '../interfaces.js';

function check(ns: string, partition: number, key?: string): void {
  if (typeof ns !== 'string' || ns.length === 0) throw new TypeError('ns must be a non-empty string');
  if (!Number.isInteger(partition) || partition < 0)
    throw new TypeError('partition must be a non-negative integer');
  if (key !== undefined && typeof key !== 'string') throw new TypeError('key must be a string');
}

export class MemoryStorage implements Storage {
  private readonly data = new Map<string, Map<number, Map<string, Uint8Array>>>();

  private part(ns: string, partition: number, create: boolean): Map<string, Uint8Array> | undefined {
    let byP = this.data.get(ns);
    if (byP === undefined) {
      if (!create) return undefined;
      byP = new Map();
      this.data.set(ns, byP);
    }
    let m = byP.get(partition);
    if (m === undefined && create) {
      m = new Map();
      byP.set(partition, m);
    }
    return m;
  }

  async get(ns: string, partition: number, key: string): Promise<Uint8Array | undefined> {
    check(ns, partition, key);
    return this.part(ns, partition, false)?.get(key)?.slice();
  }

  /** Completes synchronously: the core's write path runs without a promise per write. */
  put(ns: string, partition: number, key: string, value: Uint8Array): void {
    check(ns, partition, key);
    if (!(value instanceof Uint8Array)) throw new TypeError('value must be a Uint8Array');
    this.part(ns, partition, true)!.set(key, value.slice());
  }

  async delete(ns: string, partition: number, key: string): Promise<void> {
    check(ns, partition, key);
    const m = this.part(ns, partition, false);
    m?.delete(key);
    if (m?.size === 0) this.data.get(ns)?.delete(partition);
  }

  async batch(ops: readonly StorageBatchOp[]): Promise<void> {
    for (const op of ops) {
      check(op.ns, op.partition, op.key);
      if (op.type === 'put' && !(op.value instanceof Uint8Array))
        throw new TypeError('value must be a Uint8Array');
    }
    for (const op of ops) {
      if (op.type === 'put') this.part(op.ns, op.partition, true)!.set(op.key, op.value.slice());
      else {
        const m = this.part(op.ns, op.partition, false);
        m?.delete(op.key);
        if (m?.size === 0) this.data.get(op.ns)?.delete(op.partition);
      }
    }
  }

  async *entries(ns: string, partition: number): AsyncIterable<readonly [string, Uint8Array]> {
    check(ns, partition);
    const m = this.part(ns, partition, false);
    if (m === undefined) return;
    const keys = [...m.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const k of keys) {
      const v = m.get(k);
      if (v !== undefined) yield [k, v.slice()] as const;
    }
  }

  async partitions(ns: string): Promise<number[]> {
    const byP = this.data.get(ns);
    if (byP === undefined) return [];
    return [...byP]
      .filter(([, m]) => m.size > 0)
      .map(([p]) => p)
      .sort((a, b) => a - b);
  }

  /** Total keys in a namespace (test helper). */
  count(ns: string): number {
    let n = 0;
    for (const m of this.data.get(ns)?.values() ?? []) n += m.size;
    return n;
  }
}

const never = <T>(): Promise<T> => new Promise<T>(() => {});

export class CrashableStorage implements Storage {
  private dead = false;
  constructor(private readonly inner: Storage) {}

  kill(): void {
    this.dead = true;
  }

  get(ns: string, partition: number, key: string): Promise<Uint8Array | undefined> {
    return this.dead ? never() : this.inner.get(ns, partition, key);
  }

  put(ns: string, partition: number, key: string, value: Uint8Array): Promise<void> | void {
    return this.dead ? never() : this.inner.put(ns, partition, key, value);
  }

  delete(ns: string, partition: number, key: string): Promise<void> {
    return this.dead ? never() : this.inner.delete(ns, partition, key);
  }

  batch(ops: readonly StorageBatchOp[]): Promise<void> {
    return this.dead ? never() : this.inner.batch(ops);
  }

  async *entries(ns: string, partition: number): AsyncIterable<readonly [string, Uint8Array]> {
    if (this.dead) return await never();
    for await (const e of this.inner.entries(ns, partition)) {
      if (this.dead) return await never();
      yield e;
    }
  }

  partitions(ns: string): Promise<number[]> {
    return this.dead ? never() : this.inner.partitions(ns);
  }
}
