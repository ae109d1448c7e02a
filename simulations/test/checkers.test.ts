import { describe, expect, it } from 'vitest';
import {
  type CheckInput,
  checkConvergence,
  checkLostAdds,
  checkQuantities,
  checkReadYourWrites,
  checkResurrections,
} from '../src/checkers/checkers.js';
import { History, type HistoryOp, type OpOutcome } from '../src/history/history.js';
import type { CartInspection, ObservedLine } from '../src/stores/store.js';

const CART = 'user0/cart';
const STRICT = { r: 2, w: 2, pr: 2, pw: 2, timeoutMs: 1000 };

/** A tiny history builder: each op is invoked at `at` and completes at `at + 1`. */
class H {
  readonly history = new History();
  op(
    at: number,
    f: HistoryOp['f'],
    fields: {
      p?: string;
      q?: number;
      id?: string;
      observed?: string[];
      outcome?: OpOutcome;
      proc?: string;
      /** For unknown outcomes: the coordinator answered (true) or the request may still be in flight. */
      settled?: boolean;
    } = {},
  ): HistoryOp {
    const op = this.history.invoke(at, {
      process: fields.proc ?? 'c1',
      cart: CART,
      f,
      productId: fields.p,
      quantity: fields.q,
      coordinator: 'n1',
      quorum: STRICT,
      device: false,
    });
    op.writeId = fields.id;
    op.observed = fields.observed;
    const outcome = fields.outcome ?? 'ok';
    if (outcome === 'ok' || fields.settled === true) op.effectBy = at + 1;
    this.history.complete(op, at + 1, outcome);
    return op;
  }
}

function input(h: H, lines: ObservedLine[], digests: string[] = ['x', 'x', 'x']): CheckInput {
  const inspection: CartInspection = {
    replicas: digests.map((digest, i) => ({ node: `n${i + 1}`, digest })),
    lines,
  };
  return { ops: h.history.ops, carts: new Map([[CART, inspection]]), n: 3, maxQuantity: 10_000 };
}

describe('checkers', () => {
  it('convergence flags replicas that differ', () => {
    const h = new H();
    expect(checkConvergence(input(h, [], ['a', 'a', 'a']))).toHaveLength(0);
    expect(checkConvergence(input(h, [], ['a', 'b', 'a']))).toHaveLength(1);
    expect(checkConvergence(input(h, [], ['a', 'missing', 'a']))).toHaveLength(1);
  });

  it('an acknowledged add missing at the end is lost — unless an observing remove took it', () => {
    const h = new H();
    h.op(0, 'add', { p: 'a', q: 1, id: 'x:1' });
    expect(checkLostAdds(input(h, []))).toHaveLength(1);
    expect(checkLostAdds(input(h, [{ productId: 'a', quantity: 1, ids: ['x:1'] }]))).toHaveLength(0);
    h.op(5, 'remove', { p: 'a', observed: ['x:1'] });
    expect(checkLostAdds(input(h, []))).toHaveLength(0);
  });

  it('a remove that did not observe the add cannot excuse its loss; an unknown remove after it can', () => {
    const h = new H();
    h.op(0, 'add', { p: 'a', q: 1, id: 'x:1' });
    h.op(5, 'remove', { p: 'a', observed: [] });
    h.op(6, 'remove', { p: 'b', observed: ['x:1'] }); // other product: irrelevant
    expect(checkLostAdds(input(h, []))).toHaveLength(1);
    h.op(7, 'clear', { outcome: 'unknown', settled: true });
    expect(checkLostAdds(input(h, []))).toHaveLength(0);
  });

  it('an unknown remove whose coordinator answered before the add could not have observed it', () => {
    const h = new H();
    h.op(0, 'remove', { p: 'a', outcome: 'unknown', settled: true });
    h.op(5, 'add', { p: 'a', q: 1, id: 'x:1' });
    expect(checkLostAdds(input(h, []))).toHaveLength(1);
  });

  it('an unknown remove still in flight may act after a later add (a delayed forwarded request)', () => {
    const h = new H();
    h.op(0, 'remove', { p: 'a', outcome: 'unknown', settled: false });
    h.op(5, 'add', { p: 'a', q: 1, id: 'x:1' });
    expect(checkLostAdds(input(h, []))).toHaveLength(0);
  });

  it('a device remove that never synced excuses a loss but does not make a live write a resurrection', () => {
    const h = new H();
    h.op(0, 'add', { p: 'a', q: 1, id: 'x:1' });
    h.op(5, 'remove', { p: 'a', observed: ['x:1'], outcome: 'unknown' });
    expect(checkLostAdds(input(h, []))).toHaveLength(0);
    expect(checkResurrections(input(h, [{ productId: 'a', quantity: 1, ids: ['x:1'] }]))).toHaveLength(0);
  });

  it('a write observed by an acknowledged remove that is live at the end is a resurrection', () => {
    const h = new H();
    h.op(0, 'add', { p: 'a', q: 1, id: 'x:1' });
    h.op(5, 'remove', { p: 'a', observed: ['x:1'] });
    expect(checkResurrections(input(h, [{ productId: 'a', quantity: 1, ids: ['x:1'] }]))).toHaveLength(1);
    // A concurrent add the remove did not observe keeps the line: no resurrection.
    h.op(4, 'add', { p: 'a', q: 2, id: 'y:1' });
    expect(checkResurrections(input(h, [{ productId: 'a', quantity: 2, ids: ['y:1'] }]))).toHaveLength(0);
  });

  it('read-your-writes flags a strict-quorum read that missed an earlier own write', () => {
    const h = new H();
    h.op(0, 'add', { p: 'a', q: 1, id: 'x:1' });
    const read = h.op(5, 'read');
    read.unseenOwnWrites = ['x:1'];
    expect(checkReadYourWrites(input(h, []))).toHaveLength(1);
    const sloppy = { ...input(h, []), n: 5 }; // PR + PW = 4 ≤ N: no guarantee, not checked
    expect(checkReadYourWrites(sloppy)).toHaveLength(0);
  });

  it('quantities must lie between the surely-live and the possibly-live model', () => {
    const h = new H();
    h.op(0, 'add', { p: 'a', q: 2, id: 'x:1' });
    h.op(1, 'add', { p: 'a', q: 3, id: 'x:2' });
    h.op(2, 'add', { p: 'a', q: 1, outcome: 'unknown', settled: true });
    expect(checkQuantities(input(h, [{ productId: 'a', quantity: 5, ids: [] }]))).toHaveLength(0);
    expect(checkQuantities(input(h, [{ productId: 'a', quantity: 6, ids: [] }]))).toHaveLength(0);
    expect(checkQuantities(input(h, [{ productId: 'a', quantity: 4, ids: [] }]))).toHaveLength(1);
    expect(checkQuantities(input(h, [{ productId: 'a', quantity: 7, ids: [] }]))).toHaveLength(1);
    // A set-quantity that observed both adds: quantity = 9 (+1 if the unknown add is live).
    h.op(10, 'setQuantity', { p: 'a', q: 9, id: 'y:1', observed: ['x:1', 'x:2'] });
    expect(checkQuantities(input(h, [{ productId: 'a', quantity: 9, ids: [] }]))).toHaveLength(0);
    expect(checkQuantities(input(h, [{ productId: 'a', quantity: 5, ids: [] }]))).toHaveLength(1);
  });
});
