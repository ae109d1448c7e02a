/**
 * The ring: a hash space split into 2^k equal partitions (riak_core chash.erl), each owned by a
 * node, plus the membership. Ring state is versioned per entry and *mergeable*: every member and
 * every partition carries a stamp (counter, writer), and merging two rings keeps the entry with
 * the greater stamp. Merge is commutative, associative and idempotent, so nodes can gossip rings
 * in any order and converge. A partition in transfer names its `next` owner; ownership switches
 * only after the old owner has handed the data off (riak_core's pending changes).
 */

import type { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { ReplicationDecodeError } from '../../errors.js';
import type { NodeId } from '../interfaces.js';
import { readWire } from '../wire/messages.js';
import { claim, countViolations } from './claim.js';
import { hashBytes, hashString } from './hash.js';
import { type PreflistEntry, preferenceList, type RingView } from './preference-list.js';

export type MemberStatus = 'valid' | 'leaving' | 'removed';

export interface Stamp {
  readonly counter: number;
  readonly by: NodeId;
}

export interface MemberEntry {
  readonly status: MemberStatus;
  readonly stamp: Stamp;
}

export interface PartitionEntry {
  readonly owner: NodeId;
  /** Set while the partition is being transferred to a new owner. */
  readonly next?: NodeId;
  readonly stamp: Stamp;
}

const STATUS: readonly MemberStatus[] = ['valid', 'leaving', 'removed'];
const RING_FORMAT_V1 = 1;
const MAX_MEMBERS = 4096;

function cmpStamp(a: Stamp, b: Stamp): number {
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1;
  return a.by < b.by ? -1 : a.by > b.by ? 1 : 0;
}

function cmpPartition(a: PartitionEntry, b: PartitionEntry): number {
  const s = cmpStamp(a.stamp, b.stamp);
  if (s !== 0) return s;
  // Equal stamps only happen for rings built independently from different member lists.
  const ka = `${a.owner}\u0000${a.next ?? ''}`;
  const kb = `${b.owner}\u0000${b.next ?? ''}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function cmpMember(a: MemberEntry, b: MemberEntry): number {
  const s = cmpStamp(a.stamp, b.stamp);
  if (s !== 0) return s;
  return STATUS.indexOf(a.status) - STATUS.indexOf(b.status);
}

export class Ring implements RingView {
  readonly size: number;
  readonly bits: number;
  private readonly memberMap: ReadonlyMap<NodeId, MemberEntry>;
  private readonly parts: readonly PartitionEntry[];
  private activeCache: readonly NodeId[] | undefined;
  private digestCache: number | undefined;

  private constructor(
    size: number,
    members: ReadonlyMap<NodeId, MemberEntry>,
    parts: readonly PartitionEntry[],
  ) {
    this.size = size;
    this.bits = Math.log2(size);
    this.memberMap = members;
    this.parts = parts;
  }

  /** The ring every node computes from the same initial member list (stamp 0). */
  static initial(members: readonly NodeId[], size: number, n: number): Ring {
    if (!Number.isInteger(size) || size < 8 || size > 1024 || (size & (size - 1)) !== 0) {
      throw new TypeError(`ring size must be a power of two in [8, 1024], got ${size}`);
    }
    const unique = [...new Set(members)].sort();
    if (unique.length === 0) throw new TypeError('a ring needs at least one member');
    for (const m of unique)
      if (typeof m !== 'string' || m.length === 0 || m.length > 256) throw new TypeError('bad node id');
    const stamp: Stamp = { counter: 0, by: '' };
    const owners = claim(undefined, unique, n, size);
    return new Ring(
      size,
      new Map(unique.map((m) => [m, { status: 'valid' as const, stamp }])),
      owners.map((owner) => ({ owner, stamp })),
    );
  }

  /** Highest stamp counter in the ring: its version. */
  get version(): number {
    let v = 0;
    for (const m of this.memberMap.values()) v = Math.max(v, m.stamp.counter);
    for (const p of this.parts) v = Math.max(v, p.stamp.counter);
    return v;
  }

  /** A hash of the whole state, gossiped in heartbeats to detect differing rings cheaply. */
  get digest(): number {
    this.digestCache ??= hashBytes(this.encode());
    return this.digestCache;
  }

  /** The partition a key hashes to (top `bits` bits of its 32-bit hash). */
  partitionOf(key: string): number {
    return hashString(key) >>> (32 - this.bits);
  }

  ownerOf(partition: number): NodeId {
    return this.parts[partition]!.owner;
  }

  nextOf(partition: number): NodeId | undefined {
    return this.parts[partition]!.next;
  }

  partition(partition: number): PartitionEntry {
    return this.parts[partition]!;
  }

  owners(): NodeId[] {
    return this.parts.map((p) => p.owner);
  }

  member(node: NodeId): MemberEntry | undefined {
    return this.memberMap.get(node);
  }

  members(): ReadonlyMap<NodeId, MemberEntry> {
    return this.memberMap;
  }

  /** Members that are not removed, sorted: they receive gossip and may serve as fallbacks. */
  activeMembers(): readonly NodeId[] {
    this.activeCache ??= [...this.memberMap]
      .filter(([, e]) => e.status !== 'removed')
      .map(([m]) => m)
      .sort();
    return this.activeCache;
  }

  /** Members with status valid: the ones claim assigns partitions to. */
  validMembers(): NodeId[] {
    return [...this.memberMap]
      .filter(([, e]) => e.status === 'valid')
      .map(([m]) => m)
      .sort();
  }

  ownedBy(node: NodeId): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.size; i++) if (this.parts[i]!.owner === node) out.push(i);
    return out;
  }

  pendingTransfers(): { partition: number; from: NodeId; to: NodeId }[] {
    const out: { partition: number; from: NodeId; to: NodeId }[] = [];
    this.parts.forEach((p, partition) => {
      if (p.next !== undefined) out.push({ partition, from: p.owner, to: p.next });
    });
    return out;
  }

  violations(n: number): number {
    return countViolations(this.owners(), n);
  }

  /** Preference list for a key (or a partition index): primaries, down ones replaced by fallbacks. */
  preferenceList(
    key: string | number,
    n: number,
    isUp: ((node: NodeId) => boolean) | ReadonlySet<NodeId>,
  ): PreflistEntry[] {
    const p = typeof key === 'number' ? key : this.partitionOf(key);
    const up = typeof isUp === 'function' ? isUp : (node: NodeId) => isUp.has(node);
    return preferenceList(this, p, n, up);
  }

  /** A copy with some entries replaced; the caller supplies stamps greater than the old ones. */
  with(changes: {
    members?: ReadonlyMap<NodeId, MemberEntry>;
    partitions?: ReadonlyMap<number, PartitionEntry>;
  }): Ring {
    const members = new Map(this.memberMap);
    for (const [m, e] of changes.members ?? []) members.set(m, e);
    const parts = [...this.parts];
    for (const [i, e] of changes.partitions ?? []) {
      if (!Number.isInteger(i) || i < 0 || i >= this.size) throw new TypeError(`bad partition ${i}`);
      parts[i] = e;
    }
    return new Ring(this.size, members, parts);
  }

  /** Join of two ring states: per entry, the greater stamp wins. */
  merge(other: Ring): Ring {
    if (other.size !== this.size) throw new TypeError('cannot merge rings of different sizes');
    const members = new Map(this.memberMap);
    for (const [m, e] of other.memberMap) {
      const mine = members.get(m);
      if (mine === undefined || cmpMember(e, mine) > 0) members.set(m, e);
    }
    const parts = this.parts.map((p, i) => {
      const o = other.parts[i]!;
      return cmpPartition(o, p) > 0 ? o : p;
    });
    return new Ring(this.size, members, parts);
  }

  equals(other: Ring): boolean {
    return this.size === other.size && this.digest === other.digest && this.encodedEquals(other);
  }

  private encodedEquals(other: Ring): boolean {
    const a = this.encode();
    const b = other.encode();
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }

  /** Versioned binary form (V1): for gossip and for the node's `meta` storage. */
  encode(): Uint8Array {
    const names = new Map<string, number>();
    const name = (s: string): number => {
      let i = names.get(s);
      if (i === undefined) {
        i = names.size;
        names.set(s, i);
      }
      return i;
    };
    const members = [...this.memberMap].sort(([a], [b]) => (a < b ? -1 : 1));
    const body = new Writer(256);
    body.varuint(members.length);
    for (const [m, e] of members) {
      body.varuint(name(m)).byte(STATUS.indexOf(e.status)).varuint(e.stamp.counter).varuint(name(e.stamp.by));
    }
    for (const p of this.parts) {
      body
        .varuint(name(p.owner))
        .varuint(p.next === undefined ? 0 : name(p.next) + 1)
        .varuint(p.stamp.counter)
        .varuint(name(p.stamp.by));
    }
    const w = new Writer(512);
    w.byte(RING_FORMAT_V1).varuint(this.size).varuint(names.size);
    for (const s of names.keys()) w.string(s);
    const b = body.finish();
    const out = w.finish();
    const all = new Uint8Array(out.length + b.length);
    all.set(out);
    all.set(b, out.length);
    return all;
  }

  static decode(bytes: Uint8Array): Ring {
    return readWire(bytes, 'ring', (r) => Ring.read(r));
  }

  private static read(r: Reader): Ring {
    if (r.byte() !== RING_FORMAT_V1) throw new ReplicationDecodeError('unknown ring format');
    const size = r.bounded(1024, 'ring size');
    if (size < 8 || (size & (size - 1)) !== 0) throw new ReplicationDecodeError(`bad ring size ${size}`);
    const nNames = r.count(MAX_MEMBERS * 2 + 1, 1, 'names');
    const names: string[] = [];
    for (let i = 0; i < nNames; i++) names.push(r.string(256));
    const nameAt = (i: number): string => {
      const s = names[i];
      if (s === undefined) throw new ReplicationDecodeError('bad name index');
      return s;
    };
    const nMembers = r.count(MAX_MEMBERS, 4, 'members');
    const members = new Map<NodeId, MemberEntry>();
    for (let i = 0; i < nMembers; i++) {
      const m = nameAt(r.varuint());
      const status = STATUS[r.byte()];
      if (status === undefined) throw new ReplicationDecodeError('bad member status');
      const counter = r.varuint();
      const by = nameAt(r.varuint());
      members.set(m, { status, stamp: { counter, by } });
    }
    if (members.size === 0) throw new ReplicationDecodeError('ring without members');
    const parts: PartitionEntry[] = [];
    for (let i = 0; i < size; i++) {
      const owner = nameAt(r.varuint());
      const nextIdx = r.varuint();
      const next = nextIdx === 0 ? undefined : nameAt(nextIdx - 1);
      const counter = r.varuint();
      const by = nameAt(r.varuint());
      if (!members.has(owner)) throw new ReplicationDecodeError('partition owner is not a member');
      parts.push(
        next === undefined ? { owner, stamp: { counter, by } } : { owner, next, stamp: { counter, by } },
      );
    }
    r.end();
    return new Ring(size, members, parts);
  }
}
