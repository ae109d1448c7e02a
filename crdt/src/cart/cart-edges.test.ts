/**
 * The cart's promise at its edges: one named regression test per failure the independent checks
 * found (each failed on the code before the delivery contract), through the public entry only.
 */
import { describe, expect, it } from 'vitest';
import {
  Cart,
  type CartState,
  CrdtCausalGapError,
  CrdtDecodeError,
  CrdtInvalidOpError,
  CrdtLimitError,
  cartFromJSON,
  cartToJSON,
  cartType,
  conflictingCartDots,
  decodeCart,
  encodeCart,
  HLC_MAX,
  LIMITS,
  packHlc,
  retirableActors,
} from '../index.js';
import { faultyClock } from '../testing/type-harnesses.js';

const roundTrips = (s: CartState): boolean => decodeCart(encodeCart(s)).equals(s);

describe('1. a remove removes everything in the causal past of what it saw', () => {
  it('holds a delta back until its causal past arrives (the d1 → d2 → remove repro)', () => {
    const x = Cart.create({ actor: 'x' });
    const z = Cart.create({ actor: 'z' });
    const d1 = x.add('p', 1);
    const d2 = x.add('p', 1);
    expect(z.applyDelta(d2)).toBe(false); // d1 delayed: d2 waits
    expect(z.get('p')).toBeUndefined();
    expect(z.missing().rangesOf('x')).toEqual([[1, 1]]);
    const rm = z.remove('p'); // z shows nothing, so its remove observes nothing
    x.applyDelta(rm);
    z.applyDelta(d1); // d1 arrives; d2 joins right after it
    expect(z.pendingDeltas).toBe(0);
    expect(z.get('p')).toEqual({ productId: 'p', quantity: 2 });
    expect(x.get('p')).toEqual(z.get('p'));
    expect(x.equals(z)).toBe(true);
  });

  it('once z has seen d2 (and so d1), its remove takes both, in any delivery order elsewhere', () => {
    const x = Cart.create({ actor: 'x' });
    const z = Cart.create({ actor: 'z' });
    const y = Cart.create({ actor: 'y' });
    const d1 = x.add('p', 1);
    const d2 = x.add('p', 1);
    z.applyDelta(d2);
    z.applyDelta(d1);
    const rm = z.remove('p');
    for (const d of [rm, d2, d1]) y.applyDelta(d); // y gets the remove first
    expect(y.get('p')).toBeUndefined();
    x.applyDelta(rm);
    expect(x.get('p')).toBeUndefined();
  });

  it('a META entry cannot outlive a remove and come back as the stale price of the next add', () => {
    const x = Cart.create({ actor: 'x' });
    const z = Cart.create({ actor: 'z' });
    const d1 = x.add('p', 1, { priceMinor: 100 });
    const d2 = x.add('p', 1);
    z.applyDelta(d2);
    z.applyDelta(d1);
    const rm = z.remove('p');
    const y = Cart.create({ actor: 'y' });
    y.applyDelta(d2);
    y.applyDelta(rm);
    y.applyDelta(d1);
    expect(y.get('p')).toBeUndefined();
    y.applyDelta(y.add('p', 1));
    expect(y.get('p')?.meta).toBeUndefined();
  });

  it('cartType.join refuses a delta with a missing causal past (the core falls back to the full state)', () => {
    const x = Cart.create({ actor: 'x' });
    x.add('p', 1);
    const d2 = x.add('p', 1);
    expect(() => cartType.join(cartType.empty(), d2)).toThrow(CrdtCausalGapError);
    expect(cartType.join(cartType.empty(), x.state()).get('p')?.quantity).toBe(2);
  });

  it('a hostile context with gaps (single dots spaced one apart) is a gap, never stored', () => {
    const device = Cart.create({ actor: 'dev' });
    const json = cartToJSON(device.remove('nothing'));
    json.context = { dev: Array.from({ length: 100 }, (_, i) => [2 * i + 1, 2 * i + 1] as [number, number]) };
    const evil = cartFromJSON(json);
    const server = Cart.create({ actor: 'server' });
    expect(() => server.joinDelta(evil)).toThrow(CrdtCausalGapError);
    expect(server.context().isEmpty()).toBe(true);
  });
});

describe('2. nothing the code builds or accepts is unreadable', () => {
  it('4,097 joined adds of one product fold instead of building an undecodable line', () => {
    let s = cartType.empty();
    for (let i = 0; i < 4097; i++) {
      s = cartType.join(
        s,
        cartType.apply(s, { type: 'add', productId: 'sku-1', quantity: 1 }, 'n1', packHlc(1e12 + i, 0)),
      );
    }
    expect(s.get('sku-1')?.quantity).toBe(4097);
    expect(s.entryCount).toBeLessThanOrEqual(17);
    expect(roundTrips(s)).toBe(true);
  });

  it('a context naming more actors than the limit is refused by the mutator and the join, never built', () => {
    const context: Record<string, Array<[number, number]>> = {};
    for (let i = 0; i < LIMITS.maxActors; i++) context[`a${i}`] = [[1, 1]];
    const s = cartFromJSON({ version: 2, context, lines: {} });
    expect(roundTrips(s)).toBe(true);
    expect(() => cartType.apply(s, { type: 'remove', productId: 'p' }, 'one-more', packHlc(1e12, 0))).toThrow(
      CrdtLimitError,
    );
    const other = Cart.create({ actor: 'stranger' });
    other.add('q', 1);
    expect(() => cartType.join(s, other.state())).toThrow(CrdtLimitError);
  });
});

