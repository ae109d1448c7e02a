/**
 * A dot-based counter that resets on remove: every increment is its own dot holding its amount,
 * and reset() removes the dots it observed. An increment concurrent with a reset survives with
 * exactly its own amount. (riak_dt's map admits its embedded counters do not fully reset on remove
 * because they fold increments per actor; keeping one dot per increment avoids that, at the cost
 * of one entry per increment since the last reset — see README, "Bounded metadata".)
 */
import type { ActorId } from '../causal/dot.js';
import { KIND } from '../codec/header.js';
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

export type CounterState = ValueState<number>;
const KIND_COUNTER = valueKind<number>(
  (a, b) => a === b,
  (a, b) => a - b,
);
const KEY = '';

export const amountCodec: ValueCodec<number> = {
  write: (w, v) => w.varint(v),
  read: (r) => {
    const v = r.varint();
    if (v === 0) r.fail('zero counter increment');
    return v;
  },
  minBytes: 1,
};

export function checkAmount(by: number): void {
  if (!Number.isSafeInteger(by) || by === 0 || Math.abs(by) > 2 ** 40) {
    throw new CrdtInvalidOpError('counter increments are non-zero safe integers up to 2^40');
  }
}

export class Counter extends DotStoreReplica<number> {
  static create(actor: ActorId, state: CounterState = emptyDotStore()): Counter {
    return new Counter(actor, KIND_COUNTER, state);
  }

  increment(by = 1): CounterState {
    checkAmount(by);
    return this.mutate([], [[KEY, by]]);
  }

  decrement(by = 1): CounterState {
    return this.increment(-by);
  }

  reset(): CounterState {
    return this.mutate([KEY], []);
  }

  value(): number {
    let n = 0;
    for (const e of this.store.get(KEY) ?? []) n += e.value;
    return n;
  }

  merge(other: Counter): void {
    this.applyDelta(other.state());
  }

  equals(other: Counter): boolean {
    return counterEquals(this.state(), other.state());
  }
}

export const joinCounter = (a: CounterState, b: CounterState): CounterState => joinValues(KIND_COUNTER, a, b);
export const counterEquals = (a: CounterState, b: CounterState): boolean => valuesEqual(KIND_COUNTER, a, b);
export const encodeCounter = (s: CounterState): Uint8Array => encodeDotStore(KIND.counter, s, amountCodec);
export const decodeCounter = (b: Uint8Array): CounterState =>
  decodeDotStore(KIND.counter, 'counter', b, amountCodec);
export const counterToJSON = (s: CounterState): unknown => dotStoreToJSON(s);
