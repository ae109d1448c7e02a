/**
 * Validation of cart inputs at the boundary. Everything a device or an HTTP client can send goes
 * through here before it reaches the CRDT, so invalid values never become replicated state.
 */
import { LIMITS } from '../codec/limits.js';
import { isWellFormed } from '../codec/writer.js';
import { CrdtInvalidOpError } from '../errors.js';

/** Largest quantity of one line. Sums of concurrent adds are clamped to it when read. */
export const MAX_QUANTITY = 10_000;

/** Small, flat line metadata, e.g. a price snapshot: { priceMinor: 1299, currency: 'EUR' }. */
export type LineMeta = Readonly<Record<string, string | number | boolean>>;

export function validateProductId(productId: unknown): asserts productId is string {
  if (typeof productId !== 'string' || productId.length === 0) {
    throw new CrdtInvalidOpError('productId must be a non-empty string');
  }
  if (productId.length > LIMITS.maxProductIdLength) {
    throw new CrdtInvalidOpError(`productId longer than ${LIMITS.maxProductIdLength} characters`);
  }
  if (!isWellFormed(productId)) throw new CrdtInvalidOpError('productId has a lone UTF-16 surrogate');
}

export function validateQuantity(quantity: unknown): asserts quantity is number {
  if (
    typeof quantity !== 'number' ||
    !Number.isInteger(quantity) ||
    quantity < 1 ||
    quantity > MAX_QUANTITY
  ) {
    throw new CrdtInvalidOpError(
      `quantity must be an integer in 1..${MAX_QUANTITY}, got ${String(quantity)}`,
    );
  }
}

export function validateMeta(meta: unknown): asserts meta is LineMeta {
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    throw new CrdtInvalidOpError('meta must be a plain object');
  }
  const proto = Object.getPrototypeOf(meta);
  if (proto !== Object.prototype && proto !== null)
    throw new CrdtInvalidOpError('meta must be a plain object');
  const keys = Object.keys(meta);
  if (keys.length > LIMITS.maxMetaFields)
    throw new CrdtInvalidOpError(`meta has more than ${LIMITS.maxMetaFields} fields`);
  for (const k of keys) {
    if (k.length === 0 || k.length > LIMITS.maxMetaKeyLength) {
      throw new CrdtInvalidOpError(`meta key length must be 1..${LIMITS.maxMetaKeyLength}`);
    }
    if (k === '__proto__') throw new CrdtInvalidOpError('forbidden meta key __proto__');
    if (!isWellFormed(k)) throw new CrdtInvalidOpError('a meta key has a lone UTF-16 surrogate');
    const v = (meta as Record<string, unknown>)[k];
    if (typeof v === 'string') {
      if (v.length > LIMITS.maxMetaStringLength) {
        throw new CrdtInvalidOpError(`meta.${k} longer than ${LIMITS.maxMetaStringLength} characters`);
      }
      if (!isWellFormed(v)) throw new CrdtInvalidOpError(`meta.${k} has a lone UTF-16 surrogate`);
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new CrdtInvalidOpError(`meta.${k} must be a finite number`);
    } else if (typeof v !== 'boolean') {
      throw new CrdtInvalidOpError(`meta.${k} must be a string, number or boolean`);
    }
  }
}

/** A frozen copy with keys in sorted order (canonical, so equal metas encode equally). */
export function normalizeMeta(meta: LineMeta): LineMeta {
  const out: Record<string, string | number | boolean> = {};
  for (const k of Object.keys(meta).sort()) out[k] = meta[k]!;
  return Object.freeze(out);
}
