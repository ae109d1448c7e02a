import { describe, expect, it } from 'vitest';
import { Hlc, hlcLogical, hlcPhysical, packHlc } from './hlc.js';

describe('Hlc', () => {
  it('packs physical ms and a 12-bit logical counter into one safe integer', () => {
    const t = packHlc(1_767_225_600_000, 7);
    expect(Number.isSafeInteger(t)).toBe(true);
    expect(hlcPhysical(t)).toBe(1_767_225_600_000);
    expect(hlcLogical(t)).toBe(7);
  });

  it('is strictly monotonic even when the wall clock jumps backwards', () => {
    let wall = 10_000;
    const clock = new Hlc(() => wall);
    const a = clock.now();
    wall = 5_000;
    const b = clock.now();
    const c = clock.now();
    expect(b).toBeGreaterThan(a);
    expect(c).toBeGreaterThan(b);
    expect(hlcPhysical(c)).toBe(10_000);
    wall = 20_000;
    expect(hlcPhysical(clock.now())).toBe(20_000);
  });

  it('orders a local event after any remote timestamp it observed', () => {
    const clock = new Hlc(() => 1_000);
    const remote = packHlc(9_000, 3);
    clock.observe(remote);
    expect(clock.now()).toBeGreaterThan(remote);
    expect(() => clock.observe(Number.NaN)).toThrow(TypeError);
  });

  it('carries logical overflow into the physical part instead of wrapping', () => {
    const clock = new Hlc(() => 1);
    let prev = clock.now();
    for (let i = 0; i < 5000; i++) {
      const t = clock.now();
      expect(t).toBeGreaterThan(prev);
      prev = t;
    }
  });
});
