/**
 * The lines-per-cart bound, checked where the op is minted. The replication core applies an HTTP
 * op at the coordinating primary, from that node's state of the cart, under the key's lock; this
 * wrapper refuses there an add or set-quantity that would create a line in a full cart. So no
 * request reads the cart first just to count its lines, and the count is the one the op is minted
 * from (exact for a single writer; under concurrent writers on different coordinators a bound
 * against abuse, not an invariant — as before).
 *
 * A coordinator on another node reports the refusal as REPLICATION_BAD_REQUEST with this message;
 * `isLineLimitRefusal` recognises it so the HTTP answer keeps its code (CART_TOO_LARGE).
 */
import type { CartOp, CartState, ReplicatedType } from '@cartwheel/crdt';
import { ApiError } from '../http/errors.js';

const PREFIX = 'a cart holds at most ';

export function lineLimitMessage(maxLines: number): string {
  return `${PREFIX}${maxLines} lines`;
}

export function withLineLimit(
  type: ReplicatedType<CartState, CartOp>,
  maxLines: number,
): ReplicatedType<CartState, CartOp> {
  if (!Number.isSafeInteger(maxLines) || maxLines < 1) throw new TypeError('maxLines must be ≥ 1');
  return {
    ...type,
    apply(state, op, actor, now) {
      if (
        (op.type === 'add' || op.type === 'setQuantity') &&
        state.get(op.productId) === undefined &&
        state.size >= maxLines
      ) {
        throw new ApiError('CART_TOO_LARGE', lineLimitMessage(maxLines));
      }
      return type.apply(state, op, actor, now);
    },
  };
}

/** A refusal of `withLineLimit` that came back from a coordinator on another node. */
export function isLineLimitRefusal(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return (
    e.code === 'REPLICATION_BAD_REQUEST' &&
    typeof e.message === 'string' &&
    e.message.startsWith(PREFIX) &&
    /^a cart holds at most \d+ lines$/.test(e.message)
  );
}
