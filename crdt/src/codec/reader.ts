/**
 * Bounds-checked byte reader. Every read checks the remaining length first and every failure is a
 * `CrdtDecodeError`, so hostile input can neither crash a caller with another error type nor make
 * a decoder allocate more than the input justifies (callers check counts with `checkCount`).
 */
import { CrdtDecodeError } from '../errors.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

export class Reader {
  readonly #buf: Uint8Array;
  #pos = 0;

  constructor(bytes: Uint8Array) {
    if (!(bytes instanceof Uint8Array)) throw new CrdtDecodeError('input is not a Uint8Array');
    this.#buf = bytes;
  }

  get remaining(): number {
    return this.#buf.length - this.#pos;
  }

  get position(): number {
    return this.#pos;
  }

  fail(message: string): never {
    throw new CrdtDecodeError(`${message} (at byte ${this.#pos})`);
  }

  byte(): number {
    if (this.#pos >= this.#buf.length) this.fail('unexpected end of input');
    return this.#buf[this.#pos++]!;
  }

  /** Unsigned varint; rejects values above 2^53-1 and over-long encodings. */
  varuint(): number {
    // one-byte values (most counts, kinds, quantities, small offsets) skip the general loop
    const pos = this.#pos;
    const first = this.#buf[pos];
    if (first !== undefined && first < 0x80) {
      this.#pos = pos + 1;
      return first;
    }
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (this.#pos >= this.#buf.length) this.fail('unexpected end of input in varint');
      const b = this.#buf[this.#pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (result > Number.MAX_SAFE_INTEGER) this.fail('varint exceeds 2^53-1');
        if (i > 0 && b === 0) this.fail('non-canonical varint');
        return result;
      }
      mul *= 0x80;
    }
    return this.fail('varint too long');
  }

  /** An unsigned varint no greater than `max` (indexes, sizes). */
  bounded(max: number, what: string): number {
    const n = this.varuint();
    if (n > max) this.fail(`${what}: ${n} exceeds ${max}`);
    return n;
  }

  bool(): boolean {
    const b = this.byte();
    if (b > 1) this.fail(`bad boolean ${b}`);
    return b === 1;
  }

  /** Unsigned 32-bit integer, little-endian. */
  uint32(): number {
    if (this.remaining < 4) this.fail('unexpected end of input in uint32');
    const b = this.#buf;
    const p = this.#pos;
    this.#pos = p + 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
  }

  /** Length-prefixed bytes of at most `max` bytes, as a view (callers copy what they keep). */
  sizedBytes(max: number): Uint8Array {
    return this.bytes(this.bounded(max, 'byte string'));
  }

  varint(): number {
    const z = this.varuint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  float64(): number {
    if (this.remaining < 8) this.fail('unexpected end of input in float64');
    const x = new DataView(this.#buf.buffer, this.#buf.byteOffset).getFloat64(this.#pos, true);
    this.#pos += 8;
    return x;
  }

  bytes(n: number): Uint8Array {
    if (n > this.remaining) this.fail(`length ${n} exceeds remaining ${this.remaining} bytes`);
    const out = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  string(maxBytes: number): string {
    const n = this.varuint();
    if (n > maxBytes) this.fail(`string of ${n} bytes exceeds the limit of ${maxBytes}`);
    const b = this.bytes(n);
    let ascii = true;
    for (let i = 0; i < n; i++) {
      if (b[i]! > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) return n === 0 ? '' : String.fromCharCode.apply(null, b as unknown as number[]);
    try {
      return decoder.decode(b);
    } catch (cause) {
      throw new CrdtDecodeError('invalid UTF-8', { cause });
    }
  }

  /** A count of items that each need at least `minBytes`; bounded by `max` and by what is left. */
  count(max: number, minBytes: number, what: string): number {
    const n = this.varuint();
    if (n > max) this.fail(`${what}: ${n} exceeds the limit of ${max}`);
    if (n * minBytes > this.remaining) this.fail(`${what}: ${n} items cannot fit in ${this.remaining} bytes`);
    return n;
  }

  end(): void {
    if (this.#pos !== this.#buf.length) this.fail(`${this.remaining} trailing bytes`);
  }
}
