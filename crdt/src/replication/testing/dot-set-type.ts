/**
 * A tiny reference ReplicatedType for tests, benchmarks and simulations of the replication core
 * alone: a grow-only set of values where every add is a dot (actor, counter) — the same minting
 * discipline as the cart (counter = highest counter of the actor in the state + 1). Join is the
 * union of dots. If two different values ever arrive under one dot, the join keeps both under
 * `conflicts`, so a test can detect dot reuse (Riak kv679) instead of silently losing an add.
 */

import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { ReplicationDecodeError } from '../../errors.js';
import type { ReplicatedType } from '../interfaces.js';

export interface DotSet {
  /** `${actor}\u0000${counter}` → value */
  readonly dots: ReadonlyMap<string, string>;
  /** Dots seen with two different values (must stay empty). */
  readonly conflicts: ReadonlySet<string>;
}

export type DotSetOp = { readonly type: 'add'; readonly value: string };

const EMPTY: DotSet = { dots: new Map(), conflicts: new Set() };

export function dotSetValues(s: DotSet): string[] {
  return [...new Set(s.dots.values())].sort();
}

function maxCounter(s: DotSet, actor: string): number {
  let max = 0;
  const prefix = `${actor}\u0000`;
  for (const d of s.dots.keys()) {
    if (d.startsWith(prefix)) max = Math.max(max, Number(d.slice(prefix.length)));
  }
  return max;
}

export const dotSetType: ReplicatedType<DotSet, DotSetOp> = {
  name: 'dot-set',
  empty: () => EMPTY,
  join(a, b) {
    if (b.dots.size === 0 && b.conflicts.size === 0) return a;
    if (a.dots.size === 0 && a.conflicts.size === 0) return b;
    const dots = new Map(a.dots);
    const conflicts = new Set([...a.conflicts, ...b.conflicts]);
    for (const [d, v] of b.dots) {
      const mine = dots.get(d);
      if (mine !== undefined && mine !== v) {
        conflicts.add(d);
        if (v > mine) dots.set(d, v);
      } else dots.set(d, v);
    }
    return { dots, conflicts };
  },
  equals(a, b) {
    if (a.dots.size !== b.dots.size || a.conflicts.size !== b.conflicts.size) return false;
    for (const [d, v] of a.dots) if (b.dots.get(d) !== v) return false;
    for (const c of a.conflicts) if (!b.conflicts.has(c)) return false;
    return true;
  },
  encode(s) {
    const w = new Writer(16 + s.dots.size * 16);
    w.byte(1).varuint(s.dots.size);
    for (const d of [...s.dots.keys()].sort()) w.string(d).string(s.dots.get(d)!);
    w.varuint(s.conflicts.size);
    for (const c of [...s.conflicts].sort()) w.string(c);
    return w.finish();
  },
  decode(bytes) {
    const r = new Reader(bytes);
    if (r.byte() !== 1) throw new ReplicationDecodeError('unknown dot-set format');
    const n = r.count(1_000_000, 2, 'dots');
    const dots = new Map<string, string>();
    for (let i = 0; i < n; i++) dots.set(r.string(4096), r.string(4096));
    const c = r.count(1_000_000, 1, 'conflicts');
    const conflicts = new Set<string>();
    for (let i = 0; i < c; i++) conflicts.add(r.string(4096));
    r.end();
    return { dots, conflicts };
  },
  apply(state, op, actor) {
    if (op?.type !== 'add' || typeof op.value !== 'string') throw new TypeError('bad dot-set op');
    return {
      dots: new Map([[`${actor}\u0000${maxCounter(state, actor) + 1}`, op.value]]),
      conflicts: new Set(),
    };
  },
  encodeOp(op) {
    return new Writer(8 + op.value.length).byte(1).string(op.value).finish();
  },
  decodeOp(bytes) {
    const r = new Reader(bytes);
    if (r.byte() !== 1) throw new ReplicationDecodeError('unknown dot-set op');
    const value = r.string(4096);
    r.end();
    return { type: 'add', value };
  },
};

/** A client-side delta: `value` added by `actor` as its `counter`-th event. */
export function dotSetDelta(actor: string, counter: number, value: string): DotSet {
  return { dots: new Map([[`${actor}\u0000${counter}`, value]]), conflicts: new Set() };
}
