// Checks the benchmark harness itself: the workload follows the op mix, and every
// adapter applies it faithfully, so `npm run bench:crdt` compares like with like.
import { describe, expect, it } from 'vitest';
import type { CartReplica } from './crdt-adapter.js';
import { ADAPTERS } from './crdt-adapters/index.js';
import { CATALOG, Workload, type WorkloadOp } from './crdt-workload.js';

const adapters = Object.values(ADAPTERS);

function exchange(a: CartReplica, b: CartReplica): number {
  const va = a.version();
  const vb = b.version();
  const toB = a.deltaSince(vb);
  const toA = b.deltaSince(va);
  b.applyDelta(toB);
  a.applyDelta(toA);
  return toA.byteLength + toB.byteLength;
}

function applyAll(replica: CartReplica, ops: readonly WorkloadOp[]): void {
  for (const op of ops) replica.apply(op);
}

describe('bench workload', () => {
  it('is reproducible from its seed', () => {
    expect(new Workload({ seed: 9 }).take(500)).toEqual(new Workload({ seed: 9 }).take(500));
    expect(new Workload({ seed: 9 }).take(50)).not.toEqual(new Workload({ seed: 10 }).take(50));
  });

  it('adds missing products (qty 1–5) and sets (≈70%) or removes (≈30%) present ones', () => {
    const workload = new Workload({ seed: 3 });
    const present = new Map<string, number>();
    const catalog = new Set(CATALOG);
    const violations: string[] = [];
    let sets = 0;
    let removes = 0;
    for (const op of workload.take(20_000)) {
      const current = present.get(op.productId);
      if (!catalog.has(op.productId)) violations.push(`unknown product ${op.productId}`);
      if (op.kind === 'add') {
        if (current !== undefined) violations.push(`add of present ${op.productId}`);
        if (op.quantity < 1 || op.quantity > 5) violations.push(`add quantity ${op.quantity}`);
        present.set(op.productId, op.quantity);
      } else if (current === undefined) {
        violations.push(`${op.kind} of missing ${op.productId}`);
      } else if (op.kind === 'set') {
        if (op.quantity === current) violations.push(`no-op set of ${op.productId}`);
        present.set(op.productId, op.quantity);
        sets++;
      } else {
        present.delete(op.productId);
        removes++;
      }
    }
    expect(violations).toEqual([]);
    expect(sets / (sets + removes)).toBeGreaterThan(0.67);
    expect(sets / (sets + removes)).toBeLessThan(0.73);
    expect(workload.cart()).toEqual(present);
  });

  it('fill() adds every missing catalog product', () => {
    const workload = new Workload({ seed: 4 });
    workload.take(100);
    workload.fill();
    expect(workload.cart().size).toBe(CATALOG.length);
  });
});

describe.each(adapters)('$lib adapter', (adapter) => {
  it('replays the workload into the model cart and round-trips its state', () => {
    const workload = new Workload({ seed: 11 });
    const replica = adapter.create(1);
    applyAll(replica, workload.take(400));
    expect(replica.read()).toEqual(workload.cart());
    expect(adapter.load(replica.encodeState(), 2).read()).toEqual(workload.cart());
  });

  it('forks, syncs concurrent histories both ways and converges', () => {
    const workload = new Workload({ seed: 12 });
    const base = adapter.create(1);
    applyAll(base, workload.take(200));
    const a = base.fork(2);
    const b = base.fork(3);
    applyAll(a, workload.fork(100).take(150));
    applyAll(b, workload.fork(200).take(150));
    expect(exchange(a, b)).toBeGreaterThan(0);
    expect(a.read()).toEqual(b.read());
    // Nothing left to send once converged... or at most bookkeeping: a second exchange changes nothing.
    const before = a.read();
    exchange(a, b);
    expect(a.read()).toEqual(before);
    expect(b.read()).toEqual(before);
  });

  it('ships a one-op delta that reproduces the op on a peer', () => {
    const workload = new Workload({ seed: 13 });
    const a = adapter.create(1);
    applyAll(a, workload.take(100));
    const b = a.fork(2);
    const op = workload.setOnPresent();
    b.applyDelta(a.applyWithDelta(op));
    expect(b.read()).toEqual(workload.cart());
    expect(b.read().get(op.productId)).toBe(op.kind === 'remove' ? undefined : op.quantity);
  });
});

describe('all adapters', () => {
  it('converge to the same cart when concurrent histories touch disjoint products', () => {
    const even = CATALOG.filter((_, i) => i % 2 === 0);
    const odd = CATALOG.filter((_, i) => i % 2 === 1);
    const workload = new Workload({ seed: 21 });
    const shared = workload.take(300);
    const left = workload.fork(22, even);
    const right = workload.fork(23, odd);
    const leftOps = left.take(200);
    const rightOps = right.take(200);
    // Each side owns half of the catalog, so the merged cart is known without any tie-break.
    const evenIds = new Set(even);
    const expected = new Map<string, number>();
    for (const [id, qty] of left.cart()) if (evenIds.has(id)) expected.set(id, qty);
    for (const [id, qty] of right.cart()) if (!evenIds.has(id)) expected.set(id, qty);
    for (const adapter of adapters) {
      const base = adapter.create(1);
      applyAll(base, shared);
      const a = base.fork(2);
      const b = base.fork(3);
      applyAll(a, leftOps);
      applyAll(b, rightOps);
      exchange(a, b);
      expect(a.read(), adapter.lib).toEqual(expected);
      expect(b.read(), adapter.lib).toEqual(expected);
    }
  });
});
