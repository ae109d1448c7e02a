/** Harnesses for every type in this package, for the shared scenario and property suites. */
import fc from 'fast-check';
import { Cart, type CartOp } from '../cart/cart.js';
import { decodeCart, encodeCart } from '../cart/cart-codec.js';
import { CartState } from '../cart/cart-state.js';
import { cartType } from '../cart/cart-type.js';
import { packHlc } from '../causal/hlc.js';
import { CrdtCausalGapError } from '../errors.js';
import {
  Counter,
  type CounterState,
  counterEquals,
  decodeCounter,
  encodeCounter,
  joinCounter,
} from '../types/counter.js';

import { emptyDotStore } from '../types/dot-store-replica.js';
import {
  decodeLWWRegister,
  encodeLWWRegister,
  joinLWWRegister,
  LWWRegister,
  type LWWRegisterState,
  lwwRegisterEquals,
} from '../types/lww-register.js';
import {
  decodeMVRegister,
  encodeMVRegister,
  joinMVRegister,
  MVRegister,
  type MVRegisterState,
  mvRegisterEquals,
} from '../types/mv-register.js';
import {
  decodeORMap,
  encodeORMap,
  joinORMap,
  ORMap,
  type ORMapKind,
  type ORMapState,
  orMapEquals,
} from '../types/or-map.js';
import { decodeORSet, encodeORSet, joinORSet, ORSet, type ORSetState, orSetEquals } from '../types/or-set.js';
import type { Scalar } from '../types/scalar.js';
import type { CrdtHarness } from './harness.js';

const products = fc.constantFrom('p0', 'p1', 'p2', 'p3');
const quantity = fc.integer({ min: 1, max: 12 });

