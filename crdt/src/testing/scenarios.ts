/**
 * The one scenario suite every replicated type runs: sequential, concurrent, diamond, partition,
 * duplicate and reordered delivery, save/load (after Collabs' per-type harness and riak_test's
 * verify_dt_converge). Call it from a test file: `runScenarioSuite(harness)`.
 */
import { describe, expect, it } from 'vitest';
import { type CrdtHarness, joinAll, sampleOps } from './harness.js';

function shuffle<T>(xs: readonly T[], seed: number): T[] {
  const out = xs.slice();
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export function runScenarioSuite<R, S, Op>(h: CrdtHarness<R, S, Op>): void {
  const ops = (seed: number, n = 12) => sampleOps(h.op, seed, n);
  const same = (a: R, b: R) => {
    expect(h.read(a)).toEqual(h.read(b));
    expect(h.equals(h.state(a), h.state(b))).toBe(true);
  };

  describe(`${h.name}: shared scenarios`, () => {
    it('sequential: deltas shipped in order reproduce the writer', () => {
      const a = h.create('a');
      const b = h.create('b');
      for (const op of ops(1, 20)) h.applyDelta(b, h.mutate(a, op));
      same(a, b);
    });

    it('concurrent: replicas that mutate concurrently converge after exchanging deltas', () => {
      const a = h.create('a');
      const b = h.create('b');
      const da = ops(2).map((op) => h.mutate(a, op));
      const db = ops(3).map((op) => h.mutate(b, op));
      for (const d of db) h.applyDelta(a, d);
      for (const d of da) h.applyDelta(b, d);
      same(a, b);
      expect(h.equals(h.state(a), joinAll(h, [a, b]))).toBe(true);
    });

    it('diamond: a fork and re-join through two paths converges', () => {
      const a = h.create('a');
      const b = h.create('b');
      const c = h.create('c');
      const d = h.create('d');
      for (const op of ops(4, 5)) {
        const delta = h.mutate(a, op);
        h.applyDelta(b, delta);
        h.applyDelta(c, delta);
      }
      const fromB = ops(5).map((op) => h.mutate(b, op));
      const fromC = ops(6).map((op) => h.mutate(c, op));
      for (const x of [...fromB, ...fromC]) h.applyDelta(d, x);
      h.applyDelta(d, h.state(a));
      for (const r of [a, b, c]) h.applyDelta(r, h.state(d));
      for (const r of [a, b, c]) same(r, d);
    });

    it('partition: two sides diverge, then heal and converge to the join of everything', () => {
      const rs = ['a', 'b', 'c', 'd'].map((x) => h.create(x));
      const [a, b, c, d] = rs as [R, R, R, R];
      for (const op of ops(7, 4)) {
        const delta = h.mutate(a, op);
        for (const r of [b, c, d]) h.applyDelta(r, delta);
      }
      for (const op of ops(8)) h.applyDelta(b, h.mutate(a, op));
      for (const op of ops(9)) h.applyDelta(d, h.mutate(c, op));
      for (const op of ops(10, 4)) h.applyDelta(a, h.mutate(b, op));
      same(a, b);
      same(c, d);
      const expected = joinAll(h, rs);
      h.applyDelta(a, h.state(c));
      h.applyDelta(c, h.state(a));
      h.applyDelta(b, h.state(a));
      h.applyDelta(d, h.state(c));
      for (const r of rs) expect(h.equals(h.state(r), expected)).toBe(true);
    });

    it('duplicate and reordered delivery converges to in-order delivery', () => {
      const a = h.create('a');
      const b = h.create('b');
      const deltas = ops(11, 25).map((op, i) => (i % 3 === 0 ? h.mutate(b, op) : h.mutate(a, op)));
      const inOrder = h.create('x');
      for (const d of deltas) h.applyDelta(inOrder, d);
      for (const seed of [1, 2, 3]) {
        const y = h.create(`y${seed}`);
        for (const d of shuffle([...deltas, ...deltas.slice(0, 10)], seed)) h.applyDelta(y, d);
        same(y, inOrder);
      }
      h.applyDelta(a, h.state(b));
      same(a, inOrder);
    });

    it('save/load: a state survives encoding, and the reloaded replica keeps working', () => {
      const a = h.create('a');
      for (const op of ops(12, 15)) h.mutate(a, op);
      const bytes = h.encode(h.state(a));
      const loaded = h.fromState(h.decode(bytes), 'a');
      same(loaded, a);
      expect(h.encode(h.state(loaded))).toEqual(bytes);
      // the reloaded replica (same actor) must not reuse dots: its new deltas join cleanly
      const b = h.fromState(h.decode(bytes), 'b');
      for (const op of ops(13, 5)) h.applyDelta(b, h.mutate(loaded, op));
      same(loaded, b);
    });
  });
}
