/**
 * fast-check properties of the delivery contract and of the cart's edges. Seeds are printed by
 * fast-check on failure; a seed that once failed becomes a named case in cart-edges.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Cart,
  type CartOp,
  type CartState,
  type CausalContext,
  cartFromJSON,
  cartToJSON,
  cartType,
  decodeCart,
  encodeCart,
} from '../index.js';
import { cartOpArb, faultyClock } from '../testing/type-harnesses.js';

const ACTORS = ['r0', 'r1', 'r2'];

/**
 * Replays random ops on three replicas; every delta is delivered to every other replica in a random
 * order with gaps (held back), duplicates and retransmits. The causal past is tracked outside the
 * replicas (from the history, not their contexts): a replica's past grows by a delta's minted dots
 * and their past once the delta is joined there.
 */
const scenario = fc.record({
  ops: fc.array(fc.record({ at: fc.nat(2), op: cartOpArb }), { minLength: 1, maxLength: 25 }),
  order: fc.array(fc.nat(10_000), { minLength: 1, maxLength: 300 }),
  dups: fc.array(fc.nat(6), { maxLength: 30 }),
});

describe('delivery contract (fast-check)', () => {
  it('any delivery order with gaps, duplicates and retransmits: no add in the causal past of what a remove saw survives it; all converge', () => {
    fc.assert(
      fc.property(scenario, ({ ops, order, dups }) => {
        let t = 1_700_000_000_000;
        const clock = (): number => t++;
        const replicas = ACTORS.map((actor) => Cart.create({ actor, clock }));
        const past = ACTORS.map(() => new Set<string>()); // causal past of each replica, by dot
        const deltas: Array<{ delta: CartState; minted: string[]; past: Set<string> }> = [];
        const judged: Array<{ dots: Set<string> }> = [];
        const queue: Array<[number, number]> = [];
        let k = 0;
        const pick = (): number => order[k++ % order.length]!;
        const joinedAt = (r: number): void => {
          const ctx = replicas[r]!.context();
          for (const d of deltas) {
            if (d.minted.every((m) => hasDot(ctx, m))) {
              for (const m of d.minted) past[r]!.add(m);
              for (const m of d.past) past[r]!.add(m);
            }
          }
        };
        const deliver = (): void => {
          const [di, to] = queue.splice(pick() % queue.length, 1)[0]!;
          replicas[to]!.applyDelta(deltas[di]!.delta);
          joinedAt(to);
        };
        for (const { at, op } of ops) {
          for (let i = pick() % 4; i > 0 && queue.length > 0; i--) deliver();
          const r = replicas[at]!;
          const actor = ACTORS[at]!;
          const before = r.context().max(actor);
          if (op.type !== 'add') {
            // the remove (set, clear) judges every add/set dot of its lines in this replica's past
            const pids = op.type === 'clear' ? undefined : new Set([op.productId]);
            const dots = new Set<string>();
            for (const d of deltas) {
              for (const [pid, entries] of Object.entries(cartToJSON(d.delta).lines)) {
                if (pids !== undefined && !pids.has(pid)) continue;
                for (const e of entries) {
                  const dot = `${e.actor}:${e.counter}`;
                  if (e.kind !== 'meta' && past[at]!.has(dot)) dots.add(dot);
                }
              }
            }
            judged.push({ dots });
          }
          const delta = r.apply(op);
          const minted: string[] = [];
          for (let c = before + 1; c <= r.context().max(actor); c++) minted.push(`${actor}:${c}`);
          deltas.push({ delta, minted, past: new Set(past[at]!) });
          for (const m of minted) past[at]!.add(m);
          for (let to = 0; to < 3; to++) if (to !== at) queue.push([deltas.length - 1, to]);
          for (const d of dups) if (d === k % 7) queue.push([deltas.length - 1, (at + 1 + (d % 2)) % 3]);
        }
        while (queue.length > 0) deliver();
        for (const r of replicas) expect(r.pendingDeltas).toBe(0);
        expect(replicas[0]!.equals(replicas[1]!)).toBe(true);
        expect(replicas[1]!.equals(replicas[2]!)).toBe(true);
        const live = new Set<string>();
        for (const entries of Object.values(cartToJSON(replicas[0]!.state()).lines)) {
          for (const e of entries) live.add(`${e.actor}:${e.counter}`);
        }
        for (const j of judged)
          for (const dot of j.dots) expect(live.has(dot), `resurrected ${dot}`).toBe(false);
        return true;
      }),
      { numRuns: 200 },
    );
  });

  it('every state reachable through mutators, joins and decoders encodes and decodes to itself', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat(2), op: cartOpArb, sync: fc.boolean() }), { maxLength: 40 }),
        (cmds) => {
          const rs = ACTORS.map((actor) => Cart.create({ actor }));
          for (const { at, op, sync } of cmds) {
            const d = rs[at]!.apply(op);
            if (sync) rs[(at + 1) % 3]!.applyDelta(d);
            for (const s of [rs[at]!.state(), d]) {
              const back = decodeCart(encodeCart(s));
              expect(back.equals(s)).toBe(true);
              expect(back.isDelta).toBe(s.isDelta);
              expect(cartFromJSON(cartToJSON(s)).equals(s)).toBe(true);
            }
          }
          return true;
        },
      ),
      { numRuns: 150 },
    );
  });

  it('mutators are atomic: an injected failure leaves the replica equal to its state before the op', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(cartOpArb, fc.boolean()), { maxLength: 30 }), (steps) => {
        const faulty = faultyClock();
        const a = Cart.create({ actor: 'a', clock: faulty.clock });
        for (const [op, inject] of steps) {
          const before = a.state();
          faulty.failing = inject;
          let threw = false;
          try {
            a.apply(op as CartOp);
          } catch {
            threw = true;
          }
          faulty.failing = false;
          if (threw) expect(a.state().equals(before)).toBe(true);
          else if (inject)
            expect(op.type === 'remove' || op.type === 'clear' || op.type === 'add').toBe(true);
        }
        return true;
      }),
      { numRuns: 200 },
    );
  });

  it('join stays commutative even for two payloads under one dot', () => {
    fc.assert(
      fc.property(fc.array(cartOpArb, { minLength: 1, maxLength: 10 }), fc.nat(100), (ops, bump) => {
        const a = Cart.create({ actor: 'a' });
        for (const op of ops) a.apply(op);
        const honest = a.state();
        const json = cartToJSON(honest);
        for (const entries of Object.values(json.lines)) {
          for (const e of entries) if (e.value !== undefined) e.value = 1 + ((e.value + bump) % 50);
        }
        const forged = cartFromJSON(json);
        const x = cartType.join(honest, forged);
        const y = cartType.join(forged, honest);
        expect(x.equals(y)).toBe(true);
        expect(encodeCart(x)).toEqual(encodeCart(y));
        return true;
      }),
      { numRuns: 200 },
    );
  });
});

function hasDot(ctx: CausalContext, dot: string): boolean {
  const i = dot.lastIndexOf(':');
  return ctx.hasDot(dot.slice(0, i), Number(dot.slice(i + 1)));
}