export const cartOpArb: fc.Arbitrary<CartOp> = fc.oneof(
  { arbitrary: fc.record({ type: fc.constant('add' as const), productId: products, quantity }), weight: 4 },
  {
    arbitrary: fc.record({
      type: fc.constant('add' as const),
      productId: products,
      quantity,
      meta: fc.record({
        priceMinor: fc.integer({ min: 0, max: 99_999 }),
        currency: fc.constantFrom('EUR', 'USD'),
      }),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({ type: fc.constant('setQuantity' as const), productId: products, quantity }),
    weight: 3,
  },
  { arbitrary: fc.record({ type: fc.constant('remove' as const), productId: products }), weight: 2 },
  { arbitrary: fc.constant({ type: 'clear' as const }), weight: 1 },
);

/** A fixed wall clock that throws while `failing` is set: fault injection for atomicity tests. */
export function faultyClock(): { clock: () => number; failing: boolean } {
  const c = {
    failing: false,
    clock: (): number => {
      if (c.failing) throw new Error('injected clock failure');
      return 1_700_000_000_000;
    },
  };
  return c;
}

/** A deterministic clock per replica: time advances by one ms per read (ties happen across replicas). */
function tickClock(start = 1_700_000_000_000): () => number {
  let t = start;
  return () => t++;
}

export const cartHarness: CrdtHarness<Cart, CartState, CartOp> = {
  name: 'Cart',
  create: (actor) => Cart.create({ actor, clock: tickClock() }),
  fromState: (s, actor) => Cart.fromState(s, { actor, clock: tickClock() }),
  op: cartOpArb,
  mutate: (r, op) => r.apply(op),
  applyDelta: (r, d) => r.applyDelta(d),
  state: (r) => r.state(),
  empty: () => CartState.empty(),
  join: (a, b) => cartType.join(a, b),
  equals: (a, b) => a.equals(b),
  encode: encodeCart,
  decode: decodeCart,
  read: (r) => r.lines(),
  context: (r) => r.context(),
  deltaSince: (r, peer) => r.deltaSince(peer),
};

/**
 * The replication core's view: immutable states through `cartType` only. A delta whose causal past
 * the state lacks is held back (as a vnode falls back to a full state, the past arrives later).
 */
type TypeReplica = { actor: string; s: CartState; t: number; pending: CartState[] };
const T0 = packHlc(1_700_000_000_000, 0);

function joinOrHold(r: TypeReplica, d: CartState): void {
  try {
    r.s = cartType.join(r.s, d);
  } catch (err) {
    if (!(err instanceof CrdtCausalGapError)) throw err;
    r.pending.push(d);
    return;
  }
  for (let progress = true; progress; ) {
    progress = false;
    for (const p of r.pending.splice(0)) {
      try {
        r.s = cartType.join(r.s, p);
        progress = true;
      } catch (err) {
        if (!(err instanceof CrdtCausalGapError)) throw err;
        r.pending.push(p);
      }
    }
  }
}

export const cartTypeHarness: CrdtHarness<TypeReplica, CartState, CartOp> = {
  name: 'cartType',
  create: (actor) => ({ actor, s: cartType.empty(), t: T0, pending: [] }),
  fromState: (s, actor) => ({ actor, s, t: T0, pending: [] }),
  op: cartOpArb,
  mutate(r, op) {
    r.t += packHlc(1, 0);
    const d = cartType.apply(r.s, op, r.actor, r.t);
    r.s = cartType.join(r.s, d);
    return d;
  },
  applyDelta: joinOrHold,
  state: (r) => r.s,
  empty: () => cartType.empty(),
  join: (a, b) => cartType.join(a, b),
  equals: (a, b) => cartType.equals(a, b),
  encode: (s) => cartType.encode(s),
  decode: (b) => cartType.decode(b),
  read: (r) => r.s.lines(),
};

const elements = fc.constantFrom('a', 'b', 'c', 'd');
type SetOp = { add: string } | { remove: string } | { clear: true };
export const orSetHarness: CrdtHarness<ORSet, ORSetState, SetOp> = {
  name: 'ORSet',
  create: (actor) => ORSet.create(actor),
  fromState: (s, actor) => ORSet.create(actor, s),
  op: fc.oneof(
    { arbitrary: fc.record({ add: elements }), weight: 3 },
    { arbitrary: fc.record({ remove: elements }), weight: 2 },
    { arbitrary: fc.constant({ clear: true as const }), weight: 1 },
  ),
  mutate: (r, op) => ('add' in op ? r.add(op.add) : 'remove' in op ? r.remove(op.remove) : r.clear()),
  applyDelta: (r, d) => r.applyDelta(d),
  state: (r) => r.state(),
  empty: () => emptyDotStore(),
  join: joinORSet,
  equals: orSetEquals,
  encode: encodeORSet,
  decode: decodeORSet,
  read: (r) => r.values(),
  context: (r) => r.context(),
  deltaSince: (r, p) => r.deltaSince(p),
};

const scalars: fc.Arbitrary<Scalar> = fc.oneof(fc.boolean(), fc.integer(), fc.string({ maxLength: 5 }));
type MvOp = { write: Scalar } | { reset: true };
export const mvRegisterHarness: CrdtHarness<MVRegister, MVRegisterState, MvOp> = {
  name: 'MVRegister',
  create: (actor) => MVRegister.create(actor),
  fromState: (s, actor) => MVRegister.create(actor, s),
  op: fc.oneof(
    { arbitrary: fc.record({ write: scalars }), weight: 4 },
    { arbitrary: fc.constant({ reset: true as const }), weight: 1 },
  ),
  mutate: (r, op) => ('write' in op ? r.write(op.write) : r.reset()),
  applyDelta: (r, d) => r.applyDelta(d),
  state: (r) => r.state(),
  empty: () => emptyDotStore(),
  join: joinMVRegister,
  equals: mvRegisterEquals,
  encode: encodeMVRegister,
  decode: decodeMVRegister,
  read: (r) => r.values(),
  context: (r) => r.context(),
  deltaSince: (r, p) => r.deltaSince(p),
};

type CounterOp = { by: number } | { reset: true };
export const counterHarness: CrdtHarness<Counter, CounterState, CounterOp> = {
  name: 'Counter',
  create: (actor) => Counter.create(actor),
  fromState: (s, actor) => Counter.create(actor, s),
  op: fc.oneof(
    { arbitrary: fc.record({ by: fc.integer({ min: -5, max: 5 }).filter((n) => n !== 0) }), weight: 4 },
    { arbitrary: fc.constant({ reset: true as const }), weight: 1 },
  ),
  mutate: (r, op) => ('by' in op ? r.increment(op.by) : r.reset()),
  applyDelta: (r, d) => r.applyDelta(d),
  state: (r) => r.state(),
  empty: () => emptyDotStore(),
  join: joinCounter,
  equals: counterEquals,
  encode: encodeCounter,
  decode: decodeCounter,
  read: (r) => r.value(),
  context: (r) => r.context(),
  deltaSince: (r, p) => r.deltaSince(p),
};

type LwwOp = { set: Scalar };
export const lwwRegisterHarness: CrdtHarness<LWWRegister, LWWRegisterState, LwwOp> = {
  name: 'LWWRegister',
  create: (actor) => LWWRegister.create(actor, { clock: tickClock() }),
  fromState: (s, actor) => LWWRegister.create(actor, { clock: tickClock(), state: s }),
  op: fc.record({ set: scalars }),
  mutate: (r, op) => r.set(op.set),
  applyDelta: (r, d) => r.applyDelta(d),
  state: (r) => r.state(),
  empty: () => null,
  join: joinLWWRegister,
  equals: lwwRegisterEquals,
  encode: encodeLWWRegister,
  decode: decodeLWWRegister,
  read: (r) => r.value(),
};

const mapKeys = fc.constantFrom('x', 'y', 'z');
type MapOp =
  | { key: string; inc: number }
  | { key: string; add: string }
  | { key: string; del: string }
  | { key: string; write: Scalar }
  | { key: string; remove: true };

function mapOpArb(kind: ORMapKind): fc.Arbitrary<MapOp> {
  const update: fc.Arbitrary<MapOp> =
    kind === 'counter'
      ? fc.record({ key: mapKeys, inc: fc.integer({ min: 1, max: 5 }) })
      : kind === 'set'
        ? fc.oneof(fc.record({ key: mapKeys, add: elements }), fc.record({ key: mapKeys, del: elements }))
        : fc.record({ key: mapKeys, write: scalars });
  return fc.oneof(
    { arbitrary: update, weight: 4 },
    { arbitrary: fc.record({ key: mapKeys, remove: fc.constant(true as const) }), weight: 1 },
  );
}

export function orMapHarness(kind: ORMapKind): CrdtHarness<ORMap, ORMapState, MapOp> {
  return {
    name: `ORMap<${kind}>`,
    create: (actor) => ORMap.create(actor, kind, { clock: tickClock() }),
    fromState: (s, actor) => ORMap.create(actor, kind, { state: s, clock: tickClock() }),
    op: mapOpArb(kind),
    mutate(r, op) {
      if ('inc' in op) return r.increment(op.key, op.inc);
      if ('add' in op) return r.addElement(op.key, op.add);
      if ('del' in op) return r.removeElement(op.key, op.del);
      if ('write' in op) return r.write(op.key, op.write);
      return r.remove(op.key);
    },
    applyDelta: (r, d) => r.applyDelta(d),
    state: (r) => r.state(),
    empty: () => emptyDotStore(),
    join: joinORMap,
    equals: orMapEquals,
    encode: encodeORMap,
    decode: decodeORMap,
    read: (r) => Object.fromEntries(r.keys().map((k) => [k, r.get(k)])),
    context: (r) => r.context(),
    deltaSince: (r, p) => r.deltaSince(p),
  };
}
