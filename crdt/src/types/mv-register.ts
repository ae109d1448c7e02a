/**
 * Multi-value register (Dynamo's siblings, made causal): write(v) replaces the values it observed;
 * concurrent writes all stay visible until a later write observes them (delta-CRDT MVReg, Almeida
 * et al. §7.3). Built on the dot store, so it shares its join, deltaSince and codec.
 */
import type { ActorId } from '../causal/dot.js';
import { KIND } from '../codec/header.js';
import { decodeDotStore, dotStoreToJSON, encodeDotStore } from './dot-store-codec.js';
import {
  DotStoreReplica,
  emptyDotStore,
  joinValues,
  type ValueState,
  valueKind,
  valuesEqual,
} from './dot-store-replica.js';
import { checkScalar, compareScalars, type Scalar, scalarCodec } from './scalar.js';

export type MVRegisterState = ValueState<Scalar>;
const KIND_MV = valueKind<Scalar>((a, b) => compareScalars(a, b) === 0, compareScalars);
const KEY = '';

export class MVRegister extends DotStoreReplica<Scalar> {
  static create(actor: ActorId, state: MVRegisterState = emptyDotStore()): MVRegister {
    return new MVRegister(actor, KIND_MV, state);
  }

  write(value: Scalar): MVRegisterState {
    checkScalar(value);
    return this.mutate([KEY], [[KEY, value]]);
  }

  /** Observed-remove of every value (the register becomes empty unless a write is concurrent). */
  reset(): MVRegisterState {
    return this.mutate([KEY], []);
  }

  /** Current values, deterministic order; more than one means concurrent writes. */
  values(): Scalar[] {
    return (this.store.get(KEY) ?? []).map((e) => e.value).sort(compareScalars);
  }

  merge(other: MVRegister): void {
    this.applyDelta(other.state());
  }

  equals(other: MVRegister): boolean {
    return mvRegisterEquals(this.state(), other.state());
  }
}

export const joinMVRegister = (a: MVRegisterState, b: MVRegisterState): MVRegisterState =>
  joinValues(KIND_MV, a, b);
export const mvRegisterEquals = (a: MVRegisterState, b: MVRegisterState): boolean =>
  valuesEqual(KIND_MV, a, b);
export const encodeMVRegister = (s: MVRegisterState): Uint8Array =>
  encodeDotStore(KIND.mvRegister, s, scalarCodec);
export const decodeMVRegister = (b: Uint8Array): MVRegisterState =>
  decodeDotStore(KIND.mvRegister, 'MV-Register', b, scalarCodec);
export const mvRegisterToJSON = (s: MVRegisterState): unknown => dotStoreToJSON(s);
