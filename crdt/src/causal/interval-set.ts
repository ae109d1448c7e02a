/**
 * Sets of positive integers (dot counters of one actor) as sorted, disjoint, non-adjacent closed
 * intervals stored flat: [lo0, hi0, lo1, hi1, ...] with hi_i + 1 < lo_{i+1}.
 *
 * A version-vector entry n is the single interval [1, n]; counters received out of order form
 * further intervals (the "dot cloud"). Intervals only ever merge when they touch, so a gap is never
 * compacted away (the bug class of akka/akka#22188, where holes in a context acted as deletes).
 */
export type Intervals = number[];

/** Index of the interval containing `x`, or -1. Binary search over the flat array. */
export function findInterval(iv: Intervals, x: number): number {
  let lo = 0;
  let hi = (iv.length >> 1) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const a = iv[mid * 2]!;
    if (x < a) hi = mid - 1;
    else if (x > iv[mid * 2 + 1]!) lo = mid + 1;
    else return mid;
  }
  return -1;
}

export function hasValue(iv: Intervals, x: number): boolean {
  const n = iv.length;
  if (n === 2) return x >= iv[0]! && x <= iv[1]!;
  if (n === 0) return false;
  return findInterval(iv, x) >= 0;
}

/** Adds one value in place. O(1) when appending to the last interval (the common case). */
export function addValue(iv: Intervals, x: number): void {
  const n = iv.length;
  if (n === 0) {
    iv.push(x, x);
    return;
  }
  const last = iv[n - 1]!;
  if (x === last + 1) {
    iv[n - 1] = x;
    return;
  }
  if (x > last + 1) {
    iv.push(x, x);
    return;
  }
  addRange(iv, x, x);
}

/** Adds [lo, hi] in place, merging with touching or overlapping intervals. */
export function addRange(iv: Intervals, lo: number, hi: number): void {
  const n = iv.length;
  if (n === 0 || lo > iv[n - 1]! + 1) {
    iv.push(lo, hi);
    return;
  }
  // First interval whose hi >= lo - 1 (could touch or overlap).
  let i = 0;
  while (i < n && iv[i + 1]! < lo - 1) i += 2;
  let j = i;
  let newLo = lo;
  let newHi = hi;
  while (j < n && iv[j]! <= hi + 1) {
    if (iv[j]! < newLo) newLo = iv[j]!;
    if (iv[j + 1]! > newHi) newHi = iv[j + 1]!;
    j += 2;
  }
  iv.splice(i, j - i, newLo, newHi);
}

/** Union of two interval sets as a new array (linear merge). */
export function unionIntervals(a: Intervals, b: Intervals): Intervals {
  if (a.length === 0) return b.slice();
  if (b.length === 0) return a.slice();
  const out: Intervals = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let lo: number;
    let hi: number;
    if (j >= b.length || (i < a.length && a[i]! <= b[j]!)) {
      lo = a[i]!;
      hi = a[i + 1]!;
      i += 2;
    } else {
      lo = b[j]!;
      hi = b[j + 1]!;
      j += 2;
    }
    const n = out.length;
    if (n > 0 && lo <= out[n - 1]! + 1) {
      if (hi > out[n - 1]!) out[n - 1] = hi;
    } else {
      out.push(lo, hi);
    }
  }
  return out;
}

/** In-place union of `b` into `a`; fast paths for the shapes deltas usually have. */
export function unionInto(a: Intervals, b: Intervals): void {
  if (b.length === 0) return;
  if (b.length === 2) {
    addRange(a, b[0]!, b[1]!);
    return;
  }
  const u = unionIntervals(a, b);
  a.length = 0;
  for (let k = 0; k < u.length; k++) a.push(u[k]!);
}

/** a \ b as a new array. */
export function differenceIntervals(a: Intervals, b: Intervals): Intervals {
  if (b.length === 0) return a.slice();
  const out: Intervals = [];
  let j = 0;
  for (let i = 0; i < a.length; i += 2) {
    let lo = a[i]!;
    const hi = a[i + 1]!;
    while (j < b.length && b[j + 1]! < lo) j += 2;
    let k = j;
    while (lo <= hi && k < b.length && b[k]! <= hi) {
      if (b[k]! > lo) out.push(lo, b[k]! - 1);
      lo = Math.max(lo, b[k + 1]! + 1);
      k += 2;
    }
    if (lo <= hi) out.push(lo, hi);
  }
  return out;
}

/** a ∩ b as a new array. */
export function intersectIntervals(a: Intervals, b: Intervals): Intervals {
  const out: Intervals = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const lo = Math.max(a[i]!, b[j]!);
    const hi = Math.min(a[i + 1]!, b[j + 1]!);
    if (lo <= hi) out.push(lo, hi);
    if (a[i + 1]! < b[j + 1]!) i += 2;
    else j += 2;
  }
  return out;
}

/** Whether every value of `b` is in `a`. */
export function coversIntervals(a: Intervals, b: Intervals): boolean {
  for (let k = 0; k < b.length; k += 2) {
    const idx = findInterval(a, b[k]!);
    if (idx < 0 || a[idx * 2 + 1]! < b[k + 1]!) return false;
  }
  return true;
}

export function countValues(iv: Intervals): number {
  let n = 0;
  for (let k = 0; k < iv.length; k += 2) n += iv[k + 1]! - iv[k]! + 1;
  return n;
}

export function intervalsEqual(a: Intervals, b: Intervals): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/** Builds intervals from sorted, distinct values. */
export function intervalsFromSorted(values: readonly number[]): Intervals {
  const out: Intervals = [];
  for (const v of values) {
    const n = out.length;
    if (n > 0 && v === out[n - 1]! + 1) out[n - 1] = v;
    else out.push(v, v);
  }
  return out;
}

/**
 * Largest n such that every value 1..n is in a ∪ b (0 when 1 is in neither): the version-vector
 * entry the union would have. Linear in the intervals walked, without building the union.
 */
export function contiguousUnion(a: Intervals | undefined, b: Intervals | undefined): number {
  let n = 0;
  let i = 0;
  let j = 0;
  const la = a?.length ?? 0;
  const lb = b?.length ?? 0;
  for (;;) {
    // skip intervals that end at or below n; extend n through any interval starting at or below n+1
    while (i < la && a![i + 1]! <= n) i += 2;
    while (j < lb && b![j + 1]! <= n) j += 2;
    let grew = false;
    if (i < la && a![i]! <= n + 1) {
      n = a![i + 1]!;
      i += 2;
      grew = true;
    }
    if (j < lb && b![j]! <= n + 1) {
      if (b![j + 1]! > n) n = b![j + 1]!;
      j += 2;
      grew = true;
    }
    if (!grew) return n;
  }
}
