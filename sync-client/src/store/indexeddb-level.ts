/**
 * The slice of abstract-level that LevelReplicaStore uses (`ReplicaLevel`), implemented directly
 * on IndexedDB. The level stack (abstract-level, level-transcoder, browser-level) needs Node's
 * `events` and `buffer` in a browser bundle; this adapter needs neither and is what keeps the
 * client bundle within its budget without bundler shims.
 *
 * The layout is browser-level's, so a replica stored by earlier versions loads unchanged:
 * database `level-js-<name>` (version 1) with one object store `<name>`, out-of-line keys stored
 * as the UTF-8 bytes of the string key (IndexedDB orders binary keys bytewise, as level does),
 * values as Uint8Array.
 */
import { SyncClientError } from '../errors.js';
import type { ReplicaLevel } from './level-replica-store.js';

type Range = { gt?: string; gte?: string; lt?: string; lte?: string };
type BatchOp = { type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder();
// TextEncoder output is backed by a plain ArrayBuffer, which IndexedDB accepts as a binary key.
const keyOf = (key: string): IDBValidKey => encoder.encode(key) as Uint8Array<ArrayBuffer>;

function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

function toRange(range: Range): IDBKeyRange | undefined {
  const lower = range.gt ?? range.gte;
  const upper = range.lt ?? range.lte;
  if (lower !== undefined && upper !== undefined) {
    return IDBKeyRange.bound(keyOf(lower), keyOf(upper), range.gt !== undefined, range.lt !== undefined);
  }
  if (lower !== undefined) return IDBKeyRange.lowerBound(keyOf(lower), range.gt !== undefined);
  if (upper !== undefined) return IDBKeyRange.upperBound(keyOf(upper), range.lt !== undefined);
  return undefined;
}

function asBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw new SyncClientError('SYNC_STORE_CORRUPT', 'IndexedDB value is not binary');
}

function keyString(key: IDBValidKey): string {
  if (key instanceof ArrayBuffer || ArrayBuffer.isView(key)) {
    const view = ArrayBuffer.isView(key)
      ? new Uint8Array(key.buffer, key.byteOffset, key.byteLength)
      : new Uint8Array(key);
    return decoder.decode(view);
  }
  throw new SyncClientError('SYNC_STORE_CORRUPT', 'IndexedDB key is not binary');
}

export class IndexedDbLevel implements ReplicaLevel {
  readonly #name: string;
  #db: IDBDatabase | undefined;
  #status: 'opening' | 'open' | 'closing' | 'closed' = 'closed';

  constructor(name: string) {
    this.#name = name;
  }

  get status(): string {
    return this.#status;
  }

  async open(): Promise<void> {
    if (this.#db !== undefined) return;
    const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (idb === undefined) throw new TypeError('no IndexedDB in this runtime');
    this.#status = 'opening';
    const request = idb.open(`level-js-${this.#name}`, 1);
    request.onupgradeneeded = () => {
      if (!request.result.objectStoreNames.contains(this.#name)) request.result.createObjectStore(this.#name);
    };
    try {
      this.#db = await done(request);
    } catch (error) {
      this.#status = 'closed';
      throw error;
    }
    this.#status = 'open';
  }

  async close(): Promise<void> {
    this.#status = 'closing';
    this.#db?.close();
    this.#db = undefined;
    this.#status = 'closed';
  }

  #store(mode: IDBTransactionMode): { tx: IDBTransaction; store: IDBObjectStore } {
    if (this.#db === undefined) throw new SyncClientError('SYNC_STORE_CLOSED', 'IndexedDB store is closed');
    const tx = this.#db.transaction(this.#name, mode);
    return { tx, store: tx.objectStore(this.#name) };
  }

  async getMany(keys: string[]): Promise<(Uint8Array | undefined)[]> {
    const { store } = this.#store('readonly');
    const values = await Promise.all(keys.map((k) => done(store.get(keyOf(k)))));
    return values.map((v) => (v === undefined ? undefined : asBytes(v)));
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    await this.batch([{ type: 'put', key, value }]);
  }

  /** One transaction: all operations or none. */
  async batch(operations: BatchOp[]): Promise<void> {
    const { tx, store } = this.#store('readwrite');
    const finished = committed(tx);
    for (const op of operations) {
      if (op.type === 'put') store.put(op.value, keyOf(op.key));
      else store.delete(keyOf(op.key));
    }
    await finished;
  }

  async *iterator(range: Range): AsyncIterable<[string, Uint8Array]> {
    const { store } = this.#store('readonly');
    const r = toRange(range);
    const [keys, values] = await Promise.all([done(store.getAllKeys(r)), done(store.getAll(r))]);
    for (let i = 0; i < keys.length; i++) yield [keyString(keys[i]!), asBytes(values[i])];
  }

  async *keys(range: Range): AsyncIterable<string> {
    const { store } = this.#store('readonly');
    for (const key of await done(store.getAllKeys(toRange(range)))) yield keyString(key);
  }

  async clear(range: Range): Promise<void> {
    const { tx, store } = this.#store('readwrite');
    const finished = committed(tx);
    const r = toRange(range);
    if (r === undefined) store.clear();
    else store.delete(r);
    await finished;
  }
}
