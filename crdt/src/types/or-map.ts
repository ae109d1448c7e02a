/**
 * Observed-remove map of embedded CRDTs sharing one causal context (riak_dt_map; delta-CRDT
 * ORMap, Almeida et al. §7.4). Each map holds values of one embedded kind:
 *   'counter'     dot-based counter (value: sum)           'set'         add-wins OR-Set (value: sorted elements)
 *   'mvRegister'  multi-value register (value: values)     'lwwRegister' register, LWW by (hlc, actor)
 * Embedded entries are stored flat under "key\u0000sub", so the map reuses the dot store's join,
 * deltaSince and codec. remove(key) removes every dot observed under the key, which resets an
 * embedded counter exactly (the flaw riak_dt_map's comments admit for its counters) and leaves no
 * tombstone; an update concurrent with the remove survives with only its own effect.
 */
import type { ActorId } from '../causal/dot.js';
import { Hlc, hlcFromLegacy, isValidHlc } from '../causal/hlc.js';
import { KIND } from '../codec/header.js';
import { LIMITS } from '../codec/limits.js';
import { isWellFormed } from '../codec/writer.js';
import { CrdtDecodeError, CrdtInvalidOpError } from '../errors.js';
import { amountCodec, checkAmount } from './counter.js';
import { decodeDotStore, dotStoreToJSON, encodeDotStore, type ValueCodec } from './dot-store-codec.js';
import {
  DotStoreReplica,
  emptyDotStore,
  joinValues,
  type ValueState,
  valueKind,
  valuesEqual,
} from './dot-store-replica.js';
import { checkScalar, compareScalars, type Scalar, scalarCodec } from './scalar.js';

export type ORMapKind = 'counter' | 'set' | 'mvRegister' | 'lwwRegister';

/** One embedded entry: a counter increment, a set membership, or a register write. */
export type MapValue =
  | { readonly t: 'inc'; readonly n: number }
  | { readonly t: 'elem' }
  | { readonly t: 'mv'; readonly v: Scalar }
  | { readonly t: 'lww'; readonly hlc: number; readonly v: Scalar };

export type ORMapState = ValueState<MapValue>;
export type ORMapValue = number | string[] | Scalar[] | Scalar;

const SEP = '\u0000';
const TAGS = { inc: 0, elem: 1, mv: 2, lww: 3 } as const;

const mapValueCodec: ValueCodec<MapValue> = {
  minBytes: 1,
  write(w, v) {
    w.byte(TAGS[v.t]);
    if (v.t === 'inc') amountCodec.write(w, v.n);
    else if (v.t === 'mv') scalarCodec.write(w, v.v);
    else if (v.t === 'lww') {
      w.varuint(v.hlc);
      scalarCodec.write(w, v.v);
    }
  },
  read(r, version) {
    const tag = r.byte();
    if (tag === 0) return { t: 'inc', n: amountCodec.read(r) };
    if (tag === 1) return { t: 'elem' };
    if (tag === 2) return { t: 'mv', v: scalarCodec.read(r) };
    if (tag === 3) {
      const raw = r.varuint();
      // format 1 packed 12 logical bits (causal/hlc.ts)
      const hlc = version === 1 ? hlcFromLegacy(raw) : raw;
      if (hlc === undefined || !isValidHlc(hlc)) return r.fail('bad hlc');
      return { t: 'lww', hlc, v: scalarCodec.read(r) };
    }
    return r.fail(`unknown map value tag ${tag}`);
  },
};

