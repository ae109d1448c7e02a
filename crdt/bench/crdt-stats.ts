// Small measurement helpers shared by the bench stages and the memory probe.

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new TypeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function timeMs(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

type Gc = () => void;

export function gcOrNull(): Gc | null {
  const gc: unknown = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (gc as Gc) : null;
}

/**
 * Full collections until the heap stops shrinking, so what is left is what something retains.
 * Weak callbacks and finalizers can need more than one pass.
 */
export function settleHeap(): void {
  const gc = gcOrNull();
  if (gc === null) throw new TypeError('memory measurements need node --expose-gc (tsx --expose-gc)');
  let last = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 6; i++) {
    gc();
    const used = process.memoryUsage().heapUsed;
    if (used >= last - 64 * 1024) break;
    last = used;
  }
}

export interface MemorySample {
  /** V8 heap plus memory outside it owned by JS objects (ArrayBuffers, WebAssembly memory). */
  readonly retainedBytes: number;
  readonly rssBytes: number;
}

export function sampleMemory(): MemorySample {
  settleHeap();
  const m = process.memoryUsage();
  return { retainedBytes: m.heapUsed + m.external, rssBytes: m.rss };
}

export function mb(bytes: number): number {
  return bytes / (1024 * 1024);
}

export function sameCart(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [id, qty] of a) if (b.get(id) !== qty) return false;
  return true;
}

export function describeCartDiff(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): string {
  const diffs: string[] = [];
  for (const id of new Set([...a.keys(), ...b.keys()])) {
    if (a.get(id) !== b.get(id)) diffs.push(`${id}: ${a.get(id) ?? '-'} vs ${b.get(id) ?? '-'}`);
    if (diffs.length >= 5) break;
  }
  return `sizes ${a.size} vs ${b.size}; ${diffs.join(', ')}`;
}
