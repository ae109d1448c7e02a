/**
 * fast-check properties every replicated type must satisfy (riak_dt's eqc properties, delta-CRDT
 * laws). Seeds and paths are printed on failure; call `runPropertySuite(harness)` from a test file.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CrdtDecodeError } from '../errors.js';
import { type CrdtHarness, historyArb, joinAll, runHistory } from './harness.js';

export interface PropertyOptions {
  readonly numRuns?: number;
}

export function runPropertySuite<R, S, Op>(h: CrdtHarness<R, S, Op>, options: PropertyOptions = {}): void {
  const numRuns = options.numRuns ?? 60;
  const history = historyArb(h.op);
  const statesArb = fc.array(history, { minLength: 3, maxLength: 3 }).map((hs) =>
    hs.map((cmds, i) => {
      // three independent histories share actors r0..r2, so their states overlap and conflict
      const { replicas } = runHistory(h, cmds);
      return h.state(replicas[i % replicas.length]!);
    }),
  );
  const eq = (a: S, b: S) => h.equals(a, b);

  describe(`${h.name}: properties`, () => {
    it('join is commutative, associative and idempotent', () => {
      fc.assert(
        fc.property(history, history, (h1, h2) => {
          const x = runHistory(h, h1);
          const y = runHistory(h, h2);
          const a = h.state(x.replicas[0]!);
          const b = h.state(x.replicas[1]!);
          const c = h.state(y.replicas[2]!);
          expect(eq(h.join(a, b), h.join(b, a))).toBe(true);
          expect(eq(h.join(h.join(a, b), c), h.join(a, h.join(b, c)))).toBe(true);
          expect(eq(h.join(a, a), a)).toBe(true);
          expect(eq(h.join(h.join(a, b), b), h.join(a, b))).toBe(true);
        }),
        { numRuns },
      );
    });

    it('join does not mutate its inputs', () => {
      fc.assert(
        fc.property(statesArb, ([a, b]) => {
          const ea = h.encode(a!);
          const eb = h.encode(b!);
          h.join(a!, b!);
          expect(h.encode(a!)).toEqual(ea);
          expect(h.encode(b!)).toEqual(eb);
        }),
        { numRuns: Math.ceil(numRuns / 2) },
      );
    });

    it('a delta mutation joined into the prior state equals the full mutation', () => {
      fc.assert(
        fc.property(history, h.op, (cmds, op) => {
          const { replicas } = runHistory(h, cmds);
          const r = replicas[0]!;
          const before = h.state(r);
          const delta = h.mutate(r, op);
          expect(eq(h.join(before, delta), h.state(r))).toBe(true);
          const other = h.fromState(before, 'other');
          h.applyDelta(other, delta);
          expect(eq(h.state(other), h.state(r))).toBe(true);
        }),
        { numRuns },
      );
    });

    it('any delivery order of the deltas, with duplicates, converges to full-state sync', () => {
      fc.assert(
        fc.property(
          history.chain((cmds) => {
            const n = cmds.filter((c) => 'op' in c).length;
            return fc.tuple(
              fc.constant(cmds),
              fc.array(fc.nat(Math.max(0, n - 1)), { maxLength: n * 2 }),
              fc.shuffledSubarray(
                Array.from({ length: n }, (_, i) => i),
                { minLength: n, maxLength: n },
              ),
            );
          }),
          ([cmds, dups, order]) => {
            const { replicas, deltas } = runHistory(h, cmds);
            const expected = joinAll(h, replicas);
            const target = h.create('target');
            for (const i of [...order, ...dups]) h.applyDelta(target, deltas[i]!);
            expect(eq(h.state(target), expected)).toBe(true);
            for (const r of replicas) h.applyDelta(r, expected);
            for (const r of replicas) expect(h.read(r)).toEqual(h.read(target));
          },
        ),
        { numRuns },
      );
    });

    it('codec round-trips states and deltas, canonically', () => {
      fc.assert(
        fc.property(history, (cmds) => {
          const { replicas, deltas } = runHistory(h, cmds);
          for (const s of [...replicas.map((r) => h.state(r)), ...deltas, h.empty()]) {
            const bytes = h.encode(s);
            const back = h.decode(bytes);
            expect(eq(back, s)).toBe(true);
            expect(h.encode(back)).toEqual(bytes);
          }
        }),
        { numRuns },
      );
    });

    it('decoding arbitrary or corrupted bytes throws only CrdtDecodeError', () => {
      const valid = fc
        .tuple(history, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 4 }), fc.nat(), fc.boolean())
        .map(([cmds, flips, cut, doCut]) => {
          const { replicas } = runHistory(h, cmds);
          const bytes = h.encode(h.state(replicas[0]!)).slice();
          for (const [pos, val] of flips) if (bytes.length > 0) bytes[pos % bytes.length] = val;
          return doCut ? bytes.subarray(0, cut % (bytes.length + 1)) : bytes;
        });
      fc.assert(
        fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), valid), (bytes) => {
          try {
            const s = h.decode(bytes);
            // whatever decodes must be a valid value that re-encodes and joins
            h.decode(h.encode(s));
            h.join(s, h.empty());
          } catch (err) {
            if (!(err instanceof CrdtDecodeError)) throw err;
            expect(err.code).toBe('CRDT_DECODE_ERROR');
          }
        }),
        { numRuns: numRuns * 4 },
      );
    });

    const ds = h.deltaSince;
    const ctxOf = h.context;
    if (ds && ctxOf) {
      it('deltaSince(peer) joined into the peer equals joining the full state', () => {
        fc.assert(
          fc.property(history, (cmds) => {
            const { replicas } = runHistory(h, cmds);
            const [me, peer] = replicas as [R, R];
            const delta = ds(me, ctxOf(peer));
            expect(eq(h.join(h.state(peer), delta), h.join(h.state(peer), h.state(me)))).toBe(true);
          }),
          { numRuns },
        );
      });
    }
  });
}
