/**
 * A keyed dot store: key → entries, each entry tagged with the dot that created it, plus the causal
 * context of everything seen. It is the "DotMap<K, DotFun<V>>" of Almeida, Shoker and Baquero
 * (arXiv 1603.01529, §6), from which OR-Set, MV-Register, the reset-on-remove counter and the OR-Map
 * below are all built, so they share one join, one deltaSince and one codec.
 *
 * Join rule: keep an entry unless the other side has seen its dot and no longer holds it; take the
 * other side's entry unless its dot was already seen here. No tombstones: a removed entry survives
 * only as a dot inside the (compressed) causal context.
 */
import { CausalContext } from '../causal/causal-context.js';
import { type ActorId, checkActorId, type Dot } from '../causal/dot.js';
import {
  addValue,
  differenceIntervals,
  type Intervals,
  intervalsFromSorted,
} from '../causal/interval-set.js';
import { LIMITS } from '../codec/limits.js';
import { CrdtLimitError } from '../errors.js';

export interface DotEntry<V> {
  readonly actor: ActorId;
  readonly counter: number;
  readonly value: V;
}

/** An immutable dot-store value (a full state or a delta). */
export interface DotStoreState<V> {
  readonly entries: ReadonlyMap<string, readonly DotEntry<V>[]>;
  readonly context: CausalContext;
}

export function emptyDotStore<V>(): DotStoreState<V> {
  return { entries: new Map(), context: new CausalContext() };
}

function has<V>(list: readonly DotEntry<V>[] | undefined, actor: ActorId, counter: number): boolean {
  if (list === undefined) return false;
  for (const e of list) if (e.counter === counter && e.actor === actor) return true;
  return false;
}

/** In-place join of `other` into (`entries`, `ctx`). */
export function joinInto<V>(
  entries: Map<string, DotEntry<V>[]>,
  ctx: CausalContext,
  other: DotStoreState<V>,
): void {
  const oc = other.context;
  for (const [key, list] of entries) {
    const ol = other.entries.get(key);
    const kept = list.filter((e) => !oc.hasDot(e.actor, e.counter) || has(ol, e.actor, e.counter));
    if (kept.length === 0) entries.delete(key);
    else if (kept.length !== list.length) entries.set(key, kept);
  }
  for (const [key, ol] of other.entries) {
    let list = entries.get(key);
    for (const e of ol) {
      if (ctx.hasDot(e.actor, e.counter) || has(list, e.actor, e.counter)) continue;
      if (list === undefined) {
        list = [];
        entries.set(key, list);
      }
      list.push(e);
    }
  }
  ctx.join(oc);
}

/** Pure join. */
export function joinDotStores<V>(a: DotStoreState<V>, b: DotStoreState<V>): DotStoreState<V> {
  const entries = copyEntries(a.entries);
  const ctx = a.context.clone();
  joinInto(entries, ctx, b);
  return { entries, context: ctx };
}

export function copyEntries<V>(m: ReadonlyMap<string, readonly DotEntry<V>[]>): Map<string, DotEntry<V>[]> {
  const out = new Map<string, DotEntry<V>[]>();
  for (const [k, l] of m) out.set(k, l.slice());
  return out;
}

/**
 * What a peer that has seen `peer` lacks: entries with unseen dots, and a context equal to ours
 * minus the live dots the peer already has, which conveys every removal it must learn in
 * O(changes + live entries) intervals.
 */
