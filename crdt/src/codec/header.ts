/**
 * Every binary encoding starts with one byte: the format version in the high nibble and the kind of
 * value in the low nibble, so a decoder rejects both unknown versions and the wrong kind of value.
 */
import type { Reader } from './reader.js';
import type { Writer } from './writer.js';

export const CODEC_VERSION = 1;
/**
 * Cart states and deltas use format 3 (dependencies, 5-bit HLC logical part; see cart-codec.ts);
 * format 1 and 2 cart bytes (stored snapshots) still decode.
 */
export const CART_CODEC_VERSION = 3;

export const KIND = {
  context: 1,
  cart: 2,
  cartOp: 3,
  orSet: 4,
  lwwRegister: 5,
  mvRegister: 6,
  counter: 7,
  orMap: 8,
} as const;

export function writeHeader(w: Writer, kind: number, version: number = CODEC_VERSION): void {
  w.byte((version << 4) | kind);
}

/** Reads the header byte; returns the version, which must be one of `versions`. */
export function readHeader(
  r: Reader,
  kind: number,
  what: string,
  versions: readonly number[] = [CODEC_VERSION],
): number {
  const b = r.byte();
  if (!versions.includes(b >> 4)) r.fail(`unsupported ${what} encoding version ${b >> 4}`);
  if ((b & 15) !== kind) r.fail(`not a ${what} encoding (kind ${b & 15})`);
  return b >> 4;
}
