/**
 * Growable byte writer for the binary codecs: unsigned LEB128 varints up to 2^53, strings as
 * length-prefixed UTF-8, raw bytes. Paired with `Reader` (writeX / readX, as in Yjs's lib0).
 */
const encoder = new TextEncoder();

export class Writer {
  #buf: Uint8Array;
  #pos = 0;

  constructor(initialSize = 64) {
    this.#buf = new Uint8Array(initialSize);
  }

  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
  }

  byte(b: number): void {
    this.#ensure(1);
    this.#buf[this.#pos++] = b;
  }

  /** Unsigned varint (LEB128) for integers 0..2^53-1. */
  varuint(n: number): void {
    if (this.#pos + 8 > this.#buf.length) this.#ensure(8);
    const buf = this.#buf;
    if (n < 0x80) {
      buf[this.#pos++] = n;
      return;
    }
    let pos = this.#pos;
    while (n >= 0x80) {
      buf[pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    buf[pos++] = n;
    this.#pos = pos;
  }

  /** Signed varint via zigzag, for safe integers. */
  varint(n: number): void {
    this.varuint(n >= 0 ? n * 2 : -n * 2 - 1);
  }

  float64(x: number): void {
    this.#ensure(8);
    new DataView(this.#buf.buffer, this.#buf.byteOffset).setFloat64(this.#pos, x, true);
    this.#pos += 8;
  }

  bytes(b: Uint8Array): void {
    this.#ensure(b.length);
    this.#buf.set(b, this.#pos);
    this.#pos += b.length;
  }

  /** Length-prefixed UTF-8; ASCII fast path avoids TextEncoder for short ids. */
  string(s: string): void {
    const n = s.length;
    let ascii = n < 128;
    if (ascii) {
      for (let i = 0; i < n; i++) {
        if (s.charCodeAt(i) > 0x7f) {
          ascii = false;
          break;
        }
      }
    }
    if (ascii) {
      this.#ensure(n + 1);
      const buf = this.#buf;
      let pos = this.#pos;
      buf[pos++] = n;
      for (let i = 0; i < n; i++) buf[pos++] = s.charCodeAt(i);
      this.#pos = pos;
      return;
    }
    // TextEncoder would turn a lone surrogate into U+FFFD: the bytes would no longer be this string
    if (!isWellFormed(s)) throw new TypeError('cannot encode a string with a lone UTF-16 surrogate');
    const b = encoder.encode(s);
    this.varuint(b.length);
    this.bytes(b);
  }

  get length(): number {
    return this.#pos;
  }

  finish(): Uint8Array {
    return this.#buf.slice(0, this.#pos);
  }
}

/**
 * Whether `s` is well-formed UTF-16 (no lone surrogate), i.e. survives a UTF-8 round trip. Every
 * string that can become replicated state is checked with it at the boundary.
 */
export function isWellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c > 0xdbff) return false;
    const d = s.charCodeAt(i + 1);
    if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
    i++;
  }
  return true;
}
