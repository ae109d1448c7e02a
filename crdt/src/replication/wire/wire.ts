/**
 * Minimal binary writer/reader for the replication wire and storage formats: unsigned LEB128
 * varints (up to 2^53), length-prefixed byte strings and UTF-8 strings. The reader validates
 * every length against the remaining input and the caller's bounds and throws only
 * ReplicationDecodeError, so malformed or hostile bytes can neither crash nor over-allocate.
 */
import { ReplicationDecodeError } from '../../errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Largest scratch buffer kept for reuse between writers. */
const SPARE_LIMIT = 64 * 1024;
/** A finished writer's buffer, reused by the next writer (encoding is synchronous, so at most one
 *  writer of a message is live at a time; a second live writer simply allocates its own). */
let spare: Uint8Array | undefined;

export class Writer {
  private buf: Uint8Array;
  private pos = 0;

  constructor(initial = 64) {
    if (spare !== undefined && spare.length >= initial) {
      this.buf = spare;
      spare = undefined;
    } else this.buf = new Uint8Array(Math.max(initial, 256));
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    const b = this.buf;
    b[this.pos++] = v & 0xff;
    b[this.pos++] = (v >>> 8) & 0xff;
    b[this.pos++] = (v >>> 16) & 0xff;
    b[this.pos++] = (v >>> 24) & 0xff;
    return this;
  }

  varint(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new TypeError(`varint out of range: ${v}`);
    this.ensure(8);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  string(s: string): this {
    // Fast path for ASCII, the common case for keys and node ids.
    let ascii = true;
    for (let i = 0; i < s.length; i++) {
      if (s.charCodeAt(i) > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (!ascii) return this.bytes(encoder.encode(s));
    this.varint(s.length);
    this.ensure(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i);
    return this;
  }

  /** The written bytes (a copy of exact size); the writer must not be used afterwards. */
  finish(): Uint8Array {
    const out = this.buf.slice(0, this.pos);
    if (this.buf.length <= SPARE_LIMIT) spare = this.buf;
    return out;
  }
}

export interface ReaderLimits {
  /** Longest byte string accepted. */
  readonly maxBytes: number;
  /** Longest UTF-8 string accepted (bytes). */
  readonly maxString: number;
}

export class Reader {
  private pos = 0;
  constructor(
    private readonly buf: Uint8Array,
    private readonly limits: ReaderLimits,
  ) {}

  private fail(what: string): never {
    throw new ReplicationDecodeError(`malformed input at byte ${this.pos}: ${what}`);
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  u8(): number {
    if (this.pos >= this.buf.length) this.fail('unexpected end');
    return this.buf[this.pos++]!;
  }

  u32(): number {
    if (this.pos + 4 > this.buf.length) this.fail('unexpected end');
    const b = this.buf;
    const v =
      (b[this.pos]! | (b[this.pos + 1]! << 8) | (b[this.pos + 2]! << 16) | (b[this.pos + 3]! << 24)) >>> 0;
    this.pos += 4;
    return v;
  }

  varint(max = Number.MAX_SAFE_INTEGER): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      v += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        if (v > max) this.fail(`integer ${v} above ${max}`);
        return v;
      }
      mul *= 0x80;
    }
    return this.fail('varint too long');
  }

  bool(): boolean {
    const v = this.u8();
    if (v > 1) this.fail('bad boolean');
    return v === 1;
  }

  bytes(max = this.limits.maxBytes): Uint8Array {
    const n = this.varint(max);
    if (n > this.remaining) this.fail('length past end');
    // A view, not a copy: callers decode it or hand it to Storage, which copies what it keeps.
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  string(max = this.limits.maxString): string {
    const n = this.varint(max);
    if (n > this.remaining) this.fail('length past end');
    const b = this.buf;
    let ascii = true;
    for (let i = this.pos; i < this.pos + n; i++) {
      if (b[i]! > 0x7f) {
        ascii = false;
        break;
      }
    }
    let s: string;
    if (ascii) {
      s = '';
      for (let i = this.pos; i < this.pos + n; i++) s += String.fromCharCode(b[i]!);
    } else {
      try {
        s = decoder.decode(b.subarray(this.pos, this.pos + n));
      } catch (cause) {
        throw new ReplicationDecodeError('invalid UTF-8', { cause });
      }
    }
    this.pos += n;
    return s;
  }

  /** A count of items that each take at least `minItemBytes`; bounded by the input left. */
  count(max: number, minItemBytes = 1): number {
    const n = this.varint(max);
    if (n * minItemBytes > this.remaining) this.fail('count past end');
    return n;
  }

  end(): void {
    if (this.pos !== this.buf.length) this.fail('trailing bytes');
  }
}
