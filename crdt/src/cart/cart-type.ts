/**
 * The cart as the replication core sees it (`ReplicatedType<CartState, CartOp>`): immutable states,
 * a join that never mutates its inputs, canonical encodings, and `apply` that validates the op
 * (CRDT_INVALID_OP) and returns the delta stamped with the given actor and HLC time.
 *
 * `join(state, delta)` enforces the delivery contract: a delta whose causal past the state lacks
 * throws CrdtCausalGapError and the core falls back to a full state (README, "Delivery contract").
 */
import type { ReplicatedType } from '../replication/interfaces.js';
import { type CartOp, cartAt } from './cart.js';
import { decodeCart, encodeCart } from './cart-codec.js';
import { CartState, joinCartStates } from './cart-state.js';
import { decodeCartOp, encodeCartOp } from './op-codec.js';
import { validateCartOp } from './validate-op.js';

export const cartType: ReplicatedType<CartState, CartOp> = {
  name: 'cart',
  empty: () => CartState.empty(),
  join: joinCartStates,
  equals: (a, b) => a.equals(b),
  encode: encodeCart,
  decode: decodeCart,
  apply(state: CartState, op: CartOp, actor: string, now: number): CartState {
    validateCartOp(op);
    return cartAt(state, actor, now).apply(op);
  },
  encodeOp: encodeCartOp,
  decodeOp: decodeCartOp,
};
