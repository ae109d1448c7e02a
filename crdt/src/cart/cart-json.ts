/**
 * JSON form of cart states for debugging, logs and JSON clients. `cartFromJSON` is exactly as strict
 * as the binary decoder — it checks what the encoder could not carry faithfully (types, integers,
 * well-formed strings, timestamps) and then round-trips the value through the binary codec, whose
 * decoder is the one validator — and fails only with CrdtDecodeError.
 *
 * Version 2 (current) packs `hlc` with 5 logical bits (causal/hlc.ts) and carries a delta's
 * `deps`; version 1 JSON (12 logical bits, no deps) still reads, its timestamps converted.
 */
import { CausalContext } from '../causal/causal-context.js';
import { type ActorId, checkActorId } from '../causal/dot.js';
import { hlcFromLegacy, isValidHlc } from '../causal/hlc.js';
import { LIMITS } from '../codec/limits.js';
import { CrdtDecodeError } from '../errors.js';
import { contextOf, DotList, depsOf, listsOf } from '../types/dot-store.js';
import { decodeCart, encodeCart } from './cart-codec.js';
import { CartState } from './cart-state.js';
import { Entry, type EntryKind, INC, META } from './line.js';
import { type LineMeta, MAX_QUANTITY, normalizeMeta, validateMeta, validateProductId } from './validate.js';

export interface CartEntryJSON {
  actor: ActorId;
  counter: number;
  kind: 'inc' | 'set' | 'meta';
  value?: number;
  hlc?: number;
  meta?: LineMeta;
}
export interface CartJSON {
  version: 1 | 2;
  context: Record<ActorId, Array<[number, number]>>;
  lines: Record<string, CartEntryJSON[]>;
  /** A delta's dependencies (version vector); absent for a full state. */
  deps?: Record<ActorId, number>;
}

const KINDS = ['inc', 'set', 'meta'] as const;

export function cartToJSON(state: CartState): CartJSON {
  if (!(state instanceof CartState)) throw new TypeError('cartToJSON expects a CartState');
  const all = listsOf(state);
  const lines: Record<string, CartEntryJSON[]> = {};
  for (const pid of [...all.keys()].sort()) {
    lines[pid] = all.get(pid)!.entries.map((e) => {
      const j: CartEntryJSON = { actor: e.actor, counter: e.counter, kind: KINDS[e.kind]! };
      if (e.kind !== META) j.value = e.value;
      if (e.kind !== INC) j.hlc = e.hlc;
      if (e.meta !== undefined) j.meta = e.meta;
      return j;
    });
  }
  const out: CartJSON = { version: 2, context: contextOf(state).toJSON(), lines };
  const deps = depsOf(state);
  if (deps !== undefined) out.deps = Object.fromEntries([...deps].sort(([a], [b]) => (a < b ? -1 : 1)));
  return out;
}

function fail(message: string, cause?: unknown): never {
  throw new CrdtDecodeError(`cart JSON: ${message}`, cause === undefined ? undefined : { cause });
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function actorOf(x: unknown): ActorId {
  try {
    return checkActorId(x);
  } catch (e) {
    return fail('bad actor id', e);
  }
}

function isCounter(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 1 && x <= LIMITS.maxCounter;
}

export function cartFromJSON(json: unknown): CartState {
  if (!isRecord(json) || (json.version !== 1 && json.version !== 2)) {
    fail('expected { version: 2, context, lines[, deps] }');
  }
  const legacy = json.version === 1;
  const ctx = new CausalContext();
  if (!isRecord(json.context)) fail('context must be an object');
  const actors = Object.keys(json.context);
  if (actors.length > LIMITS.maxActors) fail('too many actors');
  let intervals = 0;
  for (const a of actors) {
    actorOf(a);
    const ranges = json.context[a];
    if (!Array.isArray(ranges) || ranges.length === 0) fail(`bad ranges for ${a}`);
    intervals += ranges.length;
    if (intervals > LIMITS.maxIntervals) fail('too many intervals');
    let prevHi = -1;
    for (const r of ranges) {
      if (!Array.isArray(r) || r.length !== 2) fail('a range is [lo, hi]');
      const [lo, hi] = r as unknown[];
      if (!isCounter(lo) || !isCounter(hi) || lo > hi) fail('range bounds are counters lo <= hi');
      // sorted, disjoint, non-adjacent (as toJSON writes them): keeps decoding linear
      if (lo <= prevHi + 1) fail('ranges must be sorted and separated by gaps');
      prevHi = hi;
      ctx.addRange(a, lo, hi);
    }
  }
  let deps: Map<ActorId, number> | undefined;
  if (json.deps !== undefined) {
    if (legacy || !isRecord(json.deps)) fail('deps must be an object of version-2 JSON');
    if (Object.keys(json.deps).length > LIMITS.maxActors) fail('too many actors in deps');
    deps = new Map();
    for (const [a, n] of Object.entries(json.deps)) {
      if (!isCounter(n)) fail('a dependency is a counter');
      deps.set(actorOf(a), n);
    }
  }
  if (!isRecord(json.lines)) fail('lines must be an object');
  if (Object.keys(json.lines).length > LIMITS.maxEntries) fail('too many lines');
  const lines = new Map<string, DotList<Entry>>();
  const seen = new Set<string>();
  for (const pid of Object.keys(json.lines)) {
    try {
      validateProductId(pid);
    } catch (e) {
      fail('bad product id', e);
    }
    const raw = json.lines[pid];
    if (!Array.isArray(raw) || raw.length === 0 || raw.length > LIMITS.maxDotsPerEntry)
      fail(`bad entries of ${pid}`);
    const entries: Entry[] = [];
    for (const x of raw) entries.push(entryFromJSON(x, ctx, seen, legacy));
    lines.set(pid, new DotList(entries, 0));
  }
  try {
    return decodeCart(encodeCart(new CartState(lines, ctx, deps)));
  } catch (e) {
    if (e instanceof CrdtDecodeError) fail(e.message, e);
    return fail('not representable in the binary format', e);
  }
}

function entryFromJSON(x: unknown, ctx: CausalContext, seen: Set<string>, legacy: boolean): Entry {
  if (!isRecord(x)) fail('entry must be an object');
  const kind = KINDS.indexOf(x.kind as 'inc') as EntryKind | -1;
  if (kind < 0) fail('bad entry kind');
  const actor = actorOf(x.actor);
  const counter = x.counter;
  if (!isCounter(counter) || !ctx.hasDot(actor, counter)) fail('entry dot missing or outside the context');
  const key = `${actor}\u0000${counter}`;
  if (seen.has(key)) fail('dot appears twice');
  seen.add(key);
  let value = 0;
  let hlc = 0;
  let meta: LineMeta | undefined;
  if (kind !== META) {
    value = x.value as number;
    if (!Number.isInteger(value) || value < 1 || value > MAX_QUANTITY) fail('quantity out of range');
  } else if (x.value !== undefined) fail('a meta entry has no value');
  if (kind !== INC) {
    const raw = x.hlc;
    const h = typeof raw !== 'number' ? undefined : legacy ? hlcFromLegacy(raw) : raw;
    if (h === undefined || !isValidHlc(h)) fail('bad hlc');
    hlc = h;
  } else if (x.hlc !== undefined) fail('an increment has no hlc');
  if (kind === META) {
    try {
      validateMeta(x.meta);
    } catch (e) {
      fail('bad meta', e);
    }
    meta = normalizeMeta(x.meta);
  } else if (x.meta !== undefined) fail('only meta entries carry meta');
  return new Entry(actor, counter, kind as EntryKind, value, hlc, meta);
}
