/**
 * The cart as the replication core sees it (`ReplicatedType<CartState, CartOp>`): immutable states,
 * a join that never mutates its inputs, canonical encodings, and `apply` that validates the op
 * (CRDT_INVALID_OP) and returns the delta stamped with the given actor and HLC time.
 */
import type { ReplicatedType } from '../replication/interfaces.js';
import { Cart, type CartOp } from './cart.js';
import { decodeCart, encodeCart } from './cart-codec.js';
import { CartState } from './cart-state.js';
import { decodeCartOp, encodeCartOp } from './op-codec.js';
import { validateCartOp } from './validate-op.js';

const JOIN_ACTOR = 'cartwheel-join';

export const cartType: ReplicatedType<CartState, CartOp> = {
  name: 'cart',
  empty: () => CartState.empty(),
  join(a: CartState, b: CartState): CartState {
    const cart = Cart.fromState(a, { actor: JOIN_ACTOR });
    cart.applyDelta(b);
    return cart.state();
  },
  equals: (a, b) => a.equals(b),
  encode: encodeCart,
  decode: decodeCart,
  apply(state: CartState, op: CartOp, actor: string, now: number): CartState {
    validateCartOp(op);
    return Cart._at(state, actor, now).apply(op);
  },
  encodeOp: encodeCartOp,
  decodeOp: decodeCartOp,
};