export function deltaSince<V>(
  entries: ReadonlyMap<string, readonly DotEntry<V>[]>,
  ctx: CausalContext,
  peer: CausalContext,
): DotStoreState<V> {
  const out = new Map<string, DotEntry<V>[]>();
  const liveSeen = new Map<ActorId, number[]>();
  for (const [key, list] of entries) {
    const fresh: DotEntry<V>[] = [];
    for (const e of list) {
      if (peer.hasDot(e.actor, e.counter)) {
        const l = liveSeen.get(e.actor);
        if (l === undefined) liveSeen.set(e.actor, [e.counter]);
        else l.push(e.counter);
      } else fresh.push(e);
    }
    if (fresh.length > 0) out.set(key, fresh);
  }
  const m = new Map<ActorId, Intervals>();
  for (const [actor, iv] of ctx._entries()) {
    const seen = liveSeen.get(actor);
    const d =
      seen === undefined
        ? iv.slice()
        : differenceIntervals(iv, intervalsFromSorted(seen.sort((x, y) => x - y)));
    if (d.length > 0) m.set(actor, d);
  }
  return { entries: out, context: new CausalContext(m) };
}

export function dotStoresEqual<V>(
  a: DotStoreState<V>,
  b: DotStoreState<V>,
  valueEquals: (x: V, y: V) => boolean,
): boolean {
  if (a.entries.size !== b.entries.size || !a.context.equals(b.context)) return false;
  for (const [k, la] of a.entries) {
    const lb = b.entries.get(k);
    if (lb === undefined || la.length !== lb.length) return false;
    for (const e of la) {
      const f = lb.find((x) => x.counter === e.counter && x.actor === e.actor);
      if (f === undefined || !valueEquals(e.value, f.value)) return false;
    }
  }
  return true;
}

/**
 * A mutable replica over a dot store: the base of OR-Set, MV-Register, Counter and OR-Map.
 * Mutators mint dots of `actor` and return deltas; `applyDelta` joins any delta or state.
 */
export class DotStoreReplica<V> {
  readonly actor: ActorId;
  protected readonly entries: Map<string, DotEntry<V>[]>;
  protected readonly ctx: CausalContext;

  protected constructor(actor: ActorId, state: DotStoreState<V>) {
    this.actor = checkActorId(actor);
    this.entries = copyEntries(state.entries);
    this.ctx = state.context.clone();
  }

  /** Observed-remove of everything under `keys`, plus entries minted by `add`; returns the delta. */
  protected mutate(
    removeKeys: readonly string[],
    add: ReadonlyArray<readonly [string, V]>,
  ): DotStoreState<V> {
    const dctx = new Map<ActorId, Intervals>();
    const put = (a: ActorId, c: number) => {
      const iv = dctx.get(a);
      if (iv === undefined) dctx.set(a, [c, c]);
      else addValue(iv, c);
    };
    for (const key of removeKeys) {
      const list = this.entries.get(key);
      if (list === undefined) continue;
      for (const e of list) put(e.actor, e.counter);
      this.entries.delete(key);
    }
    const out = new Map<string, DotEntry<V>[]>();
    for (const [key, value] of add) {
      const counter = this.ctx.max(this.actor) + 1;
      if (counter > LIMITS.maxCounter) throw new CrdtLimitError('dot counter space exhausted');
      this.ctx.addDot(this.actor, counter);
      put(this.actor, counter);
      const e: DotEntry<V> = { actor: this.actor, counter, value };
      const list = this.entries.get(key);
      if (list === undefined) this.entries.set(key, [e]);
      else list.push(e);
      const ol = out.get(key);
      if (ol === undefined) out.set(key, [e]);
      else ol.push(e);
    }
    return { entries: out, context: new CausalContext(dctx) };
  }

  applyDelta(delta: DotStoreState<V>): void {
    joinInto(this.entries, this.ctx, delta);
  }

  deltaSince(peer: CausalContext): DotStoreState<V> {
    return deltaSince(this.entries, this.ctx, peer);
  }

  state(): DotStoreState<V> {
    return { entries: copyEntries(this.entries), context: this.ctx.clone() };
  }

  context(): CausalContext {
    return this.ctx.clone();
  }

  /** Live dots, for inspection and tests. */
  dots(): Dot[] {
    const out: Dot[] = [];
    for (const l of this.entries.values())
      for (const e of l) out.push({ actor: e.actor, counter: e.counter });
    return out;
  }
}
