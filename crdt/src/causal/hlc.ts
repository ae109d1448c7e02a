/**
 * Hybrid logical clock (Kulkarni et al., "Logical Physical Clocks", 2014), packed into one JS
 * number: physicalMs * 2^12 + logical. Millisecond wall time until the year ~10889 times 4096 stays
 * below 2^53, so packed values compare with plain `<` and encode as varints.
 *
 * `now()` never returns a value <= any value it returned or observed before, even if the wall
 * clock jumps backwards: a causally later write always gets a larger timestamp, so LWW ordering by
 * (hlc, actor) never lets it lose to what it observed. If more than 4096 events share one
 * millisecond the logical part carries into the physical part, which keeps monotonicity.
 */
import { CrdtLimitError } from '../errors.js';

export const HLC_LOGICAL_BITS = 12;
const SCALE = 2 ** HLC_LOGICAL_BITS;
/** Largest packed value accepted from the outside. */
export const HLC_MAX = Number.MAX_SAFE_INTEGER;

export function packHlc(physicalMs: number, logical: number): number {
  return physicalMs * SCALE + logical;
}

export function hlcPhysical(hlc: number): number {
  return Math.floor(hlc / SCALE);
}

export function hlcLogical(hlc: number): number {
  return hlc % SCALE;
}

export function isValidHlc(hlc: number): boolean {
  return Number.isSafeInteger(hlc) && hlc >= 0;
}

export class Hlc {
  readonly #wallClock: () => number;
  #last = 0;

  constructor(wallClock: () => number = Date.now) {
    if (typeof wallClock !== 'function') throw new TypeError('wallClock must be a function returning ms');
    this.#wallClock = wallClock;
  }

  /** A timestamp strictly greater than every timestamp returned or observed so far. */
  now(): number {
    const wall = Math.floor(this.#wallClock()) * SCALE;
    const next = wall > this.#last ? wall : this.#last + 1;
    // only reachable by observing a hostile timestamp near 2^53 (year ~10889)
    if (next > HLC_MAX) throw new CrdtLimitError('HLC timestamp space exhausted');
    this.#last = next;
    return next;
  }

  /** Merges a remote timestamp so that later local timestamps exceed it. */
  observe(remote: number): void {
    if (!isValidHlc(remote)) throw new TypeError(`not a packed HLC timestamp: ${remote}`);
    if (remote > this.#last) this.#last = remote;
  }

  /** The last timestamp issued or observed (0 before any). */
  get last(): number {
    return this.#last;
  }
}
