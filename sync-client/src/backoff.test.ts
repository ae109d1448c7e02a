import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF } from './backoff.js';

describe('backoffDelay', () => {
  const opts = { initialMs: 100, maxMs: 5_000, factor: 2, jitter: 0.5 };

  it('grows exponentially up to the cap', () => {
    const mid = (attempt: number) => backoffDelay(attempt, { ...opts, jitter: 0 }, () => 0.5);
    expect([0, 1, 2, 3, 4, 5, 6, 10, 1000].map(mid)).toEqual([
      100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000,
    ]);
  });

  it('spreads retries over the jitter band', () => {
    expect(backoffDelay(3, opts, () => 0)).toBe(400);
    expect(backoffDelay(3, opts, () => 0.999999)).toBe(800);
  });

  it('stays within [ceiling·(1-jitter), ceiling] for any attempt and random value', () => {
    fc.assert(
      fc.property(
        fc.nat(10_000),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, r) => {
          const d = backoffDelay(attempt, DEFAULT_BACKOFF, () => r);
          const ceiling = Math.min(
            DEFAULT_BACKOFF.maxMs,
            DEFAULT_BACKOFF.initialMs * 2 ** Math.min(attempt, 64),
          );
          return d >= Math.floor(ceiling * (1 - DEFAULT_BACKOFF.jitter)) && d <= ceiling;
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects misuse', () => {
    expect(() => backoffDelay(-1, opts, Math.random)).toThrow(TypeError);
    expect(() => backoffDelay(0, { ...opts, maxMs: 1 }, Math.random)).toThrow(TypeError);
  });
});
