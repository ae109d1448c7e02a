import { type CartOp, type CartState, cartType } from '@cartwheel/crdt';
import { describe, expect, it } from 'vitest';
import { mintOf, writeOutcome } from '../src/stores/cartwheel-outcome.js';

const NOW = 1_750_000_000_000;

/** Applies `op` as `actor` to `state`: the delta and the state after it. */
function step(state: CartState, op: CartOp, actor: string): { delta: CartState; after: CartState } {
  const delta = cartType.apply(state, op, actor, NOW);
  return { delta, after: cartType.join(state, delta) };
}

describe('causal stamps of a node operation', () => {
  it('come from the delta: what it was minted against, its own dot and who minted it', () => {
    const a = step(cartType.empty(), { type: 'add', productId: 'p1', quantity: 1 }, 'a');
    const b = step(a.after, { type: 'add', productId: 'p2', quantity: 2 }, 'b');
    const remove = step(b.after, { type: 'remove', productId: 'p1' }, 'c');
    const mint = mintOf(remove.delta);
    expect(mint).toEqual({ context: { a: 1, b: 1, c: 1 }, actor: 'c' });
    const outcome = writeOutcome(remove.delta, { type: 'remove', productId: 'p1' }, mint);
    expect(outcome.causal).toEqual({ dot: 'c@1', context: { a: 1, b: 1, c: 1 } });
    expect(outcome.observed).toEqual(['a@1']);
  });

  it('do not include what a replica learned after minting (an answer joined with other replicas)', () => {
    const a = step(cartType.empty(), { type: 'add', productId: 'p1', quantity: 1 }, 'a');
    const elsewhere = step(cartType.empty(), { type: 'add', productId: 'p9', quantity: 1 }, 'z');
    const add = step(a.after, { type: 'add', productId: 'p2', quantity: 1 }, 'b');
    const answered = cartType.join(add.after, elsewhere.after); // what update may answer with
    expect(answered.context().max('z')).toBe(1);
    const outcome = writeOutcome(add.delta, { type: 'add', productId: 'p2', quantity: 1 }, mintOf(add.delta));
    expect(outcome.writeId).toBe('b@1');
    expect(outcome.causal?.context).toEqual({ a: 1, b: 1 });
  });
});
