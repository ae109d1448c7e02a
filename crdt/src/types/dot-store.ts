/**
 * The one dot store of the package: key → entries, each entry tagged with the dot that created it,
 * plus the causal context of everything seen. It is the "DotMap<K, DotFun<V>>" of Almeida, Shoker
 * and Baquero (arXiv 1603.01529, §6), from which the cart, the OR-Set, the MV-Register, the
 * reset-on-remove counter and the OR-Map are all built: one join, one deltaSince, one set of limits.
 *
 * Join rule: keep an entry unless the other side has seen its dot and no longer holds it; take the
 * other side's entry unless its dot was already seen here. No tombstones: a removed entry survives
 * only as a dot inside the (compressed) causal context. Two payloads under one dot (only a forger
 * makes them) resolve to the greater by the kind's total order, so join stays commutative.
 *
 * Delivery contract (README, "Delivery contract"): a *delta* carries its dependencies — the
 * version vector its minter had seen before the operation. A replica joins a delta only when its
 * own context together with the delta's covers those dependencies and leaves no gap below the
 * delta's dots; otherwise nothing changes and CrdtCausalGapError names what is missing. So a remove
 * is never judged against a context with holes: everything in the causal past of what the remover
 * saw is already here. A full *state* (deps undefined) is causally closed by construction and
 * joins unconditionally; that is the fallback a receiver pulls when it detects a gap.
 *
 * Compute, then mutate: every join and every mutation checks its limits and its causal condition
 * before it changes anything, so a thrown error leaves the store as it was.
 */
import { CausalContext, intervalsOf, rangesOf } from '../causal/causal-context.js';
import type { ActorId, Dot } from '../causal/dot.js';
import {
  addValue,
  contiguousUnion,
  countValues,
  differenceIntervals,
  hasValue,
  type Intervals,
  intervalsFromSorted,
} from '../causal/interval-set.js';
import { LIMITS } from '../codec/limits.js';
import { CrdtCausalGapError, CrdtLimitError } from '../errors.js';

/** What every stored entry has: the dot that created it. */
export interface Dotted {
  readonly actor: ActorId;
  readonly counter: number;
}

/** An entry of the simple types: a dot and a value. */
export interface DotEntry<V> extends Dotted {
  readonly value: V;
}

/** Per-kind behaviour of entries: equality and a total order of payloads under one dot. */
export interface EntryOrder<E extends Dotted> {
  equals(a: E, b: E): boolean;
  /** Deterministic choice between two payloads under one dot: the greater one is kept. */
  compare(a: E, b: E): number;
}

/** A kind of store: how its entries compare and which state class it builds. */
export interface StoreKind<E extends Dotted, S extends DotStoreState<E>> {
  readonly order: EntryOrder<E>;
  make(lists: ReadonlyMap<string, DotList<E>>, ctx: CausalContext, deps?: VersionVector): S;
  /** Limits enforced on every mutation and join (default DEFAULT_STORE_LIMITS). */
  readonly limits?: StoreLimits;
}

/** Limits one store enforces on every mutation and join (defaults: LIMITS). */
export interface StoreLimits {
  readonly maxKeys: number;
  readonly maxEntriesPerKey: number;
  readonly maxActors: number;
  readonly maxIntervals: number;
}

export const DEFAULT_STORE_LIMITS: StoreLimits = {
  maxKeys: LIMITS.maxEntries,
  maxEntriesPerKey: LIMITS.maxDotsPerEntry,
  maxActors: LIMITS.maxActors,
  maxIntervals: LIMITS.maxIntervals,
};

/**
 * The entries under one key. `gen` implements copy-on-write: a store mutates a list in place only
 * when the list's generation is the store's current one; snapshots and deltas share lists read-only.
 */
export class DotList<E> {
  declare entries: E[];
  declare gen: number;
  constructor(entries: E[], gen: number) {
    this.entries = entries;
    this.gen = gen;
  }
}

/** Version vector (actor → every dot 1..n seen): a delta's dependencies. */
export type VersionVector = ReadonlyMap<ActorId, number>;

/**
 * Package-internal: a store over `state` that only mints — its mutators return the delta they
 * would apply and leave the store (and so `state`'s shared map) untouched, so minting one op from a
 * big state copies nothing (cartType.apply). Assigned in DotStore's static block.
 */
