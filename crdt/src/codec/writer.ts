/**
 * Growable byte writer for the binary codecs: unsigned LEB128 varints up to 2^53, strings as
 * length-prefixed UTF-8, raw bytes. Paired with `Reader` (writeX / readX, as in Yjs's lib0).
 */
const encoder = new TextEncoder();

/** Largest scratch buffer kept for reuse between writers. */
const SPARE_LIMIT = 64 * 1024;
/**
 * A finished writer's buffer, reused by the next writer: encoding is synchronous and `finish`
 * copies out, so the buffer is free again; a second writer live at the same time allocates its own.
 */
let spare: Uint8Array | undefined;

export class Writer {
  #buf: Uint8Array;
  #pos = 0;

  constructor(initialSize = 64) {
    if (spare !== undefined && spare.length >= initialSize) {
      this.#buf = spare;
      spare = undefined;
    } else this.#buf = new Uint8Array(Math.max(initialSize, 256));
  }

  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
  }

  byte(b: number): this {
    this.#ensure(1);
    this.#buf[this.#pos++] = b;
    return this;
  }

  /** Unsigned varint (LEB128) for integers 0..2^53-1. */
  varuint(n: number): this {
    if (this.#pos + 8 > this.#buf.length) this.#ensure(8);
    const buf = this.#buf;
    if (n < 0x80) {
      buf[this.#pos++] = n;
      return this;
    }
    let pos = this.#pos;
    while (n >= 0x80) {
      buf[pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    buf[pos++] = n;
    this.#pos = pos;
    return this;
  }

  /** Signed varint via zigzag, for safe integers. */
  varint(n: number): this {
    return this.varuint(n >= 0 ? n * 2 : -n * 2 - 1);
  }

  float64(x: number): this {
    this.#ensure(8);
    new DataView(this.#buf.buffer, this.#buf.byteOffset).setFloat64(this.#pos, x, true);
    this.#pos += 8;
    return this;
  }

  /** Unsigned 32-bit integer, little-endian (hash digests). */
  uint32(v: number): this {
    this.#ensure(4);
    const b = this.#buf;
    b[this.#pos++] = v & 0xff;
    b[this.#pos++] = (v >>> 8) & 0xff;
    b[this.#pos++] = (v >>> 16) & 0xff;
    b[this.#pos++] = (v >>> 24) & 0xff;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.#ensure(b.length);
    this.#buf.set(b, this.#pos);
    this.#pos += b.length;
    return this;
  }

  /** Length-prefixed bytes (read back with `Reader.sizedBytes`). */
  sizedBytes(b: Uint8Array): this {
    return this.varuint(b.length).bytes(b);
  }

  /**
   * Length-prefixed UTF-8. ASCII strings under 128 characters (ids, metadata keys) are copied in
   * one pass that checks and writes each character; the first non-ASCII one falls back to
   * TextEncoder, overwriting what the pass wrote.
   */
  string(s: string): this {
    const n = s.length;
    if (n < 128) {
      this.#ensure(n + 1);
      const buf = this.#buf;
      const start = this.#pos;
      let pos = start + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) break;
        buf[pos++] = c;
      }
      if (i === n) {
        buf[start] = n;
        this.#pos = pos;
        return this;
      }
    }
    // TextEncoder would turn a lone surrogate into U+FFFD: the bytes would no longer be this string
    if (!isWellFormed(s)) throw new TypeError('cannot encode a string with a lone UTF-16 surrogate');
    return this.sizedBytes(encoder.encode(s));
  }

  get length(): number {
    return this.#pos;
  }

  /** A copy of the bytes written since position `start` (a `length` read earlier). */
  written(start: number): Uint8Array {
    return this.#buf.slice(start, this.#pos);
  }

  /** The written bytes (an exact-size copy); the writer must not be used afterwards. */
  finish(): Uint8Array {
    const out = this.#buf.slice(0, this.#pos);
    if (this.#buf.length <= SPARE_LIMIT) spare = this.#buf;
    return out;
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
