import { describe, expect, it } from 'vitest';
import { CausalContext } from '../causal/causal-context.js';
import { HLC_MAX, Hlc, packHlc } from '../causal/hlc.js';
import { LIMITS } from '../codec/limits.js';
import { CrdtLimitError } from '../errors.js';
import { Counter } from './counter.js';
import { DotStoreState } from './dot-store.js';
import { LWWRegister } from './lww-register.js';
import { MVRegister } from './mv-register.js';
import { ORMap } from './or-map.js';
import { ORSet } from './or-set.js';

describe('embedded types and their semantics', () => {
  it('OR-Map remove resets an embedded counter exactly; a concurrent increment keeps only its own amount', () => {
    const a = ORMap.create('a', 'counter');
    a.increment('k', 5);
    const b = ORMap.create('b', 'counter', { state: a.state() });
    a.increment('k', 3); // not yet seen by b, so concurrent with b's remove
    const rm = b.remove('k');
    const inc = a.increment('k', 2);
    // causal delivery: b holds `inc` back until it has the 3 it depends on
    expect(b.applyDelta(inc)).toBe(false);
    a.applyDelta(rm);
    // b's remove observed only the 5; the 3 and the 2 were concurrent with it
    expect(a.get('k')).toBe(5);
    expect(b.get('k')).toBeUndefined();
    a.merge(b);
    b.merge(a);
    expect(a.get('k')).toBe(5);
    expect(a.equals(b)).toBe(true);
  });

  it('OR-Map remove of a nested set removes only the observed elements (delta-crdts#19/#24 class)', () => {
    const a = ORMap.create('a', 'set');
    a.addElement('tags', 'x');
    const b = ORMap.create('b', 'set', { state: a.state() });
    const rm = b.remove('tags');
    const add = a.addElement('tags', 'y');
    a.applyDelta(rm);
    b.applyDelta(add);
    expect(a.get('tags')).toEqual(['y']);
    expect(b.get('tags')).toEqual(['y']);
    expect(a.keys()).toEqual(['tags']);
  });

  it('OR-Map of LWW registers: a causally later write wins despite a clock behind', () => {
    let now = 50_000;
    const a = ORMap.create('z', 'lwwRegister', { clock: () => now });
    a.write('color', 'red');
    const b = ORMap.create('a', 'lwwRegister', { state: a.state(), clock: () => 1 });
    b.write('color', 'blue');
    a.merge(b);
    expect(a.get('color')).toBe('blue');
    now = 60_000;
    a.write('color', 'green');
    b.merge(a);
    expect(b.get('color')).toBe('green');
  });

  it('MV-Register keeps concurrent writes as siblings until a write observes them', () => {
    const a = MVRegister.create('a');
    const b = MVRegister.create('b');
    const da = a.write('x');
    const db = b.write('y');
    a.applyDelta(db);
    b.applyDelta(da);
    expect(a.values()).toEqual(['x', 'y']);
    b.applyDelta(a.write('z'));
    expect(b.values()).toEqual(['z']);
  });

  it('LWW-Register orders by (hlc, actor) and a later write wins over a skewed clock', () => {
    const a = LWWRegister.create('a', { clock: () => 9_000 });
    const b = LWWRegister.create('b', { clock: () => 9_000 });
    const da = a.set(1);
    const db = b.set(2);
    a.applyDelta(db);
    b.applyDelta(da);
    expect(a.value()).toBe(2); // tie on hlc → greater actor
    const c = LWWRegister.create('0', { clock: () => 1, state: a.state() });
    c.set(3);
    a.merge(c);
    expect(a.value()).toBe(3);
  });

  it('counter: an increment concurrent with a reset survives with exactly its amount', () => {
    const a = Counter.create('a');
    a.increment(10);
    const b = Counter.create('b', a.state());
    const reset = b.reset();
    const inc = a.increment(4);
    a.applyDelta(reset);
    b.applyDelta(inc);
    expect(a.value()).toBe(4);
    expect(b.value()).toBe(4);
  });

  it('OR-Set add-wins over a concurrent remove and converges', () => {
    const a = ORSet.create('a');
    const b = ORSet.create('b', a.state());
    b.applyDelta(a.add('x'));
    const rm = b.remove('x');
    const add = a.add('x');
    a.applyDelta(rm);
    b.applyDelta(add);
    expect(a.values()).toEqual(['x']);
    expect(b.equals(a)).toBe(true);
  });

  it('refuses to run past the end of the dot space and clamps timestamps at the end of time', () => {
    const ctx = new CausalContext();
    ctx.addRange('a', 1, LIMITS.maxCounter);
    const s = ORSet.create('a', new DotStoreState(new Map(), ctx));
    expect(() => s.add('x')).toThrow(CrdtLimitError);
    expect(s.values()).toEqual([]); // nothing changed
    const clock = new Hlc(() => 0);
    clock.observe(HLC_MAX);
    expect(clock.now()).toBe(HLC_MAX); // clamped, never past what decoders accept
    expect(packHlc(1, 0)).toBe(32);
  });
});
