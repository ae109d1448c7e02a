import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../testing/manual-clock.js';
import { Deadlines } from './deadlines.js';

describe('Deadlines', () => {
  it('fires each live deadline once, at its time, in deadline order, with one clock timer', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ ms: fc.integer({ min: 0, max: 5_000 }), cancel: fc.boolean() }), {
          maxLength: 200,
        }),
        async (reqs) => {
          const clock = new ManualClock(0);
          const d = new Deadlines(clock);
          const fired: { i: number; at: number }[] = [];
          const handles = reqs.map((r, i) => d.add(r.ms, () => fired.push({ i, at: clock.now() })));
          reqs.forEach((r, i) => {
            if (r.cancel) handles[i]!.cancel();
          });
          expect(d.size).toBe(reqs.filter((r) => !r.cancel).length);
          await clock.advance(6_000);
          const expected = reqs
            .map((r, i) => ({ ...r, i }))
            .filter((r) => !r.cancel)
            .sort((a, b) => a.ms - b.ms || a.i - b.i);
          expect(fired.map((f) => f.at)).toEqual(expected.map((r) => r.ms));
          expect(new Set(fired.map((f) => f.i))).toEqual(new Set(expected.map((r) => r.i)));
          expect(d.size).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a deadline added from inside a firing one is armed too; clear() stops everything', async () => {
    const clock = new ManualClock(0);
    const d = new Deadlines(clock);
    const fired: number[] = [];
    d.add(10, () => {
      fired.push(clock.now());
      d.add(5, () => fired.push(clock.now()));
    });
    d.add(100, () => fired.push(-1));
    await clock.advance(20);
    expect(fired).toEqual([10, 15]);
    d.clear();
    await clock.advance(200);
    expect(fired).toEqual([10, 15]);
  });
});
