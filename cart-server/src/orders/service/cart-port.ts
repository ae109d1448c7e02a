/**
 * The orders' CartPort over the cart server's CartService: a snapshot is a quorum read of the cart
 * with the dots of every line (what checkout claims), and the purchased lines are removed by the
 * service's observed-remove of that snapshot.
 */
import { Cart, type CartState, cartToJSON, encodeContext } from '@cartwheel/crdt';
import type { CartPort, CartSnapshot } from '../ports.js';

export interface CartReader {
  read(userId: string, cartId: string): Promise<CartState>;
  /** Every replica's answer (R = N): how an empty quorum read is double-checked. */
  readAll(userId: string, cartId: string): Promise<CartState>;
  removePurchased(userId: string, cartId: string, snapshot: CartSnapshot): Promise<void>;
}

export function cartPortOf(carts: CartReader): CartPort {
  return {
    async snapshot(userId, cartId) {
      let state = await carts.read(userId, cartId);
      // "Your cart is empty" must not come from a quorum that missed acknowledged adds (sloppy
      // quorum around a failure): ask every replica before saying so.
      if (state.lines().length === 0) state = await carts.readAll(userId, cartId).catch(() => state);
      const cart = Cart.fromState(state);
      const entries = cartToJSON(state).lines;
      return {
        lines: cart.lines().map((line) => ({
          ...line,
          dots: (entries[line.productId] ?? []).map((e) => `${e.actor}:${e.counter}`),
        })),
        context: encodeContext(cart.context()),
      };
    },
    removePurchased: (userId, cartId, snapshot) => carts.removePurchased(userId, cartId, snapshot),
  };
}
