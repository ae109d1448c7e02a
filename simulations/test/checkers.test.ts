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
      /** Causal stamp: the version vector the op was minted against (its own dot included)… */
      ctx?: Record<string, number>;
      /** …and its own dot (defaults to `id`; `null`: a node's remove, whose dot is in `observed`). */
      dot?: string | null;
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
    if (fields.ctx !== undefined)
      op.causal = { dot: fields.dot === null ? undefined : (fields.dot ?? fields.id), context: fields.ctx };
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

/**
 * The brief's reproduction with the crdt API, as a history: x adds p twice (x@1, x@2); z holds
 * only x@2 (x@1 delayed), shows p and removes it; then x@1 arrives and p is back.
 */
function delayedAddBeforeRemove(): H {
  const h = new H();
  h.op(0, 'add', { p: 'p', q: 1, id: 'x@1', ctx: { x: 1 } });
  h.op(2, 'add', { p: 'p', q: 1, id: 'x@2', ctx: { x: 2 } });
  h.op(5, 'remove', { p: 'p', observed: ['x@2'], dot: 'z@1', ctx: { x: 2, z: 1 } });
  return h;
}

describe('resurrections are judged against the causal past of what the remove observed', () => {
  const line = (...ids: string[]): ObservedLine => ({ productId: 'p', quantity: ids.length, ids });

  it('flags an add that happened before an observed add (same actor, earlier counter)', () => {
    const h = delayedAddBeforeRemove();
    const found = checkResurrections(input(h, [line('x@1')]));
    expect(found).toHaveLength(1);
    expect(found[0]?.detail).toContain('(x@1) was removed by op #2');
    expect(found[0]?.detail).toContain('which observed x@2, causally after it');
    // It is a lost quantity too: the history allows nothing for p.
    expect(checkQuantities(input(h, [line('x@1')]))).toHaveLength(1);
  });

  it('flags an add the minter of an observed add had seen (transitively, across actors)', () => {
    const h = new H();
    h.op(0, 'add', { p: 'p', q: 1, id: 'x@1', ctx: { x: 1 } });
    h.op(1, 'add', { p: 'q', q: 1, id: 'y@1', ctx: { x: 1, y: 1 } }); // y had seen x@1
    h.op(2, 'add', { p: 'p', q: 1, id: 'w@1', ctx: { y: 1, w: 1 } }); // w had seen y@1, not x@1
    h.op(5, 'remove', { p: 'p', observed: ['w@1'], dot: 'z@1', ctx: { y: 1, w: 1, z: 1 } });
    expect(checkResurrections(input(h, [line('x@1')]))).toHaveLength(1);
    // The other product's write is in the past too, but a remove of p does not remove q.
    const q: ObservedLine = { productId: 'q', quantity: 1, ids: ['y@1'] };
    expect(checkResurrections(input(h, [q]))).toHaveLength(0);
  });

  it('does not flag an add concurrent with the remove (add-wins)', () => {
    const h = delayedAddBeforeRemove();
    h.op(4, 'add', { p: 'p', q: 1, id: 'y@1', ctx: { x: 1, y: 1 } }); // y saw x@1 only, not the remove
    expect(checkResurrections(input(h, [line('y@1')]))).toHaveLength(0);
    // An add by the remover's own actor after it is not in the past either.
    h.op(6, 'add', { p: 'p', q: 1, id: 'z@2', ctx: { x: 2, z: 2 } });
    expect(checkResurrections(input(h, [line('y@1', 'z@2')]))).toHaveLength(0);
  });

  it('does not flag a re-add after the remove, even by the actor whose add was removed', () => {
    const h = delayedAddBeforeRemove();
    h.op(8, 'add', { p: 'p', q: 1, id: 'x@3', ctx: { x: 3, z: 1 } });
    expect(checkResurrections(input(h, [line('x@3')]))).toHaveLength(0);
    expect(checkLostAdds(input(h, [line('x@3')]))).toHaveLength(0);
    expect(checkResurrections(input(h, [line('x@1', 'x@3')]))).toHaveLength(1);
  });

  it('excuses the loss of an add in the causal past of a remove (what the fixed cart does)', () => {
    const h = delayedAddBeforeRemove();
    expect(checkLostAdds(input(h, []))).toHaveLength(0);
    expect(checkQuantities(input(h, []))).toHaveLength(0);
  });

  it("a node's remove reports its own dot among the observed ones: its past is not the remove's", () => {
    const h = new H();
    h.op(0, 'add', { p: 'p', q: 1, id: 'w@3', ctx: { w: 3 } });
    h.op(1, 'add', { p: 'q', q: 1, id: 'z@1', ctx: { w: 5, z: 1 } }); // z had seen w@5, not x's adds
    h.op(2, 'add', { p: 'p', q: 1, id: 'x@1', ctx: { x: 1 } });
    // z removes p having seen only x@1 of p; z@2 is the remove's own dot (unknown to the store).
    h.op(5, 'remove', { p: 'p', observed: ['x@1', 'z@2'], dot: null, ctx: { w: 5, x: 1, z: 2 } });
    const final = [line('w@3'), { productId: 'q', quantity: 1, ids: ['z@1'] }];
    // w@3 is in z's past (through w@5) but in the past of nothing the remove observed.
    expect(checkResurrections(input(h, final))).toHaveLength(0);
    expect(checkResurrections(input(h, [line('x@1')]))).toHaveLength(1);
    // Two candidates for the own dot (v@1 is an add nobody read): only what both allow counts.
    h.op(6, 'remove', { p: 'p', observed: ['x@1', 'v@1', 'z@3'], dot: null, ctx: { v: 1, x: 1, z: 3 } });
    expect(checkResurrections(input(h, final))).toHaveLength(0);
  });

  it('stores without causal stamps (the LWW control) are judged by observed ids alone', () => {
    const h = new H();
    h.op(0, 'add', { p: 'p', q: 1, id: 'lww@1' });
    h.op(1, 'add', { p: 'p', q: 1, id: 'lww@2' });
    h.op(5, 'remove', { p: 'p', observed: ['lww@2'] });
    expect(checkResurrections(input(h, [line('lww@1')]))).toHaveLength(0);
    expect(checkResurrections(input(h, [line('lww@2')]))).toHaveLength(1);
  });

  // Speed belongs in benchmarks, not unit tests: this only checks the answer on a long history
  // (a quadratic checker would still run into the test timeout on it).
  it('judges a 20,000-op cart with long causal chains', () => {
    const h = new H();
    const actors = ['a', 'b', 'c', 'd'];
    const vv: Record<string, number> = {};
    for (let i = 0; i < 20_000; i++) {
      const actor = actors[i % actors.length] as string;
      vv[actor] = (vv[actor] ?? 0) + 1;
      h.op(i, 'add', { p: `p${i % 5}`, q: 1, id: `${actor}@${vv[actor]}`, ctx: { ...vv } });
    }
    h.op(30_000, 'remove', { p: 'p0', observed: [`d@${vv.d}`], dot: 'z@1', ctx: { ...vv, z: 1 } });
    const found = checkResurrections(input(h, [{ productId: 'p0', quantity: 1, ids: ['a@1'] }]));
    expect(found).toHaveLength(1);
  });
});
