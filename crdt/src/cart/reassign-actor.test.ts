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

  it('with keep: only the dots the peer lacks move; joining the result into the peer equals the same ops made by the new actor after the synced part (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.array(cartOpArb, { minLength: 1, maxLength: 12 }),
        fc.array(cartOpArb, { minLength: 1, maxLength: 12 }),
        fc.array(cartOpArb, { maxLength: 6 }),
        (synced, unsynced, between) => {
          let t = 1_700_000_000_000;
          const clock = (): number => t++;
          const device = Cart.create({ actor: 'old', clock });
          const tryApply = (c: Cart, op: (typeof synced)[number]): boolean => {
            try {
              c.apply(op);
              return true;
            } catch {
              return false;
            }
          };
          for (const op of synced) tryApply(device, op);
          const server = Cart.fromState(device.state(), { actor: 'server' });
          for (const op of unsynced) tryApply(device, op);
          // the device continues as 'new' before it learns what the server has (rebind), then moves
          const rebound = Cart.fromState(device.state(), { actor: 'new', clock });
          for (const op of between) tryApply(rebound, op);
          const moved = reassignActor(rebound.state(), 'old', 'new', server.context());
          const json = cartToJSON(moved);
          // the synced dots stay under 'old', exactly those the server has
          expect(json.context.old ?? []).toEqual(server.context().rangesOf('old'));
          for (const entries of Object.values(json.lines)) {
            for (const e of entries)
              if (e.actor === 'old') expect(server.context().hasDot('old', e.counter)).toBe(true);
          }
          // the server accepts the result as dots of 'new' only, and ends with the device's lines
          const delta = Cart.fromState(moved).deltaSince(server.context());
          const minted = Object.keys(cartToJSON(delta).context).filter(
            (a) => !server.context().rangesOf(a).length,
          );
          expect(minted.every((a) => a === 'new')).toBe(true);
          expect(server.applyDelta(delta)).toBe(true); // joined, not held back for a gap
          expect(server.lines()).toEqual(rebound.lines());
        },
      ),
      { numRuns: 200 },
    );
  });
});
