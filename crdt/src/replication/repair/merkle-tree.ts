/**
 * An incremental hash tree over (key, state digest) pairs, in the style of Riak's Tictac AAE
 * (riak_kv docs/NextGenAAE.md): each key lands in one of SEGMENTS leaf segments, a segment's hash
 * is the XOR of its keys' leaf hashes, and a branch's hash is the XOR of its segments. XOR makes
 * every update O(1) (remove the old leaf hash, add the new one) with no rebuild, and two trees
 * over the same pairs are equal whatever the order the writes came in.
 */
import { type Digest, hashString } from '../ring/hash.js';

export const SEGMENTS = 256;
export const BRANCH_WIDTH = 16;
export const BRANCHES = SEGMENTS / BRANCH_WIDTH;
const SEGMENT_SEED = 0x3c6ef372;

export function segmentOf(key: string): number {
  return hashString(key, SEGMENT_SEED) & (SEGMENTS - 1);
}

interface Leaf {
  readonly hi: number;
  readonly lo: number;
}

export class SegmentTree {
  private readonly segs = new Uint32Array(SEGMENTS * 2);
  private readonly branches = new Uint32Array(BRANCHES * 2);
  private readonly leaves = new Map<string, Leaf>();

  get size(): number {
    return this.leaves.size;
  }

  get(key: string): Digest | undefined {
    return this.leaves.get(key);
  }

  private xor(key: string, d: Digest): void {
    // Bind the digest to its key so equal states under different keys do not cancel.
    const hi = hashString(key, d.hi);
    const lo = hashString(key, d.lo ^ 0x5bd1e995);
    const s = segmentOf(key);
    const b = Math.floor(s / BRANCH_WIDTH);
    this.segs[2 * s] = this.segs[2 * s]! ^ hi;
    this.segs[2 * s + 1] = this.segs[2 * s + 1]! ^ lo;
    this.branches[2 * b] = this.branches[2 * b]! ^ hi;
    this.branches[2 * b + 1] = this.branches[2 * b + 1]! ^ lo;
  }

  /** Records the key's new state digest (undefined: the key was deleted). */
  update(key: string, digest: Digest | undefined): void {
    const old = this.leaves.get(key);
    if (old !== undefined) {
      if (digest !== undefined && old.hi === digest.hi && old.lo === digest.lo) return;
      this.xor(key, old);
      this.leaves.delete(key);
    }
    if (digest !== undefined) {
      this.xor(key, digest);
      this.leaves.set(key, { hi: digest.hi, lo: digest.lo });
    }
  }

  /** XOR of every branch: equal trees have equal roots (catch-up compares these first). */
  rootHash(): Digest {
    let hi = 0;
    let lo = 0;
    for (let b = 0; b < BRANCHES; b++) {
      hi ^= this.branches[2 * b]!;
      lo ^= this.branches[2 * b + 1]!;
    }
    return { hi: hi >>> 0, lo: lo >>> 0 };
  }

  branchHashes(): Uint32Array {
    return this.branches.slice();
  }

  /** Segment digests of the given branches. */
  segmentsOf(branches: readonly number[]): { index: number; hi: number; lo: number }[] {
    const out: { index: number; hi: number; lo: number }[] = [];
    for (const b of branches) {
      for (let s = b * BRANCH_WIDTH; s < (b + 1) * BRANCH_WIDTH; s++) {
        out.push({ index: s, hi: this.segs[2 * s]!, lo: this.segs[2 * s + 1]! });
      }
    }
    return out;
  }

  segmentHash(index: number): Digest {
    return { hi: this.segs[2 * index]!, lo: this.segs[2 * index + 1]! };
  }

  /** Keys (with digests) that fall in the given segments, in key order. */
  keysIn(segments: readonly number[]): { key: string; hi: number; lo: number }[] {
    const want = new Set(segments);
    const out: { key: string; hi: number; lo: number }[] = [];
    for (const [key, d] of this.leaves) if (want.has(segmentOf(key))) out.push({ key, hi: d.hi, lo: d.lo });
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  keys(): IterableIterator<string> {
    return this.leaves.keys();
  }
}

/** Indexes of branches whose hashes differ between two branch-hash arrays. */
export function differingBranches(a: Uint32Array, b: Uint32Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < BRANCHES; i++) {
    if (a[2 * i] !== b[2 * i] || a[2 * i + 1] !== b[2 * i + 1]) out.push(i);
  }
  return out;
}
