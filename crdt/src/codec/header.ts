/**
 * Every binary encoding starts with one byte: the format version in the high nibble and the kind of
 * value in the low nibble, so a decoder rejects both unknown versions and the wrong kind of value.
 */
import type { Reader } from './reader.js';
import type { Writer } from './writer.js';

export const CODEC_VERSION = 1;

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

export function writeHeader(w: Writer, kind: number): void {
  w.byte((CODEC_VERSION << 4) | kind);
}

export function readHeader(r: Reader, kind: number, what: string): void {
  const b = r.byte();
  if (b >> 4 !== CODEC_VERSION) r.fail(`unsupported ${what} encoding version ${b >> 4}`);
  if ((b & 15) !== kind) r.fail(`not a ${what} encoding (kind ${b & 15})`);
}
