/**
 * Staged membership changes, after riak_core_claimant: changes (join, leave, force-remove) are
 * first staged, then planned (claim computes the new layout and the transfers it implies, which
 * can be inspected), then committed as one new ring version that gossip spreads.
 *
 * - join: the node becomes a valid member; claim gives it partitions, each marked with the
 *   joiner as `next` owner so the current owner keeps serving until it has handed the data off.
 * - leave: the node stays a member (status leaving) until all its partitions are handed off.
 * - force-remove: the node is gone for good; its partitions get new owners at once, with no
 *   handoff (the data is rebuilt from the other replicas by read repair and anti-entropy).
 */

import type { NodeId } from '../interfaces.js';
import { claim } from './claim.js';
import type { MemberEntry, PartitionEntry, Ring, Stamp } from './ring.js';

export type MembershipChange =
  | { readonly type: 'join'; readonly node: NodeId }
  | { readonly type: 'leave'; readonly node: NodeId }
  | { readonly type: 'force-remove'; readonly node: NodeId };

export interface Transfer {
  readonly partition: number;
  readonly from: NodeId;
  readonly to: NodeId;
}

export interface RingPlan {
  readonly changes: readonly MembershipChange[];
  readonly ring: Ring;
  /** Partitions that will move by handoff. */
  readonly transfers: readonly Transfer[];
  /** Partitions reassigned without handoff (from force-removed nodes). */
  readonly reassigned: readonly Transfer[];
}

function validateNode(node: unknown): asserts node is NodeId {
  if (typeof node !== 'string' || node.length === 0 || node.length > 256) throw new TypeError('bad node id');
}

/** Computes the ring that results from applying `changes` to `ring`. */
export function planChanges(
  ring: Ring,
  changes: readonly MembershipChange[],
  n: number,
  by: NodeId,
): RingPlan {
  const stamp: Stamp = { counter: ring.version + 1, by };
  const members = new Map<NodeId, MemberEntry>();
  const status = new Map<NodeId, MemberEntry['status']>([...ring.members()].map(([m, e]) => [m, e.status]));
  for (const c of changes) {
    validateNode(c.node);
    const s = c.type === 'join' ? 'valid' : c.type === 'leave' ? 'leaving' : 'removed';
    if (c.type !== 'join' && !status.has(c.node)) throw new TypeError(`${c.node} is not a member`);
    status.set(c.node, s);
    members.set(c.node, { status: s, stamp });
  }
  const valid = [...status].filter(([, s]) => s === 'valid').map(([m]) => m);
  if (valid.length === 0) throw new TypeError('a ring needs at least one valid member');
  // Plan from where partitions are heading (pending next owners), not where they are.
  const heading = ring.owners().map((o, i) => ring.nextOf(i) ?? o);
  const target = claim(heading, valid, n, ring.size);
  const partitions = new Map<number, PartitionEntry>();
  const transfers: Transfer[] = [];
  const reassigned: Transfer[] = [];
  for (let i = 0; i < ring.size; i++) {
    const cur = ring.partition(i);
    const to = target[i]!;
    if (status.get(cur.owner) === 'removed') {
      if (cur.owner !== to || cur.next !== undefined) partitions.set(i, { owner: to, stamp });
      reassigned.push({ partition: i, from: cur.owner, to });
    } else if (to === cur.owner) {
      if (cur.next !== undefined) partitions.set(i, { owner: cur.owner, stamp });
    } else if (to !== cur.next) {
      partitions.set(i, { owner: cur.owner, next: to, stamp });
      transfers.push({ partition: i, from: cur.owner, to });
    } else transfers.push({ partition: i, from: cur.owner, to });
  }
  return { changes: [...changes], ring: ring.with({ members, partitions }), transfers, reassigned };
}

/** The ring after an ownership handoff of `partition` finished: its next owner becomes the owner. */
export function completeTransfer(ring: Ring, partition: number, to: NodeId, by: NodeId): Ring | undefined {
  const cur = ring.partition(partition);
  if (cur.next !== to) return undefined;
  const stamp: Stamp = { counter: ring.version + 1, by };
  let out = ring.with({ partitions: new Map([[partition, { owner: to, stamp }]]) });
  // A leaving node that owns nothing more has left.
  const leaving = out.member(cur.owner);
  if (leaving?.status === 'leaving' && out.ownedBy(cur.owner).length === 0) {
    out = out.with({ members: new Map([[cur.owner, { status: 'removed' as const, stamp }]]) });
  }
  return out;
}

/** The staging area of one node (riak_core_claimant's plan/commit). */
export class MembershipStaging {
  private staged: MembershipChange[] = [];

  stage(change: MembershipChange): void {
    validateNode(change.node);
    this.staged = this.staged.filter((c) => c.node !== change.node);
    this.staged.push(change);
  }

  changes(): readonly MembershipChange[] {
    return this.staged;
  }

  plan(ring: Ring, n: number, by: NodeId): RingPlan {
    return planChanges(ring, this.staged, n, by);
  }

  clear(): void {
    this.staged = [];
  }
}
