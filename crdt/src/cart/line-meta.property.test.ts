/**
 * Every line keeps its title and price (issue 15): an add without metadata and a set-quantity
 * carry the line's metadata under a fresh dot, so no remove concurrent with them can leave the
 * quantity that survives it (add-wins) without metadata. Seeds are printed by fast-check on failure.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cart, type CartDelta } from '../index.js';

const META: Record<string, { title: string; priceMinor: number; currency: string }> = {
  p1: { title: 'Phone', priceMinor: 49_900, currency: 'EUR' },
  p2: { title: 'Case', priceMinor: 1_299, currency: 'EUR' },
  p3: { title: 'Cable', priceMinor: 899, currency: 'EUR' },
};
const PRODUCTS = Object.keys(META);

function clockFrom(start: number): () => number {
  let t = start;
  return () => t++;
}

describe('line metadata survives concurrent changes', () => {
  it('A offline sets P2 to 3 while B removes P2: after the merge P2 ×3 keeps title and price', () => {
    const clock = clockFrom(1_700_000_000_000);
    const a = Cart.create({ actor: 'a', clock });
    const b = Cart.create({ actor: 'b', clock });
    b.applyDelta(a.add('p2', 1, META.p2));
    const set = a.setQuantity('p2', 3); // A is offline
    const rm = b.remove('p2');
    a.applyDelta(rm);
    b.applyDelta(set);
    for (const r of [a, b]) expect(r.get('p2')).toEqual({ productId: 'p2', quantity: 3, meta: META.p2 });
    expect(a.equals(b)).toBe(true);
  });

  it('an add without metadata concurrent with a remove keeps the metadata too', () => {
    const clock = clockFrom(1_700_000_000_000);
    const a = Cart.create({ actor: 'a', clock });
    const b = Cart.create({ actor: 'b', clock });
    b.applyDelta(a.add('p1', 1, META.p1));
    const add = a.add('p1', 2);
    const rm = b.remove('p1');
    a.applyDelta(rm);
    b.applyDelta(add);
    for (const r of [a, b]) expect(r.get('p1')?.meta).toEqual(META.p1);
  });

  it('a carried copy never beats newer metadata written concurrently (LWW keeps its timestamp)', () => {
    const clock = clockFrom(1_700_000_000_000);
    const a = Cart.create({ actor: 'a', clock });
    const b = Cart.create({ actor: 'b', clock });
    b.applyDelta(a.add('p1', 1, META.p1));
    const repriced = { ...META.p1, priceMinor: 45_900 };
    const newer = b.add('p1', 1, repriced); // B learns the new price
    const set = a.setQuantity('p1', 5); // A carries the old metadata, stamped as it was
    a.applyDelta(newer);
    b.applyDelta(set);
    for (const r of [a, b]) expect(r.get('p1')?.meta).toEqual(repriced);
  });

  it('any interleaving of adds, set-quantities, removes and clears on three replicas: every visible line has its metadata (fast-check)', () => {
    const op = fc.oneof(
      fc.record({
        type: fc.constant('add' as const),
        p: fc.nat(2),
        q: fc.integer({ min: 1, max: 3 }),
        meta: fc.boolean(),
      }),
      fc.record({ type: fc.constant('set' as const), p: fc.nat(2), q: fc.integer({ min: 1, max: 9 }) }),
      fc.record({ type: fc.constant('remove' as const), p: fc.nat(2) }),
      fc.record({ type: fc.constant('clear' as const) }),
    );
    const scenario = fc.record({
      steps: fc.array(fc.record({ at: fc.nat(2), op, deliver: fc.nat(4) }), { minLength: 1, maxLength: 30 }),
      order: fc.array(fc.nat(1_000), { minLength: 1, maxLength: 50 }),
    });
    fc.assert(
      fc.property(scenario, ({ steps, order }) => {
        const clock = clockFrom(1_700_000_000_000);
        const replicas = ['r0', 'r1', 'r2'].map((actor) => Cart.create({ actor, clock }));
        const queue: Array<{ to: number; delta: CartDelta }> = [];
        let k = 0;
        const deliverOne = (): void => {
          const [m] = queue.splice(order[k++ % order.length]! % queue.length, 1);
          replicas[m!.to]!.applyDelta(m!.delta);
        };
        for (const { at, op, deliver } of steps) {
          for (let i = 0; i < deliver && queue.length > 0; i++) deliverOne();
          const r = replicas[at]!;
          let delta: CartDelta;
          if (op.type === 'add') {
            const pid = PRODUCTS[op.p]!;
            // an add without metadata is only made where the line (and so its metadata) is seen
            delta = op.meta || r.get(pid) === undefined ? r.add(pid, op.q, META[pid]) : r.add(pid, op.q);
          } else if (op.type === 'set') {
            const pid = PRODUCTS[op.p]!;
            if (r.get(pid) === undefined) continue; // a shopper sets quantities of lines they see
            delta = r.setQuantity(pid, op.q);
          } else if (op.type === 'remove') delta = r.remove(PRODUCTS[op.p]!);
          else delta = r.clear();
          for (let to = 0; to < 3; to++) if (to !== at) queue.push({ to, delta });
        }
        while (queue.length > 0) deliverOne();
        expect(replicas[0]!.equals(replicas[1]!)).toBe(true);
        expect(replicas[1]!.equals(replicas[2]!)).toBe(true);
        for (const line of replicas[0]!.lines())
          expect(line.meta, line.productId).toEqual(META[line.productId]);
      }),
      { numRuns: 300 },
    );
  });
});
