import { CrdtInvalidOpError } from '../errors.js';
import type { CartOp } from './cart.js';
import { validateMeta, validateProductId, validateQuantity } from './validate.js';

/** Throws CrdtInvalidOpError unless `op` is a well-formed CartOp. */
export function validateCartOp(op: unknown): asserts op is CartOp {
  if (typeof op !== 'object' || op === null) throw new CrdtInvalidOpError('op must be an object');
  const o = op as Record<string, unknown>;
  switch (o.type) {
    case 'add':
      validateProductId(o.productId);
      validateQuantity(o.quantity);
      if (o.meta !== undefined) validateMeta(o.meta);
      return;
    case 'setQuantity':
      validateProductId(o.productId);
      validateQuantity(o.quantity);
      return;
    case 'remove':
      validateProductId(o.productId);
      return;
    case 'clear':
      return;
    default:
      throw new CrdtInvalidOpError(`unknown op type ${String(o.type)}`);
  }
}