export let mintingStore: <E extends Dotted, S extends DotStoreState<E>>(
  kind: StoreKind<E, S>,
  state: DotStoreState<E>,
) => DotStore<E, S>;

// Package-internal views of a state (assigned in the class's static block; not exported from
// index.ts, so they stay off the public surface). Never mutate what they return.
export let listsOf: <E extends Dotted>(s: DotStoreState<E>) => ReadonlyMap<string, DotList<E>>;
export let contextOf: (s: DotStoreState<Dotted>) => CausalContext;
export let depsOf: (s: DotStoreState<Dotted>) => VersionVector | undefined;

/**
 * An immutable dot-store value: a full state (deps undefined) or a delta (deps: what its minter had
 * seen). Deltas and states share one shape, so deltas join, encode and validate like states.
 */
export class DotStoreState<E extends Dotted> {
  readonly #lists: ReadonlyMap<string, DotList<E>>;
  readonly #ctx: CausalContext;
  readonly #deps: VersionVector | undefined;

  constructor(lists: ReadonlyMap<string, DotList<E>>, ctx: CausalContext, deps?: VersionVector) {
    this.#lists = lists;
    this.#ctx = ctx;
    this.#deps = deps;
  }

  static {
    listsOf = <T extends Dotted>(s: DotStoreState<T>) => s.#lists;
    contextOf = (s) => s.#ctx;
    depsOf = (s) => s.#deps;
  }

  /** A copy of the causal context (every dot this value has seen). */
  context(): CausalContext {
    return this.#ctx.clone();
  }

  /** True for a delta (it carries dependencies), false for a full state. */
  get isDelta(): boolean {
    return this.#deps !== undefined;
  }

  /** A delta's dependencies as a version vector (a copy); undefined for a full state. */
  dependencies(): Map<ActorId, number> | undefined {
    return this.#deps === undefined ? undefined : new Map(this.#deps);
  }

