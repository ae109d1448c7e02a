// Public entry of @cartwheel/crdt. Keep this list curated: everything exported here is API.

export { retirableActors } from './cart/bounded-metadata.js';
export { Cart, type CartOp, type CartOptions, FOLD_INCREMENTS_AT, newActorId } from './cart/cart.js';
export { decodeCart, decodeCartDelta, encodeCart, encodeCartDelta } from './cart/cart-codec.js';
export { type CartEntryJSON, type CartJSON, cartFromJSON, cartToJSON } from './cart/cart-json.js';
export { type CartDelta, type CartLine, CartState, joinCartStates } from './cart/cart-state.js';
export { cartType } from './cart/cart-type.js';
export { conflictingCartDots, newDotActors, newDots } from './cart/new-dots.js';
export { decodeCartOp, encodeCartOp } from './cart/op-codec.js';
export { reassignActor } from './cart/reassign-actor.js';
export { type LineMeta, MAX_QUANTITY } from './cart/validate.js';
export { validateCartOp } from './cart/validate-op.js';
export { CausalContext } from './causal/causal-context.js';
export type { ActorId, Dot } from './causal/dot.js';
export { compareDots } from './causal/dot.js';
export {
  HLC_LOGICAL_BITS,
  HLC_MAX,
  HLC_MAX_WALL,
  Hlc,
  hlcLogical,
  hlcPhysical,
  packHlc,
} from './causal/hlc.js';
export { decodeContext, encodeContext } from './codec/context-codec.js';
export { LIMITS } from './codec/limits.js';
export {
  CrdtCausalGapError,
  CrdtDecodeError,
  CrdtError,
  CrdtInvalidOpError,
  CrdtLimitError,
  type QuorumDetails,
  QuorumError,
  ReplicationDecodeError,
  ReplicationError,
  type ReplicationErrorCode,
} from './errors.js';
export * from './replication/index.js';
// The client sync protocol's wire format (frames), shared by the sync client and the cart server.
export * from './sync/index.js';
export {
  Counter,
  type CounterState,
  counterToJSON,
  decodeCounter,
  encodeCounter,
  joinCounter,
} from './types/counter.js';
export {
  type DotEntry,
  type DotStoreState,
  MAX_PENDING_DELTAS,
  type VersionVector,
} from './types/dot-store.js';
export {
  decodeLWWRegister,
  encodeLWWRegister,
  joinLWWRegister,
  LWWRegister,
  type LWWRegisterState,
  type LWWWrite,
  lwwRegisterToJSON,
} from './types/lww-register.js';
export {
  decodeMVRegister,
  encodeMVRegister,
  joinMVRegister,
  MVRegister,
  type MVRegisterState,
  mvRegisterToJSON,
} from './types/mv-register.js';
export {
  decodeORMap,
  encodeORMap,
  joinORMap,
  type MapValue,
  ORMap,
  type ORMapKind,
  type ORMapState,
  type ORMapValue,
  orMapToJSON,
} from './types/or-map.js';
export { decodeORSet, encodeORSet, joinORSet, ORSet, type ORSetState, orSetToJSON } from './types/or-set.js';
export type { Scalar } from './types/scalar.js';