function compareMapValues(a: MapValue, b: MapValue): number {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

const KIND_MAP = valueKind<MapValue>((a, b) => compareMapValues(a, b) === 0, compareMapValues);

function checkKey(key: string): void {
  if (typeof key !== 'string') throw new TypeError('map keys are strings');
  if (key.includes(SEP)) throw new CrdtInvalidOpError('map keys cannot contain U+0000');
  if (key.length > LIMITS.maxStringBytes / 6) throw new CrdtInvalidOpError('map key too long');
  if (!isWellFormed(key)) throw new CrdtInvalidOpError('map key has a lone UTF-16 surrogate');
}

export class ORMap extends DotStoreReplica<MapValue> {
  readonly kind: ORMapKind;
  readonly #hlc: Hlc;

  private constructor(actor: ActorId, kind: ORMapKind, state: ORMapState, clock?: () => number) {
    super(actor, KIND_MAP, state);
    this.kind = kind;
    this.#hlc = new Hlc(clock);
  }

  static create(
    actor: ActorId,
    kind: ORMapKind,
    options: { state?: ORMapState; clock?: () => number } = {},
  ): ORMap {
    return new ORMap(actor, kind, options.state ?? emptyDotStore(), options.clock);
  }

  #need(kind: ORMapKind): void {
    if (this.kind !== kind) throw new TypeError(`this map embeds ${this.kind}, not ${kind}`);
  }

  #subKeys(key: string): string[] {
    const prefix = key + SEP;
    return [...this.store.keys()].filter((k) => k.startsWith(prefix));
  }

  increment(key: string, by = 1): ORMapState {
    this.#need('counter');
    checkKey(key);
    checkAmount(by);
    return this.mutate([], [[key + SEP, { t: 'inc', n: by }]]);
  }

  addElement(key: string, element: string): ORMapState {
    this.#need('set');
    checkKey(key);
    if (typeof element !== 'string' || element.length > LIMITS.maxStringBytes / 6) {
      throw new CrdtInvalidOpError('set element too long');
    }
    if (!isWellFormed(element)) throw new CrdtInvalidOpError('set element has a lone UTF-16 surrogate');
    const k = key + SEP + element;
    return this.mutate([k], [[k, { t: 'elem' }]]);
  }

  removeElement(key: string, element: string): ORMapState {
    this.#need('set');
    checkKey(key);
    return this.mutate([key + SEP + element], []);
  }

  write(key: string, value: Scalar): ORMapState {
    checkKey(key);
    checkScalar(value);
    const k = key + SEP;
    if (this.kind === 'mvRegister') return this.mutate([k], [[k, { t: 'mv', v: value }]]);
    this.#need('lwwRegister');
    let observed = -1;
    for (const e of this.store.get(k) ?? [])
      if (e.value.t === 'lww' && e.value.hlc > observed) observed = e.value.hlc;
    if (observed >= 0) this.#hlc.observe(observed);
    return this.mutate([k], [[k, { t: 'lww', hlc: this.#hlc.now(), v: value }]]);
  }

  /** Observed-remove of the key and everything embedded under it. */
  remove(key: string): ORMapState {
    checkKey(key);
    return this.mutate(this.#subKeys(key), []);
  }

  keys(): string[] {
    const out = new Set<string>();
    for (const k of this.store.keys()) out.add(k.slice(0, k.indexOf(SEP)));
    return [...out].sort();
  }

  has(key: string): boolean {
    return this.#subKeys(key).length > 0;
  }

  get(key: string): ORMapValue | undefined {
    const subs = this.#subKeys(key);
    if (subs.length === 0) return undefined;
    const entries = subs.flatMap((k) => this.store.get(k)!);
    switch (this.kind) {
      case 'counter':
        return entries.reduce((s, e) => s + (e.value.t === 'inc' ? e.value.n : 0), 0);
      case 'set':
        return subs.map((k) => k.slice(key.length + 1)).sort();
      case 'mvRegister':
        return entries.map((e) => (e.value.t === 'mv' ? e.value.v : '')).sort(compareScalars);
      case 'lwwRegister': {
        let best: { hlc: number; actor: string; v: Scalar } | undefined;
        for (const e of entries) {
          if (e.value.t !== 'lww') continue;
          const c = { hlc: e.value.hlc, actor: e.actor, v: e.value.v };
          if (!best || c.hlc > best.hlc || (c.hlc === best.hlc && c.actor > best.actor)) best = c;
        }
        return best?.v;
      }
    }
  }

  merge(other: ORMap): void {
    this.applyDelta(other.state());
  }

  equals(other: ORMap): boolean {
    return orMapEquals(this.state(), other.state());
  }
}

export const joinORMap = (a: ORMapState, b: ORMapState): ORMapState => joinValues(KIND_MAP, a, b);
export const orMapEquals = (a: ORMapState, b: ORMapState): boolean => valuesEqual(KIND_MAP, a, b);
export const encodeORMap = (s: ORMapState): Uint8Array => encodeDotStore(KIND.orMap, s, mapValueCodec);
export function decodeORMap(b: Uint8Array): ORMapState {
  const state = decodeDotStore(KIND.orMap, 'OR-Map', b, mapValueCodec);
  for (const k of state.keys()) {
    const list = state.entries(k);
    const sep = k.indexOf(SEP);
    if (sep < 0) throw new CrdtDecodeError('OR-Map entry key without a separator');
    const sub = k.slice(sep + 1);
    for (const e of list) {
      if (e.value.t !== 'elem' && sub.length > 0) {
        throw new CrdtDecodeError('OR-Map entry kind does not match its key');
      }
    }
  }
  return state;
}
export const orMapToJSON = (s: ORMapState): unknown => dotStoreToJSON(s);
