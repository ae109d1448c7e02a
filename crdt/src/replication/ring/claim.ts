/**
 * Partition claim: which node owns which of the P partitions. After riak_core's claim
 * (riak_core_membership_claim.erl, target_n_val): balance partitions across nodes and keep any
 * `n` consecutive partitions on distinct nodes, so a preference list never holds two replicas
 * on one node, while moving as few partitions as possible when membership changes.
 *
 * With M nodes a cyclic layout with distinct owners in every window of n exists for M > n
 * (given enough partitions), but for M = n only when n divides P: 3 nodes with n=3 on 64
 * partitions cannot avoid one doubled window (Riak warns about the same). Claim then minimises
 * the number of violating windows.
 */
import type { NodeId } from '../interfaces.js';

/** Number of windows of `n` consecutive partitions (cyclic) that repeat a node. */
export function countViolations(owners: readonly NodeId[], n: number): number {
  const p = owners.length;
  if (n <= 1) return 0;
  let bad = 0;
  for (let i = 0; i < p; i++) {
    const seen = new Set<NodeId>();
    for (let j = 0; j < Math.min(n, p); j++) {
      const o = owners[(i + j) % p]!;
      if (seen.has(o)) {
        bad++;
        break;
      }
      seen.add(o);
    }
  }
  return bad;
}

/**
 * A fresh layout: round robin over the sorted members, with a few small "skips" spread over the
 * ring so it closes up at the wrap. A window of n owners stays distinct as long as the members
 * it skips add up to at most M - n, so the K = (-P mod M) members that must be skipped in total
 * are split into ceil(K / (M - n)) skips placed evenly (node loads differ by at most 2).
 */
export function stripeClaim(members: readonly NodeId[], size: number, n: number): NodeId[] {
  const m = [...members].sort();
  const count = m.length;
  if (count === 0) throw new TypeError('claim needs at least one member');
  const owners: NodeId[] = [];
  const skipTotal = (count - (size % count)) % count;
  const room = count - n;
  const skips = new Map<number, number>();
  if (skipTotal > 0 && room > 0) {
    const s = Math.ceil(skipTotal / room);
    if (s * n <= size) {
      // Skips i = 1..s-1 inside the ring; the last one is the wrap back to member 0.
      for (let i = 1; i < s; i++) {
        const part = Math.floor((i * skipTotal) / s) - Math.floor(((i - 1) * skipTotal) / s);
        skips.set(Math.floor((i * size) / s), part);
      }
    }
  }
  let idx = 0;
  for (let pos = 0; pos < size; pos++) {
    idx += skips.get(pos) ?? 0;
    owners.push(m[idx % count]!);
    idx++;
  }
  return owners;
}

function conflicts(owners: readonly NodeId[], i: number, node: NodeId, n: number): boolean {
  const p = owners.length;
  for (let d = 1; d < n && d < p; d++) {
    if (owners[(i + d) % p] === node || owners[(i - d + p) % p] === node) return true;
  }
  return false;
}

function windowViolated(owners: readonly NodeId[], i: number, n: number): boolean {
  // Is partition i part of any violating window?
  const p = owners.length;
  for (let start = i - n + 1; start <= i; start++) {
    const seen = new Set<NodeId>();
    for (let j = 0; j < n && j < p; j++) {
      const o = owners[(((start + j) % p) + p) % p]!;
      if (seen.has(o)) return true;
      seen.add(o);
    }
  }
  return false;
}

function distanceToNearest(owners: readonly NodeId[], i: number, node: NodeId): number {
  const p = owners.length;
  for (let d = 1; d <= p / 2; d++) {
    if (owners[(i + d) % p] === node || owners[(i - d + p) % p] === node) return d;
  }
  return p;
}

/**
 * Incremental claim from `current` for the new member list: partitions of departed nodes go to
 * the least-loaded node that keeps windows distinct, then under-loaded nodes (new joiners) take
 * partitions from the most-loaded ones, preferring partitions that fix a violating window and
 * that are far from the taker's other partitions. Falls back to a fresh stripe layout when that
 * has fewer violating windows.
 */
export function claim(
  current: readonly NodeId[] | undefined,
  members: readonly NodeId[],
  n: number,
  size: number,
): NodeId[] {
  const sorted = [...new Set(members)].sort();
  if (sorted.length === 0) throw new TypeError('claim needs at least one member');
  const fresh = stripeClaim(sorted, size, n);
  if (current === undefined || current.length !== size) return fresh;
  const owners = [...current];
  const isMember = new Set(sorted);
  const counts = new Map<NodeId, number>(sorted.map((m) => [m, 0]));
  for (const o of owners) if (isMember.has(o)) counts.set(o, counts.get(o)! + 1);
  const leastLoaded = (i: number): NodeId => {
    let best: NodeId | undefined;
    let bestFree = false;
    for (const m of sorted) {
      const free = !conflicts(owners, i, m, n);
      if (
        best === undefined ||
        (free && !bestFree) ||
        (free === bestFree && counts.get(m)! < counts.get(best)!)
      ) {
        best = m;
        bestFree = free;
      }
    }
    return best!;
  };
  for (let i = 0; i < size; i++) {
    if (!isMember.has(owners[i]!)) {
      const m = leastLoaded(i);
      owners[i] = m;
      counts.set(m, counts.get(m)! + 1);
    }
  }
  const floor = Math.floor(size / sorted.length);
  for (;;) {
    let taker: NodeId | undefined;
    for (const m of sorted)
      if (counts.get(m)! < floor && (taker === undefined || counts.get(m)! < counts.get(taker)!)) taker = m;
    if (taker === undefined) break;
    let best = -1;
    let bestScore: [number, number, number] = [-1, -1, -1];
    for (let i = 0; i < size; i++) {
      const owner = owners[i]!;
      if (owner === taker || counts.get(owner)! <= floor || conflicts(owners, i, taker, n)) continue;
      const score: [number, number, number] = [
        windowViolated(owners, i, n) ? 1 : 0,
        counts.get(owner)!,
        distanceToNearest(owners, i, taker),
      ];
      if (
        score[0] > bestScore[0] ||
        (score[0] === bestScore[0] &&
          (score[1] > bestScore[1] || (score[1] === bestScore[1] && score[2] > bestScore[2])))
      ) {
        best = i;
        bestScore = score;
      }
    }
    if (best < 0) break;
    counts.set(owners[best]!, counts.get(owners[best]!)! - 1);
    owners[best] = taker;
    counts.set(taker, counts.get(taker)! + 1);
  }
  const balanced = Math.max(...counts.values()) - Math.min(...counts.values()) <= 2;
  if (!balanced || countViolations(owners, n) > countViolations(fresh, n)) return fresh;
  return owners;
}
