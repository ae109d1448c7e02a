/** Binary codec of cart operations (what the replication core forwards to a coordinator). */
import { KIND, readHeader, writeHeader } from '../codec/header.js';
import { LIMITS } from '../codec/limits.js';
import { readMeta, writeMeta } from '../codec/meta-codec.js';
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { CrdtDecodeError, CrdtInvalidOpError } from '../errors.js';
import type { CartOp } from './cart.js';
import { validateCartOp } from './validate-op.js';

const ADD = 1;
const SET_QUANTITY = 2;
const REMOVE = 3;
const CLEAR = 4;

export function encodeCartOp(op: CartOp): Uint8Array {
  validateCartOp(op);
  const w = new Writer(32);
  writeHeader(w, KIND.cartOp);
  switch (op.type) {
    case 'add':
      w.byte(ADD);
      w.string(op.productId);
      w.varuint(op.quantity);
      if (op.meta === undefined) w.byte(0);
      else {
        w.byte(1);
        writeMeta(w, op.meta);
      }
      break;
    case 'setQuantity':
      w.byte(SET_QUANTITY);
      w.string(op.productId);
      w.varuint(op.quantity);
      break;
    case 'remove':
      w.byte(REMOVE);
      w.string(op.productId);
      break;
    case 'clear':
      w.byte(CLEAR);
      break;
  }
  return w.finish();
}

export function decodeCartOp(bytes: Uint8Array): CartOp {
  try {
    const r: Reader = new Reader(bytes);
    readHeader(r, KIND.cartOp, 'cart op');
    const tag = r.byte();
    let op: CartOp;
    if (tag === CLEAR) op = { type: 'clear' };
    else {
      const productId = r.string(LIMITS.maxProductIdLength * 3);
      if (tag === REMOVE) op = { type: 'remove', productId };
      else if (tag === SET_QUANTITY) op = { type: 'setQuantity', productId, quantity: r.varuint() };
      else if (tag === ADD) {
        const quantity = r.varuint();
        const hasMeta = r.byte();
        if (hasMeta > 1) r.fail('bad meta flag');
        op = hasMeta
          ? { type: 'add', productId, quantity, meta: readMeta(r) }
          : { type: 'add', productId, quantity };
      } else return r.fail(`unknown cart op ${tag}`);
    }
    r.end();
    validateCartOp(op);
    return op;
  } catch (err) {
    if (err instanceof CrdtDecodeError) throw err;
    throw new CrdtDecodeError(err instanceof CrdtInvalidOpError ? err.message : 'malformed cart op', {
      cause: err,
    });
  }
}