describe('3. the HLC lasts to the year 9999', () => {
  it('setQuantity works with a clock in 2040 and in 9999, and the states decode', () => {
    for (const when of [Date.UTC(2040, 0, 1), Date.UTC(9999, 11, 31)]) {
      const c = Cart.create({ actor: 'a', clock: () => when });
      c.add('p', 1);
      c.setQuantity('p', 3);
      expect(c.get('p')?.quantity).toBe(3);
      expect(roundTrips(c.state())).toBe(true);
      const s = cartType.apply(
        c.state(),
        { type: 'setQuantity', productId: 'p', quantity: 4 },
        'n1',
        packHlc(when, 0),
      );
      expect(roundTrips(cartType.join(c.state(), s))).toBe(true);
    }
  });

  it('an absurd clock is clamped and a peer stamp at the edge never poisons the line', () => {
    const far = Cart.create({ actor: 'a', clock: () => 1e20 });
    far.add('p', 1);
    far.setQuantity('p', 2);
    expect(roundTrips(far.state())).toBe(true);
    const peer = Cart.fromState(far.state(), { actor: 'b', clock: () => Date.now() });
    peer.setQuantity('p', 5);
    peer.setQuantity('p', 6);
    expect(peer.get('p')?.quantity).toBe(6);
    expect(roundTrips(peer.state())).toBe(true);
    const json = cartToJSON(peer.state());
    json.lines.p = json.lines.p!.map((e) => (e.hlc === undefined ? e : { ...e, hlc: HLC_MAX + 1 }));
    expect(() => cartFromJSON(json)).toThrow(CrdtDecodeError);
  });
});

describe('4. every mutator is atomic', () => {
  it('a setQuantity whose clock throws leaves the replica as it was, and a later remote remove applies', () => {
    const faulty = faultyClock();
    const a = Cart.create({ actor: 'a', clock: faulty.clock });
    const b = Cart.create({ actor: 'b' });
    b.applyDelta(a.add('p', 2));
    const before = a.state();
    faulty.failing = true;
    expect(() => a.setQuantity('p', 5)).toThrow('injected clock failure');
    expect(() => a.add('p', 1, { priceMinor: 1 })).toThrow('injected clock failure');
    expect(a.state().equals(before)).toBe(true);
    a.applyDelta(b.remove('p'));
    expect(a.get('p')).toBeUndefined();
    faulty.failing = false;
    b.applyDelta(a.deltaSince(b.context()));
    a.applyDelta(b.deltaSince(a.context()));
    expect(a.equals(b)).toBe(true);
  });
});

describe('5. pruning is safe', () => {
  it('does not offer an actor while a replica that has not seen its remove still holds its entry', () => {
    const x = Cart.create({ actor: 'x' });
    const a = Cart.create({ actor: 'A' });
    const b = Cart.create({ actor: 'B' });
    const add = x.add('p', 1);
    a.applyDelta(add);
    b.applyDelta(add);
    a.remove('p'); // B has not seen it
    expect(retirableActors(a.state(), [a.context(), b.context()])).toEqual([]);
  });
});

describe('6. a known dot cannot be re-sent with another value', () => {
  it('flags the forgery and keeps join commutative for two payloads under one dot', () => {
    const d = Cart.create({ actor: 'd' });
    d.add('p', 1);
    const honest = d.state();
    const json = cartToJSON(honest);
    json.lines.p = json.lines.p!.map((e) => ({ ...e, value: 9 }));
    const forged = cartFromJSON(json);
    expect(conflictingCartDots(honest, forged)).toEqual([{ actor: 'd', counter: 1 }]);
    const r1 = cartType.join(honest, forged);
    const r2 = cartType.join(forged, honest);
    expect(r1.equals(r2)).toBe(true);
    expect(encodeCart(r1)).toEqual(encodeCart(r2));
  });
});

describe('7. strings are well-formed', () => {
  it('refuses lone surrogates in product ids and meta, and JSON as strict as binary', () => {
    const a = Cart.create({ actor: 'a' });
    expect(() => a.add('p', 1, { note: 'gift \ud83c' })).toThrow(CrdtInvalidOpError);
    expect(() => a.add('p\udc00', 1)).toThrow(CrdtInvalidOpError);
    expect(a.state().equals(Cart.create({ actor: 'a' }).state())).toBe(true);
    a.add('p', 1);
    const good = cartToJSON(a.state());
    const bad = (edit: (j: ReturnType<typeof cartToJSON>) => void): unknown => {
      const j = structuredClone(good);
      edit(j);
      return j;
    };
    expect(() =>
      cartFromJSON(
        bad((j) => {
          j.lines.p![0]!.value = 2.5;
        }),
      ),
    ).toThrow(CrdtDecodeError);
    expect(() =>
      cartFromJSON(bad((j) => (j.context = { ['x'.repeat(200)]: [[1, 1]], ...j.context }))),
    ).toThrow(CrdtDecodeError);
    expect(() => cartFromJSON(bad((j) => (j.lines = { 'p\ud800': j.lines.p! })))).toThrow(CrdtDecodeError);
    expect(cartFromJSON(good).equals(a.state())).toBe(true);
  });
});

describe('8. join and equality are linear per line', () => {
  it('one line of many entries from many actors joins and compares', () => {
    const base = Cart.create({ actor: 'base' });
    const states: CartState[] = [];
    for (let i = 0; i < 256; i++) {
      const c = Cart.fromState(base.state(), { actor: `a${i}` });
      for (let k = 0; k < 16; k++) c.add('p', 1);
      states.push(c.state());
    }
    let s = states[0]!;
    for (const t of states.slice(1)) s = cartType.join(s, t);
    expect(s.entryCount).toBe(4096);
    expect(s.equals(cartType.join(s, s))).toBe(true);
    expect(roundTrips(s)).toBe(true);
  });
});
