/**
 * A map keyed by (partition, key) without building a composite string per lookup: one inner map
 * per partition, so a key string decoded once is hashed once, however often it is looked up.
 * Inner maps keep insertion order, which the vnode cache uses for eviction.
 */
export class PartitionedMap<V> {
  private readonly parts = new Map<number, Map<string, V>>();
  private count = 0;
  /** The partition the next eviction takes from (round robin over partitions). */
  private evictCursor = 0;

  get size(): number {
    return this.count;
  }

  get(q: number, key: string): V | undefined {
    return this.parts.get(q)?.get(key);
  }

  /** Sets the value; with `refresh`, the entry moves to the end of its partition's order. */
  set(q: number, key: string, value: V, refresh = false): void {
    let m = this.parts.get(q);
    if (m === undefined) {
      m = new Map();
      this.parts.set(q, m);
    }
    const had = m.has(key);
    if (had && refresh) m.delete(key);
    m.set(key, value);
    if (!had) this.count++;
  }

  delete(q: number, key: string): boolean {
    const m = this.parts.get(q);
    if (m === undefined || !m.delete(key)) return false;
    this.count--;
    if (m.size === 0) this.parts.delete(q);
    return true;
  }

  /** Drops the oldest entry of some partition (round robin), to bound the size. */
  evictOne(): void {
    if (this.count === 0) return;
    const qs = [...this.parts.keys()];
    const q = qs[this.evictCursor++ % qs.length]!;
    const m = this.parts.get(q)!;
    this.delete(q, m.keys().next().value!);
  }

  /** Every entry as (partition, key, value). */
  *entries(): IterableIterator<readonly [number, string, V]> {
    for (const [q, m] of this.parts) for (const [k, v] of m) yield [q, k, v];
  }

  clear(): void {
    this.parts.clear();
    this.count = 0;
  }
}
