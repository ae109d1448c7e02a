import type { NodeId } from '@cartwheel/crdt';
import type { Prng } from '../sim/prng.js';

/** Directed links to cut; a symmetric partition lists both directions. */
export type Cut = ReadonlyArray<readonly [NodeId, NodeId]>;

export type PartitionKind =
  | 'halves'
  | 'random-split'
  | 'isolate-one'
  | 'asymmetric'
  | 'majorities-ring'
  | 'random-links'
  | 'bridge';

export interface PlannedPartition {
  readonly kind: PartitionKind;
  readonly cut: Cut;
  /** Human-readable grouping, e.g. "n1,n3 | n2,n4,n5". */
  readonly label: string;
}

function between(a: readonly NodeId[], b: readonly NodeId[], bothWays = true): Array<[NodeId, NodeId]> {
  const links: Array<[NodeId, NodeId]> = [];
  for (const x of a)
    for (const y of b) {
      links.push([x, y]);
      if (bothWays) links.push([y, x]);
    }
  return links;
}

/** Jepsen's partition-halves: a random majority | minority split (halves for even counts). */
export function halves(nodes: readonly NodeId[], rng: Prng): PlannedPartition {
  const order = rng.shuffle(nodes);
  const k = Math.floor(order.length / 2);
  const a = order.slice(0, k);
  const b = order.slice(k);
  return { kind: 'halves', cut: between(a, b), label: `${a.join(',')} | ${b.join(',')}` };
}

/**
 * Jepsen's bridge: two halves that cannot talk, joined by one node that sees both — the
 * topology where a node believes everyone is up while the others disagree.
 */
export function bridge(nodes: readonly NodeId[], rng: Prng): PlannedPartition {
  const order = rng.shuffle(nodes);
  if (order.length < 3) return halves(nodes, rng);
  const mid = order[0] as NodeId;
  const rest = order.slice(1);
  const k = Math.floor(rest.length / 2);
  const a = rest.slice(0, k);
  const b = rest.slice(k);
  return { kind: 'bridge', cut: between(a, b), label: `${a.join(',')} | ${mid} | ${b.join(',')}` };
}

/** A random partition of any of the other shapes (split, isolate, asymmetric, ring, links). */
export function randomPartition(nodes: readonly NodeId[], rng: Prng): PlannedPartition {
  const kind = rng.pick<PartitionKind>([
    'random-split',
    'isolate-one',
    'asymmetric',
    'majorities-ring',
    'random-links',
  ]);
  const order = rng.shuffle(nodes);
  switch (kind) {
    case 'random-split': {
      const k = rng.int(1, Math.max(1, order.length - 1));
      const a = order.slice(0, k);
      const b = order.slice(k);
      return { kind, cut: between(a, b), label: `${a.join(',')} | ${b.join(',')}` };
    }
    case 'isolate-one': {
      const a = order.slice(0, 1);
      const b = order.slice(1);
      return { kind, cut: between(a, b), label: `${a.join(',')} | ${b.join(',')}` };
    }
    case 'asymmetric': {
      // a's messages to b are lost, b's reach a: one-way reachability, as a half-broken NIC.
      const k = rng.int(1, Math.max(1, order.length - 1));
      const a = order.slice(0, k);
      const b = order.slice(k);
      return { kind, cut: between(a, b, false), label: `${a.join(',')} -/-> ${b.join(',')}` };
    }
    case 'majorities-ring': {
      // Each node sees a majority (itself and its ring neighbours), no two the same majority.
      const n = order.length;
      const reach = Math.floor(n / 2);
      const links: Array<[NodeId, NodeId]> = [];
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          const d = Math.min((i - j + n) % n, (j - i + n) % n);
          if (i !== j && d > Math.floor(reach / 2 + 0.5))
            links.push([order[i] as NodeId, order[j] as NodeId]);
        }
      return { kind, cut: links, label: `ring ${order.join('-')}` };
    }
    default: {
      const links: Array<[NodeId, NodeId]> = [];
      for (const x of order) for (const y of order) if (x !== y && rng.bool(0.3)) links.push([x, y]);
      return { kind: 'random-links', cut: links, label: `${links.length} random links` };
    }
  }
}
