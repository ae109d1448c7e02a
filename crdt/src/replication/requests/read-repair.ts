/**
 * Read repair (riak_kv_get_fsm): once a read has heard from every replica it will hear from
 * (including replies that came after R was met), merge all replies and send the merged state to
 * each replica that answered with something older or nothing.
 */
import type { ReplicatedType } from '../interfaces.js';
import type { PreflistEntry } from '../ring/preference-list.js';

export interface ReadReply<S> {
  readonly entry: PreflistEntry;
  readonly state: S | undefined;
}

export function mergeReplies<S, Op>(type: ReplicatedType<S, Op>, replies: readonly ReadReply<S>[]): S {
  let merged = type.empty();
  for (const r of replies) if (r.state !== undefined) merged = type.join(merged, r.state);
  return merged;
}

/** Entries whose reply differs from `merged` (missing counts as different unless merged is empty). */
export function staleReplicas<S, Op>(
  type: ReplicatedType<S, Op>,
  merged: S,
  replies: readonly ReadReply<S>[],
): PreflistEntry[] {
  const empty = type.equals(merged, type.empty());
  return replies
    .filter((r) => (r.state === undefined ? !empty : !type.equals(r.state, merged)))
    .map((r) => r.entry);
}

/** Number of distinct versions among the replies (a missing replica counts as the empty state). */
export function countVersions<S, Op>(type: ReplicatedType<S, Op>, replies: readonly ReadReply<S>[]): number {
  const seen: S[] = [];
  for (const r of replies) {
    const s = r.state ?? type.empty();
    if (!seen.some((x) => type.equals(x, s))) seen.push(s);
  }
  return seen.length;
}
