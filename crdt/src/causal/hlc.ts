/**
 * Hybrid logical clock (Kulkarni et al., "Logical Physical Clocks", 2014), packed into one JS
 * number: wallMs · 2^5 + logical. Wall time is bounded by HLC_MAX_WALL (the last millisecond of the
 * year 9999), so every packed value stays below 2^53 (it tops out near 2^52.85) and packed values
 * compare with plain `<` and encode as varints.
 *
 * Five logical bits: a logical part past 31 carries into the wall part, which keeps monotonicity.
 * Timestamps are only compared per cart line (a new SET or META is stamped above the ones it
 * observed), so 32 writes to one line within one millisecond is the only way to run ahead, by 1 ms.
 *
 * Formats up to cart format 2 packed wallMs · 2^12 + logical; `hlcFromLegacy` converts those values
 * deterministically (logical parts above 31 are capped), so old snapshots decode to the same
 * timestamps on every replica.
 *
 * An absurd clock never poisons a value: a local wall clock past HLC_MAX_WALL is clamped to it, a
 * decoder refuses a remote timestamp past HLC_MAX, and once a line's timestamp reaches HLC_MAX later
 * stamps stay there (a causally later write removes what it observed, so it still wins; only writes
 * concurrent at the end of time tie, broken by actor).
 */
import { CrdtInvalidOpError } from '../errors.js';

export const HLC_LOGICAL_BITS = 5;
const SCALE = 2 ** HLC_LOGICAL_BITS;
/** Largest wall time (ms since the epoch): 9999-12-31T23:59:59.999Z. */
export const HLC_MAX_WALL = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** Largest packed timestamp accepted from the outside or produced here. */
export const HLC_MAX = HLC_MAX_WALL * SCALE + (SCALE - 1);
const LEGACY_SCALE = 2 ** 12;

export function packHlc(wallMs: number, logical: number): number {
  return wallMs * SCALE + logical;
}

export function hlcPhysical(hlc: number): number {
  return Math.floor(hlc / SCALE);
}

export function hlcLogical(hlc: number): number {
  return hlc % SCALE;
}

export function isValidHlc(hlc: number): boolean {
  return Number.isSafeInteger(hlc) && hlc >= 0 && hlc <= HLC_MAX;
}

/**
 * A timestamp of formats ≤ 2 (wallMs · 2^12 + logical) in today's packing, or undefined when its
 * wall time is past HLC_MAX_WALL (a decoder refuses it).
 */
export function hlcFromLegacy(legacy: number): number | undefined {
  if (!Number.isSafeInteger(legacy) || legacy < 0) return undefined;
  return hlcFromLegacyParts(Math.floor(legacy / LEGACY_SCALE), legacy % LEGACY_SCALE);
}

/** The conversion rule itself, for decoders that read wall and logical parts separately. */
export function hlcFromLegacyParts(wall: number, logical: number): number | undefined {
  if (wall > HLC_MAX_WALL) return undefined;
  return packHlc(wall, Math.min(logical, SCALE - 1));
}

export class Hlc {
  readonly #wallClock: () => number;
  #last = 0;

  constructor(wallClock: () => number = Date.now) {
    if (typeof wallClock !== 'function') throw new TypeError('wallClock must be a function returning ms');
    this.#wallClock = wallClock;
  }

  /** A timestamp greater than every timestamp returned or observed so far (until HLC_MAX). */
  now(): number {
    const ms = this.#wallClock();
    if (typeof ms !== 'number' || Number.isNaN(ms)) {
      throw new CrdtInvalidOpError(`the wall clock returned ${String(ms)}, not milliseconds`);
    }
    const wall = Math.min(Math.max(Math.floor(ms), 0), HLC_MAX_WALL) * SCALE;
    const next = wall > this.#last ? wall : Math.min(this.#last + 1, HLC_MAX);
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
