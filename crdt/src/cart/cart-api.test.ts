import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CausalContext } from '../causal/causal-context.js';
import { hlcPhysical, packHlc } from '../causal/hlc.js';
import { LIMITS } from '../codec/limits.js';
import { CrdtDecodeError, CrdtInvalidOpError, CrdtLimitError } from '../errors.js';
import { cartOpArb } from '../testing/type-harnesses.js';
import { retirableActors } from './bounded-metadata.js';
import { Cart, type CartOp } from './cart.js';
import { decodeCart, encodeCart, encodeCartDelta } from './cart-codec.js';
import { cartFromJSON, cartToJSON } from './cart-json.js';
import { type CartDelta, CartState } from './cart-state.js';
import { cartType } from './cart-type.js';
import { newDotActors, newDots } from './new-dots.js';
import { decodeCartOp, encodeCartOp } from './op-codec.js';

const T0 = packHlc(1_767_225_600_000, 0);

describe('cartType (the replication core view)', () => {
  it('apply validates the op and refuses invalid ones with CRDT_INVALID_OP', () => {
    const bad: unknown[] = [
      { type: 'add', productId: '', quantity: 1 },
      { type: 'add', productId: 'x'.repeat(129), quantity: 1 },
      { type: 'add', productId: 'p', quantity: 0 },
      { type: 'add', productId: 'p', quantity: 10_001 },
      { type: 'add', productId: 'p', quantity: 1.5 },
      { type: 'add', productId: 'p', quantity: 1, meta: { a: { nested: true } } },
      {
        type: 'add',
        productId: 'p',
        quantity: 1,
        meta: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i])),
      },
      { type: 'add', productId: 'p', quantity: 1, meta: { s: 'x'.repeat(257) } },
      { type: 'setQuantity', productId: 'p', quantity: -3 },
      { type: 'remove', productId: 7 },
      { type: 'explode' },
      null,
    ];
    for (const op of bad) {
      let err: unknown;
      try {
        cartType.apply(cartType.empty(), op as CartOp, 'n1#e1', T0);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(op)).toBeInstanceOf(CrdtInvalidOpError);
      expect((err as CrdtInvalidOpError).code).toBe('CRDT_INVALID_OP');
    }
  });

  it('apply stamps the given actor with its next dot and a timestamp >= now, without touching the state', () => {
    const s0 = cartType.empty();
    const d1 = cartType.apply(s0, { type: 'add', productId: 'p', quantity: 2 }, 'n1#e1', T0);
    expect(newDots(d1, s0.context())).toEqual([{ actor: 'n1#e1', counter: 1 }]);
    expect(s0.size).toBe(0);
    const s1 = cartType.join(s0, d1);
    const d2 = cartType.apply(s1, { type: 'setQuantity', productId: 'p', quantity: 5 }, 'n1#e1', T0);
    expect(newDots(d2, s1.context())).toEqual([{ actor: 'n1#e1', counter: 2 }]);
    const s2 = cartType.join(s1, d2);
    expect(s2.get('p')?.quantity).toBe(5);
    // a set issued "earlier" by a skewed clock still beats the register it observed
    const d3 = cartType.apply(
      s2,
      { type: 'setQuantity', productId: 'p', quantity: 9 },
      'a',
      T0 - packHlc(10_000, 0),
    );
    expect(cartType.join(s2, d3).get('p')?.quantity).toBe(9);
    expect(hlcPhysical(T0)).toBe(1_767_225_600_000);
  });

  it('op codec round-trips every valid op and rejects garbage with CrdtDecodeError only', () => {
    fc.assert(
      fc.property(cartOpArb, (op) => {
        expect(decodeCartOp(encodeCartOp(op))).toEqual(op);
        expect(cartType.decodeOp(cartType.encodeOp(op))).toEqual(op);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        try {
          decodeCartOp(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(CrdtDecodeError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('newDots', () => {
  it('lists the dots a delta introduces beyond what is known, so a server can refuse forged actors', () => {
    const server = Cart.create({ actor: 'server' });
    const device = Cart.create({ actor: 'device-1' });
    server.applyDelta(device.add('p1', 1));
    device.applyDelta(server.add('p2', 1));
    const d = device.setQuantity('p2', 3);
    expect(newDots(d, server.context())).toEqual([{ actor: 'device-1', counter: 2 }]);
    expect(newDotActors(d, server.context())).toEqual(['device-1']);
    const forged = Cart.fromState(device.state(), { actor: 'server' }).add('p3', 1);
    expect(newDotActors(forged, server.context())).toEqual(['server']);
  });

  it('refuses to enumerate an absurd number of dots (CRDT_LIMIT_EXCEEDED)', () => {
    const huge = new CausalContext();
    huge.addRange('x', 1, 2 ** 40);
    const delta = new CartState(new Map(), huge);
    expect(() => newDots(delta, new CausalContext())).toThrow(CrdtLimitError);
    expect(newDotActors(delta, new CausalContext())).toEqual(['x']);
    expect(LIMITS.maxEnumeratedDots).toBeGreaterThan(1000);
  });
});

describe('deltaSince', () => {
  function busyCart(ops: number): Cart {
    const cart = Cart.create({
      actor: '0b6f4a8e-3d2c-4e1f-9a7b-5c6d7e8f9a0b',
      clock: () => 1_767_225_600_000,
    });
    for (let i = 0; i < ops; i++) {
      const p = `sku-${String((i * 7919) % 1000).padStart(5, '0')}`;
      if (!cart.get(p)) cart.add(p, 1 + (i % 5));
      else if (i % 10 < 7) cart.setQuantity(p, 1 + (i % 9));
      else cart.remove(p);
    }
    return cart;
  }

  it('sends an up-to-date peer nothing but O(live lines) of context, however long the history', () => {
    const small = busyCart(2_000);
    const big = busyCart(100_000);
    const sizeFor = (c: Cart) => encodeCartDelta(c.deltaSince(c.context())).length;
    expect(big.deltaSince(big.context()).size).toBe(0);
    expect(sizeFor(big)).toBeLessThan(big.size * 8 + 64);
    expect(encodeCart(big.state()).length).toBeLessThan(big.size * 36);
    expect(sizeFor(big)).toBeLessThan(sizeFor(small) * 3);
  });

  it('sends a peer that missed a few ops only those ops plus the context', () => {
    const cart = busyCart(5_000);
    const peer = Cart.fromState(cart.state(), { actor: 'peer' });
    const d1 = cart.setQuantity('sku-00001', 7);
    cart.remove('sku-00002');
    cart.add('new-product', 2);
    const delta = cart.deltaSince(peer.context());
    expect(delta.lines().map((l) => l.productId)).toEqual(['new-product', 'sku-00001']);
    peer.applyDelta(delta);
    expect(peer.lines()).toEqual(cart.lines());
    expect(peer.equals(cart)).toBe(true);
    expect(encodeCartDelta(d1).length).toBeLessThan(60);
  });
});

describe('cart codecs', () => {
  it('JSON form round-trips and rejects junk with CrdtDecodeError only', () => {
    fc.assert(
      fc.property(fc.array(cartOpArb, { maxLength: 30 }), (ops) => {
        const a = Cart.create({ actor: 'a' });
        for (const op of ops) a.apply(op);
        const json = JSON.parse(JSON.stringify(cartToJSON(a.state())));
        expect(cartFromJSON(json).equals(a.state())).toBe(true);
      }),
    );
    fc.assert(
      fc.property(fc.jsonValue(), (json) => {
        try {
          cartFromJSON(json);
        } catch (e) {
          expect(e).toBeInstanceOf(CrdtDecodeError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a length field claiming more than the input holds fails fast, without allocating', () => {
    const bytes = encodeCart(Cart.create({ actor: 'a' }).state());
    // header, actor table (0 actors), context (0 actors), hlc base, then a huge line count
    const evil = new Uint8Array([bytes[0]!, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(() => decodeCart(evil)).toThrow(CrdtDecodeError);
    expect(() => decodeCart(new Uint8Array([0x99]))).toThrow(/version/);
  });
});

describe('bounded metadata', () => {
  it('context size grows with actors, not operations; retired actors keep one marker that drops their late deltas', () => {
    const server = Cart.create({ actor: 'server' });
    const late: CartDelta[] = [];
    for (let d = 0; d < 50; d++) {
      const device = Cart.fromState(server.state(), { actor: `device-${d}` });
      for (let i = 0; i < 20; i++) server.applyDelta(device.add(`p${d}`, 1));
      server.applyDelta(device.remove(`p${d}`));
      late.push(device.add(`p${d}`, 7)); // never delivered before retirement
    }
    server.add('kept', 1);
    expect(server.context().actorCount).toBe(51);
    expect(server.context().intervalCount()).toBe(51); // one range per actor, not one per op
    const mirror = Cart.fromState(server.state(), { actor: 'mirror' });
    const behind = Cart.fromState(CartState.empty(), { actor: 'behind' });
    // a replica that has not seen everything blocks retirement
    expect(retirableActors(server.state(), [server.context(), behind.context()])).toEqual([]);
    const retire = retirableActors(server.state(), [server.context(), mirror.context()]);
    expect(retire).toHaveLength(50);
    expect(() => server.retireActors(['server'])).toThrow(TypeError);
    server.retireActors(retire);
    mirror.retireActors(retire);
    expect(server.context().intervalCount()).toBe(51);
    expect(server.context().isRetired('device-3')).toBe(true);
    // late, retransmitted deltas of retired actors change nothing
    for (const d of late) server.applyDelta(d);
    expect(server.lines()).toEqual([{ productId: 'kept', quantity: 1 }]);
    server.applyDelta(mirror.add('more', 2));
    mirror.merge(server);
    expect(mirror.equals(server)).toBe(true);
  });

  it('refuses to retire an actor that still has live entries', () => {
    const a = Cart.create({ actor: 'a' });
    const b = Cart.create({ actor: 'b' });
    a.applyDelta(b.add('p', 1));
    expect(retirableActors(a.state(), [a.context(), b.context()])).toEqual([]);
    expect(() => a.retireActors(['b'])).toThrow(TypeError);
  });
});

describe('actor rules', () => {
  it('a replica never reuses a dot it has seen for its own actor (kv679): it jumps past them', () => {
    const a = Cart.create({ actor: 'a' });
    const snapshot = a.state();
    for (let i = 0; i < 5; i++) a.add(`p${i}`, 1);
    // restored from a stale snapshot under the same actor, then told about its own later dots
    const restored = Cart.fromState(snapshot, { actor: 'a' });
    restored.applyDelta(a.deltaSince(restored.context()));
    const d = restored.add('p9', 1);
    expect(newDots(d, a.context())).toEqual([{ actor: 'a', counter: 6 }]);
    a.applyDelta(d);
    expect(a.equals(restored)).toBe(true);
  });

  it('rejects actor ids the codecs cannot carry', () => {
    expect(() => Cart.create({ actor: '' })).toThrow(TypeError);
    expect(() => Cart.create({ actor: 'é'.repeat(100) })).toThrow(TypeError);
    const long = Cart.create({ actor: 'x'.repeat(128) });
    long.add('p', 1);
    expect(decodeCart(encodeCart(long.state())).equals(long.state())).toBe(true);
  });
});

describe('copy-on-write states', () => {
  it('a snapshot, and the state a replica or a join started from, never change afterwards', () => {
    fc.assert(
      fc.property(
        fc.array(cartOpArb, { maxLength: 12 }),
        fc.array(cartOpArb, { maxLength: 12 }),
        (before, after) => {
          const cart = Cart.create({ actor: 'a', clock: () => 1_767_225_600_000 });
          for (const op of before) cart.apply(op);
          const snap = cart.state();
          const frozen = encodeCart(snap);
          // the replica that took the snapshot keeps changing
          for (const op of after) cart.apply(op);
          // another replica starts from it, minting and joining
          const other = Cart.fromState(snap, { actor: 'b', clock: () => 1_767_225_600_000 });
          for (const op of after) other.apply(op);
          other.merge(cart);
          // the replication core's view: apply mints from it, join folds deltas into it
          for (const op of after) cartType.join(snap, cartType.apply(snap, op, 'c', T0));
          expect(encodeCart(snap)).toEqual(frozen);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('cartType.apply mints without copying the state', () => {
  it('gives the delta a full replica of the state mints for the same op (timestamps aside)', () => {
    const actors = ['a', 'b', 'n1'];
    // few products, metadata and long runs of adds: drops of metadata, folds of increments
    const product = fc.constantFrom('p', 'q', 'r');
    const opArb: fc.Arbitrary<CartOp> = fc.oneof(
      {
        arbitrary: fc.record({
          type: fc.constant('add' as const),
          productId: product,
          quantity: fc.integer({ min: 1, max: 3 }),
        }),
        weight: 6,
      },
      {
        arbitrary: fc.record({
          type: fc.constant('add' as const),
          productId: product,
          quantity: fc.integer({ min: 1, max: 3 }),
          meta: fc.record({ priceMinor: fc.integer({ min: 0, max: 9 }) }),
        }),
        weight: 2,
      },
      {
        arbitrary: fc.record({
          type: fc.constant('setQuantity' as const),
          productId: product,
          quantity: fc.integer({ min: 1, max: 3 }),
        }),
        weight: 2,
      },
      { arbitrary: fc.record({ type: fc.constant('remove' as const), productId: product }), weight: 1 },
      { arbitrary: fc.constant({ type: 'clear' as const }), weight: 1 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...actors), opArb), { maxLength: 80 }),
        fc.oneof(opArb, cartOpArb),
        (history, op) => {
          const replicas = new Map(
            actors.map((a) => [a, Cart.create({ actor: a, clock: () => 1_767_225_600_000 })]),
          );
          for (const [a, o] of history) {
            const r = replicas.get(a)!;
            try {
              r.apply(o);
            } catch {
              // a refused op (a limit) changes nothing
            }
            // gossip now and then so drops span several actors
            if (o.type !== 'add') for (const other of replicas.values()) other.merge(r);
          }
          const state = replicas.get('n1')!.state();
          const blank = (d: CartDelta) => {
            const j = cartToJSON(d);
            for (const l of Object.values(j.lines)) for (const e of l) delete e.hlc;
            return j;
          };
          let minted: CartDelta | undefined;
          try {
            minted = cartType.apply(state, op, 'n1', T0);
          } catch (e) {
            expect(() => Cart.fromState(state, { actor: 'n1' }).apply(op)).toThrow(
              (e as Error).constructor as never,
            );
            return;
          }
          const reference = Cart.fromState(state, { actor: 'n1' }).apply(op);
          expect(blank(minted)).toEqual(blank(reference));
          expect(minted.dependencies()).toEqual(reference.dependencies());
          // and the state it was minted from is untouched
          expect(encodeCart(replicas.get('n1')!.state())).toEqual(encodeCart(state));
        },
      ),
      { numRuns: 300 },
    );
  });
});
