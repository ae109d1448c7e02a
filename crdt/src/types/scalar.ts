import { LIMITS } from '../codec/limits.js';
import { readScalar, type Scalar, writeScalar } from '../codec/meta-codec.js';
import { isWellFormed } from '../codec/writer.js';
import { CrdtInvalidOpError } from '../errors.js';
import type { ValueCodec } from './dot-store-codec.js';

export type { Scalar };

export const scalarCodec: ValueCodec<Scalar> = {
  write: writeScalar,
  read: (r) => readScalar(r, LIMITS.maxStringBytes),
  minBytes: 1,
};

export function checkScalar(v: unknown): asserts v is Scalar {
  if (typeof v === 'boolean') return;
  if (typeof v === 'number' && Number.isFinite(v)) return;
  if (typeof v === 'string' && v.length <= LIMITS.maxStringBytes / 3 && isWellFormed(v)) return;
  throw new CrdtInvalidOpError(
    'register values are booleans, finite numbers or well-formed strings up to 1365 characters',
  );
}

export function compareScalars(a: Scalar, b: Scalar): number {
  const ta = typeof a;
  const tb = typeof b;
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
