import { describe, expect, it } from 'vitest';
import { CausalContext } from '../causal/causal-context.js';
import { CrdtInvalidOpError } from '../errors.js';
import { Cart } from './cart.js';
import { decodeCart, encodeCart } from './cart-codec.js';
import { newDots } from './new-dots.js';
import { MAX_QUANTITY } from './validate.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function pair(): [Cart, Cart] {
  return [Cart.create({ actor: 'a' }), Cart.create({ actor: 'b' })];
}

describe('cart semantics', () => {
  it('every cart action carries a unique tag (a fresh dot of a UUID actor)', () => {
    const cart = Cart.create();
    expect(cart.actor).toMatch(UUID);
    const seen = new CausalContext();
    const deltas = [
      cart.add('p1', 1),
      cart.add('p1', 2, { priceMinor: 100 }),
      cart.setQuantity('p1', 5),
      cart.add('p2', 1),
      cart.remove('p2'),
      cart.clear(),
    ];
    for (const d of deltas) {
      const fresh = newDots(d, seen);
      expect(fresh.length).toBeGreaterThanOrEqual(1);
      for (const dot of fresh) {
        expect(dot.actor).toBe(cart.actor);
        expect(seen.has(dot)).toBe(false);
        seen.add(dot);
      }
    }
    expect(seen.isCompact()).toBe(true);
  });

  it('concurrent adds of the same product on two replicas both count', () => {
    const [a, b] = pair();
    const da = a.add('p1', 2);
    const db = b.add('p1', 3);
    a.applyDelta(db);
    b.applyDelta(da);
    expect(a.get('p1')?.quantity).toBe(5);
    expect(b.lines()).toEqual(a.lines());
  });

  it('an add concurrent with a remove survives (observed-remove, add-wins)', () => {
    const [a, b] = pair();
    b.applyDelta(a.add('p1', 2));
    const rm = a.remove('p1');
    const add = b.add('p1', 1);
    a.applyDelta(add);
    b.applyDelta(rm);
    expect(a.get('p1')?.quantity).toBe(1);
    expect(b.get('p1')?.quantity).toBe(1);
  });

  it('merging an old replica never brings back an item whose remove observed it (no resurfacing delete)', () => {
    const [a, b] = pair();
    b.applyDelta(a.add('p1', 2));
    const old = Cart.fromState(b.state(), { actor: 'old' });
    b.remove('p1');
    b.merge(old);
    expect(b.get('p1')).toBeUndefined();
    old.merge(b);
    expect(old.get('p1')).toBeUndefined();
    // and through bytes, in either order
    const c = Cart.fromState(decodeCart(encodeCart(old.state())), { actor: 'c' });
    expect(c.get('p1')).toBeUndefined();
  });

  it('concurrent set-quantity resolves deterministically: latest HLC wins, ties broken by actor', () => {
    let now = 1_000;
    const a = Cart.create({ actor: 'a', clock: () => now });
    const b = Cart.create({ actor: 'b', clock: () => now });
    b.applyDelta(a.add('p1', 1));
    const sa = a.setQuantity('p1', 4); // same wall time as b: tie → actor 'b' wins
    const sb = b.setQuantity('p1', 7);
    a.applyDelta(sb);
    b.applyDelta(sa);
    expect(a.get('p1')?.quantity).toBe(7);
    expect(b.get('p1')?.quantity).toBe(7);
    now = 2_000;
    const later = a.setQuantity('p1', 3);
    const c = Cart.create({ actor: 'c', clock: () => 1_500 });
    c.applyDelta(b.state());
    const cs = c.setQuantity('p1', 9); // causally after b's state, concurrent with a's later set
    a.applyDelta(cs);
    c.applyDelta(later);
    expect(a.get('p1')?.quantity).toBe(c.get('p1')?.quantity);
    expect(a.get('p1')?.quantity).toBe(3);
  });

  it('adds concurrent with a set-quantity are not lost', () => {
    const [a, b] = pair();
    b.applyDelta(a.add('p1', 1));
    const set = a.setQuantity('p1', 5);
    const add = b.add('p1', 2);
    a.applyDelta(add);
    b.applyDelta(set);
    expect(a.get('p1')?.quantity).toBe(7);
    expect(b.get('p1')?.quantity).toBe(7);
  });

  it('a causally later set-quantity wins even when the wall clock jumped backwards', () => {
    let now = 10_000;
    const a = Cart.create({ actor: 'z', clock: () => now });
    const b = Cart.create({ actor: 'a', clock: () => now });
    b.applyDelta(a.setQuantity('p1', 2));
    now = 1; // b's clock is far behind, and b's actor sorts lower
    b.setQuantity('p1', 8);
    a.merge(b);
    expect(a.get('p1')?.quantity).toBe(8);
  });

  it('quantities are positive integers up to MAX_QUANTITY', () => {
    const cart = Cart.create({ actor: 'a' });
    for (const q of [0, -1, 1.5, Number.NaN, MAX_QUANTITY + 1]) {
      expect(() => cart.add('p1', q)).toThrow(CrdtInvalidOpError);
      expect(() => cart.setQuantity('p1', q)).toThrow(CrdtInvalidOpError);
    }
    expect(() => cart.add('', 1)).toThrow(CrdtInvalidOpError);
    expect(() => cart.add('x'.repeat(129), 1)).toThrow(CrdtInvalidOpError);
    cart.add('p1', MAX_QUANTITY);
    const other = Cart.create({ actor: 'b' });
    other.add('p1', MAX_QUANTITY);
    cart.merge(other);
    expect(cart.get('p1')?.quantity).toBe(MAX_QUANTITY); // the sum is clamped
  });

  it('a removed line leaves no tombstone behind', () => {
    const cart = Cart.create({ actor: 'a' });
    for (let i = 0; i < 500; i++) cart.add(`p${i}`, 1, { priceMinor: i });
    const full = encodeCart(cart.state()).length;
    for (let i = 0; i < 500; i++) cart.remove(`p${i}`);
    const state = cart.state();
    expect(state.entryCount).toBe(0);
    expect(state.keys()).toEqual([]);
    expect(cart.context().intervalCount()).toBe(1); // one contiguous range, however long the history
    expect(encodeCart(state).length).toBeLessThan(32);
    expect(full).toBeGreaterThan(5000);
  });

  it('out-of-order deltas never compact over a gap (akka#22188: holes must not act as deletes)', () => {
    const a = Cart.create({ actor: 'a' });
    const b = Cart.create({ actor: 'b' });
    const d1 = a.add('p1', 1);
    const d2 = a.add('p2', 1);
    const d3 = a.add('p3', 1);
    b.applyDelta(d3);
    b.applyDelta(d1);
    expect(b.context().hasDot('a', 2)).toBe(false);
    expect(b.context().contiguous('a')).toBe(1);
    b.applyDelta(d2); // arriving last, it must not be treated as already seen (i.e. deleted)
    expect(b.lines().map((l) => l.productId)).toEqual(['p1', 'p2', 'p3']);
    expect(b.context().isCompact()).toBe(true);
  });
});
