/**
 * Non-cryptographic hashes for placement (ring), segmenting (anti-entropy) and state digests.
 * MurmurHash3 x86_32 (Austin Appleby, public domain algorithm) over UTF-16 code units for strings
 * and over bytes for states. Ring placement only has to agree between Cartwheel nodes, so
 * hashing code units instead of UTF-8 is fine and avoids an encode per request.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mixK(k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

function mixH(h: number, k: number): number {
  h ^= mixK(k);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function fmix(h: number, length: number): number {
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 32-bit hash of a string's UTF-16 code units (two code units per 32-bit block). */
export function hashString(s: string, seed = 0): number {
  let h = seed | 0;
  const n = s.length;
  let i = 0;
  for (; i + 1 < n; i += 2) h = mixH(h, s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16));
  if (i < n) h ^= mixK(s.charCodeAt(i));
  return fmix(h, n * 2);
}

/** 32-bit hash of bytes. */
export function hashBytes(b: Uint8Array, seed = 0): number {
  let h = seed | 0;
  const n = b.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    h = mixH(h, b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24));
  }
  const rest = n & 3;
  if (rest > 0) {
    let k = b[i]!;
    if (rest > 1) k |= b[i + 1]! << 8;
    if (rest > 2) k |= b[i + 2]! << 16;
    h ^= mixK(k);
  }
  return fmix(h, n);
}

/** A 64-bit digest as two 32-bit halves (two seeds); collisions ~2^-64 per pair of states. */
export interface Digest {
  readonly hi: number;
  readonly lo: number;
}

export function digestBytes(b: Uint8Array): Digest {
  return { hi: hashBytes(b, 0x9747b28c), lo: hashBytes(b, 0x2f6b1a3d) };
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
