import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReplicationDecodeError } from '../../errors.js';
import { claim, countViolations } from './claim.js';
import { completeTransfer, planChanges } from './membership.js';
import { Ring } from './ring.js';

const counts = (owners: readonly string[]) => {
  const m = new Map<string, number>();
  for (const o of owners) m.set(o, (m.get(o) ?? 0) + 1);
  return m;
};

describe('Ring', () => {
  it('hashes keys to partitions deterministically and evenly', () => {
    const ring = Ring.initial(['a', 'b', 'c'], 64, 3);
    const hits = new Array(64).fill(0);
    for (let i = 0; i < 64_000; i++) {
      const p = ring.partitionOf(`user-${i}/cart`);
      expect(p).toBe(ring.partitionOf(`user-${i}/cart`));
      hits[p]++;
    }
    expect(Math.min(...hits)).toBeGreaterThan(800);
    expect(Math.max(...hits)).toBeLessThan(1200);
  });

  it.each([
    [4, 64],
    [5, 64],
    [6, 128],
    [7, 256],
    [8, 8],
    [16, 1024],
  ])(
    'claim with %i nodes and %i partitions is balanced and has no window of 3 on one node',
    (nodes, size) => {
      const members = Array.from({ length: nodes }, (_, i) => `n${i}`);
      const ring = Ring.initial(members, size, 3);
      expect(ring.violations(3)).toBe(0);
      const c = [...counts(ring.owners()).values()];
      expect(c.length).toBe(Math.min(nodes, size));
      expect(Math.max(...c) - Math.min(...c)).toBeLessThanOrEqual(2);
      const pl = ring.preferenceList('some-key', 3, () => true);
      expect(new Set(pl.map((e) => e.node)).size).toBe(3);
    },
  );

  it('3 nodes on 64 partitions cannot avoid every doubled window (3 does not divide 64); claim keeps it minimal', () => {
    const ring = Ring.initial(['a', 'b', 'c'], 64, 3);
    expect(ring.violations(3)).toBeLessThanOrEqual(2);
  });

  it('a 4th node joining a 3-node ring takes about a quarter of the partitions, all windows distinct', () => {
    const ring = Ring.initial(['n1', 'n2', 'n3'], 64, 3);
    const plan = planChanges(ring, [{ type: 'join', node: 'n4' }], 3, 'n1');
    expect(plan.transfers.length).toBeGreaterThanOrEqual(14);
    expect(plan.transfers.length).toBeLessThanOrEqual(18);
    expect(plan.transfers.every((t) => t.to === 'n4')).toBe(true);
    // Until handoff completes the old owners keep serving.
    expect(plan.ring.owners()).toEqual(ring.owners());
    let done = plan.ring;
    for (const t of plan.transfers) done = completeTransfer(done, t.partition, t.to, t.from)!;
    expect(done.violations(3)).toBe(0);
    expect(counts(done.owners()).get('n4')).toBe(16);
  });

  it('leave hands every partition of the leaving node to others; force-remove reassigns at once', () => {
    const ring = Ring.initial(['n1', 'n2', 'n3', 'n4', 'n5'], 64, 3);
    const leave = planChanges(ring, [{ type: 'leave', node: 'n5' }], 3, 'n1');
    const fromLeaver = leave.transfers.filter((t) => t.from === 'n5').map((t) => t.partition);
    expect(fromLeaver.sort((a, b) => a - b)).toEqual(ring.ownedBy('n5'));
    expect(leave.transfers.every((t) => t.to !== 'n5')).toBe(true);
    expect(leave.ring.member('n5')?.status).toBe('leaving');
    let done = leave.ring;
    for (const t of leave.transfers) done = completeTransfer(done, t.partition, t.to, t.from)!;
    expect(done.member('n5')?.status).toBe('removed');
    expect(done.violations(3)).toBe(0);
    const force = planChanges(ring, [{ type: 'force-remove', node: 'n2' }], 3, 'n1');
    expect(force.transfers.every((t) => t.from !== 'n2')).toBe(true);
    expect(force.ring.ownedBy('n2')).toEqual([]);
    expect(force.reassigned.length).toBe(ring.ownedBy('n2').length);
  });

  it('claim is stable: re-claiming the same members moves nothing', () => {
    const ring = Ring.initial(['a', 'b', 'c', 'd', 'e'], 64, 3);
    expect(claim(ring.owners(), ['a', 'b', 'c', 'd', 'e'], 3, 64)).toEqual(ring.owners());
    expect(countViolations(ring.owners(), 3)).toBe(0);
  });

  it('merge is commutative, associative and idempotent; gossip order does not matter', () => {
    const base = Ring.initial(['n1', 'n2', 'n3'], 64, 3);
    const a = planChanges(base, [{ type: 'join', node: 'n4' }], 3, 'n1').ring;
    const b = planChanges(base, [{ type: 'leave', node: 'n3' }], 3, 'n2').ring;
    const c = completeTransfer(
      a,
      planChanges(base, [{ type: 'join', node: 'n4' }], 3, 'n1').transfers[0]!.partition,
      'n4',
      'x',
    )!;
    expect(a.merge(b).equals(b.merge(a))).toBe(true);
    expect(
      a
        .merge(b)
        .merge(c)
        .equals(a.merge(b.merge(c))),
    ).toBe(true);
    expect(a.merge(a).equals(a)).toBe(true);
    expect(c.merge(a).equals(c)).toBe(true);
  });

  it('encode/decode round-trips; garbage fails only with ReplicationDecodeError', () => {
    const ring = planChanges(
      Ring.initial(['n1', 'n2', 'n3'], 128, 3),
      [{ type: 'join', node: 'n4' }],
      3,
      'n1',
    ).ring;
    const back = Ring.decode(ring.encode());
    expect(back.equals(ring)).toBe(true);
    expect(back.owners()).toEqual(ring.owners());
    expect(back.pendingTransfers()).toEqual(ring.pendingTransfers());
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          Ring.decode(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(ReplicationDecodeError);
        }
      }),
      { numRuns: 500 },
    );
    const enc = ring.encode();
    fc.assert(
      fc.property(fc.nat(enc.length - 1), fc.nat(255), (i, v) => {
        const m = enc.slice();
        m[i] = v;
        try {
          Ring.decode(m);
        } catch (e) {
          expect(e).toBeInstanceOf(ReplicationDecodeError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('preference lists', () => {
  const ring = Ring.initial(['n1', 'n2', 'n3', 'n4', 'n5'], 64, 3);

  it('are the N primaries of consecutive partitions when all are up', () => {
    const p = ring.partitionOf('cart-7');
    const pl = ring.preferenceList('cart-7', 3, () => true);
    expect(pl.map((e) => e.partition)).toEqual([p, (p + 1) % 64, (p + 2) % 64]);
    expect(pl.every((e) => e.kind === 'primary')).toBe(true);
    expect(pl.map((e) => e.node)).toEqual(pl.map((e) => ring.ownerOf(e.partition)));
  });

  it('replace down primaries by annotated fallbacks on distinct nodes', () => {
    const all = ring.preferenceList('cart-7', 3, () => true);
    const down = new Set([all[0]!.node, all[2]!.node]);
    const pl = ring.preferenceList('cart-7', 3, (n) => !down.has(n));
    expect(pl.length).toBe(3);
    expect(pl[1]).toEqual(all[1]);
    for (const i of [0, 2]) {
      expect(pl[i]!.kind).toBe('fallback');
      expect(pl[i]!.partition).toBe(all[i]!.partition);
      expect(pl[i]!.hintFor).toBe(all[i]!.node);
      expect(down.has(pl[i]!.node)).toBe(false);
    }
    expect(new Set(pl.map((e) => e.node)).size).toBe(3);
  });

  it('shrink when too few nodes are up', () => {
    const pl = ring.preferenceList('cart-7', 3, (n) => n === 'n1' || n === 'n2');
    expect(pl.length).toBe(2);
  });
});
