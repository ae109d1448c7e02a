import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cart, CrdtInvalidOpError, cartToJSON, joinCartStates, reassignActor } from '../index.js';
import { cartOpArb } from '../testing/type-harnesses.js';

describe('reassignActor', () => {
  it('an unshared history re-minted under a fresh actor equals the same ops made by that actor (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(cartOpArb, { minLength: 1, maxLength: 20 }), (ops) => {
        let t = 1_700_000_000_000;
        const clockA = (): number => t++;
        const offline = Cart.create({ actor: 'claimed-by-someone-else', clock: clockA });
        let u = 1_700_000_000_000;
        const fresh = Cart.create({ actor: 'fresh', clock: () => u++ });
        for (const op of ops) {
          let failed = false;
          try {
            offline.apply(op);
          } catch {
            failed = true;
          }
          if (!failed) fresh.apply(op);
        }
        const moved = reassignActor(offline.state(), 'claimed-by-someone-else', 'fresh');
        expect(moved.equals(fresh.state())).toBe(true);
        expect(Object.keys(cartToJSON(moved).context)).not.toContain('claimed-by-someone-else');
        // the moved replica keeps minting after its re-minted dots
        const cont = Cart.fromState(moved, { actor: 'fresh' });
        cont.add('next', 1);
        expect(cont.context().max('fresh')).toBe(fresh.context().max('fresh') + 1);
      }),
      { numRuns: 200 },
    );
  });

  it('leaves other actors alone and refuses a target that already has dots', () => {
    const a = Cart.create({ actor: 'a' });
    const b = Cart.create({ actor: 'b' });
    b.applyDelta(a.add('p1', 1, { title: 'Mug' }));
    b.add('p2', 2);
    const moved = reassignActor(b.state(), 'b', 'c');
    expect(Object.keys(cartToJSON(moved).context).sort()).toEqual(['a', 'c']);
    expect(Cart.fromState(moved).lines()).toEqual(b.lines());
    expect(() => reassignActor(b.state(), 'b', 'a')).toThrow(CrdtInvalidOpError); // a:1 vs b:1
    // stored pieces renamed one by one and joined (a log replayed after a crash) give the state
    // the replica went on with
    const cont = Cart.fromState(moved, { actor: 'c' });
    cont.add('p3', 1);
    cont.remove('p2');
    const replayed = joinCartStates(cont.state(), reassignActor(b.state(), 'b', 'c'));
    expect(replayed.equals(cont.state())).toBe(true);
    expect(() => reassignActor(replayed, 'a', 'c')).toThrow(CrdtInvalidOpError);
    const state = b.state();
    expect(reassignActor(state, 'z', 'y')).toBe(state);
  });
});
