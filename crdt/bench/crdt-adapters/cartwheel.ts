// Cartwheel adapter: one `Cart` replica per device; each op is one delta mutator
// (add / setQuantity / remove). Sync: deltaSince(peer context) / applyDelta, with the context
// and deltas encoded by the package's binary codec, as they would travel on the wire.
import {
  Cart,
  type CartDelta,
  decodeCart,
  decodeCartDelta,
  decodeContext,
  encodeCart,
  encodeCartDelta,
  encodeContext,
} from '@cartwheel/crdt';
import type { CartAdapter, CartReplica } from '../crdt-adapter.js';
import { Prng, type WorkloadOp } from '../crdt-workload.js';

const actorFor = (seed: number): string => new Prng(seed).uuid();

function mutate(cart: Cart, op: WorkloadOp): CartDelta {
  switch (op.kind) {
    case 'add':
      return cart.add(op.productId, op.quantity);
    case 'set':
      return cart.setQuantity(op.productId, op.quantity);
    case 'remove':
      return cart.remove(op.productId);
  }
}

class CartwheelReplica implements CartReplica {
  constructor(private readonly cart: Cart) {}

  apply(op: WorkloadOp): void {
    mutate(this.cart, op);
  }

  applyWithDelta(op: WorkloadOp): Uint8Array {
    return encodeCartDelta(mutate(this.cart, op));
  }

  fork(actorSeed: number): CartReplica {
    return new CartwheelReplica(Cart.fromState(this.cart.state(), { actor: actorFor(actorSeed) }));
  }

  version(): Uint8Array {
    return encodeContext(this.cart.context());
  }

  deltaSince(peerVersion: Uint8Array): Uint8Array {
    return encodeCartDelta(this.cart.deltaSince(decodeContext(peerVersion)));
  }

  applyDelta(delta: Uint8Array): void {
    this.cart.applyDelta(decodeCartDelta(delta));
  }

  encodeState(): Uint8Array {
    return encodeCart(this.cart.state());
  }

  read(): Map<string, number> {
    return new Map(this.cart.lines().map((line) => [line.productId, line.quantity]));
  }
}

export const cartwheelAdapter: CartAdapter = {
  lib: 'cartwheel',
  create(actorSeed) {
    return new CartwheelReplica(Cart.create({ actor: actorFor(actorSeed) }));
  },
  load(state, actorSeed) {
    return new CartwheelReplica(Cart.fromState(decodeCart(state), { actor: actorFor(actorSeed) }));
  },
};
