/**
 * Add-wins observed-remove set without tombstones, in the style of Riak's ORSWOT
 * (riak_dt_orswot.erl): one causal context for the whole set and the birth dots of each present
 * element. add(e) replaces the dots of e it observed with one fresh dot; remove(e) ships the
 * observed dots in the delta's context, so an add concurrent with the remove survives.
 */
import type { ActorId } from '../causal/dot.js';
import { KIND } from '../codec/header.js';
import { LIMITS } from '../codec/limits.js';
import { isWellFormed } from '../codec/writer.js';
import { CrdtInvalidOpError } from '../errors.js';
import { decodeDotStore, dotStoreToJSON, encodeDotStore, type ValueCodec } from './dot-store-codec.js';
import {
  DotStoreReplica,
  emptyDotStore,
  joinValues,
  type ValueState,
  valueKind,
  valuesEqual,
} from './dot-store-replica.js';

export type ORSetState = ValueState<null>;
const KIND_OR_SET = valueKind<null>(
  () => true,
  () => 0,
);

const nullCodec: ValueCodec<null> = { write: () => {}, read: () => null, minBytes: 0 };

function checkElement(e: string): void {
  if (typeof e !== 'string') throw new TypeError('OR-Set elements are strings');
  if (e.length > LIMITS.maxStringBytes / 3) throw new CrdtInvalidOpError('OR-Set element too long');
  if (!isWellFormed(e)) throw new CrdtInvalidOpError('OR-Set element has a lone UTF-16 surrogate');
}

export class ORSet extends DotStoreReplica<null> {
  static create(actor: ActorId, state: ORSetState = emptyDotStore()): ORSet {
    return new ORSet(actor, KIND_OR_SET, state);
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
    return this.mutate([...this.store.keys()], []);
  }

  has(element: string): boolean {
    return this.store.has(element);
  }

  values(): string[] {
    return [...this.store.keys()].sort();
  }

  get size(): number {
    return this.store.size;
  }

  merge(other: ORSet): void {
    this.applyDelta(other.state());
  }

  equals(other: ORSet): boolean {
    return orSetEquals(this.state(), other.state());
  }
}

export const joinORSet = (a: ORSetState, b: ORSetState): ORSetState => joinValues(KIND_OR_SET, a, b);
export const orSetEquals = (a: ORSetState, b: ORSetState): boolean => valuesEqual(KIND_OR_SET, a, b);
export const encodeORSet = (s: ORSetState): Uint8Array => encodeDotStore(KIND.orSet, s, nullCodec);
export const decodeORSet = (b: Uint8Array): ORSetState => decodeDotStore(KIND.orSet, 'OR-Set', b, nullCodec);
export const orSetToJSON = (s: ORSetState): unknown => dotStoreToJSON(s);
