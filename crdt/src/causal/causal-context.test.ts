import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeContext, encodeContext } from '../codec/context-codec.js';
import { CrdtDecodeError } from '../errors.js';
import { CausalContext } from './causal-context.js';

const dots = fc.array(
  fc.record({ actor: fc.constantFrom('a', 'b', 'c'), counter: fc.integer({ min: 1, max: 40 }) }),
  {
    maxLength: 60,
  },
);
const key = (d: { actor: string; counter: number }) => `${d.actor}:${d.counter}`;

describe('CausalContext', () => {
  it('contains exactly the dots added, in any order (a set of dots)', () => {
    fc.assert(
      fc.property(dots, (ds) => {
        const c = CausalContext.fromDots(ds);
        const set = new Set(ds.map(key));
        for (const actor of ['a', 'b', 'c']) {
          for (let n = 1; n <= 41; n++) expect(c.hasDot(actor, n)).toBe(set.has(`${actor}:${n}`));
        }
        expect(c.dotCount()).toBe(set.size);
      }),
    );
  });

  it('join is set union; difference and intersection agree with sets', () => {
    fc.assert(
      fc.property(dots, dots, (xs, ys) => {
        const a = CausalContext.fromDots(xs);
        const b = CausalContext.fromDots(ys);
        const sx = new Set(xs.map(key));
        const sy = new Set(ys.map(key));
        const u = a.clone().join(b);
        const d = a.difference(b);
        const i = a.intersection(b);
        for (const actor of ['a', 'b', 'c']) {
          for (let n = 1; n <= 41; n++) {
            const k = `${actor}:${n}`;
            expect(u.hasDot(actor, n)).toBe(sx.has(k) || sy.has(k));
            expect(d.hasDot(actor, n)).toBe(sx.has(k) && !sy.has(k));
            expect(i.hasDot(actor, n)).toBe(sx.has(k) && sy.has(k));
          }
        }
        expect(u.covers(a) && u.covers(b)).toBe(true);
        expect(a.clone().join(b).equals(b.clone().join(a))).toBe(true);
      }),
    );
  });

  it('never compacts over a gap (akka#22188): dots received out of order stay a cloud until the gap fills', () => {
    const c = new CausalContext();
    c.addDot('a', 1);
    c.addDot('a', 3);
    c.addDot('a', 5);
    expect(c.contiguous('a')).toBe(1);
    expect(c.hasDot('a', 2)).toBe(false);
    expect(c.hasDot('a', 4)).toBe(false);
    expect(c.cloud()).toEqual([
      { actor: 'a', counter: 3 },
      { actor: 'a', counter: 5 },
    ]);
    expect(c.isCompact()).toBe(false);
    c.addDot('a', 4);
    expect(c.contiguous('a')).toBe(1);
    c.addDot('a', 2);
    expect(c.contiguous('a')).toBe(5);
    expect(c.isCompact()).toBe(true);
    expect(c.versionVector()).toEqual(new Map([['a', 5]]));
  });

  it('round-trips through the binary codec; bad bytes fail only with CrdtDecodeError', () => {
    fc.assert(
      fc.property(dots, (ds) => {
        const c = CausalContext.fromDots(ds);
        expect(decodeContext(encodeContext(c)).equals(c)).toBe(true);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeContext(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(CrdtDecodeError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('encodes a version vector of UUID actors in ~23 bytes per actor (16 raw UUID bytes + varints)', () => {
    const c = CausalContext.fromVersionVector({
      '0b6f4a8e-3d2c-4e1f-9a7b-5c6d7e8f9a0b': 100_000,
      '1c7a5b9f-4e3d-4f2a-8b8c-6d7e8f9a0b1c': 42,
    });
    expect(encodeContext(c).length).toBeLessThanOrEqual(2 + 2 * 23);
  });

  it('rejects misuse with TypeError', () => {
    const c = new CausalContext();
    expect(() => c.add({ actor: '', counter: 1 })).toThrow(TypeError);
    expect(() => c.add({ actor: 'a', counter: 0 })).toThrow(TypeError);
    expect(() => c.addRange('a', 5, 2)).toThrow(TypeError);
  });
});
