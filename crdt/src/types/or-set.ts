/**
 * Add-wins observed-remove set without tombstones, in the style of Riak's ORSWOT
 * (riak_dt_orswot.erl): one causal context for the whole set and the birth dots of each present
 * element. add(e) replaces the dots of e it observed with one fresh dot; remove(e) ships the
 * observed dots in the delta's context, so an add concurrent with the remove survives.
 */
import type { ActorId } from '../causal/dot.js';
import { KIND } from '../codec/header.js';
import { LIMITS } from '../codec/limits.js';
import { CrdtInvalidOpError } from '../errors.js';
import {
  DotStoreReplica,
  type DotStoreState,
  dotStoresEqual,
  emptyDotStore,
  joinDotStores,
} from './dot-store.js';
import { decodeDotStore, dotStoreToJSON, encodeDotStore, type ValueCodec } from './dot-store-codec.js';

export type ORSetState = DotStoreState<null>;

const nullCodec: ValueCodec<null> = { write: () => {}, read: () => null, minBytes: 0 };

function checkElement(e: string): void {
  if (typeof e !== 'string') throw new TypeError('OR-Set elements are strings');
  if (e.length > LIMITS.maxStringBytes / 3) throw new CrdtInvalidOpError('OR-Set element too long');
}

export class ORSet extends DotStoreReplica<null> {
  static create(actor: ActorId, state: ORSetState = emptyDotStore()): ORSet {
    return new ORSet(actor, state);
  }

  add(element: string): ORSetState {
    checkElement(element);
    return this.mutate([element], [[element, null]]);
  }

  remove(element: string): ORSetState {
    checkElement(element);
    return this.mutate([element], []);
  }

  clear(): ORSetState {
    return this.mutate([...this.entries.keys()], []);
  }

  has(element: string): boolean {
    return this.entries.has(element);
  }

  values(): string[] {
    return [...this.entries.keys()].sort();
  }

  get size(): number {
    return this.entries.size;
  }

  merge(other: ORSet): void {
    this.applyDelta(other.state());
  }

  equals(other: ORSet): boolean {
    return orSetEquals(this.state(), other.state());
  }
}

export const joinORSet = (a: ORSetState, b: ORSetState): ORSetState => joinDotStores(a, b);
export const orSetEquals = (a: ORSetState, b: ORSetState): boolean => dotStoresEqual(a, b, () => true);
export const encodeORSet = (s: ORSetState): Uint8Array => encodeDotStore(KIND.orSet, s, nullCodec);
export const decodeORSet = (b: Uint8Array): ORSetState => decodeDotStore(KIND.orSet, 'OR-Set', b, nullCodec);
export const orSetToJSON = (s: ORSetState): unknown => dotStoreToJSON(s);
