/**
 * The base of the simple dot-store types (OR-Set, MV-Register, counter, OR-Map): a replica over the
 * package's one dot store (dot-store.ts) whose entries are (dot, value) pairs. Mutators mint dots
 * of `actor` and return deltas; `applyDelta` joins any delta or state under the delivery contract.
 */
import type { CausalContext } from '../causal/causal-context.js';
import { type ActorId, checkActorId, type Dot } from '../causal/dot.js';
import {
  type DotEntry,
  DotStore,
  DotStoreState,
  joinStates,
  type KeyChange,
  type StoreKind,
  statesEqual,
} from './dot-store.js';

/** A simple type's state or delta. */
export type ValueState<V> = DotStoreState<DotEntry<V>>;

/** The store kind of a value type: payloads compared by `equals` and ordered by `compare`. */
export function valueKind<V>(
  equals: (a: V, b: V) => boolean,
  compare: (a: V, b: V) => number,
): StoreKind<DotEntry<V>, ValueState<V>> {
  return {
    order: { equals: (a, b) => equals(a.value, b.value), compare: (a, b) => compare(a.value, b.value) },
    make: (lists, ctx, deps) => new DotStoreState(lists, ctx, deps),
  };
}

export function emptyDotStore<V>(): ValueState<V> {
  return new DotStore(
    valueKind<V>(
      () => true,
      () => 0,
    ),
  ).state();
}

export const joinValues = <V>(
  kind: StoreKind<DotEntry<V>, ValueState<V>>,
  a: ValueState<V>,
  b: ValueState<V>,
) => joinStates(kind, a, b);

export const valuesEqual = <V>(
  kind: StoreKind<DotEntry<V>, ValueState<V>>,
  a: ValueState<V>,
  b: ValueState<V>,
) => statesEqual(kind.order, a, b);

export class DotStoreReplica<V> {
  readonly actor: ActorId;
  protected readonly store: DotStore<DotEntry<V>, ValueState<V>>;

  protected constructor(actor: ActorId, kind: StoreKind<DotEntry<V>, ValueState<V>>, state: ValueState<V>) {
    this.actor = checkActorId(actor);
    this.store = new DotStore(kind, state);
  }

  /** Observed-remove of everything under `removeKeys`, plus one fresh entry per `add`; the delta. */
  protected mutate(removeKeys: readonly string[], add: ReadonlyArray<readonly [string, V]>): ValueState<V> {
    const first = this.store.reserve(this.actor, add.length);
    const changes = new Map<string, { dropAll: boolean; add: DotEntry<V>[] }>();
    for (const key of removeKeys) changes.set(key, { dropAll: true, add: [] });
    add.forEach(([key, value], i) => {
      let ch = changes.get(key);
      if (ch === undefined) {
        ch = { dropAll: false, add: [] };
        changes.set(key, ch);
      }
      ch.add.push({ actor: this.actor, counter: first + i, value });
    });
    const list: KeyChange<DotEntry<V>>[] = [...changes].map(([key, ch]) => ({ key, ...ch }));
    return this.store.commit(this.actor, first, add.length, list);
  }

  /** Joins a delta or state; a delta early for its causal past is held back (returns false). */
  applyDelta(delta: ValueState<V>): boolean {
    return this.store.receive(delta);
  }

  deltaSince(peer: CausalContext): ValueState<V> {
    return this.store.deltaSince(peer);
  }

  state(): ValueState<V> {
    return this.store.state();
  }

  context(): CausalContext {
    return this.store.context();
  }

  /** Live dots, for inspection and tests. */
  dots(): Dot[] {
    const out: Dot[] = [];
    for (const l of this.store.lists.values())
      for (const e of l.entries) out.push({ actor: e.actor, counter: e.counter });
    return out;
  }
}
