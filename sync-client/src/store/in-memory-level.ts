/**
 * The `ReplicaLevel` slice in memory: a Map with sorted range reads. Backs
 * `createMemoryReplicaStore` (tests, server-side clients) without the level stack, so the package
 * pulls no Node-only module into any bundle. Data survives close and reopen of the same instance.
 * Keys are compared as JavaScript strings, which for the store's ASCII keys is level's bytewise order.
 */
import type { ReplicaLevel } from './level-replica-store.js';

type Range = { gt?: string; gte?: string; lt?: string; lte?: string };
type BatchOp = { type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string };

function inRange(key: string, r: Range): boolean {
  if (r.gt !== undefined && !(key > r.gt)) return false;
  if (r.gte !== undefined && !(key >= r.gte)) return false;
  if (r.lt !== undefined && !(key < r.lt)) return false;
  if (r.lte !== undefined && !(key <= r.lte)) return false;
  return true;
}

export class InMemoryLevel implements ReplicaLevel {
  readonly #data = new Map<string, Uint8Array>();
  #status: 'open' | 'closed' = 'closed';

  get status(): string {
    return this.#status;
  }

  async open(): Promise<void> {
    this.#status = 'open';
  }

  async close(): Promise<void> {
    this.#status = 'closed';
  }

  async getMany(keys: string[]): Promise<(Uint8Array | undefined)[]> {
    return keys.map((k) => this.#data.get(k)?.slice());
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    this.#data.set(key, value.slice());
  }

  async batch(operations: BatchOp[]): Promise<void> {
    for (const op of operations) {
      if (op.type === 'put') this.#data.set(op.key, op.value.slice());
      else this.#data.delete(op.key);
    }
  }

  #range(range: Range): string[] {
    return [...this.#data.keys()].filter((k) => inRange(k, range)).sort();
  }

  async *iterator(range: Range): AsyncIterable<[string, Uint8Array]> {
    for (const k of this.#range(range)) {
      const v = this.#data.get(k);
      if (v !== undefined) yield [k, v.slice()];
    }
  }

  async *keys(range: Range): AsyncIterable<string> {
    yield* this.#range(range);
  }

  async clear(range: Range): Promise<void> {
    for (const k of this.#range(range)) this.#data.delete(k);
  }
}
