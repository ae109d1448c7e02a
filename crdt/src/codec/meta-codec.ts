/** Binary form of small flat metadata records (line metadata, register values). */
import { LIMITS } from './limits.js';
import type { Reader } from './reader.js';
import type { Writer } from './writer.js';

export type Scalar = string | number | boolean;

const FALSE = 0;
const TRUE = 1;
const INT = 2;
const FLOAT = 3;
const STRING = 4;

export function writeScalar(w: Writer, v: Scalar): void {
  if (typeof v === 'boolean') w.byte(v ? TRUE : FALSE);
  else if (typeof v === 'number') {
    if (Number.isSafeInteger(v) && !Object.is(v, -0)) {
      w.byte(INT);
      w.varint(v);
    } else {
      w.byte(FLOAT);
      w.float64(v);
    }
  } else {
    w.byte(STRING);
    w.string(v);
  }
}

export function readScalar(r: Reader, maxStringBytes: number): Scalar {
  const tag = r.byte();
  switch (tag) {
    case FALSE:
      return false;
    case TRUE:
      return true;
    case INT: {
      const z = r.varuint();
      if (z > Number.MAX_SAFE_INTEGER - 1) r.fail('integer out of range');
      return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    }
    case FLOAT: {
      const x = r.float64();
      if (!Number.isFinite(x)) r.fail('non-finite number');
      return x;
    }
    case STRING:
      return r.string(maxStringBytes);
    default:
      return r.fail(`unknown scalar tag ${tag}`);
  }
}

/**
 * Encoded bytes of frozen metadata records. A record in a state is frozen and shared by every
 * state that holds its entry, so a cart re-encoded after each change (the vnode stores full
 * states) writes each line's metadata from here instead of sorting and encoding it again.
 */
const metaBytes = new WeakMap<object, Uint8Array>();

export function writeMeta(w: Writer, meta: Readonly<Record<string, Scalar>>): void {
  const cached = metaBytes.get(meta);
  if (cached !== undefined) {
    w.bytes(cached);
    return;
  }
  const start = w.length;
  const keys = Object.keys(meta).sort();
  w.varuint(keys.length);
  for (const k of keys) {
    w.string(k);
    writeScalar(w, meta[k]!);
  }
  if (Object.isFrozen(meta)) metaBytes.set(meta, w.written(start));
}

export function readMeta(r: Reader): Readonly<Record<string, Scalar>> {
  const n = r.count(LIMITS.maxMetaFields, 3, 'meta fields');
  const out: Record<string, Scalar> = {};
  let prev = '';
  for (let i = 0; i < n; i++) {
    const k = r.string(LIMITS.maxMetaKeyLength * 3);
    if (k.length === 0 || k.length > LIMITS.maxMetaKeyLength) r.fail('bad meta key length');
    if (i > 0 && k <= prev) r.fail('meta keys must be sorted and distinct');
    if (k === '__proto__') r.fail('forbidden meta key');
    prev = k;
    const v = readScalar(r, LIMITS.maxMetaStringLength * 3);
    if (typeof v === 'string' && v.length > LIMITS.maxMetaStringLength) r.fail('meta string too long');
    out[k] = v;
  }
  return Object.freeze(out);
}
