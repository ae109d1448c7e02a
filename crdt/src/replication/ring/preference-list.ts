/**
 * Preference lists with sloppy quorum, after riak_core_apl.erl: the key's partition p and the
 * n-1 partitions after it are the key's primary vnodes; a primary whose node is down is replaced
 * by a fallback, the next up node found walking the ring past the primaries. A fallback runs a
 * vnode for the *primary's* partition index, so what it stores is handed to the partition's
 * owner when that node is reachable again (hinted handoff).
 */
import type { NodeId } from '../interfaces.js';

export interface PreflistEntry {
  readonly node: NodeId;
  /** The vnode (partition index) this replica lives in. */
  readonly partition: number;
  readonly kind: 'primary' | 'fallback';
  /** For fallbacks: the primary this entry stands in for (the partition's owner). */
  readonly hintFor?: NodeId;
}

/** What a preference list needs to know about a ring (kept structural to avoid an import cycle). */
export interface RingView {
  readonly size: number;
  ownerOf(partition: number): NodeId;
  /** Members that may serve as fallbacks (not removed), sorted. */
  activeMembers(): readonly NodeId[];
}

/** The n partition indexes holding replicas of keys hashed to partition `p`. */
export function replicaPartitions(size: number, p: number, n: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < Math.min(n, size); j++) out.push((p + j) % size);
  return out;
}

export function preferenceList(
  ring: RingView,
  p: number,
  n: number,
  isUp: (node: NodeId) => boolean,
): PreflistEntry[] {
  const parts = replicaPartitions(ring.size, p, n);
  const primaries = parts.map((q) => ({ q, owner: ring.ownerOf(q) }));
  const used = new Set<NodeId>(primaries.map((e) => e.owner));
  const candidates: NodeId[] = [];
  for (let j = parts.length; j < ring.size; j++) {
    const owner = ring.ownerOf((p + j) % ring.size);
    if (!used.has(owner) && !candidates.includes(owner)) candidates.push(owner);
  }
  for (const m of ring.activeMembers()) if (!used.has(m) && !candidates.includes(m)) candidates.push(m);
  const fallbacks = candidates.filter(isUp);
  const out: PreflistEntry[] = [];
  for (const { q, owner } of primaries) {
    if (isUp(owner)) out.push({ node: owner, partition: q, kind: 'primary' });
    else {
      const fb = fallbacks.shift();
      if (fb !== undefined) out.push({ node: fb, partition: q, kind: 'fallback', hintFor: owner });
    }
  }
  return out;
}