  /** Keys holding at least one entry, sorted. */
  keys(): string[] {
    return [...this.#lists.keys()].sort();
  }

  /** The entries under `key` (read-only). */
  entries(key: string): readonly E[] {
    return this.#lists.get(key)?.entries ?? [];
  }

  /** Number of live entries (dots) across all keys: the value's size, independent of history. */
  get entryCount(): number {
    let n = 0;
    for (const l of this.#lists.values()) n += l.entries.length;
    return n;
  }
}

/** Early deltas a replica holds back while it waits for their causal past. */
export const MAX_PENDING_DELTAS = 1024;

let generation = 0;
const nextGen = (): number => ++generation;

function addDotTo(m: Map<ActorId, Intervals>, actor: ActorId, counter: number): void {
  const iv = m.get(actor);
  if (iv === undefined) m.set(actor, [counter, counter]);
  else addValue(iv, counter);
}

/** actor → counter → value(e) for every entry: the one dot index builder of this module. */
function byDot<E extends Dotted, T>(
  lists: Iterable<readonly [string, readonly E[]]>,
  value: (e: E, key: string) => T,
): Map<ActorId, Map<number, T>> {
  const out = new Map<ActorId, Map<number, T>>();
  for (const [key, list] of lists) {
    for (const e of list) {
      let byCounter = out.get(e.actor);
      if (byCounter === undefined) {
        byCounter = new Map();
        out.set(e.actor, byCounter);
      }
      byCounter.set(e.counter, value(e, key));
    }
  }
  return out;
}

/** Finds an entry by dot in one list: a scan for short lists, a map for long ones (linear joins). */
class DotFinder<E extends Dotted> {
  readonly #list: readonly E[];
  #map: Map<ActorId, Map<number, E>> | undefined;
  constructor(list: readonly E[]) {
    this.#list = list;
  }
  get(actor: ActorId, counter: number): E | undefined {
    const list = this.#list;
    if (list.length <= 16) {
      for (const e of list) if (e.counter === counter && e.actor === actor) return e;
      return undefined;
    }
    this.#map ??= byDot([['', list]], (e) => e);
    return this.#map.get(actor)?.get(counter);
  }
}

const EMPTY_FINDER = new DotFinder<never>([]);

/**
 * Whether `other` may hold a dot `ctx` also holds: false only when, for every actor of `other`, its
 * lowest dot is above `ctx`'s highest (conservative: true does not prove an overlap).
 */
function seesAnyOf(other: CausalContext, ctx: CausalContext): boolean {
  for (const [actor, iv] of rangesOf(other)) {
    const mine = intervalsOf(ctx, actor);
    if (mine !== undefined && iv[0]! <= mine[mine.length - 1]!) return true;
  }
  return false;
}

/** One finder per key of `lists`, built on first use. */
function memoFinders<E extends Dotted>(
  lists: ReadonlyMap<string, DotList<E>>,
): (key: string) => DotFinder<E> {
  const made = new Map<string, DotFinder<E>>();
  return (key) => {
    let f = made.get(key);
    if (f === undefined) {
      const list = lists.get(key);
      f = list === undefined ? (EMPTY_FINDER as DotFinder<E>) : new DotFinder(list.entries);
      made.set(key, f);
    }
    return f;
  };
}

/**
 * What `delta` needs that neither `ctx` nor the delta itself holds: per actor the first missing
 * range below the delta's dependencies or its own highest dot. Empty when the delta may be joined.
 * Full states (no deps) need nothing.
 */
export function missingDependencies(
  ctx: CausalContext,
  delta: DotStoreState<Dotted>,
): Map<ActorId, [number, number]> {
  const out = new Map<ActorId, [number, number]>();
  const deps = depsOf(delta);
  if (deps === undefined) return out;
  const dctx = contextOf(delta);
  const check = (actor: ActorId, need: number): void => {
    if (need === 0 || out.has(actor)) return;
    const mine = intervalsOf(ctx, actor);
    // fast path: our own prefix already reaches `need`
    if (mine !== undefined && mine[0] === 1 && mine[1]! >= need) return;
    const have = contiguousUnion(mine, intervalsOf(dctx, actor));
    if (have < need) out.set(actor, [have + 1, need]);
  };
  for (const [actor, n] of deps) check(actor, n);
  for (const [actor, iv] of rangesOf(dctx)) check(actor, iv[iv.length - 1]!);
  return out;
}

/** The contiguous prefix of every actor of `ctx`: what a delta minted against it depends on. */
export function versionVectorOf(ctx: CausalContext): Map<ActorId, number> {
  const out = new Map<ActorId, number>();
  for (const [actor, iv] of rangesOf(ctx)) if (iv[0] === 1) out.set(actor, iv[1]!);
  return out;
}

function joinDeps(a: VersionVector | undefined, b: VersionVector | undefined): VersionVector | undefined {
  if (a === undefined || b === undefined) return undefined;
  const out = new Map(a);
  for (const [actor, n] of b) if ((out.get(actor) ?? 0) < n) out.set(actor, n);
  return out;
}

/** One change planned by a mutator: the key's entries to drop (observed) and entries to add. */
export interface KeyChange<E> {
  readonly key: string;
  /** Drop every entry under the key (observed-remove of the whole key). */
  readonly dropAll?: boolean;
  /** Drop only these entries (they must be live under the key). */
  readonly drop?: readonly E[];
  /** New entries; the array becomes the delta's (the mutator must not reuse it). */
  readonly add?: E[];
}

/**
 * A mutable replica's dot store: lists shared copy-on-write with snapshots, a lazily built dot
 * index (actor → counter → key) for removals by context, and every join and mutation checked
 * against limits and the delivery contract before anything changes.
 */
export class DotStore<E extends Dotted, S extends DotStoreState<E> = DotStoreState<E>> {
  #lists: Map<string, DotList<E>>;
  /** Whether a state shares #lists (then the map is copied before it changes): copy-on-write. */
  #listsShared: boolean;
  #ctx: CausalContext;
  /** Whether a state shares #ctx (then it is copied before any in-place change). */
  #ctxShared: boolean;
  #gen: number;
  /** actor → counter → key of every live entry; built on the second join, then maintained. */
  #index: Map<ActorId, Map<number, string>> | null = null;
  /** Joins so far (a store joined once never pays for the index). */
  #joins = 0;
  /** Deltas received before their causal past, oldest first (bounded). */
  #pending: DotStoreState<E>[] = [];
  readonly #kind: StoreKind<E, S>;
  readonly #order: EntryOrder<E>;
  readonly #limits: StoreLimits;
  /** A store that only mints deltas (mintingStore): commit computes the delta and changes nothing. */
  #mintOnly = false;

  constructor(kind: StoreKind<E, S>, state?: DotStoreState<E>) {
    this.#kind = kind;
    this.#order = kind.order;
    this.#limits = kind.limits ?? DEFAULT_STORE_LIMITS;
    // the map and the context are shared with `state` until this store changes them (copy-on-write):
    // a store built to join one delta into a big state, or to mint one op, copies the map at most
    // once, and a snapshot right after costs nothing
    this.#lists = state === undefined ? new Map() : (listsOf(state) as Map<string, DotList<E>>);
    this.#listsShared = state !== undefined;
    this.#ctx = state === undefined ? new CausalContext() : contextOf(state);
    this.#ctxShared = state !== undefined;
    this.#gen = nextGen();
  }

  static {
    mintingStore = (kind, state) => {
      const store = new DotStore(kind, state);
      store.#mintOnly = true;
      return store;
    };
  }

  // ---- reads ----------------------------------------------------------------------------------

  get(key: string): readonly E[] | undefined {
    return this.#lists.get(key)?.entries;
  }

  has(key: string): boolean {
    return this.#lists.has(key);
  }

  keys(): IterableIterator<string> {
    return this.#lists.keys();
  }

  get size(): number {
    return this.#lists.size;
  }

  /** The lists (read-only view, for the owning type's reads). */
  get lists(): ReadonlyMap<string, DotList<E>> {
    return this.#lists;
  }

  /** The live context (read-only: use `context()` for a copy). */
  get ctx(): CausalContext {
    return this.#ctx;
  }

  context(): CausalContext {
    return this.#ctx.clone();
  }

  /** Highest counter seen from `actor`. */
  max(actor: ActorId): number {
    return this.#ctx.max(actor);
  }

  // ---- mutation -------------------------------------------------------------------------------

  /**
   * The next `n` counters of `actor`, checked against the counter space and the actor limit (a
   * mutator calls this while computing, before it changes anything).
   */
  reserve(actor: ActorId, n: number): number {
    const first = this.#ctx.max(actor) + 1;
    if (first + n - 1 > LIMITS.maxCounter) throw new CrdtLimitError('dot counter space exhausted');
    if (first === 1 && this.#ctx.actorCount >= this.#limits.maxActors) {
      throw tooMany('actors', this.#limits.maxActors);
    }
    return first;
  }

  /**
   * Applies a mutator's planned changes as `actor` with the `count` dots from `first` (from `reserve`) and
   * returns the delta: the added entries, a context of the dropped and minted dots, and the
   * version vector seen before as dependencies. Checks limits first; nothing changes on a throw.
   */
  commit(actor: ActorId, first: number, count: number, changes: readonly KeyChange<E>[]): S {
    // compute: the size every changed key will have, checked against the limits
    let newKeys = 0;
    const current: Array<DotList<E> | undefined> = [];
    for (let i = 0; i < changes.length; i++) {
      const ch = changes[i]!;
      const cur = this.#lists.get(ch.key);
      current.push(cur);
      const had = cur === undefined ? 0 : cur.entries.length;
      const dropped = ch.dropAll === true ? had : (ch.drop?.length ?? 0);
      const size = had - dropped + (ch.add?.length ?? 0);
      if (size > this.#limits.maxEntriesPerKey)
        throw tooMany('entries under one key', this.#limits.maxEntriesPerKey);
      if (had === 0 && size > 0) newKeys++;
    }
    if (this.#lists.size + newKeys > this.#limits.maxKeys) throw tooMany('keys', this.#limits.maxKeys);
    const deps = versionVectorOf(this.#ctx);
    if (this.#mintOnly) return this.#mint(actor, first, count, changes, current, deps);
    // mutate: lists this store owns change in place (copy-on-write otherwise), so an add is O(1)
    const dctx = new Map<ActorId, Intervals>();
    const out = new Map<string, DotList<E>>();
    for (let i = 0; i < changes.length; i++) {
      const ch = changes[i]!;
      const add = ch.add;
      const cur = current[i];
      if (ch.dropAll === true && (add === undefined || add.length === 0)) {
        // the whole key goes: record its dots, nothing to copy
        if (cur !== undefined) this.#drop(cur.entries, undefined, dctx);
        if (cur !== undefined) this.#writableLists().delete(ch.key);
        continue;
      }
      const list = this.#own(ch.key, cur);
      if (ch.dropAll === true) list.entries = this.#drop(list.entries, undefined, dctx);
      else if (ch.drop !== undefined && ch.drop.length > 0)
        list.entries = this.#drop(list.entries, ch.drop, dctx);
      if (add !== undefined && add.length > 0) {
        for (const e of add) {
          list.entries.push(e);
          this.#indexAdd(e, ch.key);
        }
        out.set(ch.key, new DotList(add, 0));
      }
      if (list.entries.length === 0) this.#writableLists().delete(ch.key);
    }
    const ctx = this.#ownCtx();
    for (let c = first; c < first + count; c++) {
      addDotTo(dctx, actor, c);
      ctx.addDot(actor, c);
    }
    return this.#kind.make(out, new CausalContext(dctx), deps);
  }

  /**
   * The delta `commit` would return, computed without changing the store: the dots of exactly the
   * entries commit would drop (all of a key's for dropAll, else those of its list that are in
   * `drop`), the added entries, and the minted dots.
   */
  #mint(
    actor: ActorId,
    first: number,
    count: number,
    changes: readonly KeyChange<E>[],
    current: ReadonlyArray<DotList<E> | undefined>,
    deps: VersionVector,
  ): S {
    const dctx = new Map<ActorId, Intervals>();
    const out = new Map<string, DotList<E>>();
    for (let i = 0; i < changes.length; i++) {
      const ch = changes[i]!;
      const cur = current[i];
      if (cur !== undefined && (ch.dropAll === true || (ch.drop !== undefined && ch.drop.length > 0))) {
        const drop = ch.dropAll === true ? undefined : ch.drop;
        for (const e of cur.entries)
          if (drop === undefined || drop.includes(e)) addDotTo(dctx, e.actor, e.counter);
      }
      if (ch.add !== undefined && ch.add.length > 0) out.set(ch.key, new DotList(ch.add, 0));
    }
    for (let c = first; c < first + count; c++) addDotTo(dctx, actor, c);
    return this.#kind.make(out, new CausalContext(dctx), deps);
  }

  /** `entries` without `drop` (all when undefined); the dropped dots go to `dctx` and leave the index. */
  #drop(entries: readonly E[], drop: readonly E[] | undefined, dctx: Map<ActorId, Intervals>): E[] {
    // a handful of dropped entries is cheaper to scan than to hash
    const gone = drop === undefined || drop.length <= 8 ? undefined : new Set(drop);
    const kept: E[] = [];
    for (const e of entries) {
      if (drop === undefined || (gone === undefined ? drop.includes(e) : gone.has(e))) {
        addDotTo(dctx, e.actor, e.counter);
        this.#indexRemove(e);
      } else kept.push(e);
    }
    return kept;
  }

  /** Observed-remove of every key: the delta carries every live dot. */
  clearAll(actor: ActorId, minted: number): S {
    const deps = versionVectorOf(this.#ctx);
    const dctx = new Map<ActorId, Intervals>();
    for (const list of this.#lists.values()) for (const e of list.entries) addDotTo(dctx, e.actor, e.counter);
    addDotTo(dctx, actor, minted);
    this.#lists = new Map();
    this.#listsShared = false;
    this.#index = null;
    this.#ownCtx().addDot(actor, minted);
    return this.#kind.make(new Map(), new CausalContext(dctx), deps);
  }

  // ---- join -----------------------------------------------------------------------------------

  /**
   * Joins a delta or a state. A delta whose dependencies this store lacks throws
   * CrdtCausalGapError; a result past a limit throws CrdtLimitError; either way nothing changed.
   */
  join(other: DotStoreState<E>): void {
    const missing = missingDependencies(this.#ctx, other);
    if (missing.size > 0) throw new CrdtCausalGapError(missing);
    this.compose(other);
    this.#drainPending();
  }

  /**
   * Joins a delta, or holds it back (returns false) until its causal past has arrived: then it is
   * joined by whichever later join completes that past. At most MAX_PENDING_DELTAS are held; past
   * that the oldest is dropped (a pull of `missing()` or a full state makes up for it).
   */
  receive(other: DotStoreState<E>): boolean {
    if (missingDependencies(this.#ctx, other).size > 0) {
      this.#pending.push(other);
      if (this.#pending.length > MAX_PENDING_DELTAS) this.#pending.shift();
      return false;
    }
    this.compose(other);
    this.#drainPending();
    return true;
  }

  /** Number of deltas held back until their causal past arrives. */
  get pendingCount(): number {
    return this.#pending.length;
  }

  /** The dots held-back deltas wait for (empty when none). */
  missing(): CausalContext {
    const out = new CausalContext();
    for (const d of this.#pending) {
      for (const [actor, [lo, hi]] of missingDependencies(this.#ctx, d)) out.addRange(actor, lo, hi);
    }
    return out;
  }

  #drainPending(): void {
    let progress = this.#pending.length > 0;
    while (progress) {
      progress = false;
      const waiting: DotStoreState<E>[] = [];
      for (const d of this.#pending) {
        if (missingDependencies(this.#ctx, d).size === 0) {
          this.compose(d);
          progress = true;
        } else waiting.push(d);
      }
      this.#pending = waiting;
    }
  }

  /**
   * Joins without the causal check: for composing deltas into one (a later delta of a batch depends
   * on the earlier ones) and for full states, which need no check. Limits still apply.
   */
  compose(other: DotStoreState<E>): void {
    const oLists = listsOf(other);
    const oCtx = contextOf(other);
    const ctx = this.#ctx;
    // 1. the joined context, checked before anything changes
    const nextCtx = ctx.clone().join(oCtx);
    if (nextCtx.actorCount > this.#limits.maxActors) {
      throw tooMany('actors', this.#limits.maxActors);
    }
    if (nextCtx.intervalCount() > this.#limits.maxIntervals) {
      throw tooMany('context intervals', this.#limits.maxIntervals);
    }
    // 2. the new entry list of every key that changes
    const plan = new Map<string, E[]>();
    this.#planRemovals(oLists, oCtx, plan);
    for (const [key, ol] of oLists) {
      const base = plan.get(key) ?? this.#lists.get(key)?.entries;
      let mine: DotFinder<E> | undefined;
      let list: E[] | undefined;
      for (const e of ol.entries) {
        const iv = intervalsOf(ctx, e.actor);
        if (iv === undefined || !hasValue(iv, e.counter)) {
          list ??= base === undefined ? [] : base.slice();
          list.push(e);
          continue;
        }
        // a dot seen here: ignored, unless we hold it with another payload (only a forger makes
        // two) — then the greater is kept, the same on every replica
        if (base === undefined) continue;
        mine ??= new DotFinder(base);
        const have = mine.get(e.actor, e.counter);
        if (have !== undefined && have !== e && this.#order.compare(e, have) > 0) {
          list ??= base.slice();
          list[list.indexOf(have)] = e;
        }
      }
      if (list !== undefined) {
        if (list.length > this.#limits.maxEntriesPerKey) {
          throw tooMany('entries under one key', this.#limits.maxEntriesPerKey);
        }
        plan.set(key, list);
      }
    }
    let keys = this.#lists.size;
    for (const [key, list] of plan) {
      const had = this.#lists.has(key);
      if (!had && list.length > 0) keys++;
      else if (had && list.length === 0) keys--;
    }
    if (keys > this.#limits.maxKeys) throw tooMany('keys', this.#limits.maxKeys);
    // 3. mutate
    const lists = plan.size > 0 ? this.#writableLists() : this.#lists;
    for (const [key, list] of plan) {
      const cur = this.#lists.get(key);
      if (this.#index !== null) {
        if (cur !== undefined) for (const e of cur.entries) this.#indexRemove(e);
        for (const e of list) this.#indexAdd(e, key);
      }
      if (list.length === 0) lists.delete(key);
      else lists.set(key, new DotList(list, this.#gen));
    }
    this.#ctx = nextCtx;
    this.#ctxShared = false;
  }

  /**
   * Keys losing entries: ours whose dots the other side has seen and no longer holds. A store that
   * joins once (the pure join of two values) scans its own entries; one that keeps joining (a
   * replica receiving deltas) looks the other side's context up in its dot index, built on the
   * second join and maintained after, so a small delta costs O(its dots), not O(this store).
   */
  #planRemovals(oLists: ReadonlyMap<string, DotList<E>>, oCtx: CausalContext, plan: Map<string, E[]>): void {
    const victims = new Map<string, Set<E>>();
    const theirs = memoFinders(oLists);
    const mark = (key: string, e: E): void => {
      if (theirs(key).get(e.actor, e.counter) !== undefined) return;
      let set = victims.get(key);
      if (set === undefined) {
        set = new Set();
        victims.set(key, set);
      }
      set.add(e);
    };
    if (this.#index === null && ++this.#joins < 2) {
      // Every entry's dot is in our context: when the other side saw none of our dots (a delta
      // that only adds, minted above what we hold), nothing of ours can go — skip the scan.
      if (!seesAnyOf(oCtx, this.#ctx)) return;
      for (const [key, list] of this.#lists) {
        for (const e of list.entries) {
          const iv = intervalsOf(oCtx, e.actor);
          if (iv !== undefined && hasValue(iv, e.counter)) mark(key, e);
        }
      }
    } else {
      const ours = memoFinders(this.#lists);
      const visit = (actor: ActorId, c: number, key: string): void => {
        const e = ours(key).get(actor, c);
        if (e !== undefined) mark(key, e);
      };
      for (const [actor, iv] of rangesOf(oCtx)) {
        const idx = this.#indexFor(actor);
        if (idx === undefined || idx.size === 0) continue;
        if (countValues(iv) <= idx.size) {
          for (let k = 0; k < iv.length; k += 2) {
            for (let c = iv[k]!; c <= iv[k + 1]!; c++) {
              const key = idx.get(c);
              if (key !== undefined) visit(actor, c, key);
            }
          }
        } else {
          for (const [c, key] of idx) if (hasValue(iv, c)) visit(actor, c, key);
        }
      }
    }
    for (const [key, set] of victims)
      plan.set(
        key,
        this.#lists.get(key)!.entries.filter((e) => !set.has(e)),
      );
  }

  /**
   * What a peer that has seen `peer` lacks: entries with unseen dots, and a context equal to ours
   * minus the live dots the peer already has, which conveys every removal it must learn in
   * O(changes + live entries) intervals. It depends on `peer`'s version vector.
   */
  deltaSince(peer: CausalContext): S {
    const lists = new Map<string, DotList<E>>();
    const liveSeen = new Map<ActorId, number[]>();
    let lastActor: ActorId | undefined;
    let lastIv: Intervals | undefined;
    for (const [key, list] of this.#lists) {
      let fresh: E[] | undefined;
      for (const e of list.entries) {
        if (e.actor !== lastActor) {
          lastActor = e.actor;
          lastIv = intervalsOf(peer, e.actor);
        }
        if (lastIv !== undefined && hasValue(lastIv, e.counter)) {
          const l = liveSeen.get(e.actor);
          if (l === undefined) liveSeen.set(e.actor, [e.counter]);
          else l.push(e.counter);
        } else {
          fresh ??= [];
          fresh.push(e);
        }
      }
      if (fresh !== undefined) lists.set(key, new DotList(fresh, 0));
    }
    const m = new Map<ActorId, Intervals>();
    for (const [actor, iv] of rangesOf(this.#ctx)) {
      const seen = liveSeen.get(actor);
      const d =
        seen === undefined ? iv.slice() : differenceIntervals(iv, intervalsFromSorted(seen.sort(byNumber)));
      if (d.length > 0) m.set(actor, d);
    }
    return this.#kind.make(lists, new CausalContext(m), versionVectorOf(peer));
  }

  /** An immutable snapshot, O(1): the map, its lists and the context are shared copy-on-write. */
  state(): S {
    this.#gen = nextGen();
    this.#ctxShared = true;
    this.#listsShared = true;
    return this.#kind.make(this.#lists, this.#ctx);
  }

  /** The map of lists, copied first if a state shares it. */
  #writableLists(): Map<string, DotList<E>> {
    if (this.#listsShared) {
      this.#lists = new Map(this.#lists);
      this.#listsShared = false;
    }
    return this.#lists;
  }

  /** The list under `key` (`list`, already looked up), owned by this store's generation (copied if shared). */
  #own(key: string, list: DotList<E> | undefined): DotList<E> {
    if (list === undefined) {
      list = new DotList<E>([], this.#gen);
      this.#writableLists().set(key, list);
    } else if (list.gen !== this.#gen) {
      list = new DotList(list.entries.slice(), this.#gen);
      this.#writableLists().set(key, list);
    }
    return list;
  }

  /** The context, copied first if a state shares it (copy-on-write, like the lists). */
  #ownCtx(): CausalContext {
    if (this.#ctxShared) {
      this.#ctx = this.#ctx.clone();
      this.#ctxShared = false;
    }
    return this.#ctx;
  }

  /** Forgets retired actors' ranges behind a retirement marker (see CausalContext.retireActors). */
  retire(actors: readonly ActorId[]): void {
    for (const a of actors) {
      for (const list of this.#lists.values()) {
        if (list.entries.some((e) => e.actor === a)) throw new TypeError(`actor ${a} still has live entries`);
      }
    }
    this.#ownCtx().retireActors(actors);
    if (this.#index !== null) for (const a of actors) this.#index.delete(a);
  }

  #indexFor(actor: ActorId): Map<number, string> | undefined {
    this.#index ??= byDot(entriesOf(this.#lists), (_, key) => key);
    return this.#index.get(actor);
  }

  #indexAdd(e: E, key: string): void {
    if (this.#index === null) return;
    let m = this.#index.get(e.actor);
    if (m === undefined) {
      m = new Map();
      this.#index.set(e.actor, m);
    }
    m.set(e.counter, key);
  }

  #indexRemove(e: E): void {
    if (this.#index === null) return;
    this.#index.get(e.actor)?.delete(e.counter);
  }
}

function* entriesOf<E>(lists: ReadonlyMap<string, DotList<E>>): Iterable<readonly [string, readonly E[]]> {
  for (const [key, list] of lists) yield [key, list.entries];
}

function tooMany(what: string, max: number): CrdtLimitError {
  return new CrdtLimitError(`a value holds at most ${max} ${what}`);
}

function byNumber(a: number, b: number): number {
  return a - b;
}

/**
 * Pure join of two values. Two deltas compose into a delta (dependencies joined); a state and a
 * delta give a state, provided the state covers the delta's dependencies (else CrdtCausalGapError);
 * two states give a state. Inputs are never mutated.
 */
export function joinStates<E extends Dotted, S extends DotStoreState<E>>(
  kind: StoreKind<E, S>,
  a: DotStoreState<E>,
  b: DotStoreState<E>,
): S {
  if (a.isDelta && !b.isDelta) return joinStates(kind, b, a);
  const store = new DotStore(kind, a);
  if (a.isDelta && b.isDelta) {
    store.compose(b);
    const s = store.state();
    return kind.make(listsOf(s), contextOf(s), joinDeps(depsOf(a), depsOf(b)));
  }
  store.join(b);
  return store.state();
}

/** Same entries and context (dependencies are delivery metadata, not content). */
export function statesEqual<E extends Dotted>(
  order: EntryOrder<E>,
  a: DotStoreState<E>,
  b: DotStoreState<E>,
): boolean {
  const la = listsOf(a);
  const lb = listsOf(b);
  if (la.size !== lb.size || !contextOf(a).equals(contextOf(b))) return false;
  for (const [key, list] of la) {
    const other = lb.get(key);
    if (other === undefined || other.entries.length !== list.entries.length) return false;
    const f = new DotFinder(other.entries);
    for (const e of list.entries) {
      const g = f.get(e.actor, e.counter);
      if (g === undefined || (g !== e && !order.equals(e, g))) return false;
    }
  }
  return true;
}

/**
 * Entries of `delta` under a dot `state` already holds with a different payload: what a device
 * re-sending a known dot with another value would introduce (the server refuses such deltas).
 */
export function conflictingDots<E extends Dotted>(
  order: EntryOrder<E>,
  state: DotStoreState<E>,
  delta: DotStoreState<E>,
): Dot[] {
  const out: Dot[] = [];
  const known = contextOf(state);
  let live: Map<ActorId, Map<number, [string, E]>> | undefined;
  for (const [key, list] of listsOf(delta)) {
    for (const e of list.entries) {
      if (!known.hasDot(e.actor, e.counter)) continue;
      live ??= byDot(entriesOf(listsOf(state)), (x, k): [string, E] => [k, x]);
      const have = live.get(e.actor)?.get(e.counter);
      // a known dot that is no longer live is ignored by the join; a live one must be identical
      if (have !== undefined && (have[0] !== key || (have[1] !== e && !order.equals(e, have[1])))) {
        out.push({ actor: e.actor, counter: e.counter });
      }
    }
  }
  return out;
}
