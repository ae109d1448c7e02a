/**
 * Last-writer-wins register ordered by (HLC timestamp, actor). The hybrid logical clock makes a
 * causally later write win even when wall clocks are skewed or jump backwards: set() stamps a time
 * greater than the one it observed. A state is its own delta; join keeps the greater write.
 */
import { type ActorId, checkActorId } from '../causal/dot.js';
import { Hlc, hlcFromLegacy, isValidHlc } from '../causal/hlc.js';
import { ActorTable, readActorIndex } from '../codec/actor-table.js';
import { KIND, readHeader, writeHeader } from '../codec/header.js';
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { CrdtDecodeError } from '../errors.js';
import { checkScalar, compareScalars, type Scalar, scalarCodec } from './scalar.js';

export interface LWWWrite {
  readonly hlc: number;
  readonly actor: ActorId;
  readonly value: Scalar;
}
/** null = never written. */
export type LWWRegisterState = LWWWrite | null;

/** Total order: hlc, then actor, then value (so even a corrupt duplicate stamp joins deterministically). */
export function lwwCompare(a: LWWWrite, b: LWWWrite): number {
  if (a.hlc !== b.hlc) return a.hlc - b.hlc;
  if (a.actor !== b.actor) return a.actor < b.actor ? -1 : 1;
  return compareScalars(a.value, b.value);
}

export function joinLWWRegister(a: LWWRegisterState, b: LWWRegisterState): LWWRegisterState {
  if (a === null) return b;
  if (b === null) return a;
  return lwwCompare(a, b) >= 0 ? a : b;
}

export class LWWRegister {
  readonly actor: ActorId;
  readonly #hlc: Hlc;
  #state: LWWRegisterState;

  private constructor(actor: ActorId, state: LWWRegisterState, clock?: () => number) {
    this.actor = checkActorId(actor);
    this.#hlc = new Hlc(clock);
    this.#state = state;
    if (state) this.#hlc.observe(state.hlc);
  }

  static create(
    actor: ActorId,
    options: { clock?: () => number; state?: LWWRegisterState } = {},
  ): LWWRegister {
    return new LWWRegister(actor, options.state ?? null, options.clock);
  }

  set(value: Scalar): LWWRegisterState {
    checkScalar(value);
    const write: LWWWrite = { hlc: this.#hlc.now(), actor: this.actor, value };
    this.#state = joinLWWRegister(this.#state, write);
    return write;
  }

  applyDelta(delta: LWWRegisterState): void {
    if (delta) this.#hlc.observe(delta.hlc);
    this.#state = joinLWWRegister(this.#state, delta);
  }

  merge(other: LWWRegister): void {
    this.applyDelta(other.#state);
  }

  value(): Scalar | undefined {
    return this.#state?.value;
  }

  state(): LWWRegisterState {
    return this.#state;
  }

  equals(other: LWWRegister): boolean {
    return lwwRegisterEquals(this.#state, other.#state);
  }
}

export function lwwRegisterEquals(a: LWWRegisterState, b: LWWRegisterState): boolean {
  if (a === null || b === null) return a === b;
  return lwwCompare(a, b) === 0;
}

/** Format 2 packs timestamps with 5 logical bits; format 1 still decodes. */
const LWW_CODEC_VERSION = 2;

export function encodeLWWRegister(state: LWWRegisterState): Uint8Array {
  const w = new Writer(32);
  writeHeader(w, KIND.lwwRegister, LWW_CODEC_VERSION);
  if (state === null) {
    w.byte(0);
    return w.finish();
  }
  w.byte(1);
  const table = new ActorTable([state.actor]);
  table.write(w);
  w.varuint(0);
  w.varuint(state.hlc);
  scalarCodec.write(w, state.value);
  return w.finish();
}

export function decodeLWWRegister(bytes: Uint8Array): LWWRegisterState {
  try {
    const r: Reader = new Reader(bytes);
    const version = readHeader(r, KIND.lwwRegister, 'LWW-Register', [1, LWW_CODEC_VERSION]);
    const present = r.byte();
    if (present === 0) {
      r.end();
      return null;
    }
    if (present !== 1) r.fail('bad presence flag');
    const actors = ActorTable.read(r);
    if (actors.length !== 1) r.fail('an LWW write has exactly one actor');
    const actor = readActorIndex(r, actors);
    const raw = r.varuint();
    // format 1 packed 12 logical bits (causal/hlc.ts)
    const hlc = version === 1 ? hlcFromLegacy(raw) : raw;
    if (hlc === undefined || !isValidHlc(hlc)) return r.fail('bad hlc');
    const value = scalarCodec.read(r);
    r.end();
    return { hlc, actor, value };
  } catch (err) {
    if (err instanceof CrdtDecodeError) throw err;
    throw new CrdtDecodeError('malformed LWW-Register encoding', { cause: err });
  }
}

export function lwwRegisterToJSON(state: LWWRegisterState): unknown {
  return state;
}
